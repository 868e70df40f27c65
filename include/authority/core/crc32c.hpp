// CRC-32C (Castagnoli), as in iSCSI and ext4: crc32c("123456789") = 0xe3069283. Frames
// (audit records, request frames) carry it to tell a damaged or torn frame from a forged
// one; integrity against tampering comes from hashes and MACs, not from this.
#pragma once

#include <array>
#include <cstdint>

#include "authority/core/bytes.hpp"

namespace authority {

namespace crc32c_detail {
constexpr std::array<std::uint32_t, 256> make_table() noexcept {
  std::array<std::uint32_t, 256> t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82f63b78u : c >> 1;
    t[i] = c;
  }
  return t;
}
inline constexpr auto table = make_table();
}  // namespace crc32c_detail

constexpr std::uint32_t crc32c(bytes_view data, std::uint32_t crc = 0) noexcept {
  crc = ~crc;
  for (byte b : data) crc = crc32c_detail::table[(crc ^ b) & 0xff] ^ (crc >> 8);
  return ~crc;
}

}  // namespace authority
