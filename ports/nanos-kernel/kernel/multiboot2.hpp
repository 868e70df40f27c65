// Multiboot2 boot information (GRUB's `multiboot2` command), strictly bounds-checked.
// x86_64 learns its RAM, the boot bundle (the first `module2`) and the command line here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "authority/core/bytes.hpp"
#include "authority/core/result.hpp"
#include "memory_map.hpp"

namespace kernel::multiboot2 {

using authority::bytes_view;
using authority::errc;
using authority::make_error;
using authority::result;

inline constexpr std::uint32_t bootloader_magic = 0x36d76289;  // in eax at entry
inline constexpr std::uint32_t max_info_size = 1u << 20;

enum tag_type : std::uint32_t { end = 0, cmdline = 1, module = 3, mmap = 6 };
enum mmap_type : std::uint32_t { available = 1 };

// The total_size field at the start of the information structure.
inline result<std::uint32_t> info_size(const authority::byte* p) noexcept {
  const std::uint32_t size = authority::load_le32(p);
  if (size < 16 || size > max_info_size) return make_error(errc::out_of_range, "multiboot2.total_size", 0);
  return size;
}

// A NUL-terminated string that must end inside its tag.
inline result<std::string_view> tag_string(bytes_view s, std::string_view field, std::uint32_t at) noexcept {
  for (std::size_t i = 0; i < s.size(); ++i)
    if (s[i] == 0) return authority::as_chars(s.first(i));
  return make_error(errc::truncated, field, at);
}

inline result<void> read_boot_info(bytes_view info, std::uint64_t info_address, boot_info& out) noexcept {
  out.protocol = "multiboot2";
  authority::byte_reader header{info};
  AUTHORITY_TRY_ASSIGN(const std::uint32_t total, header.le32("multiboot2.total_size"));
  if (total > info.size() || total < 16) return make_error(errc::out_of_range, "multiboot2.total_size", 0);
  if (!out.reserved.push_back({info_address, total})) return make_error(errc::capacity_exceeded, "multiboot2.reserved");

  bool saw_end = false, saw_mmap = false;
  for (std::uint32_t at = 8; !saw_end;) {
    if (total - at < 8) return make_error(errc::truncated, "multiboot2.tag", at);
    const std::uint32_t type = authority::load_le32(info.data() + at);
    const std::uint32_t size = authority::load_le32(info.data() + at + 4);
    if (size < 8 || size > total - at) return make_error(errc::out_of_range, "multiboot2.tag_size", at + 4);
    const bytes_view body = info.subspan(at + 8, size - 8);
    switch (type) {
      case end:
        if (size != 8) return make_error(errc::invalid_argument, "multiboot2.end_tag", at);
        saw_end = true;
        break;
      case cmdline: {
        AUTHORITY_TRY_ASSIGN(out.command_line, tag_string(body, "multiboot2.cmdline", at));
        break;
      }
      case module: {
        if (body.size() < 8) return make_error(errc::truncated, "multiboot2.module", at);
        const std::uint32_t start = authority::load_le32(body.data());
        const std::uint32_t stop = authority::load_le32(body.data() + 4);
        if (stop < start) return make_error(errc::out_of_range, "multiboot2.module.mod_end", at + 12);
        if (!out.reserved.push_back({start, stop - start}))
          return make_error(errc::capacity_exceeded, "multiboot2.module");
        if (out.bundle.empty()) out.bundle = {start, stop - start};  // the first module is the bundle
        break;
      }
      case mmap: {
        if (body.size() < 8) return make_error(errc::truncated, "multiboot2.mmap", at);
        const std::uint32_t entry_size = authority::load_le32(body.data());
        if (entry_size < 24 || entry_size % 8 != 0)
          return make_error(errc::out_of_range, "multiboot2.mmap.entry_size", at + 8);
        for (std::size_t e = 8; e < body.size(); e += entry_size) {
          if (body.size() - e < entry_size) return make_error(errc::truncated, "multiboot2.mmap.entry", at);
          const std::uint64_t base = authority::load_le64(body.data() + e);
          const std::uint64_t len = authority::load_le64(body.data() + e + 8);
          const std::uint32_t kind = authority::load_le32(body.data() + e + 16);
          if (base + len < base) return make_error(errc::out_of_range, "multiboot2.mmap.length", at);
          auto& list = kind == available ? out.ram : out.reserved;
          if (len != 0 && !list.push_back({base, len}))
            return make_error(errc::capacity_exceeded, "multiboot2.mmap");
        }
        saw_mmap = true;
        break;
      }
      default:
        break;  // tags this kernel does not use (framebuffer, ACPI, ...)
    }
    at += (size + 7) & ~7u;  // tags are 8-byte aligned
    if (at > total && !saw_end) return make_error(errc::truncated, "multiboot2.tag", total);
  }
  if (!saw_mmap) return make_error(errc::not_found, "multiboot2.mmap");
  return authority::success();
}

}  // namespace kernel::multiboot2
