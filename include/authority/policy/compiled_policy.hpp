// The policy engine's core: a view over a compiled, MACed policy blob (blob.hpp,
// docs/policy-blob.md) and the evaluator that decides one request. Freestanding: no
// heap, no exceptions; the caller keeps the blob's bytes alive.
//
// open() checks the magic, the format version, every length, offset and index, and the
// HMAC (key looked up by the blob's key id in the ring) once. Afterwards evaluate() only
// follows indices that open() proved in range.
//
// Decision order (docs/policy-language.md):
//   no policy → no_policy; a target that is not valid for the op → its error
//   (invalid_path, invalid_argument, too_long); a matching deny rule → denied_by_rule;
//   no matching allow rule → not_allowed; infer tokens over the model's or the policy's
//   max_tokens → limit_exceeded; input labels a matching sink denies → taint_violation;
//   otherwise allowed. Among matching rules of one kind the most specific
//   (pattern::specificity) is reported; ties go to the lowest rule index.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "authority/budget/resource.hpp"
#include "authority/capability/key_ring.hpp"
#include "authority/core/bytes.hpp"
#include "authority/core/clock.hpp"
#include "authority/core/result.hpp"
#include "authority/crypto/ct.hpp"
#include "authority/crypto/sha256.hpp"
#include "authority/pattern/pattern.hpp"
#include "authority/policy/blob.hpp"
#include "authority/policy/op.hpp"
#include "authority/policy/version.hpp"

namespace authority::policy {

// Bit i is label i of the policy's label table; bit 0 is the built-in "untrusted".
using label_set = std::uint64_t;
inline constexpr std::size_t max_labels = 64;
inline constexpr label_set untrusted_label = 1;

struct request {
  op kind = op::fs_read;
  // Canonical: paths already canonicalized by the caller (pattern::canonicalize_path),
  // concrete net targets ("dns:host:port", "ip:addr:port"), names as they are.
  std::string_view target{};
  std::string_view version{};  // tool.call: the tool's version, if known
  std::uint64_t tokens = 0;    // infer: tokens requested
  label_set labels = 0;        // labels of the data flowing into this effect
  // Set by a caller that has validated `target` in this syntax already (the gate):
  // evaluation does not check it again.
  std::optional<pattern::syntax> target_checked{};
};

inline constexpr std::uint32_t no_rule = 0xffffffff;

struct decision {
  bool allow = false;
  // ok | no_policy | denied_by_rule | not_allowed | limit_exceeded | taint_violation |
  // the target's validation error (invalid_path, invalid_argument, too_long) |
  // too_complex | invalid_argument (unknown op)
  errc reason = errc::no_policy;
  std::uint32_t rule = no_rule;  // the deny rule, the most specific allow, or the sink
  // When allowed: input labels plus the labels of matching sources, then (tool.call)
  // minus the removes and plus the adds of matching sanitizers. 0 when denied.
  label_set result_labels = 0;
};

enum class rule_kind : std::uint8_t { allow, deny, source, sink, sanitizer };
inline constexpr std::uint8_t rule_kind_count = 5;

// Which list of the policy a rule came from.
enum class rule_origin : std::uint8_t {
  fs_allow, fs_deny, profile, net_dns, net_allow, net_deny, tool_allow, tool_deny, wasm_module,
  wasm_hostcall, infer_model, spawn_allow, spawn_deny, taint_source, taint_sink, taint_sanitizer,
};
inline constexpr std::uint8_t rule_origin_count = 16;

constexpr std::string_view name_of(rule_kind k) noexcept {
  constexpr std::string_view names[] = {"allow", "deny", "source", "sink", "sanitizer"};
  return static_cast<std::size_t>(k) < rule_kind_count ? names[static_cast<std::size_t>(k)] : "unknown";
}

// The policy key that holds rules of this origin (JSON spelling).
constexpr std::string_view name_of(rule_origin o) noexcept {
  constexpr std::string_view names[] = {"fs",          "fs.deny",        "profiles",     "net.dns",
                                        "net",         "net.deny",       "tools.allow",  "tools.deny",
                                        "wasm.modules", "wasm.hostcalls", "infer.models", "spawn.allow",
                                        "spawn.deny",  "taint.sources",  "taint.sinks",  "taint.sanitizers"};
  return static_cast<std::size_t>(o) < rule_origin_count ? names[static_cast<std::size_t>(o)] : "unknown";
}

struct rule_info {
  rule_kind kind = rule_kind::allow;
  rule_origin origin = rule_origin::fs_allow;
  op_set ops = 0;
  std::optional<pattern::syntax> syntax;  // empty: no target, the rule covers every target of its ops
  std::string_view pattern{};             // the target pattern as written (a profile rule: the profile's path)
  std::string_view file{};                // source location of the entry (a profile rule: the profile reference)
  std::uint32_t line = 0;
  std::uint32_t column = 0;
  std::string_view detail{};              // tools: the version constraint; profile rules: the profile name
  pattern::specificity_t specificity = 0;
  std::optional<std::uint64_t> max_tokens;  // infer models with their own limit
  label_set labels = 0;  // source: the label it adds; sink: the labels it denies; sanitizer: removes
  label_set adds = 0;    // sanitizer
};

struct budget_limit {
  blob::budget_state state = blob::budget_state::absent;
  std::uint64_t amount = 0;  // when state == amount (0 means nothing may be spent)
  constexpr bool absent() const noexcept { return state == blob::budget_state::absent; }
  constexpr bool unlimited() const noexcept { return state == blob::budget_state::unlimited; }
  constexpr bool operator==(const budget_limit&) const = default;
};

enum class source_format : std::uint8_t { json = 0, toml = 1 };

class compiled_policy;

namespace detail {
result<compiled_policy> decode(bytes_view blob, bool check_mac, const capability::key_ring* keys, time_ns now) noexcept;
}

class compiled_policy {
 public:
  // An empty policy: valid() is false and every request is denied with no_policy.
  constexpr compiled_policy() noexcept = default;

  // Errors: bad_magic, unsupported_version, truncated, trailing_bytes (length field vs
  // input), key_unknown / key_expired (the blob's key id), policy_mac, then structural
  // errors (out_of_range, invalid_encoding) with the field and the blob offset.
  static result<compiled_policy> open(bytes_view blob, const capability::key_ring& keys, time_ns now) noexcept {
    return detail::decode(blob, true, &keys, now);
  }

  bool valid() const noexcept { return !blob_.empty(); }

  decision evaluate(const request& r) const noexcept;

  // Calls f(rule index) for every rule that applies to r: its ops include r.kind, its
  // target pattern matches (ports included) or it has none, and a tool version
  // constraint is met (allow) or not excluded (deny). Any order. Errors: the target's
  // validation error, too_complex, no_policy, invalid_argument (unknown op).
  template <class F>
  result<void> for_each_match(const request& r, F&& f) const noexcept;

  std::uint32_t rule_count() const noexcept { return count(blob::section::rules); }
  // Precondition: index < rule_count() (an empty rule_info otherwise).
  rule_info rule(std::uint32_t index) const noexcept;

  budget_limit budget(budget::resource r) const noexcept;
  std::optional<std::uint64_t> max_tokens() const noexcept;  // the policy-wide per-request limit
  bool spawn_sandbox() const noexcept;

  std::uint64_t revision() const noexcept { return revision_; }
  std::uint32_t key_id() const noexcept { return key_id_; }
  source_format format() const noexcept { return format_; }
  // SHA-256 of the whole blob: the "policy in force" in audit entries.
  const crypto::digest& hash() const noexcept { return hash_; }

  std::size_t label_count() const noexcept { return count(blob::section::labels); }
  std::string_view label_name(std::size_t i) const noexcept;
  std::optional<std::size_t> label_from_name(std::string_view name) const noexcept;

  bytes_view bytes() const noexcept { return blob_; }
  // What the optional Ed25519 signature covers: everything before it (the MAC, which
  // covers the signature too, comes last).
  bytes_view signed_bytes() const noexcept {
    return blob_.first(blob_.size() - blob::mac_size - (signed_ ? blob::signature_size : 0));
  }
  std::optional<std::span<const byte, blob::signature_size>> signature() const noexcept {
    if (!signed_) return std::nullopt;
    return blob_.subspan(blob_.size() - blob::mac_size - blob::signature_size).first<blob::signature_size>();
  }

 private:
  friend result<compiled_policy> detail::decode(bytes_view, bool, const capability::key_ring*, time_ns) noexcept;

  struct match_context {
    op kind = op::fs_read;
    bool has_port = false;
    std::uint16_t port = 0;
    bool version_known = false;
    version tool_version{};
  };

  bytes_view section(blob::section s) const noexcept { return sections_[static_cast<std::size_t>(s) - 1]; }
  std::uint32_t count(blob::section s) const noexcept {
    return static_cast<std::uint32_t>(section(s).size() / blob::record_size[static_cast<std::size_t>(s) - 1]);
  }
  const byte* record(blob::section s, std::uint32_t i) const noexcept {
    return section(s).data() + std::size_t{i} * blob::record_size[static_cast<std::size_t>(s) - 1];
  }
  std::string_view string_at(const byte* ref) const noexcept {
    const auto strings = section(blob::section::strings);
    return {reinterpret_cast<const char*>(strings.data()) + load_le32(ref), load_le32(ref + 4)};
  }

  bool rule_applies(std::uint32_t rule, const match_context& m) const noexcept;
  template <class F>
  void visit_list(const byte* list, const match_context& m, F& f) const noexcept;
  template <class Segments, class F>
  bool walk_trie(std::uint32_t op_index, Segments segments, pattern::glob_flavor flavor, const match_context& m,
                 F& f) const noexcept;
  template <class F>
  void walk_cidr(std::uint32_t root, const pattern::ip_address& a, const match_context& m, F& f) const noexcept;

  bytes_view blob_{};
  std::array<bytes_view, blob::section_count> sections_{};
  std::uint64_t revision_ = 0;
  std::uint32_t key_id_ = 0;
  source_format format_ = source_format::json;
  bool signed_ = false;
  crypto::digest hash_{};
};

// ---- decoding ------------------------------------------------------------------------

namespace detail {

class blob_checker {
 public:
  explicit blob_checker(bytes_view blob) noexcept : blob_(blob) {}

  error fail(errc code, std::string_view field, const byte* where) const noexcept {
    return make_error(code, field, static_cast<std::uint32_t>(where - blob_.data()));
  }
  // A (u32 first, u32 count) range within [0, limit).
  bool range_ok(const byte* p, std::uint64_t limit) const noexcept {
    return std::uint64_t{load_le32(p)} + load_le32(p + 4) <= limit;
  }
  bool index_ok(std::uint32_t i, std::uint64_t limit, bool none_allowed) const noexcept {
    return (none_allowed && i == blob::none) || i < limit;
  }
  static bool zero(const byte* p, std::size_t n) noexcept {
    for (std::size_t i = 0; i < n; ++i)
      if (p[i] != 0) return false;
    return true;
  }

 private:
  bytes_view blob_;
};

inline result<void> check_header_prefix(bytes_view blob) noexcept {
  for (std::size_t i = 0; i < blob::magic.size(); ++i) {
    if (i == blob.size()) return make_error(errc::truncated, "magic", static_cast<std::uint32_t>(i));
    if (blob[i] != blob::magic[i]) return make_error(errc::bad_magic, "magic", static_cast<std::uint32_t>(i));
  }
  if (blob.size() < blob::at_version + 2) return make_error(errc::truncated, "format_version", blob::at_version);
  const auto v = load_le16(blob.data() + blob::at_version);
  if (v != blob::format_version) return make_error(errc::unsupported_version, "format_version", blob::at_version);
  if (blob.size() < blob::sections_end) return make_error(errc::truncated, "header", static_cast<std::uint32_t>(blob.size()));
  return success();
}

}  // namespace detail

namespace testing {
// Decodes with every structural check but WITHOUT the key lookup and MAC check. For
// fuzzing the decoder below the MAC and for tools that verified the bytes otherwise;
// never for blobs from an untrusted source.
inline result<compiled_policy> open_without_mac(bytes_view blob) noexcept {
  return detail::decode(blob, false, nullptr, 0);
}
}  // namespace testing

inline result<compiled_policy> detail::decode(bytes_view blob, bool check_mac, const capability::key_ring* keys,
                                              time_ns now) noexcept {
  using namespace blob;
  AUTHORITY_TRY_VOID(check_header_prefix(blob));
  const byte* h = blob.data();
  const blob_checker c{blob};
  const std::uint32_t total = load_le32(h + at_total_length);
  if (total > blob.size()) return c.fail(errc::truncated, "total_length", h + at_total_length);
  if (total < blob.size()) return c.fail(errc::trailing_bytes, "total_length", h + at_total_length);
  const byte flags = h[at_flags];
  if ((flags & ~flag_signed) != 0) return c.fail(errc::invalid_encoding, "flags", h + at_flags);
  const bool is_signed = (flags & flag_signed) != 0;
  const std::size_t trailer = mac_size + (is_signed ? signature_size : 0);
  if (total < sections_end + trailer) return c.fail(errc::truncated, "total_length", h + at_total_length);
  const std::size_t mac_at = total - mac_size;
  const std::size_t sections_stop = total - trailer;  // where the signature or the MAC starts

  if (check_mac) {
    auto slot = keys->for_verify(load_le32(h + at_key_id), now);
    if (!slot) return make_error(slot.error().code, "key_id", at_key_id);
    const auto mac = (*slot)->mac_key.mac(blob.first(mac_at));
    if (!crypto::verify_mac(mac, blob.subspan(mac_at, mac_size)))
      return make_error(errc::policy_mac, "mac", static_cast<std::uint32_t>(mac_at));
  }

  compiled_policy p;
  p.blob_ = blob;
  p.signed_ = is_signed;
  p.key_id_ = load_le32(h + at_key_id);
  p.revision_ = load_le64(h + at_revision);
  if (h[at_source_format] > 1) return c.fail(errc::invalid_encoding, "source_format", h + at_source_format);
  p.format_ = static_cast<source_format>(h[at_source_format]);
  if (load_le32(h + at_section_count) != section_count)
    return c.fail(errc::out_of_range, "section_count", h + at_section_count);

  std::size_t expected = sections_end;
  for (std::uint32_t i = 0; i < section_count; ++i) {
    const byte* e = h + header_size + i * section_entry_size;
    const std::uint32_t offset = load_le32(e + 4), length = load_le32(e + 8);
    if (load_le32(e) != i + 1) return c.fail(errc::invalid_encoding, "section id", e);
    if (offset != expected) return c.fail(errc::out_of_range, "section offset", e + 4);
    if (length > sections_stop - offset) return c.fail(errc::out_of_range, "section length", e + 8);
    if (length % record_size[i] != 0) return c.fail(errc::invalid_encoding, "section length", e + 8);
    p.sections_[i] = blob.subspan(offset, length);
    expected = std::size_t{offset} + length;
  }
  if (expected != sections_stop)
    return make_error(errc::trailing_bytes, "sections", static_cast<std::uint32_t>(expected));

  const auto strings_size = p.section(section::strings).size();
  auto string_ok = [&](const byte* ref) { return c.range_ok(ref, strings_size); };
  const std::uint32_t rules = p.count(section::rules), labels = p.count(section::labels),
                      nodes = p.count(section::trie_nodes), edges = p.count(section::trie_edges),
                      cidrs = p.count(section::cidr_nodes), list_entries = p.count(section::rule_lists);
  auto list_ok = [&](const byte* ref) { return c.range_ok(ref, list_entries); };

  if (labels == 0 || labels > max_labels) return c.fail(errc::out_of_range, "labels", p.section(section::labels).data());
  for (std::uint32_t i = 0; i < labels; ++i) {
    const byte* l = p.record(section::labels, i);
    if (!string_ok(l)) return c.fail(errc::out_of_range, "label", l);
  }
  if (p.label_name(0) != "untrusted") return c.fail(errc::invalid_encoding, "label", p.record(section::labels, 0));
  const label_set label_mask = labels == 64 ? ~label_set{0} : (label_set{1} << labels) - 1;

  for (std::uint32_t i = 0; i < rules; ++i) {
    const byte* r = p.record(section::rules, i);
    namespace f = rule_field;
    const auto kind = r[f::kind];
    if (kind >= rule_kind_count || r[f::origin] >= rule_origin_count || r[3] != 0 || load_le16(r + 6) != 0)
      return c.fail(errc::invalid_encoding, "rule", r);
    if (r[f::syntax] > 3 && r[f::syntax] != 0xff) return c.fail(errc::invalid_encoding, "rule syntax", r + f::syntax);
    const auto ops = load_le16(r + f::ops);
    if (ops == 0 || (ops & ~all_ops) != 0) return c.fail(errc::invalid_encoding, "rule ops", r + f::ops);
    for (auto at : {f::pattern, f::file, f::detail})
      if (!string_ok(r + at)) return c.fail(errc::out_of_range, "rule string", r + at);
    if (!c.index_ok(load_le32(r + f::ports), p.count(section::port_sets), true))
      return c.fail(errc::out_of_range, "rule ports", r + f::ports);
    if (!c.index_ok(load_le32(r + f::version), p.count(section::versions), true))
      return c.fail(errc::out_of_range, "rule version", r + f::version);
    const bool labelled = kind >= static_cast<byte>(rule_kind::source);
    if (labelled && ((load_le64(r + f::a) | load_le64(r + f::b)) & ~label_mask) != 0)
      return c.fail(errc::out_of_range, "rule labels", r + f::a);
  }

  if (p.section(section::budgets).size() != budget::resource_count * budget_size)
    return c.fail(errc::invalid_encoding, "budgets", p.section(section::budgets).data());
  for (std::uint32_t i = 0; i < budget::resource_count; ++i) {
    const byte* b = p.record(section::budgets, i);
    const bool has_amount = b[0] == static_cast<byte>(budget_state::amount);
    if (b[0] > 2 || !c.zero(b + 1, 7) || (!has_amount && load_le64(b + 8) != 0))
      return c.fail(errc::invalid_encoding, "budget", b);
  }
  const auto settings = p.section(section::settings);
  if (settings.size() != settings_size || settings[0] > 1 || settings[1] > 1 || !c.zero(settings.data() + 2, 6) ||
      (settings[0] == 0 && load_le64(settings.data() + 8) != 0))
    return c.fail(errc::invalid_encoding, "settings", settings.data());

  // Version constraints and port sets: non-empty ranges of their term / range records.
  const struct {
    section ranges, items;
    std::string_view field;
  } range_sections[] = {{section::versions, section::version_terms, "version"},
                        {section::port_sets, section::port_ranges, "port set"}};
  for (const auto& rs : range_sections)
    for (std::uint32_t i = 0; i < p.count(rs.ranges); ++i) {
      const byte* r = p.record(rs.ranges, i);
      if (load_le32(r + 4) == 0 || !c.range_ok(r, p.count(rs.items))) return c.fail(errc::out_of_range, rs.field, r);
    }
  for (std::uint32_t i = 0; i < p.count(section::version_terms); ++i) {
    const byte* t = p.record(section::version_terms, i);
    const auto parts = t[1];
    bool ok = t[0] < version_op_count && parts >= 1 && parts <= 3 && load_le16(t + 2) == 0;
    for (std::uint32_t k = 0; k < 3 && ok; ++k) {
      const auto part = load_le32(t + 4 + 4 * k);
      ok = k < parts ? part <= max_version_part : part == 0;
    }
    if (!ok) return c.fail(errc::invalid_encoding, "version term", t);
  }
  for (std::uint32_t i = 0; i < p.count(section::port_ranges); ++i) {
    const byte* r = p.record(section::port_ranges, i);
    const auto first = load_le16(r), last = load_le16(r + 2);
    if (first == 0 || first > last) return c.fail(errc::invalid_encoding, "port range", r);
  }

  for (std::uint32_t i = 0; i < list_entries; ++i) {
    const byte* e = p.record(section::rule_lists, i);
    if (load_le32(e) >= rules) return c.fail(errc::out_of_range, "rule list", e);
  }
  for (std::uint32_t i = 0; i < p.count(section::residuals); ++i) {
    const byte* r = p.record(section::residuals, i);
    if (!string_ok(r) || load_le32(r + 8) >= rules) return c.fail(errc::out_of_range, "residual", r);
  }
  for (std::uint32_t i = 0; i < edges; ++i) {
    const byte* e = p.record(section::trie_edges, i);
    if (!string_ok(e) || load_le32(e + 8) >= nodes) return c.fail(errc::out_of_range, "trie edge", e);
  }
  for (std::uint32_t i = 0; i < nodes; ++i) {
    const byte* n = p.record(section::trie_nodes, i);
    namespace f = node_field;
    const std::uint64_t edge_count = std::uint64_t{load_le32(n + f::literal_count)} + load_le32(n + f::wildcard_count);
    if (load_le32(n + f::edge_first) + edge_count > edges || !list_ok(n + f::terminal) || !list_ok(n + f::subtree) ||
        !c.range_ok(n + f::residual_first, p.count(section::residuals)))
      return c.fail(errc::out_of_range, "trie node", n);
    // Literal edges are sorted (binary search).
    const std::uint32_t first = load_le32(n + f::edge_first);
    for (std::uint32_t k = 1; k < load_le32(n + f::literal_count); ++k)
      if (!(p.string_at(p.record(section::trie_edges, first + k - 1)) <
            p.string_at(p.record(section::trie_edges, first + k))))
        return c.fail(errc::invalid_encoding, "trie edge order", p.record(section::trie_edges, first + k));
  }
  for (std::uint32_t i = 0; i < cidrs; ++i) {
    const byte* n = p.record(section::cidr_nodes, i);
    for (std::size_t k = 0; k < 2; ++k) {
      const auto child = load_le32(n + 4 * k);
      if (child != none && (child >= cidrs || child <= i)) return c.fail(errc::out_of_range, "cidr node", n + 4 * k);
    }
    if (!list_ok(n + 8)) return c.fail(errc::out_of_range, "cidr node", n + 8);
  }

  if (p.section(section::ops).size() != op_count * op_index_size)
    return c.fail(errc::invalid_encoding, "ops", p.section(section::ops).data());
  for (std::uint32_t o = 0; o < op_count; ++o) {
    const byte* x = p.record(section::ops, o);
    namespace f = op_field;
    for (auto at : {f::cidr4_root, f::cidr6_root})
      if (!c.index_ok(load_le32(x + at), cidrs, true)) return c.fail(errc::out_of_range, "op cidr root", x + at);
    if (!list_ok(x + f::any_ip) || !list_ok(x + f::global)) return c.fail(errc::out_of_range, "op list", x);
    const std::uint32_t root = load_le32(x + f::trie_root), count = load_le32(x + f::trie_nodes);
    if (root == none) {
      if (count != 0) return c.fail(errc::invalid_encoding, "op trie", x);
      continue;
    }
    if (count == 0 || std::uint64_t{root} + count > nodes) return c.fail(errc::out_of_range, "op trie", x);
    // A tree in breadth-first order: node k's edges follow node k-1's, and edge j of the
    // trie leads to node root+1+j, always forward. So each node has one parent and no
    // walk can revisit a node (evaluation work stays bounded by the trie's size).
    std::uint32_t next_edge = load_le32(p.record(section::trie_nodes, root) + node_field::edge_first);
    const std::uint32_t first_edge = next_edge;
    for (std::uint32_t k = 0; k < count; ++k) {
      const byte* n = p.record(section::trie_nodes, root + k);
      if (load_le32(n + node_field::edge_first) != next_edge) return c.fail(errc::invalid_encoding, "trie order", n);
      const std::uint32_t out = load_le32(n + node_field::literal_count) + load_le32(n + node_field::wildcard_count);
      for (std::uint32_t e = next_edge; e < next_edge + out; ++e) {
        const std::uint32_t child = load_le32(p.record(section::trie_edges, e) + 8);
        if (child != root + 1 + (e - first_edge) || child <= root + k || child >= root + count)
          return c.fail(errc::invalid_encoding, "trie shape", p.record(section::trie_edges, e) + 8);
      }
      next_edge += out;
    }
    if (next_edge - first_edge != count - 1) return c.fail(errc::invalid_encoding, "trie shape", x);
  }

  p.hash_ = crypto::sha256::hash(blob);
  return p;
}

// ---- accessors -----------------------------------------------------------------------

inline rule_info compiled_policy::rule(std::uint32_t index) const noexcept {
  rule_info info;
  if (index >= rule_count()) return info;
  const byte* r = record(blob::section::rules, index);
  namespace f = blob::rule_field;
  info.kind = static_cast<rule_kind>(r[f::kind]);
  info.origin = static_cast<rule_origin>(r[f::origin]);
  info.ops = load_le16(r + f::ops);
  if (r[f::syntax] != 0xff) info.syntax = static_cast<pattern::syntax>(r[f::syntax]);
  info.pattern = string_at(r + f::pattern);
  info.file = string_at(r + f::file);
  info.line = load_le32(r + f::line);
  info.column = load_le32(r + f::column);
  info.detail = string_at(r + f::detail);
  info.specificity = load_le64(r + f::specificity);
  const auto a = load_le64(r + f::a);
  if (info.kind == rule_kind::allow && info.origin == rule_origin::infer_model && a != blob::no_max_tokens)
    info.max_tokens = a;
  if (info.kind >= rule_kind::source) {
    info.labels = a;
    info.adds = load_le64(r + f::b);
  }
  return info;
}

inline budget_limit compiled_policy::budget(budget::resource r) const noexcept {
  const auto i = static_cast<std::uint32_t>(r);
  if (!valid() || i >= budget::resource_count) return {};
  const byte* b = record(blob::section::budgets, i);
  return {static_cast<blob::budget_state>(b[0]), load_le64(b + 8)};
}

inline std::optional<std::uint64_t> compiled_policy::max_tokens() const noexcept {
  if (!valid() || section(blob::section::settings)[0] == 0) return std::nullopt;
  return load_le64(section(blob::section::settings).data() + 8);
}

inline bool compiled_policy::spawn_sandbox() const noexcept {
  return valid() && section(blob::section::settings)[1] != 0;
}

inline std::string_view compiled_policy::label_name(std::size_t i) const noexcept {
  if (i >= label_count()) return {};
  return string_at(record(blob::section::labels, static_cast<std::uint32_t>(i)));
}

inline std::optional<std::size_t> compiled_policy::label_from_name(std::string_view name) const noexcept {
  for (std::size_t i = 0; i < label_count(); ++i)
    if (label_name(i) == name) return i;
  return std::nullopt;
}

// ---- matching ------------------------------------------------------------------------

namespace detail {

// Target walkers for the tries: each yields segments from a position and says what is
// left. Paths go left to right by '/' ("/" is one empty segment), hosts right to left
// by label, names are one segment.
struct path_segments {
  std::string_view text;
  std::uint32_t start() const noexcept { return 0; }
  bool exhausted(std::uint32_t pos) const noexcept { return pos == text.size(); }
  std::string_view next(std::uint32_t& pos) const noexcept {
    const std::size_t from = std::size_t{pos} + 1;
    std::size_t end = from;
    while (end < text.size() && text[end] != '/') ++end;
    pos = static_cast<std::uint32_t>(end);
    return {text.data() + from, end - from};
  }
  std::string_view remaining(std::uint32_t pos) const noexcept { return {text.data() + pos, text.size() - pos}; }
};

struct host_segments {  // `text` is lower case, without a trailing dot
  std::string_view text;
  std::uint32_t start() const noexcept { return static_cast<std::uint32_t>(text.size()); }
  bool exhausted(std::uint32_t pos) const noexcept { return pos == 0; }
  std::string_view next(std::uint32_t& pos) const noexcept {
    std::size_t from = pos;
    while (from > 0 && text[from - 1] != '.') --from;
    const std::string_view label{text.data() + from, pos - from};
    pos = static_cast<std::uint32_t>(from == 0 ? 0 : from - 1);
    return label;
  }
  std::string_view remaining(std::uint32_t pos) const noexcept { return {text.data(), pos}; }
};

struct name_segments {
  std::string_view text;
  std::uint32_t start() const noexcept { return 0; }
  bool exhausted(std::uint32_t pos) const noexcept { return pos == text.size(); }
  std::string_view next(std::uint32_t& pos) const noexcept {
    pos = static_cast<std::uint32_t>(text.size());
    return text;
  }
  std::string_view remaining(std::uint32_t pos) const noexcept { return {text.data() + pos, text.size() - pos}; }
};

// Wildcard branches a trie walk may keep pending; past it the request is denied
// (too_complex) rather than decided on a partial walk.
inline constexpr std::size_t max_walk_branches = 64;

struct accumulator {
  std::uint32_t allow = no_rule, deny = no_rule, sink = no_rule;
  pattern::specificity_t allow_spec = 0, deny_spec = 0, sink_spec = 0;
  label_set sources = 0, removes = 0, adds = 0;

  static void keep_best(std::uint32_t& best, pattern::specificity_t& best_spec, std::uint32_t rule,
                        pattern::specificity_t spec) noexcept {
    if (best == no_rule || spec > best_spec || (spec == best_spec && rule < best)) {
      best = rule;
      best_spec = spec;
    }
  }
};

}  // namespace detail

inline bool compiled_policy::rule_applies(std::uint32_t rule, const match_context& m) const noexcept {
  const byte* r = record(blob::section::rules, rule);
  if (m.has_port) {
    const auto ports = load_le32(r + blob::rule_field::ports);
    if (ports != blob::none) {
      const byte* set = record(blob::section::port_sets, ports);
      const std::uint32_t first = load_le32(set), n = load_le32(set + 4);
      bool inside = false;
      for (std::uint32_t k = 0; k < n && !inside; ++k) {
        const byte* range = record(blob::section::port_ranges, first + k);
        inside = load_le16(range) <= m.port && m.port <= load_le16(range + 2);
      }
      if (!inside) return false;
    }
  }
  const auto constraint = load_le32(r + blob::rule_field::version);
  if (constraint != blob::none) {
    const bool is_deny = r[blob::rule_field::kind] == static_cast<byte>(rule_kind::deny);
    if (!m.version_known) return is_deny;  // unknown versions: allows fail, denies hold
    const byte* v = record(blob::section::versions, constraint);
    const std::uint32_t first = load_le32(v), n = load_le32(v + 4);
    for (std::uint32_t k = 0; k < n; ++k) {
      const byte* t = record(blob::section::version_terms, first + k);
      version_term term;
      term.op = static_cast<version_op>(t[0]);
      term.v.parts = t[1];
      for (std::size_t j = 0; j < 3; ++j) term.v.part[j] = load_le32(t + 4 + 4 * j);
      if (!satisfies(m.tool_version, term)) return false;
    }
  }
  return true;
}

template <class F>
void compiled_policy::visit_list(const byte* list, const match_context& m, F& f) const noexcept {
  const std::uint32_t first = load_le32(list), n = load_le32(list + 4);
  for (std::uint32_t k = 0; k < n; ++k) {
    const std::uint32_t rule = load_le32(record(blob::section::rule_lists, first + k));
    if (rule_applies(rule, m)) f(rule);
  }
}

template <class Segments, class F>
bool compiled_policy::walk_trie(std::uint32_t op_index, Segments segments, pattern::glob_flavor flavor,
                                const match_context& m, F& f) const noexcept {
  const std::uint32_t root = load_le32(record(blob::section::ops, op_index) + blob::op_field::trie_root);
  if (root == blob::none) return true;
  struct pending {
    std::uint32_t node, pos;
  };
  pending stack[detail::max_walk_branches];
  std::size_t depth = 0;
  stack[depth++] = {root, segments.start()};
  while (depth > 0) {
    const auto [node, pos] = stack[--depth];
    const byte* n = record(blob::section::trie_nodes, node);
    namespace nf = blob::node_field;
    visit_list(n + nf::subtree, m, f);
    const std::uint32_t residuals = load_le32(n + nf::residual_count);
    if (residuals != 0) {
      const auto rest = segments.remaining(pos);
      const std::uint32_t first = load_le32(n + nf::residual_first);
      for (std::uint32_t k = 0; k < residuals; ++k) {
        const byte* res = record(blob::section::residuals, first + k);
        const std::uint32_t rule = load_le32(res + 8);
        if (pattern::glob_match(string_at(res), rest, flavor) && rule_applies(rule, m)) f(rule);
      }
    }
    if (segments.exhausted(pos)) {
      visit_list(n + nf::terminal, m, f);
      continue;
    }
    std::uint32_t next = pos;
    const std::string_view segment = segments.next(next);
    const std::uint32_t edge_first = load_le32(n + nf::edge_first);
    std::uint32_t lo = edge_first, hi = edge_first + load_le32(n + nf::literal_count);
    while (lo < hi) {  // the literal edge equal to `segment`, if any
      const std::uint32_t mid = lo + (hi - lo) / 2;
      const byte* e = record(blob::section::trie_edges, mid);
      const int cmp = string_at(e).compare(segment);
      if (cmp == 0) {
        if (depth == detail::max_walk_branches) return false;
        stack[depth++] = {load_le32(e + 8), next};
        break;
      }
      if (cmp < 0) lo = mid + 1;
      else hi = mid;
    }
    const std::uint32_t wild_first = edge_first + load_le32(n + nf::literal_count);
    const std::uint32_t wild_end = wild_first + load_le32(n + nf::wildcard_count);
    for (std::uint32_t k = wild_first; k < wild_end; ++k) {
      const byte* e = record(blob::section::trie_edges, k);
      if (!pattern::glob_match(string_at(e), segment, pattern::glob_flavor::path)) continue;
      if (depth == detail::max_walk_branches) return false;
      stack[depth++] = {load_le32(e + 8), next};
    }
  }
  return true;
}

template <class F>
void compiled_policy::walk_cidr(std::uint32_t root, const pattern::ip_address& a, const match_context& m,
                                F& f) const noexcept {
  std::uint32_t node = root;
  for (std::size_t depth = 0; node != blob::none; ++depth) {
    const byte* n = record(blob::section::cidr_nodes, node);
    visit_list(n + 8, m, f);
    if (depth == a.bit_length()) break;
    node = load_le32(n + (a.bit(depth) ? 4 : 0));
  }
}

template <class F>
result<void> compiled_policy::for_each_match(const request& r, F&& f) const noexcept {
  if (!valid()) return make_error(errc::no_policy);
  const auto op_index = static_cast<std::uint32_t>(r.kind);
  if (op_index >= op_count) return make_error(errc::invalid_argument, "op");
  match_context m;
  m.kind = r.kind;
  const auto syntax = target_syntax(r.kind);
  if (syntax != pattern::syntax::net && r.target_checked != syntax)
    AUTHORITY_TRY(pattern::validate_target(syntax, r.target));
  if (r.kind == op::tool_call && !r.version.empty()) {
    auto v = parse_version(r.version);
    m.version_known = v.ok();
    if (v) m.tool_version = *v;
  }
  const byte* index = record(blob::section::ops, op_index);
  bool complete = true;
  switch (syntax) {
    case pattern::syntax::path:
      complete = walk_trie(op_index, detail::path_segments{r.target}, pattern::glob_flavor::path, m, f);
      break;
    case pattern::syntax::name:
      complete = walk_trie(op_index, detail::name_segments{r.target}, pattern::glob_flavor::name, m, f);
      break;
    case pattern::syntax::host:
    case pattern::syntax::net: {
      std::string_view host = r.target;
      if (syntax == pattern::syntax::net) {
        AUTHORITY_TRY_ASSIGN(const auto target, pattern::parse_net_target(r.target));
        m.has_port = true;
        m.port = target.port;
        if (target.kind == pattern::net_kind::ip) {
          visit_list(index + blob::op_field::any_ip, m, f);
          const auto root = load_le32(index + (target.address.family == pattern::ip_family::v4
                                                   ? blob::op_field::cidr4_root
                                                   : blob::op_field::cidr6_root));
          walk_cidr(root, target.address, m, f);
          break;
        }
        host = target.host;
      }
      host = pattern::without_trailing_dot(host);
      char lower[pattern::max_hostname_length];
      for (std::size_t i = 0; i < host.size(); ++i) lower[i] = pattern::ascii_lower(host[i]);
      complete = walk_trie(op_index, detail::host_segments{{lower, host.size()}}, pattern::glob_flavor::name, m, f);
      break;
    }
  }
  if (!complete) return make_error(errc::too_complex, "policy walk");
  visit_list(index + blob::op_field::global, m, f);
  return success();
}

inline decision compiled_policy::evaluate(const request& r) const noexcept {
  if (!valid()) return {};
  detail::accumulator acc;
  auto collect = [&](std::uint32_t rule) {
    const byte* x = record(blob::section::rules, rule);
    const auto spec = load_le64(x + blob::rule_field::specificity);
    switch (static_cast<rule_kind>(x[blob::rule_field::kind])) {
      case rule_kind::allow: detail::accumulator::keep_best(acc.allow, acc.allow_spec, rule, spec); break;
      case rule_kind::deny: detail::accumulator::keep_best(acc.deny, acc.deny_spec, rule, spec); break;
      case rule_kind::source: acc.sources |= load_le64(x + blob::rule_field::a); break;
      case rule_kind::sink:
        if ((load_le64(x + blob::rule_field::a) & r.labels) != 0)
          detail::accumulator::keep_best(acc.sink, acc.sink_spec, rule, spec);
        break;
      case rule_kind::sanitizer:
        acc.removes |= load_le64(x + blob::rule_field::a);
        acc.adds |= load_le64(x + blob::rule_field::b);
        break;
    }
  };
  if (auto walked = for_each_match(r, collect); !walked) return {false, walked.code(), no_rule, 0};
  if (acc.deny != no_rule) return {false, errc::denied_by_rule, acc.deny, 0};
  if (acc.allow == no_rule) return {false, errc::not_allowed, no_rule, 0};
  if (r.kind == op::infer) {
    const auto own = load_le64(record(blob::section::rules, acc.allow) + blob::rule_field::a);
    const auto policy_wide = max_tokens();
    if (r.tokens > own || (policy_wide && r.tokens > *policy_wide))
      return {false, errc::limit_exceeded, acc.allow, 0};
  }
  if (acc.sink != no_rule) return {false, errc::taint_violation, acc.sink, 0};
  const label_set labels = ((r.labels | acc.sources) & ~acc.removes) | acc.adds;
  return {true, errc::ok, acc.allow, labels};
}

}  // namespace authority::policy
