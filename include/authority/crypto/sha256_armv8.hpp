// SHA-256 with the ARMv8 SHA2 instructions, and the CPU check that allows them.
//
// The instructions are written as inline assembly: clang 14's <arm_neon.h> declares the
// SHA2 intrinsics only when the whole file is built with +sha2, and g++ and clang spell
// the target attribute differently. The attribute still tells each compiler's assembler
// that these functions may use the instructions; the rest of the program builds for
// baseline armv8-a and this code runs only after the CPU check.
#pragma once

#if defined(__aarch64__)

#include <arm_neon.h>

#include <cstddef>
#include <cstdint>

#include "authority/crypto/sha256_portable.hpp"

namespace authority::crypto::detail::armv8 {

// ID_AA64ISAR0_EL1 bits [15:12] (SHA2) >= 1: SHA256H, SHA256H2, SHA256SU0, SHA256SU1.
// Readable at EL1 in a kernel; Linux (>= 4.11) emulates the read for user space.
inline bool cpu_has_sha2() noexcept {
  std::uint64_t isar0 = 0;
  __asm__("mrs %0, ID_AA64ISAR0_EL1" : "=r"(isar0));
  return ((isar0 >> 12) & 0xf) >= 1;
}

#if defined(__clang__)
#define AUTHORITY_ARMV8_SHA2_TARGET __attribute__((target("sha2")))
#else
#define AUTHORITY_ARMV8_SHA2_TARGET __attribute__((target("+crypto")))
#endif

// W[t..t+3] from the four previous message vectors (oldest first).
AUTHORITY_ARMV8_SHA2_TARGET inline uint32x4_t next_schedule(uint32x4_t w16, uint32x4_t w12, uint32x4_t w8,
                                                            uint32x4_t w4) noexcept {
  __asm__("sha256su0 %0.4s, %1.4s" : "+w"(w16) : "w"(w12));
  __asm__("sha256su1 %0.4s, %1.4s, %2.4s" : "+w"(w16) : "w"(w8), "w"(w4));
  return w16;
}

// Four rounds.
AUTHORITY_ARMV8_SHA2_TARGET inline void rounds4(uint32x4_t& abcd, uint32x4_t& efgh, uint32x4_t w,
                                                int t) noexcept {
  const uint32x4_t wk = vaddq_u32(w, vld1q_u32(sha256_k + t));
  const uint32x4_t abcd_in = abcd;
  __asm__("sha256h %q0, %q1, %2.4s" : "+w"(abcd) : "w"(efgh), "w"(wk));
  __asm__("sha256h2 %q0, %q1, %2.4s" : "+w"(efgh) : "w"(abcd_in), "w"(wk));
}

AUTHORITY_ARMV8_SHA2_TARGET inline uint32x4_t load_be_words(const byte* p) noexcept {
  // ld1 of bytes needs no alignment, even under -mstrict-align.
  return vreinterpretq_u32_u8(vrev32q_u8(vld1q_u8(p)));
}

AUTHORITY_ARMV8_SHA2_TARGET inline void sha256_compress_sha2(sha256_midstate& s, const byte* blocks,
                                                             std::size_t n) noexcept {
  uint32x4_t abcd = vld1q_u32(s.h.data());
  uint32x4_t efgh = vld1q_u32(s.h.data() + 4);
  for (; n > 0; --n, blocks += sha256_block_size) {
    const uint32x4_t abcd_in = abcd, efgh_in = efgh;
    uint32x4_t w0 = load_be_words(blocks), w1 = load_be_words(blocks + 16);
    uint32x4_t w2 = load_be_words(blocks + 32), w3 = load_be_words(blocks + 48);
    rounds4(abcd, efgh, w0, 0);
    rounds4(abcd, efgh, w1, 4);
    rounds4(abcd, efgh, w2, 8);
    rounds4(abcd, efgh, w3, 12);
    for (int t = 16; t < 64; t += 16) {
      w0 = next_schedule(w0, w1, w2, w3);
      rounds4(abcd, efgh, w0, t);
      w1 = next_schedule(w1, w2, w3, w0);
      rounds4(abcd, efgh, w1, t + 4);
      w2 = next_schedule(w2, w3, w0, w1);
      rounds4(abcd, efgh, w2, t + 8);
      w3 = next_schedule(w3, w0, w1, w2);
      rounds4(abcd, efgh, w3, t + 12);
    }
    abcd = vaddq_u32(abcd, abcd_in);
    efgh = vaddq_u32(efgh, efgh_in);
  }
  vst1q_u32(s.h.data(), abcd);
  vst1q_u32(s.h.data() + 4, efgh);
}

#undef AUTHORITY_ARMV8_SHA2_TARGET

}  // namespace authority::crypto::detail::armv8

#endif  // __aarch64__
