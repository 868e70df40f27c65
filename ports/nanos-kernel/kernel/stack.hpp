// Boot stack high-water mark: paint the unused part, later find the deepest write.
// The stack sits on large identity-mapped pages with no guard page, so this is how an
// image learns how close it came to overflowing into .bss.
#pragma once

#include <cstddef>
#include <cstdint>

extern "C" char __stack_bottom[];  // from the arch's boot.S
extern "C" char __stack_top[];

namespace kernel::stack {

inline constexpr std::uint64_t paint = 0x5354'4143'4b21'2121;  // "STACK!!!"

inline std::size_t size() noexcept { return static_cast<std::size_t>(__stack_top - __stack_bottom); }

// Paints from the bottom up to a margin below the caller's frame.
[[gnu::noinline]] inline void paint_unused() noexcept {
  char here;
  auto* p = reinterpret_cast<volatile std::uint64_t*>(__stack_bottom);
  auto* end = reinterpret_cast<volatile std::uint64_t*>(&here - 512);
  while (p < end) *p++ = paint;
}

// Bytes of stack ever used since boot (valid after paint_unused()); size() means overflow.
inline std::size_t high_water() noexcept {
  const auto* p = reinterpret_cast<const volatile std::uint64_t*>(__stack_bottom);
  const auto* top = reinterpret_cast<const volatile std::uint64_t*>(__stack_top);
  while (p < top && *p == paint) ++p;
  return static_cast<std::size_t>(__stack_top - reinterpret_cast<const volatile char*>(p));
}

}  // namespace kernel::stack
