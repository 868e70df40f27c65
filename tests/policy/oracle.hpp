// A deliberately simple policy evaluator over the AST, written from
// docs/policy-language.md, for the differential test. It shares nothing with the
// compiled path but the pattern primitives (pattern::matches / validate_target /
// specificity / parse_net_pattern): a linear scan over every rule, std::string version
// arithmetic, label names looked up by search. Slow and obviously correct is the point.
#pragma once

#include <algorithm>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "authority/hosted/policy_ast.hpp"
#include "authority/pattern/pattern.hpp"

namespace policy_oracle {

namespace pt = authority::policy_text;
using authority::errc;
namespace pattern = authority::pattern;

// Op numbers as the language reference lists them.
enum class op { fs_read, fs_write, fs_exec, net_dns, net_connect, net_bind, net_listen, tool_call, wasm_call, wasm_hostcall, infer, spawn };

inline pattern::syntax syntax_for(op o) {
  switch (o) {
    case op::fs_read: case op::fs_write: case op::fs_exec: case op::spawn: return pattern::syntax::path;
    case op::net_dns: return pattern::syntax::host;
    case op::net_connect: case op::net_bind: case op::net_listen: return pattern::syntax::net;
    default: return pattern::syntax::name;
  }
}

enum class kind { allow, deny, source, sink, sanitizer };

struct rule {
  kind k = kind::allow;
  std::vector<op> ops;
  std::optional<pattern::syntax> syntax;  // none: every target
  std::string text;
  std::uint32_t line = 0, column = 0;
  std::optional<std::string> version;
  std::optional<std::uint64_t> max_tokens;
  std::vector<std::string> labels, adds;  // source: {label}; sink: denied; sanitizer: removes / adds
};

struct request {
  op o = op::fs_read;
  std::string target;
  std::string version;
  std::uint64_t tokens = 0;
  std::vector<std::string> labels;
};

struct verdict {
  bool allow = false;
  errc reason = errc::no_policy;
  const rule* decided = nullptr;
  std::vector<std::string> result_labels;  // sorted by label order
};

// ---- versions, from the reference's wording ----

inline std::optional<std::vector<unsigned long>> parse_numbers(const std::string& s) {
  std::vector<unsigned long> parts;
  std::string cur;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == '.') {
      if (cur.empty() || cur.size() > 9) return std::nullopt;
      parts.push_back(std::stoul(cur));
      cur.clear();
    } else if (s[i] >= '0' && s[i] <= '9') {
      cur += s[i];
    } else {
      return std::nullopt;
    }
  }
  if (parts.empty() || parts.size() > 3) return std::nullopt;
  return parts;
}

inline int order(std::vector<unsigned long> a, std::vector<unsigned long> b) {
  a.resize(3, 0);
  b.resize(3, 0);
  return a < b ? -1 : a > b ? 1 : 0;
}

inline bool term_holds(const std::vector<unsigned long>& v, std::string term) {
  while (!term.empty() && term.front() == ' ') term.erase(0, 1);
  while (!term.empty() && term.back() == ' ') term.pop_back();
  std::string op_text;
  for (const char* candidate : {"==", "!=", ">=", "<=", "=", ">", "<", "^", "~"})
    if (term.rfind(candidate, 0) == 0) {
      op_text = candidate;
      break;
    }
  std::string number = term.substr(op_text.size());
  while (!number.empty() && number.front() == ' ') number.erase(0, 1);
  const auto t = *parse_numbers(number);
  const int c = order(v, t);
  auto upper = [&](std::size_t at) {
    std::vector<unsigned long> u(t.begin(), t.begin() + static_cast<long>(at));
    u.push_back(t[at] + 1);
    return u;
  };
  if (op_text.empty() || op_text == "=" || op_text == "==" || op_text == "!=") {
    bool equal = true;
    for (std::size_t k = 0; k < t.size(); ++k) equal = equal && (k < v.size() ? v[k] : 0) == t[k];
    return op_text == "!=" ? !equal : equal;
  }
  if (op_text == ">=") return c >= 0;
  if (op_text == "<=") return c <= 0;
  if (op_text == ">") return c > 0;
  if (op_text == "<") return c < 0;
  if (op_text == "^") {
    std::size_t at = t.size() - 1;
    for (std::size_t k = 0; k < t.size(); ++k)
      if (t[k] != 0) {
        at = k;
        break;
      }
    return c >= 0 && order(v, upper(at)) < 0;
  }
  return c >= 0 && order(v, upper(t.size() >= 2 ? 1 : 0)) < 0;  // ~
}

inline bool version_holds(const std::vector<unsigned long>& v, const std::string& constraint) {
  std::stringstream ss(constraint);
  for (std::string term; std::getline(ss, term, ',');)
    if (!term_holds(v, term)) return false;
  return true;
}

// ---- the policy as a flat list of rules, in the documented order ----

class model {
 public:
  explicit model(const pt::policy& p) : p_(p) {
    labels_.push_back("untrusted");
    for (const auto& l : p.taint.labels)
      if (std::find(labels_.begin(), labels_.end(), l.pattern) == labels_.end()) labels_.push_back(l.pattern);
    auto fs_ops = [](bool r, bool w, bool x) {
      std::vector<op> o;
      if (r) o.push_back(op::fs_read);
      if (w) o.push_back(op::fs_write);
      if (x) o.push_back(op::fs_exec);
      return o;
    };
    auto add = [&](kind k, std::vector<op> ops, std::optional<pattern::syntax> s, std::string text, const pt::source_location& loc) -> rule& {
      rules_.push_back({k, std::move(ops), s, std::move(text), loc.line, loc.column, {}, {}, {}, {}});
      return rules_.back();
    };
    for (const auto& g : p.fs.allow) add(kind::allow, fs_ops(g.read, g.write, g.exec), pattern::syntax::path, g.path, g.loc);
    for (const auto& ref : p.profiles) {
      const auto grants = *pt::expand_profile(ref.name);
      for (const auto& g : grants)
        add(kind::allow, fs_ops(g.read, g.write, g.exec), pattern::syntax::path, std::string{g.path}, ref.loc);
    }
    for (const auto& d : p.fs.deny) add(kind::deny, {op::fs_read, op::fs_write, op::fs_exec}, pattern::syntax::path, d.pattern, d.loc);
    for (const auto& d : p.net.dns) add(kind::allow, {op::net_dns}, pattern::syntax::host, d.pattern, d.loc);
    for (const auto& g : p.net.allow) {
      std::vector<op> o;
      if (g.connect) o.push_back(op::net_connect);
      if (g.bind) o.push_back(op::net_bind);
      if (g.listen) o.push_back(op::net_listen);
      add(kind::allow, o, pattern::syntax::net, g.pattern, g.loc);
    }
    for (const auto& d : p.net.deny) add(kind::deny, {op::net_connect, op::net_bind, op::net_listen, op::net_dns}, pattern::syntax::net, d.pattern, d.loc);
    for (const auto& t : p.tools.allow) add(kind::allow, {op::tool_call}, pattern::syntax::name, t.name, t.loc).version = t.version;
    for (const auto& t : p.tools.deny) add(kind::deny, {op::tool_call}, pattern::syntax::name, t.name, t.loc).version = t.version;
    for (const auto& m : p.wasm.modules) add(kind::allow, {op::wasm_call}, pattern::syntax::name, m.pattern, m.loc);
    for (const auto& h : p.wasm.hostcalls) add(kind::allow, {op::wasm_hostcall}, pattern::syntax::name, h.pattern, h.loc);
    for (const auto& m : p.infer.models) add(kind::allow, {op::infer}, pattern::syntax::name, m.model, m.loc).max_tokens = m.max_tokens;
    for (const auto& s : p.spawn.allow) add(kind::allow, {op::spawn}, pattern::syntax::path, s.pattern, s.loc);
    for (const auto& s : p.spawn.deny) add(kind::deny, {op::spawn}, pattern::syntax::path, s.pattern, s.loc);
    auto selected = [](const pt::effect_selector& e) {
      std::vector<op> o;
      for (int k = 0; k < 12; ++k)
        if (e.kinds & (1u << k)) o.push_back(static_cast<op>(k));
      return o;
    };
    auto target_syntax = [&](const pt::effect_selector& e, const std::optional<std::string>& t) -> std::optional<pattern::syntax> {
      if (!t) return std::nullopt;
      return syntax_for(selected(e).front());
    };
    for (const auto& s : p.taint.sources)
      add(kind::source, selected(s.effect), target_syntax(s.effect, s.target), s.target.value_or(""), s.loc).labels = {s.label};
    for (const auto& s : p.taint.sinks)
      add(kind::sink, selected(s.effect), target_syntax(s.effect, s.target), s.target.value_or(""), s.loc).labels = s.deny;
    for (const auto& s : p.taint.sanitizers) {
      auto& r = add(kind::sanitizer, {op::tool_call}, pattern::syntax::name, s.tool, s.loc);
      r.labels = s.removes;
      r.adds = s.adds;
    }
  }

  const std::vector<std::string>& labels() const { return labels_; }
  const std::vector<rule>& rules() const { return rules_; }

  bool applies(const rule& r, const request& q) const {
    if (std::find(r.ops.begin(), r.ops.end(), q.o) == r.ops.end()) return false;
    if (r.syntax) {
      if (q.o == op::net_dns && *r.syntax == pattern::syntax::net) {
        // net.deny in a lookup: only dns: rules for every port, matched by host.
        const auto n = pattern::parse_net_pattern(r.text);
        if (!n || n->kind != pattern::net_kind::dns || !(n->ports == pattern::port_set::any())) return false;
        if (!pattern::host_matches(n->host, q.target)) return false;
      } else if (!pattern::matches(*r.syntax, r.text, q.target)) {
        return false;
      }
    }
    if (r.version) {
      const auto v = q.version.empty() ? std::nullopt : parse_numbers(q.version);
      if (!v) return r.k == kind::deny;
      return version_holds(*v, *r.version);
    }
    return true;
  }

  verdict decide(const request& q) const {
    verdict out;
    if (auto ok = pattern::validate_target(syntax_for(q.o), q.target); !ok) {
      out.reason = ok.code();
      return out;
    }
    const rule *allow = nullptr, *deny = nullptr, *sink = nullptr;
    std::vector<std::string> sources, removes, adds;
    auto better = [](const rule* current, const rule& candidate) {
      if (current == nullptr) return true;
      const auto a = candidate.syntax ? pattern::specificity(*candidate.syntax, candidate.text) : 0;
      const auto b = current->syntax ? pattern::specificity(*current->syntax, current->text) : 0;
      return a > b;  // the earlier rule keeps a tie
    };
    for (const auto& r : rules_) {
      if (!applies(r, q)) continue;
      switch (r.k) {
        case kind::allow: if (better(allow, r)) allow = &r; break;
        case kind::deny: if (better(deny, r)) deny = &r; break;
        case kind::source: sources.insert(sources.end(), r.labels.begin(), r.labels.end()); break;
        case kind::sink:
          for (const auto& l : r.labels)
            if (std::find(q.labels.begin(), q.labels.end(), l) != q.labels.end() && better(sink, r)) sink = &r;
          break;
        case kind::sanitizer:
          removes.insert(removes.end(), r.labels.begin(), r.labels.end());
          adds.insert(adds.end(), r.adds.begin(), r.adds.end());
          break;
      }
    }
    if (deny) return {false, errc::denied_by_rule, deny, {}};
    if (!allow) return {false, errc::not_allowed, nullptr, {}};
    if (q.o == op::infer) {
      const bool over_own = allow->max_tokens && q.tokens > *allow->max_tokens;
      const bool over_policy = p_.infer.max_tokens && q.tokens > *p_.infer.max_tokens;
      if (over_own || over_policy) return {false, errc::limit_exceeded, allow, {}};
    }
    if (sink) return {false, errc::taint_violation, sink, {}};
    out = {true, errc::ok, allow, {}};
    for (const auto& name : labels_) {
      auto has = [&](const std::vector<std::string>& v) { return std::find(v.begin(), v.end(), name) != v.end(); };
      const bool in = (has(q.labels) || has(sources)) && !has(removes);
      if (in || has(adds)) out.result_labels.push_back(name);
    }
    return out;
  }

 private:
  const pt::policy& p_;
  std::vector<std::string> labels_;
  std::vector<rule> rules_;
};

}  // namespace policy_oracle
