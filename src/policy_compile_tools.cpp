// Around the compiler: explanations of decisions, the linter and record mode.
#include <algorithm>
#include <map>
#include <set>

#include "authority/hosted/policy_compiler.hpp"
#include "authority/pattern/pattern.hpp"
#include "authority/policy/suggest.hpp"
#include "authority/hosted/json_escape.hpp"

namespace authority::hosted {
namespace {

using namespace authority::policy;
namespace pt = authority::policy_text;

std::string quoted(std::string_view s) { return json_quoted(s); }

std::string ops_text(op_set ops) {
  std::string out;
  for (std::size_t k = 0; k < op_count; ++k)
    if ((ops & (1u << k)) != 0) {
      if (!out.empty()) out += ',';
      out += name_of(static_cast<op>(k));
    }
  return out;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

std::string syntax_word(pattern::syntax s) {
  switch (s) {
    case pattern::syntax::path: return "path";
    case pattern::syntax::net: return "network target";
    case pattern::syntax::host: return "host name";
    case pattern::syntax::name: return "name";
  }
  return "target";
}

}  // namespace

std::vector<std::string> label_names(const compiled_policy& p, label_set labels) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < max_labels; ++i)
    if ((labels >> i) & 1u) out.emplace_back(i < p.label_count() ? p.label_name(i) : "label" + std::to_string(i));
  return out;
}

rule_summary summarize_rule(const compiled_policy& p, std::uint32_t index) {
  rule_summary s;
  s.index = index;
  s.info = p.rule(index);
  const auto& r = s.info;
  s.location = std::string{r.file} + ":" + std::to_string(r.line) + ":" + std::to_string(r.column);
  s.text = std::string{name_of(r.kind)} + " " + ops_text(r.ops);
  if (r.syntax) s.text += " " + quoted(r.pattern);
  switch (r.kind) {
    case rule_kind::allow:
    case rule_kind::deny:
      if (r.origin == rule_origin::profile) s.text += " (profile " + std::string{r.detail} + ")";
      else if (!r.detail.empty()) s.text += " version " + quoted(r.detail);
      if (r.max_tokens) s.text += " max_tokens " + std::to_string(*r.max_tokens);
      break;
    case rule_kind::source: s.text += " adds [" + join(label_names(p, r.labels)) + "]"; break;
    case rule_kind::sink: s.text += " denies [" + join(label_names(p, r.labels)) + "]"; break;
    case rule_kind::sanitizer:
      s.text += " removes [" + join(label_names(p, r.labels)) + "] adds [" + join(label_names(p, r.adds)) + "]";
      break;
  }
  return s;
}

explanation explain(const compiled_policy& p, const request& r) {
  explanation e;
  e.decision = p.evaluate(r);
  const std::string what = std::string{name_of(r.kind)} + " " + std::string{r.target};
  std::vector<std::uint32_t> matches;
  if (p.valid()) (void)p.for_each_match(r, [&](std::uint32_t rule) { matches.push_back(rule); });
  std::sort(matches.begin(), matches.end());
  for (auto m : matches)
    if (m != e.decision.rule) e.others.push_back(summarize_rule(p, m));
  if (e.decision.rule != no_rule) e.deciding = summarize_rule(p, e.decision.rule);
  const auto at = [&] { return e.deciding ? e.deciding->text + " at " + e.deciding->location : std::string{}; };

  auto snippet = [&]() -> std::optional<std::string> {
    std::vector<char> buffer(2 * r.target.size() + 256);
    auto s = suggest_snippet(r, p.format(), buffer);
    if (!s) return std::nullopt;
    return std::string{*s};
  };
  switch (e.decision.reason) {
    case errc::ok: e.reason = "allowed by " + at(); break;
    case errc::no_policy: e.reason = "no policy is loaded: everything is denied"; break;
    case errc::denied_by_rule:
      e.reason = what + " is denied by " + at() + " (a matching deny beats every allow)";
      break;
    case errc::not_allowed:
      e.reason = "no allow rule covers " + what + " (deny by default)";
      e.missing = std::string{name_of(r.kind)} + " grant for " + std::string{r.target};
      e.suggestion = snippet();
      break;
    case errc::limit_exceeded: {
      const auto own = e.deciding ? e.deciding->info.max_tokens : std::nullopt;
      const auto wide = p.max_tokens();
      std::string limits;
      if (own) limits += "the model's max_tokens " + std::to_string(*own);
      if (wide) limits += std::string{limits.empty() ? "" : " and "} + "infer.max_tokens " + std::to_string(*wide);
      e.reason = std::to_string(r.tokens) + " tokens exceed " + limits + " (" + at() + ")";
      e.missing = "max_tokens >= " + std::to_string(r.tokens) + " for model " + std::string{r.target};
      if (wide && r.tokens > *wide) *e.missing += " and infer.max_tokens >= " + std::to_string(r.tokens);
      e.suggestion = snippet();
      break;
    }
    case errc::taint_violation: {
      const auto denied = e.deciding ? (e.deciding->info.labels & r.labels) : label_set{0};
      e.reason = "data labeled [" + join(label_names(p, denied)) + "] may not flow into " + what + ": " + at();
      e.missing = "a sanitizer (taint.sanitizers) that removes [" + join(label_names(p, denied)) +
                  "] from the data before it reaches " + what;
      break;
    }
    default:
      e.reason = "the target is not a valid " + syntax_word(target_syntax(r.kind)) + " for " +
                 std::string{name_of(r.kind)} + ": " + std::string{describe(e.decision.reason)} + " (" +
                 std::string{name_of(e.decision.reason)} + ")";
      break;
  }
  return e;
}

// ---- lint --------------------------------------------------------------------------------

namespace {

// One grant or deny, flattened per access: what the linter compares.
struct flat_rule {
  bool deny = false;
  op access = op::fs_read;
  pattern::syntax syntax = pattern::syntax::path;
  std::string pattern;
  std::optional<std::string> version;
  std::optional<std::uint64_t> max_tokens;
  pt::source_location loc;
  std::string where;  // "fs.read", "profile tier1-musl", ...
};

std::vector<flat_rule> flatten(const pt::policy& p) {
  std::vector<flat_rule> out;
  auto fs = [&](const std::string& path, bool read, bool write, bool exec, const pt::source_location& loc,
                const std::string& where_prefix) {
    const std::pair<bool, op> flags[] = {{read, op::fs_read}, {write, op::fs_write}, {exec, op::fs_exec}};
    for (auto [set, o] : flags)
      if (set) out.push_back({false, o, pattern::syntax::path, path, {}, {}, loc, where_prefix.empty() ? std::string{name_of(o)} : where_prefix});
  };
  for (const auto& g : p.fs.allow) fs(g.path, g.read, g.write, g.exec, g.loc, "");
  for (const auto& ref : p.profiles)
    if (auto grants = pt::expand_profile(ref.name))
      for (const auto& g : *grants) fs(std::string{g.path}, g.read, g.write, g.exec, ref.loc, "profile " + ref.name);
  for (const auto& d : p.fs.deny)
    for (op o : {op::fs_read, op::fs_write, op::fs_exec})
      out.push_back({true, o, pattern::syntax::path, d.pattern, {}, {}, d.loc, "fs.deny"});
  for (const auto& d : p.net.dns) out.push_back({false, op::net_dns, pattern::syntax::host, d.pattern, {}, {}, d.loc, "net.dns"});
  for (const auto& g : p.net.allow) {
    const std::pair<bool, op> flags[] = {{g.connect, op::net_connect}, {g.bind, op::net_bind}, {g.listen, op::net_listen}};
    for (auto [set, o] : flags)
      if (set) out.push_back({false, o, pattern::syntax::net, g.pattern, {}, {}, g.loc, std::string{name_of(o)}});
  }
  for (const auto& d : p.net.deny)
    for (op o : {op::net_connect, op::net_bind, op::net_listen})
      out.push_back({true, o, pattern::syntax::net, d.pattern, {}, {}, d.loc, "net.deny"});
  for (const auto& t : p.tools.allow) out.push_back({false, op::tool_call, pattern::syntax::name, t.name, t.version, {}, t.loc, "tools.allow"});
  for (const auto& t : p.tools.deny) out.push_back({true, op::tool_call, pattern::syntax::name, t.name, t.version, {}, t.loc, "tools.deny"});
  for (const auto& m : p.wasm.modules) out.push_back({false, op::wasm_call, pattern::syntax::name, m.pattern, {}, {}, m.loc, "wasm.modules"});
  for (const auto& h : p.wasm.hostcalls) out.push_back({false, op::wasm_hostcall, pattern::syntax::name, h.pattern, {}, {}, h.loc, "wasm.hostcalls"});
  for (const auto& m : p.infer.models) out.push_back({false, op::infer, pattern::syntax::name, m.model, {}, m.max_tokens, m.loc, "infer.models"});
  for (const auto& s : p.spawn.allow) out.push_back({false, op::spawn, pattern::syntax::path, s.pattern, {}, {}, s.loc, "spawn.allow"});
  for (const auto& s : p.spawn.deny) out.push_back({true, op::spawn, pattern::syntax::path, s.pattern, {}, {}, s.loc, "spawn.deny"});
  return out;
}

std::string at_text(const pt::source_location& loc) {
  return loc.line == 0 ? std::string{"a built-in"} : std::to_string(loc.line) + ":" + std::to_string(loc.column);
}

// Every target of the op's syntax matches the pattern.
bool covers_everything(pattern::syntax s, const std::string& p) {
  switch (s) {
    case pattern::syntax::path: return pattern::contains(s, p, "/**").value_or(false);
    case pattern::syntax::name: return pattern::contains(s, p, "*").value_or(false);
    case pattern::syntax::host: return p == "*";
    case pattern::syntax::net: {
      const auto n = pattern::parse_net_pattern(p);
      return n && (n->kind == pattern::net_kind::dns ? n->host.kind == pattern::host_kind::any : n->any_address);
    }
  }
  return false;
}

}  // namespace

std::vector<lint_finding> lint_policy(const pt::policy& p) {
  std::vector<lint_finding> findings;
  auto report = [&](lint_severity s, std::string check, const pt::source_location& loc, std::string message) {
    findings.push_back({s, std::move(check), loc, std::move(message)});
  };
  auto rules = flatten(p);
  std::vector<bool> valid(rules.size());
  std::set<std::pair<std::uint32_t, std::string>> invalid_seen;
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const auto ok = pattern::validate(rules[i].syntax, rules[i].pattern);
    valid[i] = ok.ok();
    if (!ok && invalid_seen.emplace(rules[i].loc.offset, rules[i].pattern).second)
      report(lint_severity::error, "invalid", rules[i].loc,
             rules[i].where + " pattern " + quoted(rules[i].pattern) + " is invalid: " +
                 std::string{describe(ok.code())} + " (" + std::string{ok.error().field} + " at offset " +
                 std::to_string(ok.error().offset) + ")");
  }
  std::set<std::pair<std::uint32_t, std::string>> reported;  // (offset, check): one finding per entry and check
  auto once = [&](const flat_rule& r, const std::string& check) { return reported.emplace(r.loc.offset, check + r.pattern).second; };

  for (std::size_t i = 0; i < rules.size(); ++i) {
    const auto& a = rules[i];
    if (!valid[i] || a.deny) continue;
    for (std::size_t j = 0; j < rules.size(); ++j) {
      const auto& b = rules[j];
      if (i == j || !valid[j] || b.access != a.access) continue;
      if (b.version && b.version != a.version) continue;  // a constrained rule covers only some versions
      auto contained = pattern::contains(a.syntax, b.pattern, a.pattern);
      if (!contained || !*contained) continue;
      if (b.deny) {
        if (once(a, "unreachable"))
          report(lint_severity::error, "unreachable", a.loc,
                 a.where + " " + quoted(a.pattern) + " can never allow anything: " + b.where + " " + quoted(b.pattern) +
                     " at " + at_text(b.loc) + " denies everything it covers (deny beats allow)");
        continue;
      }
      // Equal patterns shadow each other: report the later one only. A model with its own
      // limit is not redundant (the most specific rule decides the limit).
      const bool equal = a.pattern == b.pattern;
      if ((equal && j > i) || (a.access == op::infer && a.max_tokens != b.max_tokens)) continue;
      if (once(a, "shadowed"))
        report(lint_severity::warning, "shadowed", a.loc,
               a.where + " " + quoted(a.pattern) + " is redundant: " + b.where + " " + quoted(b.pattern) + " at " +
                   at_text(b.loc) + " already allows " + (equal ? "the same" : "everything it allows"));
    }
    if (covers_everything(a.syntax, a.pattern) ||
        (a.syntax == pattern::syntax::net && pattern::parse_net_pattern(a.pattern)->kind == pattern::net_kind::dns &&
         pattern::parse_net_pattern(a.pattern)->host.kind == pattern::host_kind::any)) {
      const bool severe = a.access == op::fs_write || a.access == op::fs_exec || a.access == op::spawn;
      if (once(a, "over-broad"))
        report(severe ? lint_severity::error : lint_severity::warning, "over-broad", a.loc,
               a.where + " " + quoted(a.pattern) + " grants " + std::string{name_of(a.access)} + " on every " +
                   syntax_word(a.syntax) + (severe ? "; grant the directories the agent needs" : "; narrow it if you can"));
    } else if (a.syntax == pattern::syntax::net) {
      const auto n = pattern::parse_net_pattern(a.pattern);
      if (n->ports == pattern::port_set::any() && once(a, "over-broad"))
        report(lint_severity::warning, "over-broad", a.loc,
               a.where + " " + quoted(a.pattern) + " allows every port; name the ports the agent needs");
    }
  }

  // Labels: declared but unused; sinks that nothing can trigger.
  std::set<std::string> produced{}, used{};
  for (const auto& s : p.taint.sources) produced.insert(s.label), used.insert(s.label);
  for (const auto& s : p.taint.sanitizers) {
    for (const auto& l : s.adds) produced.insert(l), used.insert(l);
    for (const auto& l : s.removes) used.insert(l);
  }
  for (const auto& s : p.taint.sinks) used.insert(s.deny.begin(), s.deny.end());
  for (const auto& l : p.taint.labels)
    if (!used.count(l.pattern))
      report(lint_severity::warning, "unused-label", l.loc, "label " + quoted(l.pattern) + " is declared but no source, sink or sanitizer uses it");
  for (const auto& s : p.taint.sinks) {
    std::vector<std::string> dead;
    for (const auto& l : s.deny)
      if (!produced.count(l)) dead.push_back(quoted(l));
    if (dead.size() == s.deny.size())
      report(lint_severity::warning, "dead-sink", s.loc,
             "sink on " + s.effect.text + " denies [" + join(dead) +
                 "] but no source or sanitizer produces them: it only fires for labels the caller supplies");
  }
  std::stable_sort(findings.begin(), findings.end(),
                   [](const lint_finding& x, const lint_finding& y) { return x.loc.offset < y.loc.offset; });
  return findings;
}

// ---- record mode -------------------------------------------------------------------------

result<pt::policy> record_policy(std::span<const recorded_request> requests, pt::format f) {
  pt::policy p;
  p.source_format = f;
  p.version = pt::policy_version{1, 0, {}};
  std::map<std::string, std::array<bool, 3>> fs, net;
  std::set<std::string> dns, modules, hostcalls, spawn;
  std::map<std::string, std::set<std::string>> tools;  // name → versions seen ("" = unknown)
  std::map<std::string, std::uint64_t> models;
  budget::costs totals;
  std::set<budget::resource> costed;
  for (const auto& r : requests) {
    const auto syntax = target_syntax(r.kind);
    if (auto ok = pattern::validate_target(syntax, r.target); !ok)
      return make_error(ok.code(), "target");
    const auto k = static_cast<std::size_t>(r.kind);
    switch (r.kind) {
      case op::fs_read:
      case op::fs_write:
      case op::fs_exec: fs[r.target][k] = true; break;
      case op::net_dns: dns.insert(r.target); break;
      case op::net_connect:
      case op::net_bind:
      case op::net_listen: net[r.target][k - static_cast<std::size_t>(op::net_connect)] = true; break;
      case op::tool_call: tools[r.target].insert(parse_version(r.version) ? r.version : std::string{}); break;
      case op::wasm_call: modules.insert(r.target); break;
      case op::wasm_hostcall: hostcalls.insert(r.target); break;
      case op::infer: {
        auto [it, inserted] = models.emplace(r.target, r.tokens);
        if (!inserted) it->second = std::max(it->second, r.tokens);
        break;
      }
      case op::spawn: spawn.insert(r.target); break;
    }
    for (auto res : r.costed) {
      costed.insert(res);
      const auto sum = totals[res] + r.cost[res];
      totals.set(res, sum < totals[res] ? pt::max_amount : std::min(sum, pt::max_amount));
    }
  }
  for (const auto& [path, flags] : fs) p.fs.allow.push_back({path, flags[0], flags[1], flags[2], {}});
  for (const auto& h : dns) p.net.dns.push_back({h, {}});
  for (const auto& [target, flags] : net) p.net.allow.push_back({target, flags[0], flags[1], flags[2], {}});
  for (const auto& [name, versions] : tools) {
    pt::tool_rule t{name, std::nullopt, {}};
    if (versions.size() == 1 && !versions.begin()->empty()) t.version = "=" + *versions.begin();
    p.tools.allow.push_back(std::move(t));
  }
  for (const auto& m : modules) p.wasm.modules.push_back({m, {}});
  for (const auto& h : hostcalls) p.wasm.hostcalls.push_back({h, {}});
  for (const auto& [model, tokens] : models) p.infer.models.push_back({model, tokens, {}});
  for (const auto& s : spawn) p.spawn.allow.push_back({s, {}});
  for (auto res : costed) p.budgets.push_back({res, false, totals[res], {}});
  return p;
}

}  // namespace authority::hosted
