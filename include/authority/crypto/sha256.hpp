// SHA-256 (FIPS 180-4). One implementation usable in constexpr (the portable block
// function) and at run time, where compress_blocks() may pick a hardware path.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "authority/core/bytes.hpp"

namespace authority::crypto {

inline constexpr std::size_t sha256_block_size = 64;
inline constexpr std::size_t sha256_digest_size = 32;
using digest = byte_array<sha256_digest_size>;

// The chaining value between blocks. HMAC caches these for its padded keys.
struct sha256_midstate {
  std::array<std::uint32_t, 8> h{};
  constexpr bool operator==(const sha256_midstate&) const = default;
};

inline constexpr sha256_midstate sha256_initial{
    {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19}};

namespace detail {

inline constexpr std::uint32_t sha256_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

constexpr std::uint32_t rotr(std::uint32_t x, int n) noexcept { return (x >> n) | (x << (32 - n)); }

// Portable block function: the reference every hardware path is tested against.
constexpr void sha256_compress_portable(sha256_midstate& s, const byte* blocks, std::size_t n) noexcept {
  for (std::size_t b = 0; b < n; ++b, blocks += sha256_block_size) {
    std::uint32_t w[64]{};
    for (int i = 0; i < 16; ++i) w[i] = load_be32(blocks + 4 * i);
    for (int i = 16; i < 64; ++i) {
      const std::uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
      const std::uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
      w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    std::uint32_t a = s.h[0], bb = s.h[1], c = s.h[2], d = s.h[3];
    std::uint32_t e = s.h[4], f = s.h[5], g = s.h[6], h = s.h[7];
    for (int i = 0; i < 64; ++i) {
      const std::uint32_t t1 = h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + sha256_k[i] + w[i];
      const std::uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & bb) ^ (a & c) ^ (bb & c));
      h = g;
      g = f;
      f = e;
      e = d + t1;
      d = c;
      c = bb;
      bb = a;
      a = t1 + t2;
    }
    s.h[0] += a;
    s.h[1] += bb;
    s.h[2] += c;
    s.h[3] += d;
    s.h[4] += e;
    s.h[5] += f;
    s.h[6] += g;
    s.h[7] += h;
  }
}

}  // namespace detail

// Processes n whole 64-byte blocks. In constant evaluation always portable.
constexpr void sha256_compress(sha256_midstate& s, const byte* blocks, std::size_t n) noexcept {
  detail::sha256_compress_portable(s, blocks, n);
}

class sha256 {
 public:
  constexpr sha256() noexcept = default;
  // Resumes from a midstate after `bytes_done` bytes (a multiple of 64).
  constexpr sha256(const sha256_midstate& s, std::uint64_t bytes_done) noexcept
      : state_(s), total_(bytes_done) {}

  constexpr sha256& update(bytes_view data) noexcept {
    update_impl(data.data(), data.size());
    return *this;
  }
  constexpr sha256& update(std::string_view text) noexcept {
    if (std::is_constant_evaluated()) {
      for (char c : text) {
        const byte b = static_cast<byte>(c);
        update_impl(&b, 1);
      }
    } else {
      update_impl(reinterpret_cast<const byte*>(text.data()), text.size());
    }
    return *this;
  }

  constexpr digest finish() noexcept {
    const std::uint64_t bit_len = total_ * 8;
    const byte pad = 0x80;
    update_impl(&pad, 1);
    const byte zero = 0;
    while (buffered_ != 56) update_impl(&zero, 1);
    byte len[8]{};
    store_be64(len, bit_len);
    update_impl(len, 8);
    digest out{};
    for (std::size_t i = 0; i < 8; ++i) store_be32(out.data() + 4 * i, state_.h[i]);
    return out;
  }

  constexpr const sha256_midstate& midstate() const noexcept { return state_; }

  static constexpr digest hash(bytes_view data) noexcept { return sha256{}.update(data).finish(); }
  static constexpr digest hash(std::string_view text) noexcept { return sha256{}.update(text).finish(); }

 private:
  constexpr void update_impl(const byte* p, std::size_t n) noexcept {
    total_ += n;
    if (buffered_ > 0) {
      while (n > 0 && buffered_ < sha256_block_size) {
        buffer_[buffered_++] = *p++;
        --n;
      }
      if (buffered_ < sha256_block_size) return;
      sha256_compress(state_, buffer_.data(), 1);
      buffered_ = 0;
    }
    const std::size_t whole = n / sha256_block_size;
    if (whole > 0) {
      sha256_compress(state_, p, whole);
      p += whole * sha256_block_size;
      n -= whole * sha256_block_size;
    }
    for (std::size_t i = 0; i < n; ++i) buffer_[buffered_++] = p[i];
  }

  sha256_midstate state_ = sha256_initial;
  byte_array<sha256_block_size> buffer_{};
  std::size_t buffered_ = 0;
  std::uint64_t total_ = 0;
};

}  // namespace authority::crypto
