// Verifying a capability against an access (INV-2), in a fixed order with one error
// code per failure:
//   decode → key id (unknown → key_unknown; retired past grace → key_expired)
//   → MAC (constant time) → TTL → revocation → type → resource → method → run → rate.
// Only the MAC chain is expensive; a cache of tokens whose MAC already verified (keyed
// by their exact bytes and the key ring's generation) makes the warm path cheap. Every
// other check runs on every call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "authority/capability/key_ring.hpp"
#include "authority/capability/mac.hpp"
#include "authority/capability/rate_limit.hpp"
#include "authority/capability/revocation.hpp"
#include "authority/capability/wire.hpp"
#include "authority/crypto/ct.hpp"

namespace authority::capability {

// What an effect needs: a type, a canonical target, a method (bit index within the
// type's methods) and the run the request comes from (zero = none).
struct access_request {
  cap_type type = cap_type::fs;
  std::string_view target{};
  std::uint8_t method = 0;
  id128 run_id{};
  // Set by a caller that has validated `target` in this syntax already (the gate, which
  // canonicalizes every target first): the verifier does not check it again.
  std::optional<pattern::syntax> target_checked{};
};

// Tokens whose MAC chain has been verified, by exact bytes. Direct-mapped, indexed by
// the token's final MAC.
inline constexpr std::size_t max_cached_token_size = 1024;
struct verified_slot {
  std::uint64_t generation = 0;
  std::uint16_t size = 0;  // 0 = empty
  byte bytes[max_cached_token_size]{};
  crypto::digest wire_hash{};  // SHA-256 of bytes (verifier::wire_hash)
};

class verified_cache {
 public:
  explicit verified_cache(std::span<verified_slot> storage) noexcept : slots_(storage) {
    for (auto& s : slots_) s.size = 0;
  }

  // The slot holding exactly these bytes, verified under this key generation, or null.
  const verified_slot* find(bytes_view wire, std::uint64_t generation) const noexcept {
    const auto i = index_for(wire);
    if (i == npos) return nullptr;
    const auto& s = slots_[i];
    if (s.size != wire.size() || s.generation != generation) return nullptr;
    // The body is compared as public bytes; the MAC of a token that verified is a bearer
    // secret, compared in constant time: with an early-exit memcmp (a byte loop on the
    // bare-metal port) the time would tell a forger how much of their MAC matched
    // (tests/constant_time/).
    const std::size_t body = wire.size() - 32;
    const bool same = __builtin_memcmp(s.bytes, wire.data(), body) == 0 &&
                      crypto::ct_equal(bytes_view{s.bytes + body, 32}, wire.last(32));
    return same ? &s : nullptr;
  }

  void insert(bytes_view wire, std::uint64_t generation, const crypto::digest& wire_hash) noexcept {
    const auto i = index_for(wire);
    if (i == npos) return;
    auto& s = slots_[i];
    copy_bytes(s.bytes, wire.data(), wire.size());
    s.size = static_cast<std::uint16_t>(wire.size());
    s.generation = generation;
    s.wire_hash = wire_hash;
  }

 private:
  static constexpr std::size_t npos = ~std::size_t{0};
  std::size_t index_for(bytes_view wire) const noexcept {
    if (slots_.empty() || wire.size() < 32 || wire.size() > max_cached_token_size) return npos;
    return static_cast<std::size_t>(load_le64(wire.data() + wire.size() - 32) % slots_.size());
  }
  std::span<verified_slot> slots_;
};

class verifier {
 public:
  // `rates` and `cache` are optional: without a rate limiter nothing is consumed
  // (inspection), without a cache every MAC is recomputed.
  verifier(const key_ring& keys, const revocation_list& revoked, rate_limiter* rates = nullptr,
           verified_cache* cache = nullptr) noexcept
      : keys_(keys), revoked_(revoked), rates_(rates), cache_(cache) {}

  // How far in the future an issued-at time may lie (clocks of issuer and verifier differ).
  time_ns max_clock_skew = 5 * ns_per_s;

  // The full check of a token's binary form against an access. `out` receives the
  // decoded token as a view into `wire` (also on success, for the caller's audit record).
  result<void> verify(bytes_view wire, const access_request& access, time_ns now, token_view& out) noexcept {
    return verify_hashing(wire, access, now, out, nullptr);
  }

  // As above, and `wire_hash` = SHA-256(wire) whatever the outcome (the gate's request
  // hash commits to it): from the verified cache when the token is known, else computed.
  result<void> verify(bytes_view wire, const access_request& access, time_ns now, token_view& out,
                      crypto::digest& wire_hash) noexcept {
    return verify_hashing(wire, access, now, out, &wire_hash);
  }

  // SHA-256 of a token's binary form (the gate's request hash commits to it): from the
  // verified cache when these bytes verified before, else computed.
  crypto::digest wire_hash(bytes_view wire) const noexcept {
    if (cache_ != nullptr)
      if (const verified_slot* known = cache_->find(wire, keys_.generation())) return known->wire_hash;
    return crypto::sha256::hash(wire);
  }

  // As above, with an owning copy of the token in `out` (as far as decoding got).
  result<void> verify(bytes_view wire, const access_request& access, time_ns now, token& out) noexcept {
    token_view v;
    auto r = verify(wire, access, now, v);
    materialize(v, out);
    return r;
  }

  // The text form; `out` is an owning copy because the binary bytes are temporary.
  result<void> verify_text(std::string_view text, const access_request& access, time_ns now, token& out) noexcept {
    byte buf[max_token_size];
    const auto wire = AUTHORITY_TRY(text_to_binary(text, buf));
    return verify(wire, access, now, out);
  }

  // Key and MAC of a token held in memory (re-encodes it).
  result<void> check_authentic(const token& t, time_ns now) const noexcept {
    const key_slot* key = AUTHORITY_TRY(keys_.for_verify(t.key_id, now));
    const auto expected = AUTHORITY_TRY(compute_mac(key->mac_key, t));
    if (!crypto::verify_mac(expected, t.mac)) return make_error(errc::bad_mac, "mac");
    return success();
  }

  // TTL (with caveats) and revocation.
  result<void> check_live(const token_view& t, const id128& requesting_run, time_ns now) const noexcept {
    const std::uint64_t now_ms = now / ns_per_ms;
    if (t.issued_at_ms > (now + max_clock_skew) / ns_per_ms) return make_error(errc::token_not_yet_valid, "issued_at");
    if (now_ms >= t.expires_at_ms()) return make_error(errc::token_expired, "ttl");
    if (now_ms >= t.effective_expiry_ms()) return make_error(errc::token_expired, "caveat");
    if (revoked_.revokes(t, requesting_run)) return make_error(errc::revoked, "token_id");
    return success();
  }

  // Type → resource → method → run binding, each including the holder's caveats.
  result<void> check_scope(const token_view& t, const access_request& a) const noexcept {
    return check_scope(t, a, patterns::unchecked);
  }

  const key_ring& keys() const noexcept { return keys_; }
  const revocation_list& revocations() const noexcept { return revoked_; }

 private:
  result<void> verify_hashing(bytes_view wire, const access_request& access, time_ns now, token_view& out,
                              crypto::digest* wire_hash) noexcept {
    // Bytes in the cache decoded and verified before (under the same keys): decoding them
    // again cannot fail, so their patterns need no validation and their MAC no recomputing.
    // The key is still looked up, because a key's grace period ends with time.
    const verified_slot* known = cache_ != nullptr ? cache_->find(wire, keys_.generation()) : nullptr;
    if (wire_hash != nullptr) *wire_hash = known != nullptr ? known->wire_hash : crypto::sha256::hash(wire);
    wire_layout layout;
    const auto check = known ? wire_detail::pattern_check::known_valid : wire_detail::pattern_check::validate;
    AUTHORITY_TRY(wire_detail::decode(wire, out, known ? nullptr : &layout, check));
    AUTHORITY_TRY(check_mac(wire, layout, out, now, known != nullptr, wire_hash));
    AUTHORITY_TRY(check_live(out, access.run_id, now));
    AUTHORITY_TRY(check_scope(out, access, patterns::validated));
    if (rates_ != nullptr) AUTHORITY_TRY(rates_->consume(out, now));
    return success();
  }

  // validated: the view was decoded, which validated its resource patterns, so only the
  // target is checked, once (an invalid target is covered by no pattern).
  enum class patterns : bool { unchecked, validated };

  result<void> check_scope(const token_view& t, const access_request& a, patterns p) const noexcept {
    if (t.type != a.type) return make_error(errc::wrong_type, "type");
    const auto syntax = find_type(t.type)->resource_syntax;
    const bool validated = p == patterns::validated;
    const bool lookup = is_name_lookup(t.type, a.method);
    if (validated && !lookup && a.target_checked != syntax && !pattern::validate_target(syntax, a.target).ok())
      return make_error(errc::resource_not_covered, "resource");
    const auto covers = [&](std::string_view pat) {
      if (lookup) return pattern::covers_lookup(pat, a.target);
      return validated ? pattern::matches_valid(syntax, pat, a.target) : pattern::matches(syntax, pat, a.target);
    };
    if (!covers(t.resource)) return make_error(errc::resource_not_covered, "resource");
    for (const auto& c : t.caveats)
      if (c.kind == caveat_kind::resource && !covers(c.pattern)) return make_error(errc::resource_not_covered, "caveat");
    if (!t.methods.contains(a.method)) return make_error(errc::method_not_allowed, "methods");
    for (const auto& c : t.caveats)
      if (c.kind == caveat_kind::methods && !method_set::of(static_cast<std::uint32_t>(c.value)).contains(a.method))
        return make_error(errc::method_not_allowed, "caveat");
    if (t.bound_to_run() && t.run_id != a.run_id) return make_error(errc::run_mismatch, "run_id");
    for (const auto& c : t.caveats)
      if (c.kind == caveat_kind::bind_run && c.run != a.run_id) return make_error(errc::run_mismatch, "caveat");
    return success();
  }

  result<void> check_mac(bytes_view wire, const wire_layout& layout, const token_view& t, time_ns now, bool known,
                         const crypto::digest* wire_hash) noexcept {
    const key_slot* key = AUTHORITY_TRY(keys_.for_verify(t.key_id, now));
    if (known) return success();
    const auto expected = compute_mac(key->mac_key, wire, layout, t.caveats.size());
    if (!crypto::verify_mac(expected, t.mac)) return make_error(errc::bad_mac, "mac");
    if (cache_ != nullptr) cache_->insert(wire, keys_.generation(), wire_hash ? *wire_hash : crypto::sha256::hash(wire));
    return success();
  }

  const key_ring& keys_;
  const revocation_list& revoked_;
  rate_limiter* rates_;
  verified_cache* cache_;
};

}  // namespace authority::capability
