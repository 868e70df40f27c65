// SHA-256 (FIPS 180-4) basics: sizes, the chaining value, and the portable block
// function. The portable code is what constant evaluation runs and what every hardware
// path is tested against; it is also the run-time path where no hash instructions exist.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>

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

// 16-byte aligned so the vector paths can load four constants at once.
alignas(16) inline constexpr std::uint32_t sha256_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

// One round. The caller rotates the roles of the eight working variables instead of
// moving values between them, and carries a^b into the next round's Maj as its b^c
// (Maj(a,b,c) = b ^ ((a^b) & (b^c))), which saves an operation per round.
[[gnu::always_inline]] constexpr void sha256_round(std::uint32_t a, std::uint32_t b, std::uint32_t& b_xor_c,
                                                   std::uint32_t& d, std::uint32_t e, std::uint32_t f,
                                                   std::uint32_t g, std::uint32_t& h,
                                                   std::uint32_t k_plus_w) noexcept {
  h += k_plus_w;
  h += g ^ (e & (f ^ g));
  h += std::rotr(e, 6) ^ std::rotr(e, 11) ^ std::rotr(e, 25);
  d += h;
  const std::uint32_t a_xor_b = a ^ b;
  h += b ^ (a_xor_b & b_xor_c);
  h += std::rotr(a, 2) ^ std::rotr(a, 13) ^ std::rotr(a, 22);
  b_xor_c = a_xor_b;
}

// W[t] for t >= 16, computed in place in a 16-word ring: w[i] holds W[t-16] on entry.
[[gnu::always_inline]] constexpr void sha256_schedule(std::uint32_t (&w)[16], int i) noexcept {
  const std::uint32_t w15 = w[(i + 1) & 15];
  const std::uint32_t w2 = w[(i + 14) & 15];
  w[i] += (std::rotr(w2, 17) ^ std::rotr(w2, 19) ^ (w2 >> 10)) + w[(i + 9) & 15] +
          (std::rotr(w15, 7) ^ std::rotr(w15, 18) ^ (w15 >> 3));
}

// Sixteen rounds, written out so that every ring index is a constant.
template <bool Expand>
[[gnu::always_inline]] constexpr void sha256_rounds16(std::uint32_t (&v)[8], std::uint32_t& b_xor_c,
                                                      std::uint32_t (&w)[16], const std::uint32_t* k) noexcept {
  auto& [a, b, c, d, e, f, g, h] = v;
#define AUTHORITY_SHA256_ROUND(i, A, B, C, D, E, F, G, H)     \
  if constexpr (Expand) sha256_schedule(w, i);               \
  sha256_round(A, B, b_xor_c, D, E, F, G, H, k[i] + w[i]);
  AUTHORITY_SHA256_ROUND(0, a, b, c, d, e, f, g, h)
  AUTHORITY_SHA256_ROUND(1, h, a, b, c, d, e, f, g)
  AUTHORITY_SHA256_ROUND(2, g, h, a, b, c, d, e, f)
  AUTHORITY_SHA256_ROUND(3, f, g, h, a, b, c, d, e)
  AUTHORITY_SHA256_ROUND(4, e, f, g, h, a, b, c, d)
  AUTHORITY_SHA256_ROUND(5, d, e, f, g, h, a, b, c)
  AUTHORITY_SHA256_ROUND(6, c, d, e, f, g, h, a, b)
  AUTHORITY_SHA256_ROUND(7, b, c, d, e, f, g, h, a)
  AUTHORITY_SHA256_ROUND(8, a, b, c, d, e, f, g, h)
  AUTHORITY_SHA256_ROUND(9, h, a, b, c, d, e, f, g)
  AUTHORITY_SHA256_ROUND(10, g, h, a, b, c, d, e, f)
  AUTHORITY_SHA256_ROUND(11, f, g, h, a, b, c, d, e)
  AUTHORITY_SHA256_ROUND(12, e, f, g, h, a, b, c, d)
  AUTHORITY_SHA256_ROUND(13, d, e, f, g, h, a, b, c)
  AUTHORITY_SHA256_ROUND(14, c, d, e, f, g, h, a, b)
  AUTHORITY_SHA256_ROUND(15, b, c, d, e, f, g, h, a)
#undef AUTHORITY_SHA256_ROUND
}

// Portable block function over n whole 64-byte blocks: the reference every hardware
// path is tested against.
constexpr void sha256_compress_portable(sha256_midstate& s, const byte* blocks, std::size_t n) noexcept {
  for (; n > 0; --n, blocks += sha256_block_size) {
    std::uint32_t w[16]{};
    for (int i = 0; i < 16; ++i) w[i] = load_be32(blocks + 4 * i);
    std::uint32_t v[8]{};
    for (int i = 0; i < 8; ++i) v[i] = s.h[static_cast<std::size_t>(i)];
    std::uint32_t b_xor_c = v[1] ^ v[2];
    sha256_rounds16<false>(v, b_xor_c, w, sha256_k);
    for (int t = 16; t < 64; t += 16) sha256_rounds16<true>(v, b_xor_c, w, sha256_k + t);
    for (int i = 0; i < 8; ++i) s.h[static_cast<std::size_t>(i)] += v[i];
  }
}

}  // namespace detail
}  // namespace authority::crypto
