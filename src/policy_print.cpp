// Canonical printers for the policy AST, semantic comparison, built-in profiles and the
// effect names that taint rules use.
#include <algorithm>
#include <array>
#include <map>
#include <tuple>

#include "authority/hosted/policy_text.hpp"
#include "authority/hosted/json_escape.hpp"

namespace authority::policy_text {

// ---- effects and profiles -------------------------------------------------------------

namespace {
constexpr std::array<std::string_view, effect_kind_count> effect_spellings = {
    "fs.read",   "fs.write",  "fs.exec",       "net.dns", "net.connect", "net.bind",
    "net.listen", "tool.call", "wasm.call", "wasm.hostcall", "infer", "spawn"};

constexpr profile_grant tier1_musl[] = {{"/proc/self/**", true, false, false}};
constexpr profile_grant tier2_glibc[] = {
    {"/proc/self/**", true, false, false},      {"/lib/**", true, false, false},
    {"/lib64/**", true, false, false},          {"/etc/ld.so.cache", true, false, false},
    {"/etc/ld.so.preload", true, false, false}, {"/etc/nsswitch.conf", true, false, false},
    {"/etc/resolv.conf", true, false, false}};
constexpr std::string_view profile_names[] = {"tier1-musl", "tier2-glibc"};
}  // namespace

std::string_view effect_name(effect_kind k) noexcept {
  const auto i = static_cast<std::size_t>(k);
  return i < effect_spellings.size() ? effect_spellings[i] : std::string_view{"unknown"};
}

std::optional<effect_set> parse_effect_selector(std::string_view text) noexcept {
  for (std::size_t i = 0; i < effect_spellings.size(); ++i)
    if (effect_spellings[i] == text) return effect_bit(static_cast<effect_kind>(i));
  if (!text.ends_with(".*")) return std::nullopt;
  const auto family = text.substr(0, text.size() - 1);  // "net."
  effect_set kinds = 0;
  for (std::size_t i = 0; i < effect_spellings.size(); ++i)
    if (effect_spellings[i].starts_with(family)) kinds |= effect_bit(static_cast<effect_kind>(i));
  if (kinds == 0) return std::nullopt;
  return kinds;
}

std::optional<std::span<const profile_grant>> expand_profile(std::string_view name) noexcept {
  if (name == "tier1-musl") return std::span<const profile_grant>{tier1_musl};
  if (name == "tier2-glibc") return std::span<const profile_grant>{tier2_glibc};
  return std::nullopt;
}

std::span<const std::string_view> builtin_profiles() noexcept { return profile_names; }

// ---- comparison ----------------------------------------------------------------------

namespace {

template <class F>
void for_each_location(policy& p, F&& f) {
  auto all = [&](auto& list) {
    for (auto& item : list) f(item.loc);
  };
  if (p.version) f(p.version->loc);
  all(p.profiles);
  all(p.fs.allow);
  all(p.fs.deny);
  all(p.net.dns);
  all(p.net.allow);
  all(p.net.deny);
  all(p.tools.allow);
  all(p.tools.deny);
  all(p.wasm.modules);
  all(p.wasm.hostcalls);
  all(p.infer.models);
  f(p.infer.max_tokens_loc);
  all(p.budgets);
  all(p.spawn.allow);
  all(p.spawn.deny);
  f(p.spawn.sandbox_loc);
  all(p.taint.labels);
  all(p.taint.sources);
  all(p.taint.sinks);
  all(p.taint.sanitizers);
}

template <class T, class Key>
void sort_by(std::vector<T>& list, Key key) {
  std::sort(list.begin(), list.end(), [&](const T& a, const T& b) { return key(a) < key(b); });
}

// One grant per flag, so that grouping into TOML tables or JSON lists does not matter.
template <class Grant, std::size_t N>
void split_grants(std::vector<Grant>& grants, const std::array<bool Grant::*, N>& flags) {
  std::vector<Grant> split;
  for (const auto& g : grants)
    for (auto flag : flags)
      if (g.*flag) {
        Grant one = g;
        for (auto other : flags) one.*other = other == flag;
        split.push_back(std::move(one));
      }
  grants = std::move(split);
}

policy normalized(policy p) {
  p = without_locations(std::move(p));
  p.source_format = format::json;
  split_grants(p.fs.allow, std::array{&fs_grant::read, &fs_grant::write, &fs_grant::exec});
  split_grants(p.net.allow, std::array{&net_grant::connect, &net_grant::bind, &net_grant::listen});
  auto by_pattern = [](const pattern_entry& e) { return e.pattern; };
  sort_by(p.profiles, [](const profile_ref& r) { return r.name; });
  sort_by(p.fs.allow, [](const fs_grant& g) { return std::tuple{g.path, g.read, g.write, g.exec}; });
  sort_by(p.fs.deny, by_pattern);
  sort_by(p.net.dns, by_pattern);
  sort_by(p.net.allow, [](const net_grant& g) { return std::tuple{g.pattern, g.connect, g.bind, g.listen}; });
  sort_by(p.net.deny, by_pattern);
  auto by_tool = [](const tool_rule& t) { return std::tuple{t.name, t.version}; };
  sort_by(p.tools.allow, by_tool);
  sort_by(p.tools.deny, by_tool);
  sort_by(p.wasm.modules, by_pattern);
  sort_by(p.wasm.hostcalls, by_pattern);
  sort_by(p.infer.models, [](const model_rule& m) { return std::tuple{m.model, m.max_tokens}; });
  sort_by(p.budgets, [](const budget_entry& b) { return b.resource; });
  sort_by(p.spawn.allow, by_pattern);
  sort_by(p.spawn.deny, by_pattern);
  sort_by(p.taint.labels, by_pattern);
  for (auto& s : p.taint.sinks) std::sort(s.deny.begin(), s.deny.end());
  for (auto& s : p.taint.sanitizers) {
    std::sort(s.removes.begin(), s.removes.end());
    std::sort(s.adds.begin(), s.adds.end());
  }
  sort_by(p.taint.sources, [](const taint_source& s) { return std::tuple{s.effect.text, s.target, s.label}; });
  sort_by(p.taint.sinks, [](const taint_sink& s) { return std::tuple{s.effect.text, s.target, s.deny}; });
  sort_by(p.taint.sanitizers, [](const taint_sanitizer& s) { return std::tuple{s.tool, s.removes, s.adds}; });
  return p;
}

}  // namespace

policy without_locations(policy p) {
  for_each_location(p, [](source_location& l) { l = source_location{}; });
  return p;
}

bool same_meaning(const policy& a, const policy& b) { return normalized(a) == normalized(b); }

// ---- printing ------------------------------------------------------------------------

namespace {

void escape_into(std::string& out, std::string_view s, bool toml) {
  out += '"';
  hosted::append_json_escaped(out, s, toml);
  out += '"';
}

std::string quoted(std::string_view s, bool toml) {
  std::string out;
  escape_into(out, s, toml);
  return out;
}

std::string version_text(const policy_version& v) { return std::to_string(v.major) + "." + std::to_string(v.minor); }

std::string amount_text(const budget_entry& b, bool toml) {
  return b.unlimited ? quoted("unlimited", toml) : std::to_string(b.amount);
}

std::vector<budget_entry> budgets_in_order(const policy& p) {
  auto list = p.budgets;
  std::stable_sort(list.begin(), list.end(), [](const auto& a, const auto& b) { return a.resource < b.resource; });
  return list;
}

// JSON: an object written member by member with two-space indentation.
class json_writer {
 public:
  std::string take() { return std::move(out_); }

  void open(std::string_view key, char bracket) {
    member_key(key);
    out_ += bracket;
    ++depth_;
    first_ = true;
  }
  void close(char bracket) {
    --depth_;
    if (!first_) {  // an empty object stays on one line: {}
      out_ += '\n';
      indent();
    }
    out_ += bracket;
    first_ = false;
  }
  void raw(std::string_view key, std::string_view value) {
    member_key(key);
    out_ += value;
  }
  void string(std::string_view key, std::string_view value) { raw(key, quoted(value, false)); }
  void string_list(std::string_view key, const std::vector<std::string>& items) {
    if (items.empty()) return;
    open(key, '[');
    for (const auto& s : items) string({}, s);
    close(']');
  }
  template <class List, class Get>
  void pattern_list(std::string_view key, const List& list, Get get) {
    std::vector<std::string> items;
    for (const auto& e : list) items.push_back(get(e));
    string_list(key, items);
  }

 private:
  void member_key(std::string_view key) {
    if (depth_ > 0) {
      if (!first_) out_ += ',';
      out_ += '\n';
      indent();
    }
    first_ = false;
    if (!key.empty()) {
      escape_into(out_, key, false);
      out_ += ": ";
    }
  }
  void indent() { out_.append(2 * depth_, ' '); }

  std::string out_;
  std::size_t depth_ = 0;
  bool first_ = true;
};

// A one-line JSON object for table-form entries: {"name": "x", "version": "y"}.
class inline_object {
 public:
  inline_object& string(std::string_view key, std::string_view value) { return raw(key, quoted(value, false)); }
  inline_object& raw(std::string_view key, std::string_view value) {
    text_ += text_.size() > 1 ? ", " : "";
    escape_into(text_, key, false);
    text_ += ": ";
    text_ += value;
    return *this;
  }
  inline_object& list(std::string_view key, const std::vector<std::string>& items) {
    std::string value = "[";
    for (const auto& s : items) {
      if (value.size() > 1) value += ", ";
      escape_into(value, s, false);
    }
    return raw(key, value + "]");
  }
  std::string done() { return text_ + "}"; }

 private:
  std::string text_ = "{";
};

template <class Rule>
void taint_target(inline_object& o, const Rule& r) {
  o.string("effect", r.effect.text);
  if (r.target) o.string("target", *r.target);
}

}  // namespace

std::string print_json(const policy& p) {
  json_writer w;
  w.open({}, '{');
  if (p.version) w.string("version", version_text(*p.version));
  if (p.name) w.string("name", *p.name);
  if (p.description) w.string("description", *p.description);
  w.pattern_list("profiles", p.profiles, [](const profile_ref& r) { return r.name; });

  auto paths_with = [&](bool fs_grant::*flag) {
    std::vector<std::string> items;
    for (const auto& g : p.fs.allow)
      if (g.*flag) items.push_back(g.path);
    return items;
  };
  auto by_pattern = [](const pattern_entry& e) { return e.pattern; };
  if (!p.fs.allow.empty() || !p.fs.deny.empty()) {
    w.open("fs", '{');
    w.string_list("read", paths_with(&fs_grant::read));
    w.string_list("write", paths_with(&fs_grant::write));
    w.string_list("exec", paths_with(&fs_grant::exec));
    w.pattern_list("deny", p.fs.deny, by_pattern);
    w.close('}');
  }
  auto nets_with = [&](bool net_grant::*flag) {
    std::vector<std::string> items;
    for (const auto& g : p.net.allow)
      if (g.*flag) items.push_back(g.pattern);
    return items;
  };
  if (!p.net.dns.empty() || !p.net.allow.empty() || !p.net.deny.empty()) {
    w.open("net", '{');
    w.pattern_list("dns", p.net.dns, by_pattern);
    w.string_list("connect", nets_with(&net_grant::connect));
    w.string_list("bind", nets_with(&net_grant::bind));
    w.string_list("listen", nets_with(&net_grant::listen));
    w.pattern_list("deny", p.net.deny, by_pattern);
    w.close('}');
  }
  auto tool_list = [&](std::string_view key, const std::vector<tool_rule>& list) {
    if (list.empty()) return;
    w.open(key, '[');
    for (const auto& t : list) {
      if (t.version) w.raw({}, inline_object{}.string("name", t.name).string("version", *t.version).done());
      else w.string({}, t.name);
    }
    w.close(']');
  };
  if (!p.tools.allow.empty() || !p.tools.deny.empty()) {
    w.open("tools", '{');
    tool_list("allow", p.tools.allow);
    tool_list("deny", p.tools.deny);
    w.close('}');
  }
  if (!p.wasm.modules.empty() || !p.wasm.hostcalls.empty()) {
    w.open("wasm", '{');
    w.pattern_list("modules", p.wasm.modules, by_pattern);
    w.pattern_list("hostcalls", p.wasm.hostcalls, by_pattern);
    w.close('}');
  }
  if (!p.infer.models.empty() || p.infer.max_tokens) {
    w.open("infer", '{');
    if (!p.infer.models.empty()) {
      w.open("models", '[');
      for (const auto& m : p.infer.models) {
        if (m.max_tokens)
          w.raw({}, inline_object{}.string("model", m.model).raw("max_tokens", std::to_string(*m.max_tokens)).done());
        else
          w.string({}, m.model);
      }
      w.close(']');
    }
    if (p.infer.max_tokens) w.raw("max_tokens", std::to_string(*p.infer.max_tokens));
    w.close('}');
  }
  if (!p.budgets.empty()) {
    w.open("budgets", '{');
    for (const auto& b : budgets_in_order(p)) w.raw(budget::name_of(b.resource), amount_text(b, false));
    w.close('}');
  }
  if (!p.spawn.allow.empty() || !p.spawn.deny.empty() || p.spawn.sandbox) {
    w.open("spawn", '{');
    w.pattern_list("allow", p.spawn.allow, by_pattern);
    w.pattern_list("deny", p.spawn.deny, by_pattern);
    if (p.spawn.sandbox) w.raw("sandbox", "true");
    w.close('}');
  }
  const auto& t = p.taint;
  if (!t.labels.empty() || !t.sources.empty() || !t.sinks.empty() || !t.sanitizers.empty()) {
    w.open("taint", '{');
    w.pattern_list("labels", t.labels, by_pattern);
    auto objects = [&](std::string_view key, const auto& list, auto make) {
      if (list.empty()) return;
      w.open(key, '[');
      for (const auto& r : list) w.raw({}, make(r));
      w.close(']');
    };
    objects("sources", t.sources, [](const taint_source& r) {
      inline_object o;
      taint_target(o, r);
      return o.string("label", r.label).done();
    });
    objects("sinks", t.sinks, [](const taint_sink& r) {
      inline_object o;
      taint_target(o, r);
      return o.list("deny", r.deny).done();
    });
    objects("sanitizers", t.sanitizers, [](const taint_sanitizer& r) {
      inline_object o;
      o.string("tool", r.tool);
      if (!r.removes.empty()) o.list("removes", r.removes);
      if (!r.adds.empty()) o.list("adds", r.adds);
      return o.done();
    });
    w.close('}');
  }
  w.close('}');
  std::string out = w.take();
  out += '\n';
  return out;
}

namespace {

class toml_writer {
 public:
  std::string take() { return std::move(out_); }
  void header(std::string_view name, bool array) {
    if (!out_.empty()) out_ += '\n';
    out_ += array ? "[[" : "[";
    out_ += name;
    out_ += array ? "]]\n" : "]\n";
  }
  void raw(std::string_view key, std::string_view value) {
    out_ += key;
    out_ += " = ";
    out_ += value;
    out_ += '\n';
  }
  void string(std::string_view key, std::string_view value) { raw(key, quoted(value, true)); }
  void flag(std::string_view key, bool on) {
    if (on) raw(key, "true");
  }
  void list(std::string_view key, const std::vector<std::string>& items) {
    std::string value = "[";
    for (const auto& s : items) {
      if (value.size() > 1) value += ", ";
      escape_into(value, s, true);
    }
    raw(key, value + "]");
  }
  template <class List, class Get>
  void pattern_list(std::string_view key, const List& list, Get get) {
    if (list.empty()) return;
    std::vector<std::string> items;
    for (const auto& e : list) items.push_back(get(e));
    this->list(key, items);
  }
  template <class List>
  void entries(std::string_view table, std::string_view key, const List& list) {
    for (const auto& e : list) {
      header(table, true);
      string(key, e.pattern);
    }
  }

 private:
  std::string out_;
};

// Grants with the same pattern print as one table with all their flags.
template <class Grant, class Pattern>
std::vector<Grant> grouped(const std::vector<Grant>& grants, Pattern pattern_of, std::array<bool Grant::*, 3> flags) {
  std::vector<Grant> groups;
  std::map<std::string, std::size_t> index;
  for (const auto& g : grants) {
    auto [it, inserted] = index.emplace(pattern_of(g), groups.size());
    if (inserted) {
      groups.push_back(g);
      continue;
    }
    for (auto f : flags) groups[it->second].*f = groups[it->second].*f || g.*f;
  }
  return groups;
}

}  // namespace

std::string print_toml(const policy& p) {
  toml_writer w;
  if (p.version || p.name || p.description || !p.profiles.empty()) {
    w.header("policy", false);
    if (p.version) w.string("version", version_text(*p.version));
    if (p.name) w.string("name", *p.name);
    if (p.description) w.string("description", *p.description);
    w.pattern_list("profiles", p.profiles, [](const profile_ref& r) { return r.name; });
  }
  for (const auto& g : grouped(p.fs.allow, [](const fs_grant& g) { return g.path; },
                               {&fs_grant::read, &fs_grant::write, &fs_grant::exec})) {
    w.header("fs.allow", true);
    w.string("path", g.path);
    w.flag("read", g.read);
    w.flag("write", g.write);
    w.flag("exec", g.exec);
  }
  for (const auto& e : p.fs.deny) {
    w.header("fs.deny", true);
    w.string("path", e.pattern);
  }
  w.entries("dns.allow", "pattern", p.net.dns);
  for (const auto& g : grouped(p.net.allow, [](const net_grant& g) { return g.pattern; },
                               {&net_grant::connect, &net_grant::bind, &net_grant::listen})) {
    w.header("net.allow", true);
    w.string("pattern", g.pattern);
    w.flag("connect", g.connect);
    w.flag("bind", g.bind);
    w.flag("listen", g.listen);
  }
  w.entries("net.deny", "pattern", p.net.deny);
  for (auto [table, list] : {std::pair{"tools.allow", &p.tools.allow}, {"tools.deny", &p.tools.deny}})
    for (const auto& t : *list) {
      w.header(table, true);
      w.string("name", t.name);
      if (t.version) w.string("version", *t.version);
    }
  w.entries("wasm.allow", "module", p.wasm.modules);
  w.entries("wasm.hostcalls", "name", p.wasm.hostcalls);
  if (p.infer.max_tokens) {
    w.header("inference", false);
    w.raw("max_tokens", std::to_string(*p.infer.max_tokens));
  }
  for (const auto& m : p.infer.models) {
    w.header("inference.allow", true);
    w.string("model", m.model);
    if (m.max_tokens) w.raw("max_tokens", std::to_string(*m.max_tokens));
  }
  if (!p.budgets.empty()) {
    w.header("budgets", false);
    for (const auto& b : budgets_in_order(p)) w.raw(budget::name_of(b.resource), amount_text(b, true));
  }
  if (!p.spawn.allow.empty() || !p.spawn.deny.empty() || p.spawn.sandbox) {
    w.header("spawn", false);
    auto by_pattern = [](const pattern_entry& e) { return e.pattern; };
    w.pattern_list("allow", p.spawn.allow, by_pattern);
    w.pattern_list("deny", p.spawn.deny, by_pattern);
    w.flag("sandbox", p.spawn.sandbox);
  }
  const auto& t = p.taint;
  if (!t.labels.empty()) {
    w.header("taint", false);
    w.pattern_list("labels", t.labels, [](const pattern_entry& e) { return e.pattern; });
  }
  for (const auto& r : t.sources) {
    w.header("taint.sources", true);
    w.string("effect", r.effect.text);
    if (r.target) w.string("target", *r.target);
    w.string("label", r.label);
  }
  for (const auto& r : t.sinks) {
    w.header("taint.sinks", true);
    w.string("effect", r.effect.text);
    if (r.target) w.string("target", *r.target);
    w.list("deny", r.deny);
  }
  for (const auto& r : t.sanitizers) {
    w.header("taint.sanitizers", true);
    w.string("tool", r.tool);
    if (!r.removes.empty()) w.list("removes", r.removes);
    if (!r.adds.empty()) w.list("adds", r.adds);
  }
  return w.take();
}

}  // namespace authority::policy_text
