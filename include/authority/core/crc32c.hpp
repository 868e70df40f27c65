// CRC-32C (Castagnoli), as in iSCSI and ext4: crc32c("123456789") = 0xe3069283. Frames
// (audit records, request frames) carry it to tell a damaged or torn frame from a forged
// one; integrity against tampering comes from hashes and MACs, not from this.
//
// Every audit append computes one, so it is on the gate's hot path. Three ways, one
// answer: the CRC32 instructions (x86_64 SSE4.2, ARMv8 CRC32) when the CPU has them,
// else slicing-by-8 tables; in constant evaluation the bytewise table. The CPU is asked
// once (idempotent, so racing first calls agree).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <type_traits>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

#include "authority/core/bytes.hpp"

namespace authority {

enum class crc32c_impl : std::uint8_t { bytewise, slicing_by_8, x86_sse42, armv8_crc32 };

namespace crc32c_detail {

inline constexpr std::uint32_t poly = 0x82f63b78u;  // reflected Castagnoli polynomial

// table[k][b]: the CRC of byte b followed by k zero bytes (slicing-by-8).
constexpr std::array<std::array<std::uint32_t, 256>, 8> make_tables() noexcept {
  std::array<std::array<std::uint32_t, 256>, 8> t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ poly : c >> 1;
    t[0][i] = c;
  }
  for (std::size_t k = 1; k < 8; ++k)
    for (std::size_t i = 0; i < 256; ++i) t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xff];
  return t;
}
inline constexpr auto tables = make_tables();

// All take and return the inverted register (~crc).
constexpr std::uint32_t update_bytewise(std::uint32_t c, const byte* p, std::size_t n) noexcept {
  for (std::size_t i = 0; i < n; ++i) c = tables[0][(c ^ p[i]) & 0xff] ^ (c >> 8);
  return c;
}

inline std::uint32_t update_slicing_by_8(std::uint32_t c, const byte* p, std::size_t n) noexcept {
  for (; n >= 8; n -= 8, p += 8) {
    const std::uint32_t lo = c ^ load_le32(p);
    const std::uint32_t hi = load_le32(p + 4);
    c = tables[7][lo & 0xff] ^ tables[6][(lo >> 8) & 0xff] ^ tables[5][(lo >> 16) & 0xff] ^ tables[4][lo >> 24] ^
        tables[3][hi & 0xff] ^ tables[2][(hi >> 8) & 0xff] ^ tables[1][(hi >> 16) & 0xff] ^ tables[0][hi >> 24];
  }
  return update_bytewise(c, p, n);
}

#if defined(__x86_64__)
// CPUID leaf 1 ECX bit 20: SSE4.2 (its CRC32 instruction works on general registers).
inline bool cpu_has_crc32() noexcept {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (__get_cpuid(1, &eax, &ebx, &ecx, &edx) == 0) return false;
  return (ecx >> 20) & 1u;
}

__attribute__((target("sse4.2"))) inline std::uint32_t update_hardware(std::uint32_t c, const byte* p,
                                                                       std::size_t n) noexcept {
  std::uint64_t c64 = c;
  for (; n >= 8; n -= 8, p += 8) c64 = __builtin_ia32_crc32di(c64, load_le64(p));
  c = static_cast<std::uint32_t>(c64);
  for (; n > 0; --n, ++p) c = __builtin_ia32_crc32qi(c, *p);
  return c;
}
#elif defined(__aarch64__)
// ID_AA64ISAR0_EL1 bits [19:16] (CRC32) >= 1. Readable at EL1; Linux emulates it for EL0.
inline bool cpu_has_crc32() noexcept {
  std::uint64_t isar0 = 0;
  __asm__("mrs %0, ID_AA64ISAR0_EL1" : "=r"(isar0));
  return ((isar0 >> 16) & 0xf) >= 1;
}

// Inline assembly with the directive that allows it, as for SHA2 (crypto/sha256_armv8.hpp):
// the rest of the program builds for baseline armv8-a and this runs after the CPU check.
inline std::uint32_t update_hardware(std::uint32_t c, const byte* p, std::size_t n) noexcept {
  for (; n >= 8; n -= 8, p += 8)
    __asm__(".arch_extension crc\n\tcrc32cx %w0, %w0, %x1" : "+r"(c) : "r"(load_le64(p)));
  for (; n > 0; --n, ++p)
    __asm__(".arch_extension crc\n\tcrc32cb %w0, %w0, %w1" : "+r"(c) : "r"(static_cast<std::uint32_t>(*p)));
  return c;
}
#else
inline bool cpu_has_crc32() noexcept { return false; }
inline std::uint32_t update_hardware(std::uint32_t c, const byte* p, std::size_t n) noexcept {
  return update_slicing_by_8(c, p, n);
}
#endif

// 0: not asked yet; else 1 + (1 if the CPU has the instructions).
inline std::atomic<std::uint8_t> hardware_state{0};

inline bool use_hardware() noexcept {
  auto s = hardware_state.load(std::memory_order_relaxed);
  if (s == 0) {
    s = static_cast<std::uint8_t>(1 + (cpu_has_crc32() ? 1 : 0));
    hardware_state.store(s, std::memory_order_relaxed);
  }
  return s == 2;
}

}  // namespace crc32c_detail

// Whether this CPU can compute the CRC this way (tests compare every way that can).
inline bool crc32c_available(crc32c_impl impl) noexcept {
  switch (impl) {
    case crc32c_impl::bytewise:
    case crc32c_impl::slicing_by_8: return true;
#if defined(__x86_64__)
    case crc32c_impl::x86_sse42: return crc32c_detail::use_hardware();
#elif defined(__aarch64__)
    case crc32c_impl::armv8_crc32: return crc32c_detail::use_hardware();
#endif
    default: return false;
  }
}

// The CRC computed one given way; `impl` must be available.
inline std::uint32_t crc32c_with(crc32c_impl impl, bytes_view data, std::uint32_t crc = 0) noexcept {
  const std::uint32_t c = ~crc;
  switch (impl) {
    case crc32c_impl::bytewise: return ~crc32c_detail::update_bytewise(c, data.data(), data.size());
    case crc32c_impl::slicing_by_8: return ~crc32c_detail::update_slicing_by_8(c, data.data(), data.size());
    default: return ~crc32c_detail::update_hardware(c, data.data(), data.size());
  }
}

// `crc` continues an earlier CRC: crc32c(b, crc32c(a)) == crc32c(a ‖ b).
constexpr std::uint32_t crc32c(bytes_view data, std::uint32_t crc = 0) noexcept {
  if (std::is_constant_evaluated()) return ~crc32c_detail::update_bytewise(~crc, data.data(), data.size());
  if (crc32c_detail::use_hardware()) return ~crc32c_detail::update_hardware(~crc, data.data(), data.size());
  return ~crc32c_detail::update_slicing_by_8(~crc, data.data(), data.size());
}

}  // namespace authority
