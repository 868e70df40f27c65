// The policy compiler: AST → rule table → per-op matching structures → blob (layout in
// include/authority/policy/blob.hpp and docs/policy-blob.md).
//
// Matching structures, one set per op:
//   - a trie over the target's segments: path segments ('/'), host labels (right to
//     left, lower case) or whole names. Literal segments are sorted edges (binary
//     search); segments with `*`/`?` are wildcard edges (checked with the segment glob);
//     a pattern whose rest crosses segments (`**`) stops at the node where its literal
//     prefix ends: "rest is /**" becomes the node's subtree list, anything else a
//     residual glob matched against the rest of the target. Name globs are residuals at
//     the root; host "*.suffix" is a wildcard edge "*" below the suffix.
//   - binary prefix tries for IPv4 and IPv6 CIDRs, and a list for "ip:*".
//   - a list of rules without a target (taint rules that name only an effect).
#include <algorithm>
#include <deque>
#include <map>
#include <unordered_map>

#include "authority/crypto/hmac.hpp"
#include "authority/hosted/policy_compiler.hpp"
#include "authority/hosted/policy_text.hpp"
#include "authority/pattern/pattern.hpp"
#include "authority/policy/blob.hpp"
#include "authority/policy/version.hpp"

namespace authority::hosted {
namespace {

using namespace authority::policy;
namespace pt = authority::policy_text;

static_assert(pt::effect_kind_count == op_count);
static_assert(static_cast<int>(pt::effect_kind::fs_read) == static_cast<int>(op::fs_read) &&
              static_cast<int>(pt::effect_kind::net_dns) == static_cast<int>(op::net_dns) &&
              static_cast<int>(pt::effect_kind::tool_call) == static_cast<int>(op::tool_call) &&
              static_cast<int>(pt::effect_kind::infer) == static_cast<int>(op::infer) &&
              static_cast<int>(pt::effect_kind::spawn) == static_cast<int>(op::spawn));
static_assert(static_cast<int>(pt::format::json) == static_cast<int>(source_format::json) &&
              static_cast<int>(pt::format::toml) == static_cast<int>(source_format::toml));

struct str_ref {
  std::uint32_t offset = 0, length = 0;
};

struct rule_def {
  rule_kind kind = rule_kind::allow;
  rule_origin origin = rule_origin::fs_allow;
  op_set ops = 0;
  std::optional<pattern::syntax> syntax;
  std::string_view pattern;  // views of the AST's text (or of the built-in profiles)
  str_ref pattern_ref;  // where the pattern is in the strings section
  pt::source_location loc;
  std::string_view detail;
  pattern::specificity_t specificity = 0;
  std::uint64_t a = 0, b = 0;
  std::optional<pattern::net_pattern> net;  // net syntax: parsed once
  std::vector<version_term> version;
};

struct failure {
  policy_problem problem;
};

// ---- byte output -------------------------------------------------------------------

struct bytes_out {
  std::vector<std::uint8_t> data;
  template <std::size_t N, class T>
  void put(T v) {
    const std::size_t at = data.size();
    data.resize(at + N);
    for (std::size_t i = 0; i < N; ++i) data[at + i] = static_cast<std::uint8_t>(static_cast<std::uint64_t>(v) >> (8 * i));
  }
  void u8(std::uint8_t v) { data.push_back(v); }
  void u16(std::uint16_t v) { put<2>(v); }
  void u32(std::uint32_t v) { put<4>(v); }
  void u64(std::uint64_t v) { put<8>(v); }
  void zeros(std::size_t n) { data.resize(data.size() + n); }
  void put32(std::size_t at, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) data[at + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v >> (8 * i));
  }
};

std::uint32_t u32_of(std::size_t n) {
  if (n > 0xfffffffeu) throw failure{{make_error(errc::capacity_exceeded, "blob"), {}, "the policy is too large for a blob"}};
  return static_cast<std::uint32_t>(n);
}

// The strings section, appended to as the compiler goes. A part of a string already
// stored (a path segment of a pattern) gets its reference from where the whole string
// went, so nothing is hashed or copied twice.
class string_table {
 public:
  str_ref add(std::string_view s) {
    const str_ref r{u32_of(bytes_.data.size()), u32_of(s.size())};
    bytes_.data.insert(bytes_.data.end(), s.begin(), s.end());
    return r;
  }
  // For strings many records repeat (file names, labels): stored once.
  str_ref add_once(std::string_view s) {
    if (s.empty()) return {};
    auto it = once_.find(std::string{s});
    if (it == once_.end()) it = once_.emplace(std::string{s}, add(s)).first;
    return it->second;
  }
  static str_ref part(str_ref whole_ref, std::string_view whole, std::string_view part) {
    return {whole_ref.offset + u32_of(static_cast<std::size_t>(part.data() - whole.data())), u32_of(part.size())};
  }
  static void write(bytes_out& out, str_ref r) {
    out.u32(r.offset);
    out.u32(r.length);
  }
  const std::vector<std::uint8_t>& bytes() const { return bytes_.data; }
  void reserve(std::size_t n) { bytes_.data.reserve(n); }

 private:
  std::unordered_map<std::string, str_ref> once_;
  bytes_out bytes_;
};

// ---- matching structures -------------------------------------------------------------

// Edge keys are views of the rules' pattern text (or of the compiler's lower-cased
// copies of host names), which outlive the trie; each carries its place in the strings.
// One hash map finds a node's child by key; each node lists its edges for serializing.
struct trie_node {
  struct edge {
    std::string_view key;
    str_ref key_ref;
    std::size_t child = 0;
  };
  std::vector<edge> literal, wildcard;
  std::vector<std::uint32_t> terminal, subtree;
  std::vector<std::pair<str_ref, std::uint32_t>> residual;  // rest glob, rule
};

struct edge_key {
  std::size_t parent = 0;
  bool wildcard = false;
  std::string_view key;
  bool operator==(const edge_key&) const = default;
};
struct edge_key_hash {
  std::size_t operator()(const edge_key& k) const noexcept {
    return std::hash<std::string_view>{}(k.key) ^ (k.parent * 0x9e3779b97f4a7c15ull) ^ (k.wildcard ? 1 : 0);
  }
};

struct trie {
  std::vector<trie_node> nodes{1};
  std::unordered_map<edge_key, std::size_t, edge_key_hash> children;

  std::size_t child(std::size_t at, bool wildcard, std::string_view key, str_ref key_ref) {
    auto [it, inserted] = children.try_emplace(edge_key{at, wildcard, key}, nodes.size());
    if (inserted) {
      (wildcard ? nodes[at].wildcard : nodes[at].literal).push_back({key, key_ref, it->second});
      nodes.emplace_back();
    }
    return it->second;
  }
};

bool has_wildcard(std::string_view s) { return s.find_first_of("*?") != std::string_view::npos; }

// A path glob: literal and single-segment wildcard edges until a segment with `**`.
void insert_path(trie& t, std::string_view p, str_ref p_ref, std::uint32_t rule) {
  if (p[0] != '/') {  // "**..." : matched as a whole against the whole path
    t.nodes[0].residual.emplace_back(p_ref, rule);
    return;
  }
  std::size_t node = 0;
  std::size_t start = 1;
  while (true) {
    std::size_t end = p.find('/', start);
    if (end == std::string_view::npos) end = p.size();
    const auto segment = p.substr(start, end - start);
    if (segment.find("**") != std::string_view::npos) {
      const auto rest = p.substr(start - 1);  // from the '/' before this segment
      const bool rest_is_globstar = rest.size() >= 3 && rest.find_first_not_of('*', 1) == std::string_view::npos;
      if (rest_is_globstar) t.nodes[node].subtree.push_back(rule);
      else t.nodes[node].residual.emplace_back(string_table::part(p_ref, p, rest), rule);
      return;
    }
    node = t.child(node, has_wildcard(segment), segment, string_table::part(p_ref, p, segment));
    if (end == p.size()) break;
    start = end + 1;
  }
  t.nodes[node].terminal.push_back(rule);
}

// `name`: the pattern's host name in lower case, stored at `name_ref`; `star`: "*".
void insert_host(trie& t, pattern::host_kind kind, std::string_view name, str_ref name_ref, str_ref star,
                 std::uint32_t rule) {
  if (kind == pattern::host_kind::any) {
    t.nodes[0].subtree.push_back(rule);
    return;
  }
  std::size_t node = 0;
  pattern::for_each_label_reversed(
      name, [&](std::string_view label) { node = t.child(node, false, label, string_table::part(name_ref, name, label)); });
  if (kind == pattern::host_kind::wildcard) node = t.child(node, true, "*", star);
  t.nodes[node].terminal.push_back(rule);
}

void insert_name(trie& t, std::string_view name, str_ref name_ref, std::uint32_t rule) {
  if (has_wildcard(name)) {
    t.nodes[0].residual.emplace_back(name_ref, rule);
    return;
  }
  t.nodes[t.child(0, false, name, name_ref)].terminal.push_back(rule);
}

struct cidr_trie {
  struct node {
    std::array<std::size_t, 2> child{0, 0};  // 0: none (the root is never a child)
    std::vector<std::uint32_t> rules;
  };
  std::vector<node> nodes{1};

  void insert(const pattern::ip_cidr& c, std::uint32_t rule) {
    std::size_t at = 0;
    for (std::size_t bit = 0; bit < c.prefix; ++bit) {
      const std::size_t side = c.network.bit(bit) ? 1 : 0;
      if (nodes[at].child[side] == 0) {
        nodes[at].child[side] = nodes.size();
        nodes.emplace_back();
      }
      at = nodes[at].child[side];
    }
    nodes[at].rules.push_back(rule);
  }
};

struct op_structures {
  std::optional<trie> targets;
  std::optional<cidr_trie> v4, v6;
  std::vector<std::uint32_t> any_ip, global;

  trie& targets_trie() {
    if (!targets) targets.emplace();
    return *targets;
  }
};

// ---- the compiler ------------------------------------------------------------------------

class compiler {
 public:
  explicit compiler(const pt::policy& p) : p_(p) {}

  std::vector<std::uint8_t> run(const capability::key_ring& keys, const policy_compile_options& options) {
    collect_labels();
    collect_rules();
    for (std::uint32_t i = 0; i < rules_.size(); ++i) index_rule(i);
    return serialize(keys, options);
  }

 private:
  [[noreturn]] void fail(errc code, std::string_view field, const pt::source_location& loc, std::string message) {
    throw failure{{make_error(code, field, loc.offset), loc, std::move(message)}};
  }

  // ---- labels ----
  void collect_labels() {
    labels_.emplace_back(pt::builtin_label);
    for (const auto& l : p_.taint.labels)
      if (std::find(labels_.begin(), labels_.end(), l.pattern) == labels_.end()) {
        if (labels_.size() == max_labels)
          fail(errc::capacity_exceeded, "taint.labels", l.loc, "more than 64 labels (the built-in \"untrusted\" counts)");
        labels_.push_back(l.pattern);
      }
  }
  label_set label_bit(const std::string& name, const pt::source_location& loc) {
    const auto it = std::find(labels_.begin(), labels_.end(), name);
    if (it == labels_.end()) fail(errc::not_found, "label", loc, "label \"" + name + "\" is not declared in taint.labels");
    return label_set{1} << (it - labels_.begin());
  }
  label_set label_bits(const std::vector<std::string>& names, const pt::source_location& loc) {
    label_set s = 0;
    for (const auto& n : names) s |= label_bit(n, loc);
    return s;
  }

  // ---- rules ----
  rule_def& add(rule_kind kind, rule_origin origin, op_set ops, std::optional<pattern::syntax> syntax,
                std::string_view text, const pt::source_location& loc) {
    rule_def r;
    r.kind = kind;
    r.origin = origin;
    r.ops = ops;
    r.syntax = syntax;
    r.pattern = text;
    r.loc = loc;
    if (syntax) {
      if (auto ok = pattern::validate(*syntax, text); !ok) {
        const auto e = ok.error();
        fail(e.code, e.field, loc,
             "invalid " + std::string{syntax_word(*syntax)} + " \"" + std::string{text} + "\" (" + std::string{name_of(e.code)} +
                 " in " + std::string{e.field} + " at offset " + std::to_string(e.offset) + ")");
      }
      r.specificity = pattern::specificity(*syntax, text);
      if (*syntax == pattern::syntax::net) r.net = *pattern::parse_net_pattern(text);
    }
    r.pattern_ref = strings_.add(r.pattern);
    rules_.push_back(std::move(r));
    return rules_.back();
  }

  static std::string_view syntax_word(pattern::syntax s) {
    switch (s) {
      case pattern::syntax::path: return "path pattern";
      case pattern::syntax::net: return "network pattern";
      case pattern::syntax::host: return "host pattern";
      case pattern::syntax::name: return "name pattern";
    }
    return "pattern";
  }

  void tool_rules(const std::vector<pt::tool_rule>& list, rule_kind kind, rule_origin origin) {
    for (const auto& t : list) {
      auto& r = add(kind, origin, op_bit(op::tool_call), pattern::syntax::name, t.name, t.loc);
      if (!t.version) continue;
      std::array<version_term, max_version_terms> terms{};
      auto n = parse_version_constraint(*t.version, terms);
      if (!n) fail(n.code(), "version", t.loc, "invalid version constraint \"" + *t.version + "\"");
      r.version.assign(terms.begin(), terms.begin() + static_cast<std::ptrdiff_t>(*n));
      r.detail = *t.version;
    }
  }

  void pattern_rules(const std::vector<pt::pattern_entry>& list, rule_kind kind, rule_origin origin, op_set ops,
                     pattern::syntax syntax) {
    for (const auto& e : list) add(kind, origin, ops, syntax, e.pattern, e.loc);
  }

  // A taint rule's target is in the syntax of its ops, which must agree.
  std::optional<pattern::syntax> taint_syntax(const pt::effect_selector& effect, const std::optional<std::string>& target,
                                              const pt::source_location& loc) {
    if (!target) return std::nullopt;
    std::optional<pattern::syntax> syntax;
    for (std::size_t k = 0; k < op_count; ++k) {
      if ((effect.kinds & (1u << k)) == 0) continue;
      const auto s = target_syntax(static_cast<op>(k));
      if (syntax && *syntax != s)
        fail(errc::invalid_argument, "target", loc,
             "effect \"" + effect.text + "\" mixes target syntaxes, so it cannot have a target");
      syntax = s;
    }
    return syntax;
  }

  static std::string_view target_text(const std::optional<std::string>& target) {
    return target ? std::string_view{*target} : std::string_view{};
  }

  void collect_rules() {
    std::size_t expected = p_.fs.allow.size() + p_.fs.deny.size() + p_.net.dns.size() + p_.net.allow.size() +
                           p_.net.deny.size() + p_.tools.allow.size() + p_.tools.deny.size() + p_.wasm.modules.size() +
                           p_.wasm.hostcalls.size() + p_.infer.models.size() + p_.spawn.allow.size() +
                           p_.spawn.deny.size() + p_.taint.sources.size() + p_.taint.sinks.size() +
                           p_.taint.sanitizers.size() + 8 * p_.profiles.size();
    rules_.reserve(expected);  // tries keep views of the rules' text: no reallocation later
    strings_.reserve(expected * 32);
    for (const auto& g : p_.fs.allow) {
      const op_set ops = static_cast<op_set>((g.read ? op_bit(op::fs_read) : 0) | (g.write ? op_bit(op::fs_write) : 0) |
                                             (g.exec ? op_bit(op::fs_exec) : 0));
      if (ops != 0) add(rule_kind::allow, rule_origin::fs_allow, ops, pattern::syntax::path, g.path, g.loc);
    }
    for (const auto& ref : p_.profiles) {
      const auto grants = pt::expand_profile(ref.name);
      if (!grants) fail(errc::not_found, "profiles", ref.loc, "unknown profile \"" + ref.name + "\"");
      for (const auto& g : *grants) {
        const op_set ops = static_cast<op_set>((g.read ? op_bit(op::fs_read) : 0) |
                                               (g.write ? op_bit(op::fs_write) : 0) | (g.exec ? op_bit(op::fs_exec) : 0));
        add(rule_kind::allow, rule_origin::profile, ops, pattern::syntax::path, g.path, ref.loc).detail =
            ref.name;
      }
    }
    pattern_rules(p_.fs.deny, rule_kind::deny, rule_origin::fs_deny, fs_ops, pattern::syntax::path);
    pattern_rules(p_.net.dns, rule_kind::allow, rule_origin::net_dns, op_bit(op::net_dns), pattern::syntax::host);
    for (const auto& g : p_.net.allow) {
      const op_set ops =
          static_cast<op_set>((g.connect ? op_bit(op::net_connect) : 0) | (g.bind ? op_bit(op::net_bind) : 0) |
                              (g.listen ? op_bit(op::net_listen) : 0));
      if (ops != 0) add(rule_kind::allow, rule_origin::net_allow, ops, pattern::syntax::net, g.pattern, g.loc);
    }
    for (const auto& e : p_.net.deny) {
      auto& r = add(rule_kind::deny, rule_origin::net_deny, net_ops, pattern::syntax::net, e.pattern, e.loc);
      // A dns: deny for every port also stops the name's lookups.
      const auto& parsed = r.net;
      if (parsed->kind == pattern::net_kind::dns && parsed->ports == pattern::port_set::any())
        r.ops = static_cast<op_set>(r.ops | op_bit(op::net_dns));
    }
    tool_rules(p_.tools.allow, rule_kind::allow, rule_origin::tool_allow);
    tool_rules(p_.tools.deny, rule_kind::deny, rule_origin::tool_deny);
    pattern_rules(p_.wasm.modules, rule_kind::allow, rule_origin::wasm_module, op_bit(op::wasm_call),
                  pattern::syntax::name);
    pattern_rules(p_.wasm.hostcalls, rule_kind::allow, rule_origin::wasm_hostcall, op_bit(op::wasm_hostcall),
                  pattern::syntax::name);
    for (const auto& m : p_.infer.models)
      add(rule_kind::allow, rule_origin::infer_model, op_bit(op::infer), pattern::syntax::name, m.model, m.loc).a =
          m.max_tokens.value_or(blob::no_max_tokens);
    pattern_rules(p_.spawn.allow, rule_kind::allow, rule_origin::spawn_allow, op_bit(op::spawn), pattern::syntax::path);
    pattern_rules(p_.spawn.deny, rule_kind::deny, rule_origin::spawn_deny, op_bit(op::spawn), pattern::syntax::path);
    for (const auto& s : p_.taint.sources) {
      const auto syntax = taint_syntax(s.effect, s.target, s.loc);
      const label_set bit = label_bit(s.label, s.loc);
      add(rule_kind::source, rule_origin::taint_source, s.effect.kinds, syntax, target_text(s.target), s.loc).a = bit;
    }
    for (const auto& s : p_.taint.sinks) {
      const auto syntax = taint_syntax(s.effect, s.target, s.loc);
      const label_set denied = label_bits(s.deny, s.loc);
      if (denied == 0) fail(errc::invalid_argument, "deny", s.loc, "a sink must deny at least one label");
      add(rule_kind::sink, rule_origin::taint_sink, s.effect.kinds, syntax, target_text(s.target), s.loc).a = denied;
    }
    for (const auto& s : p_.taint.sanitizers) {
      const label_set removes = label_bits(s.removes, s.loc), adds = label_bits(s.adds, s.loc);
      auto& r = add(rule_kind::sanitizer, rule_origin::taint_sanitizer, op_bit(op::tool_call), pattern::syntax::name,
                    s.tool, s.loc);
      r.a = removes;
      r.b = adds;
    }
  }

  // ---- indexes ----
  std::pair<std::string_view, str_ref> lowered(std::string_view name) {
    std::string& copy = lowered_.emplace_back(name);
    for (auto& c : copy) c = pattern::ascii_lower(c);
    return {copy, strings_.add(copy)};
  }
  void insert_host_pattern(trie& t, const pattern::host_pattern& h, std::uint32_t rule) {
    const auto [name, ref] = h.kind == pattern::host_kind::any ? std::pair<std::string_view, str_ref>{} : lowered(h.name);
    insert_host(t, h.kind, name, ref, strings_.add_once("*"), rule);
  }

  void index_rule(std::uint32_t index) {
    const rule_def& r = rules_[index];
    for (std::size_t k = 0; k < op_count; ++k) {
      if ((r.ops & (1u << k)) == 0) continue;
      const auto o = static_cast<op>(k);
      auto& s = ops_[k];
      if (!r.syntax) {
        s.global.push_back(index);
        continue;
      }
      switch (*r.syntax) {
        case pattern::syntax::path: insert_path(s.targets_trie(), r.pattern, r.pattern_ref, index); break;
        case pattern::syntax::name: insert_name(s.targets_trie(), r.pattern, r.pattern_ref, index); break;
        case pattern::syntax::host: insert_host_pattern(s.targets_trie(), *pattern::parse_host_pattern(r.pattern), index); break;
        case pattern::syntax::net: {
          const auto& n = *r.net;
          if (n.kind == pattern::net_kind::dns) insert_host_pattern(s.targets_trie(), n.host, index);
          else if (o == op::net_dns) break;  // ip: rules never apply to name lookups
          else if (n.any_address) s.any_ip.push_back(index);
          else if (n.cidr.network.family == pattern::ip_family::v4) (s.v4 ? *s.v4 : s.v4.emplace()).insert(n.cidr, index);
          else (s.v6 ? *s.v6 : s.v6.emplace()).insert(n.cidr, index);
          break;
        }
      }
    }
  }

  // ---- serialization ----
  struct list_ref {
    std::uint32_t first = 0, count = 0;
  };
  list_ref add_list(const std::vector<std::uint32_t>& rules) {
    list_ref ref{u32_of(lists_.data.size() / 4), u32_of(rules.size())};
    for (auto r : rules) lists_.u32(r);
    return ref;
  }
  static void write_list(bytes_out& out, list_ref ref) {
    out.u32(ref.first);
    out.u32(ref.count);
  }

  // Breadth-first, so that edge j of the trie leads to node root+1+j (the decoder checks it).
  std::pair<std::uint32_t, std::uint32_t> write_trie(const trie& t) {
    const std::uint32_t root = u32_of(nodes_.data.size() / blob::trie_node_size);
    queue_.assign(1, 0);
    for (std::size_t head = 0; head < queue_.size(); ++head) {
      const trie_node& n = t.nodes[queue_[head]];
      nodes_.u32(u32_of(edges_.data.size() / blob::trie_edge_size));
      nodes_.u32(u32_of(n.literal.size()));
      nodes_.u32(u32_of(n.wildcard.size()));
      write_list(nodes_, add_list(n.terminal));
      write_list(nodes_, add_list(n.subtree));
      nodes_.u32(u32_of(residuals_.data.size() / blob::residual_size));
      nodes_.u32(u32_of(n.residual.size()));
      for (const auto& [glob, rule] : n.residual) {
        string_table::write(residuals_, glob);
        residuals_.u32(rule);
      }
      for (const auto* edges : {&n.literal, &n.wildcard}) {
        // Sorted by bytes, as the evaluator's binary search compares them.
        sorted_edges_.assign(edges->begin(), edges->end());
        std::sort(sorted_edges_.begin(), sorted_edges_.end(), [](const auto& x, const auto& y) { return x.key < y.key; });
        for (const auto& e : sorted_edges_) {
          string_table::write(edges_, e.key_ref);
          edges_.u32(root + u32_of(queue_.size()));  // the child's place in breadth-first order
          queue_.push_back(e.child);
        }
      }
    }
    return {root, u32_of(queue_.size())};
  }

  std::uint32_t write_cidr(const std::optional<cidr_trie>& t) {
    if (!t) return blob::none;
    const std::uint32_t base = u32_of(cidrs_.data.size() / blob::cidr_node_size);
    for (const auto& n : t->nodes) {
      for (auto c : n.child) cidrs_.u32(c == 0 ? blob::none : base + u32_of(c));
      write_list(cidrs_, add_list(n.rules));
    }
    return base;
  }

  std::uint32_t write_ports(const pattern::port_set& ports) {
    std::vector<std::pair<std::uint16_t, std::uint16_t>> key;
    for (const auto& r : ports.ranges()) key.emplace_back(r.first, r.last);
    auto it = port_sets_seen_.find(key);
    if (it != port_sets_seen_.end()) return it->second;
    const std::uint32_t index = u32_of(port_sets_.data.size() / blob::port_set_size);
    port_sets_.u32(u32_of(port_ranges_.data.size() / blob::port_range_size));
    port_sets_.u32(u32_of(key.size()));
    for (auto [first, last] : key) {
      port_ranges_.u16(first);
      port_ranges_.u16(last);
    }
    port_sets_seen_.emplace(std::move(key), index);
    return index;
  }

  std::uint32_t write_version(const std::vector<version_term>& terms) {
    if (terms.empty()) return blob::none;
    const std::uint32_t index = u32_of(versions_.data.size() / blob::version_size);
    versions_.u32(u32_of(version_terms_.data.size() / blob::version_term_size));
    versions_.u32(u32_of(terms.size()));
    for (const auto& t : terms) {
      version_terms_.u8(static_cast<std::uint8_t>(t.op));
      version_terms_.u8(t.v.parts);
      version_terms_.u16(0);
      for (auto part : t.v.part) version_terms_.u32(part);
    }
    return index;
  }

  std::vector<std::uint8_t> serialize(const capability::key_ring& keys, const policy_compile_options& options) {
    bytes_out rules, labels, budgets, settings, ops;
    rules.data.reserve(rules_.size() * blob::rule_size);
    for (const auto& r : rules_) {
      rules.u8(static_cast<std::uint8_t>(r.kind));
      rules.u8(static_cast<std::uint8_t>(r.origin));
      rules.u8(r.syntax ? static_cast<std::uint8_t>(*r.syntax) : 0xff);
      rules.u8(0);
      rules.u16(r.ops);
      rules.u16(0);
      string_table::write(rules, r.pattern_ref);
      string_table::write(rules, strings_.add_once(r.loc.file_name()));
      rules.u32(r.loc.line);
      rules.u32(r.loc.column);
      rules.u64(r.specificity);
      rules.u64(r.a);
      rules.u64(r.b);
      rules.u32(r.net ? write_ports(r.net->ports) : blob::none);
      rules.u32(write_version(r.version));
      string_table::write(rules, strings_.add_once(r.detail));
    }
    for (const auto& l : labels_) string_table::write(labels, strings_.add_once(l));
    for (std::size_t i = 0; i < budget::resource_count; ++i) {
      const auto it = std::find_if(p_.budgets.begin(), p_.budgets.end(),
                                   [&](const pt::budget_entry& e) { return static_cast<std::size_t>(e.resource) == i; });
      const auto state = it == p_.budgets.end() ? blob::budget_state::absent
                         : it->unlimited        ? blob::budget_state::unlimited
                                                : blob::budget_state::amount;
      budgets.u8(static_cast<std::uint8_t>(state));
      budgets.zeros(7);
      budgets.u64(state == blob::budget_state::amount ? it->amount : 0);
    }
    settings.u8(p_.infer.max_tokens ? 1 : 0);
    settings.u8(p_.spawn.sandbox ? 1 : 0);
    settings.zeros(6);
    settings.u64(p_.infer.max_tokens.value_or(0));
    std::size_t trie_nodes = 0;
    for (const auto& s : ops_) trie_nodes += s.targets ? s.targets->nodes.size() : 0;
    nodes_.data.reserve(trie_nodes * blob::trie_node_size);
    edges_.data.reserve(trie_nodes * blob::trie_edge_size);
    for (auto& s : ops_) {
      const auto [root, count] = s.targets ? write_trie(*s.targets) : std::pair{blob::none, std::uint32_t{0}};
      ops.u32(root);
      ops.u32(count);
      ops.u32(write_cidr(s.v4));
      ops.u32(write_cidr(s.v6));
      write_list(ops, add_list(s.any_ip));
      write_list(ops, add_list(s.global));
    }

    const std::vector<std::uint8_t>* sections[blob::section_count] = {
        &strings_.bytes(),    &rules.data,       &labels.data,         &budgets.data,    &settings.data,
        &versions_.data,      &version_terms_.data, &port_sets_.data,  &port_ranges_.data, &ops.data,
        &nodes_.data,         &edges_.data,      &residuals_.data,     &cidrs_.data,     &lists_.data};

    auto slot = keys.signing_key();
    if (!slot) throw failure{{slot.error(), {}, "the key ring has no active signing key"}};
    const bool signing = static_cast<bool>(options.sign);

    bytes_out out;
    std::size_t total = blob::sections_end + blob::mac_size + blob::signature_size;
    for (const auto* section : sections) total += section->size();
    out.data.reserve(total);
    out.data.assign(blob::magic.begin(), blob::magic.end());
    out.u16(blob::format_version);
    out.u8(static_cast<std::uint8_t>(p_.source_format));
    out.u8(signing ? blob::flag_signed : 0);
    out.u32((*slot)->id);
    out.u64(options.revision);
    const std::size_t total_at = out.data.size();
    out.u32(0);  // total length, below
    out.u32(blob::section_count);
    std::size_t offset = blob::sections_end;
    for (std::uint32_t i = 0; i < blob::section_count; ++i) {
      out.u32(i + 1);
      out.u32(u32_of(offset));
      out.u32(u32_of(sections[i]->size()));
      offset += sections[i]->size();
    }
    for (const auto* s : sections) out.data.insert(out.data.end(), s->begin(), s->end());
    out.put32(total_at, u32_of(out.data.size() + blob::mac_size + (signing ? blob::signature_size : 0)));
    if (signing) {
      const auto signature = options.sign(bytes_view{out.data.data(), out.data.size()});
      out.data.insert(out.data.end(), signature.begin(), signature.end());
    }
    const auto mac = (*slot)->mac_key.mac(bytes_view{out.data.data(), out.data.size()});
    out.data.insert(out.data.end(), mac.begin(), mac.end());
    return std::move(out.data);
  }

  const pt::policy& p_;
  std::vector<std::string> labels_;
  std::vector<rule_def> rules_;
  std::deque<std::string> lowered_;  // lower-case host names the tries point into
  std::vector<std::size_t> queue_;   // write_trie's breadth-first order
  std::vector<trie_node::edge> sorted_edges_;
  std::array<op_structures, op_count> ops_{};
  string_table strings_;
  bytes_out lists_, nodes_, edges_, residuals_, cidrs_, port_sets_, port_ranges_, versions_, version_terms_;
  std::map<std::vector<std::pair<std::uint16_t, std::uint16_t>>, std::uint32_t> port_sets_seen_;
};

}  // namespace

policy_compile_result compile_policy(const policy_text::policy& p, const capability::key_ring& keys,
                                     const policy_compile_options& options) {
  policy_compile_result out;
  try {
    compiler c{p};
    out.blob = c.run(keys, options);
  } catch (const failure& f) {
    out.failure = f.problem;
  } catch (const std::exception& e) {
    out.failure = policy_problem{make_error(errc::internal, "compiler"), {}, e.what()};
  }
  return out;
}

}  // namespace authority::hosted
