// The capability token (INV-2): what it grants, to whom, for how long, how often, and
// the chain of MACs that proves the issuer minted it and holders only narrowed it.
#pragma once

#include <cstddef>
#include <cstdint>

#include "authority/capability/types.hpp"
#include "authority/core/bytes.hpp"
#include "authority/core/clock.hpp"
#include "authority/core/static_vector.hpp"
#include "authority/crypto/sha256.hpp"

namespace authority::capability {

inline constexpr std::uint8_t token_version = 1;
inline constexpr std::size_t max_resource_size = 256;
inline constexpr std::size_t max_depth = 8;     // delegation chain length (root = 0)
inline constexpr std::size_t max_caveats = 8;   // holder-side caveats
inline constexpr std::size_t max_token_size = 4096;

using id128 = byte_array<16>;
using mac_bytes = crypto::digest;

constexpr bool is_zero(const id128& id) noexcept { return all_zero(id); }

// Token bucket parameters: at most `count` uses in any `window_ms`, refilled smoothly
// (no 2× burst at window edges). Absent = no rate limit, stated explicitly.
struct rate_limit {
  bool limited = false;
  std::uint32_t count = 0;      // ≥ 1 when limited
  std::uint64_t window_ms = 0;  // ≥ 1 when limited

  static constexpr rate_limit unlimited() noexcept { return {}; }
  static constexpr rate_limit per(std::uint32_t n, std::uint64_t window) noexcept { return {true, n, window}; }

  // Is *this at least as strict as `other`: no more uses per unit time and no larger burst?
  constexpr bool no_looser_than(const rate_limit& other) const noexcept {
    if (!other.limited) return true;
    if (!limited) return false;
    // count / window ≤ other.count / other.window, cross-multiplied in 128 bits.
    const unsigned __int128 lhs = static_cast<unsigned __int128>(count) * other.window_ms;
    const unsigned __int128 rhs = static_cast<unsigned __int128>(other.count) * window_ms;
    return count <= other.count && lhs <= rhs;
  }
  constexpr bool operator==(const rate_limit&) const = default;
};

// One link of the delegation chain: an ancestor's id and its rate limit, so that a
// child's uses also count against every ancestor's bucket.
struct ancestor {
  id128 token_id{};
  rate_limit rate{};
  constexpr bool operator==(const ancestor&) const = default;
};

// Holder-side restrictions, appended without the issuer's key (macaroon style). Each
// can only narrow: the verifier requires every caveat to hold in addition to the token.
enum class caveat_kind : std::uint8_t {
  expires_before = 1,  // value: absolute time in ms since the epoch
  resource = 2,        // pattern: the target must also match this pattern
  methods = 3,         // value: bit set; the method must also be in it
  bind_run = 4,        // run: the request must come from this run
};
inline constexpr std::uint8_t caveat_kind_max = 4;

struct caveat {
  caveat_kind kind = caveat_kind::expires_before;
  std::uint64_t value = 0;
  static_string<max_resource_size> pattern{};
  id128 run{};
  constexpr bool operator==(const caveat&) const = default;
};

struct token {
  std::uint8_t version = token_version;
  std::uint32_t key_id = 0;
  cap_type type = cap_type::fs;
  method_set methods{};
  static_string<max_resource_size> resource{};
  std::uint64_t issued_at_ms = 0;
  std::uint64_t ttl_ms = 0;  // valid while now < issued_at + ttl; 0 is never valid
  rate_limit rate{};
  id128 run_id{};            // all zero = not bound to a run
  id128 token_id{};
  static_vector<ancestor, max_depth> lineage{};  // root first; parent last
  static_vector<caveat, max_caveats> caveats{};
  mac_bytes mac{};

  constexpr std::size_t depth() const noexcept { return lineage.size(); }
  constexpr bool bound_to_run() const noexcept { return !is_zero(run_id); }
  constexpr std::uint64_t expires_at_ms() const noexcept {
    const std::uint64_t e = issued_at_ms + ttl_ms;
    return e < issued_at_ms ? ~std::uint64_t{0} : e;
  }
  // Expiry including holder caveats.
  constexpr std::uint64_t effective_expiry_ms() const noexcept {
    std::uint64_t e = expires_at_ms();
    for (const auto& c : caveats)
      if (c.kind == caveat_kind::expires_before && c.value < e) e = c.value;
    return e;
  }
  constexpr bool operator==(const token&) const = default;
};

// A decoded token that points into the bytes it was decoded from (or into a `token`):
// what the verifier works on, so that checking a token copies no strings. Valid only
// while those bytes live.
struct caveat_view {
  caveat_kind kind = caveat_kind::expires_before;
  std::uint64_t value = 0;
  std::string_view pattern{};
  id128 run{};
};

struct token_view {
  std::uint8_t version = token_version;
  std::uint32_t key_id = 0;
  cap_type type = cap_type::fs;
  method_set methods{};
  std::string_view resource{};
  std::uint64_t issued_at_ms = 0;
  std::uint64_t ttl_ms = 0;
  rate_limit rate{};
  id128 run_id{};
  id128 token_id{};
  static_vector<ancestor, max_depth> lineage{};
  static_vector<caveat_view, max_caveats> caveats{};
  mac_bytes mac{};

  constexpr std::size_t depth() const noexcept { return lineage.size(); }
  constexpr bool bound_to_run() const noexcept { return !is_zero(run_id); }
  constexpr std::uint64_t expires_at_ms() const noexcept {
    const std::uint64_t e = issued_at_ms + ttl_ms;
    return e < issued_at_ms ? ~std::uint64_t{0} : e;
  }
  constexpr std::uint64_t effective_expiry_ms() const noexcept {
    std::uint64_t e = expires_at_ms();
    for (const auto& c : caveats)
      if (c.kind == caveat_kind::expires_before && c.value < e) e = c.value;
    return e;
  }
};

constexpr void view_of(const token& t, token_view& v) noexcept {
  v.version = t.version;
  v.key_id = t.key_id;
  v.type = t.type;
  v.methods = t.methods;
  v.resource = t.resource.view();
  v.issued_at_ms = t.issued_at_ms;
  v.ttl_ms = t.ttl_ms;
  v.rate = t.rate;
  v.run_id = t.run_id;
  v.token_id = t.token_id;
  v.lineage = t.lineage;
  v.caveats.clear();
  for (const auto& c : t.caveats) (void)v.caveats.push_back(caveat_view{c.kind, c.value, c.pattern.view(), c.run});
  v.mac = t.mac;
}

// An owning copy of a view (fields were validated when the view was decoded).
constexpr void materialize(const token_view& v, token& t) noexcept {
  t.version = v.version;
  t.key_id = v.key_id;
  t.type = v.type;
  t.methods = v.methods;
  t.resource = static_string<max_resource_size>::from(v.resource).value_or(static_string<max_resource_size>{});
  t.issued_at_ms = v.issued_at_ms;
  t.ttl_ms = v.ttl_ms;
  t.rate = v.rate;
  t.run_id = v.run_id;
  t.token_id = v.token_id;
  t.lineage = v.lineage;
  t.caveats.clear();
  for (const auto& c : v.caveats) {
    caveat owned;
    owned.kind = c.kind;
    owned.value = c.value;
    owned.pattern = static_string<max_resource_size>::from(c.pattern).value_or(static_string<max_resource_size>{});
    owned.run = c.run;
    (void)t.caveats.push_back(owned);
  }
  t.mac = v.mac;
}

}  // namespace authority::capability
