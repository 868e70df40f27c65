// HMAC-SHA256 (RFC 2104 / FIPS 198-1). A prepared key keeps the inner and outer
// midstates, so a MAC over a message shorter than 56 bytes costs two compressions.
#pragma once

#include <type_traits>

#include "authority/crypto/ct.hpp"
#include "authority/crypto/sha256.hpp"

namespace authority::crypto {

class hmac_sha256_key {
 public:
  constexpr hmac_sha256_key() noexcept = default;

  constexpr explicit hmac_sha256_key(bytes_view key) noexcept { prepare(key.data(), key.size()); }
  constexpr explicit hmac_sha256_key(std::string_view key) noexcept {
    byte_array<sha256_block_size> k{};
    std::size_t n = 0;
    if (key.size() > sha256_block_size) {
      const digest d = sha256::hash(key);
      for (std::size_t i = 0; i < d.size(); ++i) k[i] = d[i];
      n = d.size();
    } else {
      for (std::size_t i = 0; i < key.size(); ++i) k[i] = static_cast<byte>(key[i]);
      n = key.size();
    }
    prepare(k.data(), n);
  }

  constexpr hmac_sha256_key(const hmac_sha256_key&) noexcept = default;
  constexpr hmac_sha256_key& operator=(const hmac_sha256_key&) noexcept = default;
  constexpr ~hmac_sha256_key() { wipe(); }

  constexpr sha256 inner() const noexcept { return sha256{inner_, sha256_block_size}; }

  constexpr digest finish(sha256& inner_hash) const noexcept {
    const digest ih = inner_hash.finish();
    return sha256{outer_, sha256_block_size}.update(bytes_view{ih}).finish();
  }

  constexpr digest mac(bytes_view message) const noexcept {
    sha256 h = inner();
    h.update(message);
    return finish(h);
  }
  constexpr digest mac(std::string_view message) const noexcept {
    sha256 h = inner();
    h.update(message);
    return finish(h);
  }

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
  constexpr void prepare(const byte* key, std::size_t n) noexcept {
    byte_array<sha256_block_size> k{};
    if (n > sha256_block_size) {
      const digest d = sha256::hash(bytes_view{key, n});
      for (std::size_t i = 0; i < d.size(); ++i) k[i] = d[i];
    } else {
      for (std::size_t i = 0; i < n; ++i) k[i] = key[i];
    }
    byte_array<sha256_block_size> pad{};
    for (std::size_t i = 0; i < pad.size(); ++i) pad[i] = static_cast<byte>(k[i] ^ 0x36);
    inner_ = sha256_initial;
    sha256_compress(inner_, pad.data(), 1);
    for (std::size_t i = 0; i < pad.size(); ++i) pad[i] = static_cast<byte>(k[i] ^ 0x5c);
    outer_ = sha256_initial;
    sha256_compress(outer_, pad.data(), 1);
    if (!std::is_constant_evaluated()) {
      secure_zero(k.data(), k.size());
      secure_zero(pad.data(), pad.size());
    }
  }

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
