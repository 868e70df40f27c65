// Writes cpio "newc" archives the way GNU cpio does, so tests can build good and bad
// boot bundles byte by byte. Capacity is the caller's choice (a bundle with a compiled
// policy needs a static writer, not a stack one).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "authority/core/bytes.hpp"

namespace kernel_test {

inline constexpr std::uint32_t cpio_file = 0100644, cpio_dir = 0040755;

template <std::size_t Capacity>
struct cpio_writer {
  authority::byte buf[Capacity]{};
  std::size_t size = 0;

  void raw(authority::bytes_view b) {
    for (auto c : b) buf[size++] = c;
  }
  void raw(std::string_view s) { raw(authority::as_bytes(s)); }
  void hex8(std::uint32_t v) {
    for (int i = 7; i >= 0; --i) buf[size++] = static_cast<authority::byte>("0123456789ABCDEF"[(v >> (4 * i)) & 15]);
  }
  void pad4() {
    while (size % 4 != 0) buf[size++] = 0;
  }
  void entry(std::string_view name, std::uint32_t mode, authority::bytes_view data, std::string_view magic = "070701",
             std::uint32_t check = 0) {
    raw(magic);
    const std::uint32_t fields[13] = {1, mode, 0, 0, 1, 0, static_cast<std::uint32_t>(data.size()), 0, 0, 0, 0,
                                      static_cast<std::uint32_t>(name.size() + 1), check};
    for (auto f : fields) hex8(f);
    raw(name);
    buf[size++] = 0;
    pad4();
    raw(data);
    pad4();
  }
  void entry(std::string_view name, std::uint32_t mode, std::string_view data, std::string_view magic = "070701",
             std::uint32_t check = 0) {
    entry(name, mode, authority::as_bytes(data), magic, check);
  }
  void trailer() { entry("TRAILER!!!", 0, std::string_view{}); }
  void clear() { size = 0; }
  authority::bytes_view view() const { return {buf, size}; }
};

}  // namespace kernel_test
