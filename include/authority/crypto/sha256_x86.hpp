// SHA-256 with the x86 SHA extensions (SHA-NI), and the CPU check that allows it.
//
// Freestanding: no <immintrin.h> (g++'s pulls in <stdlib.h>). The SHA instructions come
// from compiler builtins that g++ and clang spell the same way; all other vector work
// is plain vector-extension code and __builtin_shufflevector (g++ >= 12, clang). The
// target attribute enables the instructions for these functions only, so the rest of
// the program builds for baseline x86_64 and this code runs only after the CPU check.
#pragma once

#if defined(__x86_64__)

#include <cpuid.h>

#include <cstddef>
#include <cstdint>

#include "authority/crypto/sha256_portable.hpp"

namespace authority::crypto::detail::x86 {

typedef int v4si __attribute__((vector_size(16)));  // what the SHA builtins take
typedef unsigned v4su __attribute__((vector_size(16)));  // for sums: they wrap
typedef char v16qi __attribute__((vector_size(16)));
// Unaligned, aliasing views for loads and stores (what the intrinsics' __m128i_u is).
typedef int v4si_unaligned __attribute__((vector_size(16), aligned(1), may_alias));
typedef int v4si_aliased __attribute__((vector_size(16), may_alias));

// CPUID: leaf 7 EBX bit 29 (SHA), leaf 1 ECX bit 19 (SSE4.1) and bit 9 (SSSE3).
inline bool cpu_has_sha_ni() noexcept {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (__get_cpuid(1, &eax, &ebx, &ecx, &edx) == 0) return false;
  const bool sse41 = (ecx >> 19) & 1u;
  const bool ssse3 = (ecx >> 9) & 1u;
  if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) == 0) return false;
  const bool sha = (ebx >> 29) & 1u;
  return sha && sse41 && ssse3;
}

#define AUTHORITY_SHA_NI_TARGET __attribute__((target("sha,sse4.1,ssse3")))

// Lane-wise sum modulo 2^32 (signed vector overflow would be undefined).
AUTHORITY_SHA_NI_TARGET inline v4si add(v4si a, v4si b) noexcept {
  return reinterpret_cast<v4si>(reinterpret_cast<v4su>(a) + reinterpret_cast<v4su>(b));
}

AUTHORITY_SHA_NI_TARGET inline v4si load_be_words(const byte* p) noexcept {
  const v16qi raw = reinterpret_cast<v16qi>(*reinterpret_cast<const v4si_unaligned*>(p));
  return reinterpret_cast<v4si>(
      __builtin_shufflevector(raw, raw, 3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12));
}

// W[t..t+3] from the four previous message vectors (oldest first).
AUTHORITY_SHA_NI_TARGET inline v4si next_schedule(v4si w16, v4si w12, v4si w8, v4si w4) noexcept {
  const v4si w7 = __builtin_shufflevector(w8, w4, 1, 2, 3, 4);  // W[t-7..t-4]
  return __builtin_ia32_sha256msg2(add(__builtin_ia32_sha256msg1(w16, w12), w7), w4);
}

// Four rounds. The instructions keep the state as {F,E,B,A} and {H,G,D,C}.
AUTHORITY_SHA_NI_TARGET inline void rounds4(v4si& abef, v4si& cdgh, v4si w, int t) noexcept {
  const v4si wk = add(w, *reinterpret_cast<const v4si_aliased*>(sha256_k + t));
  cdgh = __builtin_ia32_sha256rnds2(cdgh, abef, wk);
  abef = __builtin_ia32_sha256rnds2(abef, cdgh, __builtin_shufflevector(wk, wk, 2, 3, 0, 0));
}

AUTHORITY_SHA_NI_TARGET inline void sha256_compress_sha_ni(sha256_midstate& s, const byte* blocks,
                                                          std::size_t n) noexcept {
  const v4si abcd = *reinterpret_cast<const v4si_unaligned*>(s.h.data());
  const v4si efgh = *reinterpret_cast<const v4si_unaligned*>(s.h.data() + 4);
  v4si abef = __builtin_shufflevector(abcd, efgh, 5, 4, 1, 0);
  v4si cdgh = __builtin_shufflevector(abcd, efgh, 7, 6, 3, 2);

  for (; n > 0; --n, blocks += sha256_block_size) {
    const v4si abef_in = abef, cdgh_in = cdgh;
    v4si w0 = load_be_words(blocks), w1 = load_be_words(blocks + 16);
    v4si w2 = load_be_words(blocks + 32), w3 = load_be_words(blocks + 48);
    rounds4(abef, cdgh, w0, 0);
    rounds4(abef, cdgh, w1, 4);
    rounds4(abef, cdgh, w2, 8);
    rounds4(abef, cdgh, w3, 12);
    for (int t = 16; t < 64; t += 16) {
      w0 = next_schedule(w0, w1, w2, w3);
      rounds4(abef, cdgh, w0, t);
      w1 = next_schedule(w1, w2, w3, w0);
      rounds4(abef, cdgh, w1, t + 4);
      w2 = next_schedule(w2, w3, w0, w1);
      rounds4(abef, cdgh, w2, t + 8);
      w3 = next_schedule(w3, w0, w1, w2);
      rounds4(abef, cdgh, w3, t + 12);
    }
    abef = add(abef, abef_in);
    cdgh = add(cdgh, cdgh_in);
  }

  *reinterpret_cast<v4si_unaligned*>(s.h.data()) = __builtin_shufflevector(abef, cdgh, 3, 2, 7, 6);
  *reinterpret_cast<v4si_unaligned*>(s.h.data() + 4) = __builtin_shufflevector(abef, cdgh, 1, 0, 5, 4);
}

#undef AUTHORITY_SHA_NI_TARGET

}  // namespace authority::crypto::detail::x86

#endif  // __x86_64__
