// The schema walk: value tree (JSON or TOML) → policy AST. It checks every key (unknown
// keys are errors with a did-you-mean), every type and range, every pattern, profile,
// effect and label, and keeps going after an error so that one run reports them all.
// The JSON and TOML layouts differ (fs.read lists vs [[fs.allow]] tables); entries that
// are tables in both (tools with versions, models with limits, taint rules) share code.
#include <algorithm>
#include <array>
#include <functional>
#include <map>
#include <unordered_map>

#include "authority/pattern/pattern.hpp"
#include "policy_tree.hpp"

namespace authority::policy_text::detail {
namespace {

using keys = std::span<const std::string_view>;

using pattern_syntax = pattern::syntax;

std::string_view syntax_word(pattern_syntax s) {
  switch (s) {
    case pattern_syntax::path: return "path pattern";
    case pattern_syntax::net: return "network pattern";
    case pattern_syntax::host: return "host pattern";
    case pattern_syntax::name: return "name pattern";
  }
  return "pattern";
}

// A problem inside a pattern: its offset within the decoded text maps to the source
// exactly when the string had no escapes.
struct pattern_problem {
  errc code;
  std::size_t offset;
  std::string what;
};

// Globs, hosts, CIDRs and ports are checked by the pattern layer, the same code that
// later matches them, so a policy that loads is a policy that can be evaluated.
std::optional<pattern_problem> check_pattern_syntax(pattern_syntax s, std::string_view text) {
  if (text.empty()) return pattern_problem{errc::invalid_pattern, 0, "it is empty"};
  const auto checked = pattern::validate(s, text);
  if (checked) return std::nullopt;
  const auto e = checked.error();
  std::string what = e.code == errc::invalid_pattern && !e.field.empty() ? "malformed " + std::string{e.field}
                                                                          : std::string{describe(e.code)};
  return pattern_problem{e.code, e.offset, std::move(what) + " at offset " + std::to_string(e.offset)};
}

constexpr std::string_view top_json_keys[] = {"version", "name",  "description", "profiles", "fs",     "net",
                                              "tools",   "wasm",  "infer",       "budgets",  "spawn",  "taint"};
constexpr std::string_view top_toml_keys[] = {"policy", "profiles", "fs",        "net",     "dns",   "tools",
                                              "wasm",   "inference", "budgets", "spawn",   "taint"};
constexpr std::string_view policy_table_keys[] = {"version", "name", "description", "profiles"};
constexpr std::string_view json_fs_keys[] = {"read", "write", "exec", "deny"};
constexpr std::string_view json_net_keys[] = {"dns", "connect", "bind", "listen", "deny"};
constexpr std::string_view allow_deny_keys[] = {"allow", "deny"};
constexpr std::string_view allow_keys[] = {"allow"};
constexpr std::string_view json_wasm_keys[] = {"modules", "hostcalls"};
constexpr std::string_view toml_wasm_keys[] = {"allow", "hostcalls"};
constexpr std::string_view json_infer_keys[] = {"models", "max_tokens"};
constexpr std::string_view toml_inference_keys[] = {"allow", "max_tokens"};
constexpr std::string_view spawn_keys[] = {"allow", "deny", "sandbox"};
constexpr std::string_view taint_keys[] = {"labels", "sources", "sinks", "sanitizers"};
constexpr std::string_view tool_keys[] = {"name", "version"};
constexpr std::string_view model_keys[] = {"model", "max_tokens"};
constexpr std::string_view source_keys[] = {"effect", "target", "label"};
constexpr std::string_view sink_keys[] = {"effect", "target", "deny"};
constexpr std::string_view sanitizer_keys[] = {"tool", "removes", "adds"};
constexpr std::string_view toml_fs_allow_keys[] = {"path", "read", "write", "exec"};
constexpr std::string_view toml_path_keys[] = {"path"};
constexpr std::string_view toml_net_allow_keys[] = {"pattern", "connect", "bind", "listen"};
constexpr std::string_view toml_pattern_keys[] = {"pattern"};
constexpr std::string_view toml_module_keys[] = {"module"};
constexpr std::string_view toml_name_keys[] = {"name"};

// A TOML key written the JSON way gets a hint at the TOML spelling.
struct toml_hint {
  std::string_view table, key, hint;
};
constexpr toml_hint toml_hints[] = {
    {"fs", "read", "in TOML write [[fs.allow]] with path = \"...\" and read = true"},
    {"fs", "write", "in TOML write [[fs.allow]] with path = \"...\" and write = true"},
    {"fs", "exec", "in TOML write [[fs.allow]] with path = \"...\" and exec = true"},
    {"net", "dns", "in TOML write [[dns.allow]] with pattern = \"...\""},
    {"net", "connect", "in TOML write [[net.allow]] with pattern = \"...\" and connect = true"},
    {"net", "bind", "in TOML write [[net.allow]] with pattern = \"...\" and bind = true"},
    {"net", "listen", "in TOML write [[net.allow]] with pattern = \"...\" and listen = true"},
    {"wasm", "modules", "in TOML write [[wasm.allow]] with module = \"...\""},
    {"", "infer", "in TOML the section is [inference], with [[inference.allow]] model = \"...\""},
    {"", "version", "in TOML version goes in the [policy] table"},
    {"", "name", "in TOML name goes in the [policy] table"},
    {"", "description", "in TOML description goes in the [policy] table"},
};
constexpr toml_hint json_hints[] = {
    {"", "inference", "in JSON the section is \"infer\""},
    {"", "policy", "in JSON version, name and description are top-level keys"},
    {"", "dns", "in JSON DNS patterns go in \"net\": {\"dns\": [...]}"},
};

std::string join(keys list) {
  std::string s;
  for (auto k : list) {
    if (!s.empty()) s += ", ";
    s += k;
  }
  return s;
}

std::string indexed(std::string_view where, std::size_t i) {
  return std::string{where} + "[" + std::to_string(i) + "]";
}
std::string dotted(std::string_view where, std::string_view key) {
  return where.empty() ? std::string{key} : std::string{where} + "." + std::string{key};
}

class schema {
 public:
  schema(diagnostics& out, format f) : out_(out), format_(f) {}

  void error(errc code, std::uint32_t offset, std::string message) { out_.error(code, offset, std::move(message)); }
  source_location loc(std::uint32_t offset) const { return out_.map().locate(offset); }
  format fmt() const { return format_; }

  std::string_view type_name(node::kind k) const {
    if (k == node::kind::table) return format_ == format::json ? "an object" : "a table";
    return kind_name(k);
  }

  // Visits each member of `table` whose key is in `known`; reports duplicates and
  // unknown keys (with a did-you-mean). `where` names the table in messages.
  void walk_table(const node& table, std::string_view where, keys known,
                  const std::function<void(const member&)>& visit) {
    std::unordered_map<std::string_view, const member*> seen;
    for (const member& m : table.members) {
      const auto [it, inserted] = seen.emplace(m.key, &m);
      if (!inserted) {
        const member* first = it->second;
        error(errc::policy_duplicate_key, m.key_offset,
              "duplicate key " + quote(m.key) + in_words(where) + " (first at " + line_column(first->key_offset) + ")");
        continue;
      }
      if (std::find(known.begin(), known.end(), m.key) == known.end()) {
        unknown_key(m, where, known);
        continue;
      }
      visit(m);
    }
  }

  void unknown_key(const member& m, std::string_view where, keys known) {
    std::string message = "unknown key " + quote(m.key) + in_words(where);
    const auto suggestion = closest(m.key, known);
    if (!suggestion.empty()) {
      message += "; did you mean " + quote(suggestion) + "?";
    } else {
      message += "; expected one of: " + join(known);
    }
    for (const auto& h : format_ == format::toml ? std::span<const toml_hint>{toml_hints}
                                                 : std::span<const toml_hint>{json_hints})
      if (h.table == where && h.key == m.key) message += " (" + std::string{h.hint} + ")";
    error(errc::policy_unknown_key, m.key_offset, std::move(message));
  }

  std::string in_words(std::string_view where) const {
    return where.empty() ? std::string{" at the top level"} : " in " + quote(where);
  }
  std::string line_column(std::uint32_t offset) const {
    const auto l = loc(offset);
    return std::to_string(l.line) + ":" + std::to_string(l.column);
  }

  bool expect(const node& n, node::kind k, std::string_view field) {
    if (n.type == k) return true;
    error(errc::policy_type, n.offset,
          quote(field) + " must be " + std::string{type_name(k)} + ", found " + std::string{type_name(n.type)});
    return false;
  }

  // A required key that is missing from an entry table.
  void missing(const node& table, std::string_view where, std::string_view key) {
    error(errc::policy_missing_key, table.offset, quote(where) + " needs the key " + quote(key));
  }

  std::optional<std::string> text(const node& n, std::string_view field) {
    if (!expect(n, node::kind::string, field)) return std::nullopt;
    const auto nul = n.text.find('\0');
    if (nul != std::string::npos) {
      error(errc::invalid_argument, inside(n, nul), quote(field) + " contains a NUL character");
      return std::nullopt;
    }
    return n.text;
  }

  std::optional<std::string> pattern(const node& n, pattern_syntax s, std::string_view field) {
    auto t = text(n, field);
    if (!t) return std::nullopt;
    if (auto problem = check_pattern_syntax(s, *t)) {
      error(problem->code, inside(n, problem->offset),
            "invalid " + std::string{syntax_word(s)} + " " + quote(*t) + " in " + quote(field) + ": " + problem->what);
      return std::nullopt;
    }
    return t;
  }

  std::optional<bool> boolean(const node& n, std::string_view field) {
    if (!expect(n, node::kind::boolean, field)) return std::nullopt;
    return n.boolean;
  }

  // A non-negative integer no larger than 2^63-1.
  std::optional<std::uint64_t> amount(const node& n, std::string_view field) {
    if (n.type == node::kind::floating) {
      error(errc::policy_type, n.offset, quote(field) + " must be a whole number, found " + n.text);
      return std::nullopt;
    }
    if (!expect(n, node::kind::integer, field)) return std::nullopt;
    if (n.negative && (n.magnitude != 0 || n.overflow)) {
      error(errc::out_of_range, n.offset, quote(field) + " must not be negative");
      return std::nullopt;
    }
    if (n.overflow || n.magnitude > max_amount) {
      error(errc::out_of_range, n.offset, quote(field) + " is larger than the maximum 9223372036854775807 (2^63-1)");
      return std::nullopt;
    }
    return n.magnitude;
  }

  // Calls visit(item, "field[i]") for each item of an array.
  void each(const node& n, std::string_view field, const std::function<void(const node&, const std::string&)>& visit) {
    if (!expect(n, node::kind::array, field)) return;
    for (std::size_t i = 0; i < n.items.size(); ++i) visit(n.items[i], indexed(field, i));
  }

  std::vector<pattern_entry> patterns(const node& n, pattern_syntax s, std::string_view field) {
    std::vector<pattern_entry> list;
    each(n, field, [&](const node& item, const std::string&) {
      if (auto p = pattern(item, s, field)) list.push_back({std::move(*p), loc(item.offset)});
    });
    return list;
  }

  // Offset of byte i of a decoded string in the source.
  std::uint32_t inside(const node& n, std::size_t i) const {
    return n.verbatim ? n.offset + n.quote_width + static_cast<std::uint32_t>(i) : n.offset;
  }

  // Label names used anywhere, checked against the declarations once all are known.
  struct label_use {
    std::string label;
    std::uint32_t offset;
    std::string field;
  };
  std::vector<label_use> label_uses;

 private:
  diagnostics& out_;
  format format_;
};

// ---- pieces both formats share ----------------------------------------------------

void read_version(schema& s, const node& n, policy& p) {
  auto t = s.text(n, "version");
  if (!t) return;
  policy_version v;
  v.loc = s.loc(n.offset);
  std::uint64_t parts[2] = {0, 0};
  std::size_t count = 0, digits = 0;
  bool well_formed = !t->empty();
  for (char c : *t) {
    if (c >= '0' && c <= '9' && digits < 9) {
      parts[count] = parts[count] * 10 + static_cast<std::uint64_t>(c - '0');
      ++digits;
    } else if (c == '.' && digits > 0 && count == 0) {
      ++count, digits = 0;
    } else {
      well_formed = false;
      break;
    }
  }
  if (!well_formed || digits == 0) {
    s.error(errc::invalid_argument, n.offset, "version " + quote(*t) + " is not of the form \"1.0\"");
    return;
  }
  if (parts[0] != 1) {
    s.error(errc::unsupported_version, n.offset,
            "unsupported policy version " + quote(*t) + ": this build reads version 1.x policies");
    return;
  }
  v.major = static_cast<std::uint32_t>(parts[0]);
  v.minor = static_cast<std::uint32_t>(parts[1]);
  p.version = v;
}

void read_profiles(schema& s, const node& n, std::string_view field, policy& p) {
  s.each(n, field, [&](const node& item, const std::string&) {
    auto name = s.text(item, field);
    if (!name) return;
    if (!expand_profile(*name)) {
      std::string message = "unknown profile " + quote(*name);
      const auto suggestion = closest(*name, builtin_profiles());
      if (!suggestion.empty()) message += "; did you mean " + quote(suggestion) + "?";
      else message += "; the built-in profiles are " + join(builtin_profiles());
      s.error(errc::not_found, item.offset, std::move(message));
      return;
    }
    p.profiles.push_back({std::move(*name), s.loc(item.offset)});
  });
}

// Version constraints: comma-separated `[op]N[.N[.N]]`, op in = == != >= <= > < ^ ~.
std::optional<std::size_t> version_constraint_error(std::string_view v) {
  std::size_t i = 0;
  auto skip_spaces = [&] {
    while (i < v.size() && v[i] == ' ') ++i;
  };
  while (true) {
    skip_spaces();
    for (std::string_view op : {"==", "!=", ">=", "<=", "=", ">", "<", "^", "~"})
      if (v.substr(i).starts_with(op)) {
        i += op.size();
        break;
      }
    skip_spaces();
    for (int part = 0; part < 3; ++part) {
      const std::size_t start = i;
      while (i < v.size() && v[i] >= '0' && v[i] <= '9' && i - start < 9) ++i;
      if (i == start) return i;
      if (part == 2 || i >= v.size() || v[i] != '.') break;
      ++i;
    }
    skip_spaces();
    if (i == v.size()) return std::nullopt;
    if (v[i] != ',') return i;
    ++i;
  }
}

std::optional<tool_rule> tool_from_table(schema& s, const node& t, const std::string& where) {
  tool_rule rule;
  rule.loc = s.loc(t.offset);
  bool has_name = false, ok = true;
  s.walk_table(t, where, tool_keys, [&](const member& m) {
    if (m.key == "name") {
      auto v = s.pattern(m.value, pattern_syntax::name, dotted(where, "name"));
      if (v) rule.name = std::move(*v), has_name = true;
      else ok = false;
    } else {
      auto v = s.text(m.value, dotted(where, "version"));
      if (!v) {
        ok = false;
      } else if (auto bad = version_constraint_error(*v)) {
        s.error(errc::invalid_argument, s.inside(m.value, *bad),
                "invalid version constraint " + quote(*v) +
                    ": expected terms like \">=1.2\" or \"^2\" separated by commas");
        ok = false;
      } else {
        rule.version = std::move(*v);
      }
    }
  });
  if (!has_name && ok) s.missing(t, where, "name");
  if (!has_name || !ok) return std::nullopt;
  return rule;
}

std::optional<model_rule> model_from_table(schema& s, const node& t, const std::string& where) {
  model_rule rule;
  rule.loc = s.loc(t.offset);
  bool has_model = false, ok = true;
  s.walk_table(t, where, model_keys, [&](const member& m) {
    if (m.key == "model") {
      auto v = s.pattern(m.value, pattern_syntax::name, dotted(where, "model"));
      if (v) rule.model = std::move(*v), has_model = true;
      else ok = false;
    } else {
      auto v = s.amount(m.value, dotted(where, "max_tokens"));
      if (v) rule.max_tokens = *v;
      else ok = false;
    }
  });
  if (!has_model && ok) s.missing(t, where, "model");
  if (!has_model || !ok) return std::nullopt;
  return rule;
}

void read_budgets(schema& s, const node& t, policy& p) {
  if (!s.expect(t, node::kind::table, "budgets")) return;
  std::array<const member*, budget::resource_count> seen{};
  std::vector<std::string_view> names;
  for (const auto& info : budget::resource_table) names.push_back(info.name);
  for (const member& m : t.members) {
    const auto r = budget::resource_from_name(m.key);
    if (!r) {
      s.unknown_key(m, "budgets", names);
      continue;
    }
    const auto index = static_cast<std::size_t>(*r);
    if (seen[index] != nullptr) {
      std::string message = "duplicate budget for " + std::string{budget::name_of(*r)};
      if (seen[index]->key != m.key) message += " (" + quote(seen[index]->key) + " and " + quote(m.key) + " name the same resource)";
      message += "; first at " + s.line_column(seen[index]->key_offset);
      s.error(errc::policy_duplicate_key, m.key_offset, std::move(message));
      continue;
    }
    seen[index] = &m;
    const std::string field = "budgets." + m.key;
    budget_entry e;
    e.resource = *r;
    e.loc = s.loc(m.key_offset);
    if (m.value.type == node::kind::string) {
      if (m.value.text != "unlimited") {
        s.error(errc::policy_type, m.value.offset,
                quote(field) + " must be a non-negative integer or \"unlimited\", found " + quote(m.value.text));
        continue;
      }
      e.unlimited = true;
    } else {
      auto v = s.amount(m.value, field);
      if (!v) continue;
      e.amount = *v;
    }
    p.budgets.push_back(e);
  }
}

void read_spawn(schema& s, const node& t, policy& p) {
  if (!s.expect(t, node::kind::table, "spawn")) return;
  s.walk_table(t, "spawn", spawn_keys, [&](const member& m) {
    if (m.key == "allow") p.spawn.allow = s.patterns(m.value, pattern_syntax::path, "spawn.allow");
    else if (m.key == "deny") p.spawn.deny = s.patterns(m.value, pattern_syntax::path, "spawn.deny");
    else if (auto b = s.boolean(m.value, "spawn.sandbox")) p.spawn.sandbox = *b, p.spawn.sandbox_loc = s.loc(m.value.offset);
  });
}

// ---- taint --------------------------------------------------------------------------

constexpr std::string_view effect_names[] = {"fs.read",     "fs.write", "fs.exec",   "net.dns",
                                             "net.connect", "net.bind", "net.listen", "tool.call",
                                             "wasm.call",   "wasm.hostcall", "infer",  "spawn",
                                             "fs.*",        "net.*",    "tool.*",    "wasm.*"};

pattern_syntax syntax_of(effect_kind k) {
  switch (k) {
    case effect_kind::fs_read:
    case effect_kind::fs_write:
    case effect_kind::fs_exec:
    case effect_kind::spawn: return pattern_syntax::path;
    case effect_kind::net_dns: return pattern_syntax::host;
    case effect_kind::net_connect:
    case effect_kind::net_bind:
    case effect_kind::net_listen: return pattern_syntax::net;
    default: return pattern_syntax::name;
  }
}

std::optional<effect_selector> read_effect(schema& s, const node& n, const std::string& field) {
  auto t = s.text(n, field);
  if (!t) return std::nullopt;
  const auto kinds = parse_effect_selector(*t);
  if (!kinds) {
    std::string message = "unknown effect " + quote(*t);
    const auto suggestion = closest(*t, effect_names);
    if (!suggestion.empty()) message += "; did you mean " + quote(suggestion) + "?";
    else message += "; effects are " + join(effect_names);
    s.error(errc::unknown_effect, n.offset, std::move(message));
    return std::nullopt;
  }
  return effect_selector{std::move(*t), *kinds};
}

// A rule's target is a pattern in the syntax of the effects it selects; a selector that
// mixes syntaxes (net.* covers host and network patterns) cannot have one.
std::optional<std::string> read_target(schema& s, const node& n, const std::string& field,
                                       const std::optional<effect_selector>& effect) {
  if (!effect) return s.text(n, field);
  std::optional<pattern_syntax> syntax;
  for (std::size_t k = 0; k < effect_kind_count; ++k) {
    if ((effect->kinds & effect_bit(static_cast<effect_kind>(k))) == 0) continue;
    const auto sk = syntax_of(static_cast<effect_kind>(k));
    if (syntax && *syntax != sk) {
      s.error(errc::invalid_argument, n.offset,
              quote(field) + ": effect " + quote(effect->text) +
                  " mixes host and network patterns, so it cannot have a target; name one effect (e.g. \"net.connect\")");
      return std::nullopt;
    }
    syntax = sk;
  }
  return s.pattern(n, *syntax, field);
}

bool valid_label_name(std::string_view l) {
  if (l.empty() || l.size() > 64 || l.front() == ':' || l.back() == ':') return false;
  for (std::size_t i = 0; i < l.size(); ++i) {
    const char c = l[i];
    const bool word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                      c == '-' || c == '.';
    if (!word && !(c == ':' && l[i - 1] != ':')) return false;
  }
  return true;
}

std::optional<std::string> read_label(schema& s, const node& n, const std::string& field) {
  auto t = s.text(n, field);
  if (!t) return std::nullopt;
  if (!valid_label_name(*t)) {
    s.error(errc::invalid_argument, n.offset,
            "invalid label " + quote(*t) + " in " + quote(field) +
                ": use 1-64 letters, digits, '_', '-', '.' in parts joined by ':' (e.g. \"sanitized:html\")");
    return std::nullopt;
  }
  s.label_uses.push_back({*t, n.offset, field});
  return t;
}

std::vector<std::string> read_labels(schema& s, const node& n, const std::string& field) {
  std::vector<std::string> list;
  s.each(n, field, [&](const node& item, const std::string&) {
    if (auto l = read_label(s, item, field)) list.push_back(std::move(*l));
  });
  return list;
}

void read_source(schema& s, const node& t, const std::string& where, policy& p) {
  if (!s.expect(t, node::kind::table, where)) return;
  taint_source rule;
  rule.loc = s.loc(t.offset);
  std::optional<effect_selector> effect;
  const node* target = t.find("target");
  bool has_label = false, ok = true;
  s.walk_table(t, where, source_keys, [&](const member& m) {
    if (m.key == "effect") ok &= (effect = read_effect(s, m.value, dotted(where, "effect"))).has_value();
    else if (m.key == "label") {
      auto l = read_label(s, m.value, dotted(where, "label"));
      if (l) rule.label = std::move(*l), has_label = true;
      else ok = false;
    }
  });
  if (!t.find("effect")) s.missing(t, where, "effect"), ok = false;
  if (!t.find("label")) s.missing(t, where, "label"), ok = false;
  if (target != nullptr && effect) {
    rule.target = read_target(s, *target, dotted(where, "target"), effect);
    ok &= rule.target.has_value();
  }
  if (!ok || !effect || !has_label) return;
  rule.effect = std::move(*effect);
  p.taint.sources.push_back(std::move(rule));
}

void read_sink(schema& s, const node& t, const std::string& where, policy& p) {
  if (!s.expect(t, node::kind::table, where)) return;
  taint_sink rule;
  rule.loc = s.loc(t.offset);
  std::optional<effect_selector> effect;
  const node* target = t.find("target");
  bool ok = true;
  s.walk_table(t, where, sink_keys, [&](const member& m) {
    if (m.key == "effect") ok &= (effect = read_effect(s, m.value, dotted(where, "effect"))).has_value();
    else if (m.key == "deny") {
      rule.deny = read_labels(s, m.value, dotted(where, "deny"));
      if (rule.deny.empty() && m.value.type == node::kind::array) {
        s.error(errc::invalid_argument, m.value.offset, quote(dotted(where, "deny")) + " names no label");
        ok = false;
      }
    }
  });
  if (!t.find("effect")) s.missing(t, where, "effect"), ok = false;
  if (!t.find("deny")) s.missing(t, where, "deny"), ok = false;
  if (target != nullptr && effect) {
    rule.target = read_target(s, *target, dotted(where, "target"), effect);
    ok &= rule.target.has_value();
  }
  if (!ok || !effect || rule.deny.empty()) return;
  rule.effect = std::move(*effect);
  p.taint.sinks.push_back(std::move(rule));
}

void read_sanitizer(schema& s, const node& t, const std::string& where, policy& p) {
  if (!s.expect(t, node::kind::table, where)) return;
  taint_sanitizer rule;
  rule.loc = s.loc(t.offset);
  bool has_tool = false, ok = true;
  s.walk_table(t, where, sanitizer_keys, [&](const member& m) {
    if (m.key == "tool") {
      auto v = s.pattern(m.value, pattern_syntax::name, dotted(where, "tool"));
      if (v) rule.tool = std::move(*v), has_tool = true;
      else ok = false;
    } else if (m.key == "removes") {
      rule.removes = read_labels(s, m.value, dotted(where, "removes"));
    } else {
      rule.adds = read_labels(s, m.value, dotted(where, "adds"));
    }
  });
  if (!t.find("tool")) s.missing(t, where, "tool"), ok = false;
  if (ok && rule.removes.empty() && rule.adds.empty()) {
    s.error(errc::policy_missing_key, t.offset, quote(where) + " neither removes nor adds a label");
    ok = false;
  }
  if (ok && has_tool) p.taint.sanitizers.push_back(std::move(rule));
}

void read_taint(schema& s, const node& t, policy& p) {
  if (!s.expect(t, node::kind::table, "taint")) return;
  s.walk_table(t, "taint", taint_keys, [&](const member& m) {
    if (m.key == "labels") {
      s.each(m.value, "taint.labels", [&](const node& item, const std::string&) {
        auto l = s.text(item, "taint.labels");
        if (!l) return;
        if (!valid_label_name(*l)) {
          s.error(errc::invalid_argument, item.offset,
                  "invalid label " + quote(*l) +
                      ": use 1-64 letters, digits, '_', '-', '.' in parts joined by ':' (e.g. \"sanitized:html\")");
          return;
        }
        p.taint.labels.push_back({std::move(*l), s.loc(item.offset)});
      });
    } else if (m.key == "sources") {
      s.each(m.value, "taint.sources", [&](const node& item, const std::string& w) { read_source(s, item, w, p); });
    } else if (m.key == "sinks") {
      s.each(m.value, "taint.sinks", [&](const node& item, const std::string& w) { read_sink(s, item, w, p); });
    } else {
      s.each(m.value, "taint.sanitizers", [&](const node& item, const std::string& w) { read_sanitizer(s, item, w, p); });
    }
  });
}

// ---- checks over the finished AST ---------------------------------------------------

void check_labels(schema& s, const policy& p) {
  for (const auto& use : s.label_uses) {
    if (use.label == builtin_label) continue;
    const bool declared = std::any_of(p.taint.labels.begin(), p.taint.labels.end(),
                                      [&](const pattern_entry& l) { return l.pattern == use.label; });
    if (!declared)
      s.error(errc::not_found, use.offset,
              "label " + quote(use.label) + " in " + quote(use.field) +
                  " is not declared; add it to taint.labels (only \"untrusted\" is built in)");
  }
}

// Reports every entry of `list` (those `keep` selects) whose key an earlier entry has.
// Keys are views of the entries where they can be: a 1 MiB policy has ~10^4 of them.
template <class T, class Key, class Keep>
void report_duplicates(schema& s, const std::vector<T>& list, std::string_view what, Key key, Keep keep) {
  std::unordered_map<std::decay_t<decltype(key(list.front()))>, const T*> seen;
  seen.reserve(list.size());
  for (const auto& item : list) {
    if (!keep(item)) continue;
    auto [it, inserted] = seen.emplace(key(item), &item);
    if (!inserted)
      s.error(errc::policy_duplicate_key, item.loc.offset,
              "duplicate " + std::string{what} + " (first at " + std::to_string(it->second->loc.line) + ":" +
                  std::to_string(it->second->loc.column) + ")");
  }
}

void check_duplicates(schema& s, const policy& p) {
  auto pattern_key = [](const pattern_entry& e) -> std::string_view { return e.pattern; };
  auto all = [](const auto&) { return true; };
  auto dup = [&](const auto& list, std::string_view what, auto key, auto keep) {
    if (!list.empty()) report_duplicates(s, list, what, key, keep);
  };
  for (auto [flag, name] : {std::pair{&fs_grant::read, "read"}, {&fs_grant::write, "write"}, {&fs_grant::exec, "exec"}})
    dup(p.fs.allow, std::string{name} + " grant for this path", [](const fs_grant& g) -> std::string_view { return g.path; },
        [flag = flag](const fs_grant& g) { return g.*flag; });
  for (auto [flag, name] :
       {std::pair{&net_grant::connect, "connect"}, {&net_grant::bind, "bind"}, {&net_grant::listen, "listen"}})
    dup(p.net.allow, std::string{name} + " grant for this pattern",
        [](const net_grant& g) -> std::string_view { return g.pattern; }, [flag = flag](const net_grant& g) { return g.*flag; });
  dup(p.fs.deny, "fs deny pattern", pattern_key, all);
  dup(p.net.dns, "dns pattern", pattern_key, all);
  dup(p.net.deny, "net deny pattern", pattern_key, all);
  auto tool_key = [](const tool_rule& t) { return t.name + '\0' + t.version.value_or(std::string{"\x01"}); };
  dup(p.tools.allow, "tool allow rule", tool_key, all);
  dup(p.tools.deny, "tool deny rule", tool_key, all);
  dup(p.wasm.modules, "wasm module pattern", pattern_key, all);
  dup(p.wasm.hostcalls, "wasm host call pattern", pattern_key, all);
  dup(p.infer.models, "model (give each model one entry)", [](const model_rule& m) -> std::string_view { return m.model; }, all);
  dup(p.profiles, "profile", [](const profile_ref& r) -> std::string_view { return r.name; }, all);
  dup(p.spawn.allow, "spawn allow pattern", pattern_key, all);
  dup(p.spawn.deny, "spawn deny pattern", pattern_key, all);
  dup(p.taint.labels, "label declaration", pattern_key, all);
}

void finish(schema& s, policy& p) {
  check_labels(s, p);
  check_duplicates(s, p);
}

// ---- JSON -----------------------------------------------------------------------------

void json_fs(schema& s, const node& t, policy& p) {
  if (!s.expect(t, node::kind::table, "fs")) return;
  s.walk_table(t, "fs", json_fs_keys, [&](const member& m) {
    const std::string field = "fs." + m.key;
    if (m.key == "deny") {
      p.fs.deny = s.patterns(m.value, pattern_syntax::path, field);
      return;
    }
    for (auto& e : s.patterns(m.value, pattern_syntax::path, field)) {
      fs_grant g{std::move(e.pattern), m.key == "read", m.key == "write", m.key == "exec", std::move(e.loc)};
      p.fs.allow.push_back(std::move(g));
    }
  });
}

void json_net(schema& s, const node& t, policy& p) {
  if (!s.expect(t, node::kind::table, "net")) return;
  s.walk_table(t, "net", json_net_keys, [&](const member& m) {
    const std::string field = "net." + m.key;
    if (m.key == "dns") {
      p.net.dns = s.patterns(m.value, pattern_syntax::host, field);
    } else if (m.key == "deny") {
      p.net.deny = s.patterns(m.value, pattern_syntax::net, field);
    } else {
      for (auto& e : s.patterns(m.value, pattern_syntax::net, field))
        p.net.allow.push_back({std::move(e.pattern), m.key == "connect", m.key == "bind", m.key == "listen", std::move(e.loc)});
    }
  });
}

// A tool entry: "name" or {"name": "...", "version": "..."}.
std::vector<tool_rule> json_tool_list(schema& s, const node& n, const std::string& field) {
  std::vector<tool_rule> list;
  s.each(n, field, [&](const node& item, const std::string& where) {
    if (item.type == node::kind::table) {
      if (auto t = tool_from_table(s, item, where)) list.push_back(std::move(*t));
    } else if (item.type == node::kind::string) {
      if (auto name = s.pattern(item, pattern_syntax::name, field)) list.push_back({std::move(*name), std::nullopt, s.loc(item.offset)});
    } else {
      s.error(errc::policy_type, item.offset,
              quote(where) + " must be a tool name or an object {\"name\": ..., \"version\": ...}, found " +
                  std::string{s.type_name(item.type)});
    }
  });
  return list;
}

void json_tools(schema& s, const node& t, policy& p) {
  if (t.type == node::kind::array) {  // "tools": [...] is the allow list
    p.tools.allow = json_tool_list(s, t, "tools");
    return;
  }
  if (t.type != node::kind::table) {
    s.error(errc::policy_type, t.offset,
            "\"tools\" must be an object {\"allow\": [...], \"deny\": [...]} or an array (the allow list), found " +
                std::string{s.type_name(t.type)});
    return;
  }
  s.walk_table(t, "tools", allow_deny_keys, [&](const member& m) {
    (m.key == "allow" ? p.tools.allow : p.tools.deny) = json_tool_list(s, m.value, "tools." + m.key);
  });
}

void json_wasm(schema& s, const node& t, policy& p) {
  if (!s.expect(t, node::kind::table, "wasm")) return;
  s.walk_table(t, "wasm", json_wasm_keys, [&](const member& m) {
    (m.key == "modules" ? p.wasm.modules : p.wasm.hostcalls) = s.patterns(m.value, pattern_syntax::name, "wasm." + m.key);
  });
}

void json_infer(schema& s, const node& t, policy& p) {
  if (!s.expect(t, node::kind::table, "infer")) return;
  s.walk_table(t, "infer", json_infer_keys, [&](const member& m) {
    if (m.key == "max_tokens") {
      if (auto v = s.amount(m.value, "infer.max_tokens")) p.infer.max_tokens = *v, p.infer.max_tokens_loc = s.loc(m.value.offset);
      return;
    }
    s.each(m.value, "infer.models", [&](const node& item, const std::string& where) {
      if (item.type == node::kind::table) {
        if (auto r = model_from_table(s, item, where)) p.infer.models.push_back(std::move(*r));
      } else if (item.type == node::kind::string) {
        if (auto name = s.pattern(item, pattern_syntax::name, "infer.models"))
          p.infer.models.push_back({std::move(*name), std::nullopt, s.loc(item.offset)});
      } else {
        s.error(errc::policy_type, item.offset,
                quote(where) + " must be a model name or an object {\"model\": ..., \"max_tokens\": N}, found " +
                    std::string{s.type_name(item.type)});
      }
    });
  });
}

// ---- TOML ---------------------------------------------------------------------------

// [[section.key]]: an array whose items are tables; visit(table, "section.key[i]").
void toml_entries(schema& s, const node& n, const std::string& field,
                  const std::function<void(const node&, const std::string&)>& visit) {
  if (n.type != node::kind::array) {
    s.error(errc::policy_type, n.offset,
            quote(field) + " must be an array of tables ([[" + field + "]]), found " + std::string{s.type_name(n.type)});
    return;
  }
  for (std::size_t i = 0; i < n.items.size(); ++i) {
    const node& item = n.items[i];
    const std::string where = indexed(field, i);
    if (s.expect(item, node::kind::table, where)) visit(item, where);
  }
}

// One [[...]] entry with a required pattern key and optional boolean flags.
struct toml_entry {
  std::optional<std::string> pattern;
  std::array<bool, 3> flags{};
  bool ok = true;
};

toml_entry toml_flagged(schema& s, const node& t, const std::string& where, keys known, pattern_syntax syntax) {
  toml_entry e;
  s.walk_table(t, where, known, [&](const member& m) {
    const auto index = static_cast<std::size_t>(std::find(known.begin(), known.end(), m.key) - known.begin());
    if (index == 0) {
      e.pattern = s.pattern(m.value, syntax, dotted(where, m.key));
      e.ok &= e.pattern.has_value();
    } else if (auto b = s.boolean(m.value, dotted(where, m.key))) {
      e.flags[index - 1] = *b;
    } else {
      e.ok = false;
    }
  });
  if (!t.find(known[0])) {
    s.missing(t, where, known[0]);
    e.ok = false;
  } else if (known.size() > 1 && e.ok && !e.flags[0] && !e.flags[1] && !e.flags[2]) {
    s.error(errc::policy_missing_key, t.offset,
            quote(where) + " grants nothing: set at least one of " + join(known.subspan(1)) + " to true");
    e.ok = false;
  }
  return e;
}

std::vector<pattern_entry> toml_pattern_entries(schema& s, const node& n, const std::string& field, keys known,
                                                pattern_syntax syntax) {
  std::vector<pattern_entry> list;
  toml_entries(s, n, field, [&](const node& t, const std::string& where) {
    auto e = toml_flagged(s, t, where, known, syntax);
    if (e.ok) list.push_back({std::move(*e.pattern), s.loc(t.offset)});
  });
  return list;
}

void toml_policy_table(schema& s, const node& t, policy& p, const node*& profiles) {
  if (!s.expect(t, node::kind::table, "policy")) return;
  s.walk_table(t, "policy", policy_table_keys, [&](const member& m) {
    if (m.key == "version") read_version(s, m.value, p);
    else if (m.key == "name") p.name = s.text(m.value, "policy.name");
    else if (m.key == "description") p.description = s.text(m.value, "policy.description");
    else profiles = &m.value;
  });
}

void toml_fs(schema& s, const node& t, policy& p) {
  if (!s.expect(t, node::kind::table, "fs")) return;
  s.walk_table(t, "fs", allow_deny_keys, [&](const member& m) {
    if (m.key == "deny") {
      p.fs.deny = toml_pattern_entries(s, m.value, "fs.deny", toml_path_keys, pattern_syntax::path);
      return;
    }
    toml_entries(s, m.value, "fs.allow", [&](const node& e, const std::string& where) {
      auto entry = toml_flagged(s, e, where, toml_fs_allow_keys, pattern_syntax::path);
      if (entry.ok)
        p.fs.allow.push_back({std::move(*entry.pattern), entry.flags[0], entry.flags[1], entry.flags[2], s.loc(e.offset)});
    });
  });
}

void toml_net(schema& s, const node& t, policy& p) {
  if (!s.expect(t, node::kind::table, "net")) return;
  s.walk_table(t, "net", allow_deny_keys, [&](const member& m) {
    if (m.key == "deny") {
      p.net.deny = toml_pattern_entries(s, m.value, "net.deny", toml_pattern_keys, pattern_syntax::net);
      return;
    }
    toml_entries(s, m.value, "net.allow", [&](const node& e, const std::string& where) {
      auto entry = toml_flagged(s, e, where, toml_net_allow_keys, pattern_syntax::net);
      if (entry.ok)
        p.net.allow.push_back({std::move(*entry.pattern), entry.flags[0], entry.flags[1], entry.flags[2], s.loc(e.offset)});
    });
  });
}

void toml_tools(schema& s, const node& t, policy& p) {
  if (!s.expect(t, node::kind::table, "tools")) return;
  s.walk_table(t, "tools", allow_deny_keys, [&](const member& m) {
    auto& list = m.key == "allow" ? p.tools.allow : p.tools.deny;
    toml_entries(s, m.value, "tools." + m.key, [&](const node& e, const std::string& where) {
      if (auto r = tool_from_table(s, e, where)) list.push_back(std::move(*r));
    });
  });
}

void toml_wasm(schema& s, const node& t, policy& p) {
  if (!s.expect(t, node::kind::table, "wasm")) return;
  s.walk_table(t, "wasm", toml_wasm_keys, [&](const member& m) {
    if (m.key == "allow")
      p.wasm.modules = toml_pattern_entries(s, m.value, "wasm.allow", toml_module_keys, pattern_syntax::name);
    else
      p.wasm.hostcalls = toml_pattern_entries(s, m.value, "wasm.hostcalls", toml_name_keys, pattern_syntax::name);
  });
}

void toml_inference(schema& s, const node& t, policy& p) {
  if (!s.expect(t, node::kind::table, "inference")) return;
  s.walk_table(t, "inference", toml_inference_keys, [&](const member& m) {
    if (m.key == "max_tokens") {
      if (auto v = s.amount(m.value, "inference.max_tokens"))
        p.infer.max_tokens = *v, p.infer.max_tokens_loc = s.loc(m.value.offset);
      return;
    }
    toml_entries(s, m.value, "inference.allow", [&](const node& e, const std::string& where) {
      if (auto r = model_from_table(s, e, where)) p.infer.models.push_back(std::move(*r));
    });
  });
}

void toml_dns(schema& s, const node& t, policy& p) {
  if (!s.expect(t, node::kind::table, "dns")) return;
  s.walk_table(t, "dns", allow_keys, [&](const member& m) {
    p.net.dns = toml_pattern_entries(s, m.value, "dns.allow", toml_pattern_keys, pattern_syntax::host);
  });
}

}  // namespace

policy build_from_json(const node& root, diagnostics& out) {
  schema s{out, format::json};
  policy p;
  p.source_format = format::json;
  if (root.type != node::kind::table) {
    s.error(errc::policy_type, root.offset, "a policy must be a JSON object, found " + std::string{s.type_name(root.type)});
    return p;
  }
  s.walk_table(root, "", top_json_keys, [&](const member& m) {
    const node& v = m.value;
    if (m.key == "version") read_version(s, v, p);
    else if (m.key == "name") p.name = s.text(v, "name");
    else if (m.key == "description") p.description = s.text(v, "description");
    else if (m.key == "profiles") read_profiles(s, v, "profiles", p);
    else if (m.key == "fs") json_fs(s, v, p);
    else if (m.key == "net") json_net(s, v, p);
    else if (m.key == "tools") json_tools(s, v, p);
    else if (m.key == "wasm") json_wasm(s, v, p);
    else if (m.key == "infer") json_infer(s, v, p);
    else if (m.key == "budgets") read_budgets(s, v, p);
    else if (m.key == "spawn") read_spawn(s, v, p);
    else read_taint(s, v, p);
  });
  finish(s, p);
  return p;
}

policy build_from_toml(const node& root, diagnostics& out) {
  schema s{out, format::toml};
  policy p;
  p.source_format = format::toml;
  const node* profiles_in_policy = nullptr;
  const node* profiles_top = nullptr;
  s.walk_table(root, "", top_toml_keys, [&](const member& m) {
    const node& v = m.value;
    if (m.key == "policy") toml_policy_table(s, v, p, profiles_in_policy);
    else if (m.key == "profiles") profiles_top = &v;
    else if (m.key == "fs") toml_fs(s, v, p);
    else if (m.key == "net") toml_net(s, v, p);
    else if (m.key == "dns") toml_dns(s, v, p);
    else if (m.key == "tools") toml_tools(s, v, p);
    else if (m.key == "wasm") toml_wasm(s, v, p);
    else if (m.key == "inference") toml_inference(s, v, p);
    else if (m.key == "budgets") read_budgets(s, v, p);
    else if (m.key == "spawn") read_spawn(s, v, p);
    else read_taint(s, v, p);
  });
  if (profiles_in_policy != nullptr && profiles_top != nullptr) {
    s.error(errc::policy_duplicate_key, profiles_top->offset,
            "profiles are given twice: at the top level and in [policy] (first at " +
                s.line_column(profiles_in_policy->offset) + "); keep one");
  } else if (const node* n = profiles_in_policy ? profiles_in_policy : profiles_top) {
    read_profiles(s, *n, profiles_in_policy ? "policy.profiles" : "profiles", p);
  }
  finish(s, p);
  return p;
}

}  // namespace authority::policy_text::detail
