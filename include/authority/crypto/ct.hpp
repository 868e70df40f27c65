// Constant-time helpers: comparisons whose running time does not depend on where the
// inputs differ, and zeroization the optimizer may not remove.
#pragma once

#include <cstddef>
#include <cstdint>

#include "authority/core/bytes.hpp"

namespace authority::crypto {

// True when equal. Touches every byte of both inputs; lengths are public.
inline bool ct_equal(bytes_view a, bytes_view b) noexcept {
  if (a.size() != b.size()) return false;
  const volatile byte* pa = a.data();
  const volatile byte* pb = b.data();
  byte diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff = static_cast<byte>(diff | (pa[i] ^ pb[i]));
  // Fold to one bit without a data-dependent branch.
  return ((static_cast<unsigned>(diff) - 1u) >> 8) & 1u;
}

// Overwrites secrets so that the stores survive optimization.
inline void secure_zero(void* p, std::size_t n) noexcept {
  volatile byte* v = static_cast<volatile byte*>(p);
  for (std::size_t i = 0; i < n; ++i) v[i] = 0;
  __asm__ __volatile__("" : : "r"(p) : "memory");
}

}  // namespace authority::crypto
