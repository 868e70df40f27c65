// core/crc32c: every way the CRC can be computed on this CPU (bytewise, slicing-by-8, the
// SSE4.2 or ARMv8 CRC32 instructions) gives the bytewise table's answer, at every length
// and alignment that exercises their 8-byte loops and tails. Runs in the kernels too, so
// the hardware paths are checked on bare metal where QEMU offers them.
#include "authority/core/crc32c.hpp"
#include "selftest/selftest.hpp"

using namespace authority;

namespace {
constexpr byte check_input[] = {'1', '2', '3', '4', '5', '6', '7', '8', '9'};
}
static_assert(crc32c(bytes_view{check_input}) == 0xe3069283u);  // the check value, constexpr
static_assert(crc32c(bytes_view{}) == 0);

namespace {
constexpr crc32c_impl all_impls[] = {crc32c_impl::bytewise, crc32c_impl::slicing_by_8, crc32c_impl::x86_sse42,
                                     crc32c_impl::armv8_crc32};

// A reference that shares nothing with the implementations: bit by bit.
std::uint32_t crc_bitwise(const byte* p, std::size_t n) {
  std::uint32_t c = 0xffffffffu;
  for (std::size_t i = 0; i < n; ++i) {
    c ^= p[i];
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82f63b78u : c >> 1;
  }
  return ~c;
}
}  // namespace

SELFTEST("core/crc32c every available way agrees with a bitwise CRC at every length and alignment") {
  byte data[600];
  std::uint64_t x = 0x9e3779b97f4a7c15ull;
  for (auto& b : data) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    b = static_cast<byte>(x);
  }
  int checked_ways = 0;
  for (const auto impl : all_impls) {
    if (!crc32c_available(impl)) continue;
    ++checked_ways;
    ST_CHECK(crc32c_with(impl, as_bytes("123456789")) == 0xe3069283u);
    for (std::size_t offset = 0; offset < 8; ++offset)
      for (std::size_t n = 0; n + offset <= 520; n += (n < 40 ? 1 : 13)) {
        const std::uint32_t want = crc_bitwise(data + offset, n);
        ST_CHECK(crc32c_with(impl, bytes_view{data + offset, n}) == want);
        ST_CHECK(crc32c(bytes_view{data + offset, n}) == want);
      }
    // Continuation: crc(a ‖ b) from crc(a).
    const auto a = bytes_view{data, 77}, b = bytes_view{data + 77, 300};
    ST_CHECK(crc32c_with(impl, b, crc32c_with(impl, a)) == crc_bitwise(data, 377));
  }
  ST_CHECK(checked_ways >= 2);
}
