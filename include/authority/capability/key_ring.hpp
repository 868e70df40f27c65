// The issuer's keys: a small ring of 32-byte HMAC keys. One key signs new tokens; on
// rotation the previous one is retired and keeps verifying for a grace period, after
// which its tokens fail with key_expired. Secrets are wiped when a key is removed and
// when the ring is destroyed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "authority/core/bytes.hpp"
#include "authority/core/clock.hpp"
#include "authority/core/result.hpp"
#include "authority/crypto/ct.hpp"
#include "authority/crypto/hmac.hpp"

namespace authority::capability {

inline constexpr std::size_t key_size = 32;
inline constexpr std::size_t key_ring_capacity = 8;
using key_secret = byte_array<key_size>;

enum class key_state : std::uint8_t { empty = 0, active = 1, retired = 2 };

struct key_slot {
  std::uint32_t id = 0;
  key_state state = key_state::empty;
  time_ns retired_at = 0;
  key_secret secret{};              // kept so the ring can be saved; wiped on removal
  crypto::hmac_sha256_key mac_key{};  // prepared midstates: the hot path uses these

  void wipe() noexcept {
    crypto::secure_zero(secret.data(), secret.size());
    mac_key.wipe();
    id = 0;
    state = key_state::empty;
    retired_at = 0;
  }
};

class key_ring {
 public:
  explicit key_ring(time_ns grace_period = 24 * 3600 * ns_per_s) noexcept : grace_(grace_period) {}
  key_ring(const key_ring&) = delete;
  key_ring& operator=(const key_ring&) = delete;
  ~key_ring() { wipe(); }

  time_ns grace_period() const noexcept { return grace_; }
  void set_grace_period(time_ns g) noexcept {
    grace_ = g;
    ++generation_;
  }

  // Adds a key that signs from now on; the current signing key, if any, is retired at `now`.
  result<void> add_active(std::uint32_t id, std::span<const byte, key_size> secret, time_ns now) noexcept {
    key_slot* slot = AUTHORITY_TRY(free_slot(id));
    for (auto& s : slots_)
      if (s.state == key_state::active) {
        s.state = key_state::retired;
        s.retired_at = now;
      }
    fill(*slot, id, secret, key_state::active, 0);
    return success();
  }

  // Adds a key that only verifies (loading a saved ring).
  result<void> add_retired(std::uint32_t id, std::span<const byte, key_size> secret, time_ns retired_at) noexcept {
    key_slot* slot = AUTHORITY_TRY(free_slot(id));
    fill(*slot, id, secret, key_state::retired, retired_at);
    return success();
  }

  result<void> retire(std::uint32_t id, time_ns now) noexcept {
    for (auto& s : slots_)
      if (s.state == key_state::active && s.id == id) {
        s.state = key_state::retired;
        s.retired_at = now;
        ++generation_;
        return success();
      }
    return make_error(errc::key_unknown, "key_id");
  }

  result<void> remove(std::uint32_t id) noexcept {
    for (auto& s : slots_)
      if (s.state != key_state::empty && s.id == id) {
        s.wipe();
        ++generation_;
        return success();
      }
    return make_error(errc::key_unknown, "key_id");
  }

  // The key for checking a token: unknown → key_unknown; retired past grace → key_expired.
  result<const key_slot*> for_verify(std::uint32_t id, time_ns now) const noexcept {
    for (const auto& s : slots_) {
      if (s.state == key_state::empty || s.id != id) continue;
      if (s.state == key_state::retired && now >= s.retired_at && now - s.retired_at >= grace_)
        return make_error(errc::key_expired, "key_id");
      return &s;
    }
    return make_error(errc::key_unknown, "key_id");
  }

  // The key that signs new tokens.
  result<const key_slot*> signing_key() const noexcept {
    for (const auto& s : slots_)
      if (s.state == key_state::active) return &s;
    return make_error(errc::key_unknown, "signing key");
  }

  // Changes whenever a key's validity may have changed (caches compare it).
  std::uint64_t generation() const noexcept { return generation_; }
  std::span<const key_slot> slots() const noexcept { return slots_; }

  void wipe() noexcept {
    for (auto& s : slots_) s.wipe();
    ++generation_;
  }

 private:
  result<key_slot*> free_slot(std::uint32_t id) noexcept {
    key_slot* empty = nullptr;
    for (auto& s : slots_) {
      if (s.state != key_state::empty && s.id == id) return make_error(errc::invalid_argument, "key_id");
      if (s.state == key_state::empty && empty == nullptr) empty = &s;
    }
    if (empty == nullptr) return make_error(errc::capacity_exceeded, "key ring");
    return empty;
  }

  void fill(key_slot& s, std::uint32_t id, std::span<const byte, key_size> secret, key_state state,
            time_ns retired_at) noexcept {
    s.id = id;
    s.state = state;
    s.retired_at = retired_at;
    for (std::size_t i = 0; i < key_size; ++i) s.secret[i] = secret[i];
    s.mac_key = crypto::hmac_sha256_key{bytes_view{s.secret}};
    ++generation_;
  }

  key_slot slots_[key_ring_capacity]{};
  time_ns grace_;
  std::uint64_t generation_ = 0;
};

}  // namespace authority::capability
