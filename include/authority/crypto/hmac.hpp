// HMAC-SHA256 (RFC 2104 / FIPS 198-1). A prepared key keeps the inner and outer
// midstates, so a MAC over a message shorter than 56 bytes costs two compressions.
#pragma once

#include <type_traits>

#include "authority/crypto/ct.hpp"
#include "authority/crypto/sha256.hpp"

namespace authority::crypto {

class hmac_sha256_key {
 private:
  // Member templates come before their callers (see sha256).
  // Straight from the midstates: the message's whole blocks and its padded tail go to
  // the block function without passing through a sha256 object's buffer, and the outer
  // hash gets its single block built from the inner state's words.
  template <class Char>
  constexpr digest mac_chars(const Char* message, std::size_t n) const noexcept {
    sha256_midstate inner_state = inner_;
    detail::sha256_absorb_last(inner_state, sha256_block_size, message, n);

    byte block[sha256_block_size]{};
    for (std::size_t i = 0; i < 8; ++i) store_be32(block + 4 * i, inner_state.h[i]);
    block[sha256_digest_size] = 0x80;
    store_be64(block + sha256_block_size - 8, (sha256_block_size + sha256_digest_size) * 8);
    sha256_midstate s = outer_;
    sha256_compress(s, block, 1);
    return detail::sha256_digest_of(s);
  }

  template <class Char>
  constexpr void prepare(const Char* key, std::size_t n) noexcept {
    byte_array<sha256_block_size> pad{};
    if (n > sha256_block_size) {
      sha256_midstate key_hash = sha256_initial;
      detail::sha256_absorb_last<Char, detail::wipe_tail::yes>(key_hash, 0, key, n);
      for (std::size_t i = 0; i < 8; ++i) store_be32(pad.data() + 4 * i, key_hash.h[i]);
      if (!std::is_constant_evaluated()) secure_zero(&key_hash, sizeof key_hash);
    } else {
      for (std::size_t i = 0; i < n; ++i) pad[i] = detail::to_byte(key[i]);
    }
    for (byte& b : pad) b ^= 0x36;
    inner_ = sha256_initial;
    sha256_compress(inner_, pad.data(), 1);
    for (byte& b : pad) b ^= 0x36 ^ 0x5c;
    outer_ = sha256_initial;
    sha256_compress(outer_, pad.data(), 1);
    if (!std::is_constant_evaluated()) secure_zero(pad.data(), pad.size());
  }

 public:
  constexpr hmac_sha256_key() noexcept = default;

  // Keys of any length; longer than a block they are hashed first (RFC 2104).
  constexpr explicit hmac_sha256_key(bytes_view key) noexcept { prepare(key.data(), key.size()); }
  constexpr explicit hmac_sha256_key(std::string_view key) noexcept { prepare(key.data(), key.size()); }

  constexpr hmac_sha256_key(const hmac_sha256_key&) noexcept = default;
  constexpr hmac_sha256_key& operator=(const hmac_sha256_key&) noexcept = default;
  constexpr ~hmac_sha256_key() { wipe(); }

  // Incremental use: h = key.inner(); h.update(...)...; mac = key.finish(h).
  constexpr sha256 inner() const noexcept { return sha256{inner_, sha256_block_size}; }

  constexpr digest finish(sha256& inner_hash) const noexcept {
    const digest inner_digest = inner_hash.finish();
    sha256_midstate s = outer_;
    detail::sha256_absorb_last(s, sha256_block_size, inner_digest.data(), inner_digest.size());
    return detail::sha256_digest_of(s);
  }

  constexpr digest mac(bytes_view message) const noexcept { return mac_chars(message.data(), message.size()); }
  constexpr digest mac(std::string_view message) const noexcept {
    return mac_chars(message.data(), message.size());
  }

  // Zeroes both midstates, which are as secret as the key. A wiped key's MACs match
  // no real key's, so wipe only when done with it (the destructor does).
  constexpr void wipe() noexcept {
    if (std::is_constant_evaluated()) {
      inner_ = {};
      outer_ = {};
    } else {
      secure_zero(&inner_, sizeof inner_);
      secure_zero(&outer_, sizeof outer_);
    }
  }

 private:
  sha256_midstate inner_{};
  sha256_midstate outer_{};
};

constexpr digest hmac_sha256(bytes_view key, bytes_view message) noexcept {
  return hmac_sha256_key{key}.mac(message);
}

// Constant-time MAC check.
inline bool verify_mac(const digest& expected, bytes_view presented) noexcept {
  return ct_equal(bytes_view{expected}, presented);
}

}  // namespace authority::crypto
