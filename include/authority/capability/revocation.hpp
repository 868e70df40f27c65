// Revocation (INV-2): by full 128-bit token id, and by run id. A token carries its whole
// lineage (root … parent), so revoking a token revokes everything delegated from it:
// the check looks up the token, each ancestor and the run — at most max_depth + 3
// lookups, O(1). The list can be saved and loaded, authenticated with an HMAC key so
// that editing the file cannot un-revoke anything.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "authority/capability/token.hpp"
#include "authority/core/encoding.hpp"
#include "authority/crypto/hmac.hpp"

namespace authority::capability {

enum class revocation_kind : std::uint8_t { token = 1, run = 2 };

struct revocation_slot {
  revocation_kind kind{};  // 0 = empty
  id128 id{};
};

inline std::uint64_t id_hash(const id128& id, revocation_kind kind) noexcept {
  // Ids are random (minted from the port's entropy); fold and mix so run ids chosen by
  // callers still spread.
  std::uint64_t x = load_le64(id.data()) ^ (load_le64(id.data() + 8) * 0x9e3779b97f4a7c15ull);
  x ^= static_cast<std::uint64_t>(kind) << 56;
  x ^= x >> 31;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 29;
  return x;
}

// Open addressing over caller-provided storage (a power of two), filled to at most 3/4.
// Entries are never removed: a revocation is permanent.
class revocation_list {
 public:
  explicit revocation_list(std::span<revocation_slot> storage) noexcept : slots_(storage) {
    for (auto& s : slots_) s = {};
  }

  std::size_t size() const noexcept { return count_; }
  std::size_t capacity() const noexcept { return slots_.size() / 4 * 3; }

  result<void> revoke(revocation_kind kind, const id128& id) noexcept {
    if (slots_.empty() || (slots_.size() & (slots_.size() - 1)) != 0)
      return make_error(errc::invalid_argument, "revocation storage");
    if (contains(kind, id)) return success();
    if (count_ + 1 > capacity()) return make_error(errc::capacity_exceeded, "revocation list");
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = id_hash(id, kind) & mask;; i = (i + 1) & mask) {
      if (slots_[i].kind == revocation_kind{}) {
        slots_[i] = {kind, id};
        ++count_;
        return success();
      }
    }
  }
  result<void> revoke_token(const id128& id) noexcept { return revoke(revocation_kind::token, id); }
  result<void> revoke_run(const id128& run) noexcept { return revoke(revocation_kind::run, run); }

  bool contains(revocation_kind kind, const id128& id) const noexcept {
    if (count_ == 0) return false;
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = id_hash(id, kind) & mask;; i = (i + 1) & mask) {
      const auto& s = slots_[i];
      if (s.kind == revocation_kind{}) return false;
      if (s.kind == kind && s.id == id) return true;
    }
  }

  // Is the token, an ancestor of it, a run it is bound to, or the requesting run revoked?
  bool revokes(const token_view& t, const id128& requesting_run) const noexcept {
    if (count_ == 0) return false;
    if (contains(revocation_kind::token, t.token_id)) return true;
    for (const auto& a : t.lineage)
      if (contains(revocation_kind::token, a.token_id)) return true;
    if (t.bound_to_run() && contains(revocation_kind::run, t.run_id)) return true;
    for (const auto& c : t.caveats)
      if (c.kind == caveat_kind::bind_run && contains(revocation_kind::run, c.run)) return true;
    return !is_zero(requesting_run) && contains(revocation_kind::run, requesting_run);
  }

  // Saved form: "ARL" · version 1 · count varint · count × (kind u8 · id 16) · HMAC-SHA256
  // of everything before it. Entries are written in table order.
  result<bytes_view> save(const crypto::hmac_sha256_key& key, mutable_bytes out) const noexcept {
    byte_writer w{out};
    w.chars("ARL");
    w.u8(1);
    encoding::write_varint(w, count_);
    for (const auto& s : slots_)
      if (s.kind != revocation_kind{}) {
        w.u8(static_cast<byte>(s.kind));
        w.bytes(s.id);
      }
    if (!w.ok()) return make_error(errc::capacity_exceeded, "revocation list");
    const auto tag = key.mac(w.written());
    w.bytes(tag);
    return w.finish();
  }
  static constexpr std::size_t saved_size_bound(std::size_t entries) noexcept {
    return 4 + encoding::varint_max_size + entries * 17 + 32;
  }

  // Adds every entry of a saved list (after checking its MAC) to this one.
  result<void> load(const crypto::hmac_sha256_key& key, bytes_view in) noexcept {
    if (in.size() < 32) return make_error(errc::truncated, "revocation list", 0);
    const auto body = in.first(in.size() - 32);
    const auto expected = key.mac(body);
    if (!crypto::verify_mac(expected, in.last(32))) return make_error(errc::bad_mac, "revocation list");
    byte_reader r{body};
    const auto magic = AUTHORITY_TRY(r.array<3>("magic"));
    if (magic[0] != 'A' || magic[1] != 'R' || magic[2] != 'L') return make_error(errc::bad_magic, "magic", 0);
    if (AUTHORITY_TRY(r.u8("version")) != 1) return make_error(errc::unsupported_version, "version", 3);
    const auto n = AUTHORITY_TRY(encoding::read_varint_in(r, 0, body.size() / 17, "count"));
    for (std::uint64_t i = 0; i < n; ++i) {
      const auto at = r.offset32();
      const auto kind = AUTHORITY_TRY(r.u8("kind"));
      if (kind != 1 && kind != 2) return make_error(errc::out_of_range, "kind", at);
      const auto id = AUTHORITY_TRY(r.array<16>("id"));
      AUTHORITY_TRY(revoke(static_cast<revocation_kind>(kind), id));
    }
    return r.expect_end("revocation list");
  }

  // For listing.
  std::span<const revocation_slot> slots() const noexcept { return slots_; }

 private:
  std::span<revocation_slot> slots_;
  std::size_t count_ = 0;
};

}  // namespace authority::capability
