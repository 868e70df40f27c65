// The PVH boot ABI's hvm_start_info (Xen's arch-x86/hvm/start_info.h), which QEMU's
// -kernel path passes to x86_64 kernels with a PVH note: memory map, modules (-initrd),
// command line. Pointers inside it are physical addresses, read through `memory`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "authority/core/bytes.hpp"
#include "authority/core/result.hpp"
#include "memory_map.hpp"

namespace kernel::pvh {

using authority::errc;
using authority::make_error;
using authority::result;

inline constexpr std::uint32_t start_info_magic = 0x336ec578;
inline constexpr std::size_t start_info_size = 56;  // version 1
inline constexpr std::size_t max_entries = 128;
inline constexpr std::size_t max_cmdline = 4096;
enum memmap_type : std::uint32_t { ram = 1 };

// Reads physical memory: a view of `size` bytes at `address` (identity map in the
// kernel, a test buffer in the tests).
using physical_view = authority::bytes_view (*)(std::uint64_t address, std::size_t size);

inline result<void> read_boot_info(std::uint64_t info_address, physical_view physical, boot_info& out) noexcept {
  out.protocol = "pvh";
  // Every structure the start info points to must be readable in full.
  bool unreadable = false;
  auto memory = [&](std::uint64_t address, std::size_t size) {
    const authority::bytes_view v = physical(address, size);
    if (v.size() != size || v.data() == nullptr) unreadable = true;
    return unreadable ? authority::bytes_view{} : v;
  };
  const authority::bytes_view info = memory(info_address, start_info_size);
  if (unreadable) return make_error(errc::out_of_range, "pvh.start_info");
  if (authority::load_le32(info.data()) != start_info_magic) return make_error(errc::bad_magic, "pvh.magic", 0);
  const std::uint32_t version = authority::load_le32(info.data() + 4);
  if (version < 1) return make_error(errc::unsupported_version, "pvh.version", 4);  // v0 has no memory map
  const std::uint32_t nr_modules = authority::load_le32(info.data() + 12);
  const std::uint64_t modlist = authority::load_le64(info.data() + 16);
  const std::uint64_t cmdline = authority::load_le64(info.data() + 24);
  const std::uint64_t memmap = authority::load_le64(info.data() + 40);
  const std::uint32_t memmap_entries = authority::load_le32(info.data() + 48);
  if (!out.reserved.push_back({info_address, start_info_size})) return make_error(errc::capacity_exceeded, "pvh.reserved");

  if (memmap_entries == 0 || memmap_entries > max_entries) return make_error(errc::out_of_range, "pvh.memmap_entries", 48);
  const authority::bytes_view map = memory(memmap, memmap_entries * 24u);
  if (unreadable) return make_error(errc::out_of_range, "pvh.memmap_paddr", 40);
  for (std::size_t i = 0; i < memmap_entries; ++i) {
    const std::uint64_t base = authority::load_le64(map.data() + 24 * i);
    const std::uint64_t size = authority::load_le64(map.data() + 24 * i + 8);
    const std::uint32_t type = authority::load_le32(map.data() + 24 * i + 16);
    if (base + size < base) return make_error(errc::out_of_range, "pvh.memmap.size", static_cast<std::uint32_t>(24 * i + 8));
    auto& list = type == ram ? out.ram : out.reserved;
    if (size != 0 && !list.push_back({base, size})) return make_error(errc::capacity_exceeded, "pvh.memmap");
  }
  if (!out.reserved.push_back({memmap, memmap_entries * 24u})) return make_error(errc::capacity_exceeded, "pvh.reserved");

  if (nr_modules > max_entries) return make_error(errc::out_of_range, "pvh.nr_modules", 12);
  if (nr_modules > 0) {
    const authority::bytes_view mods = memory(modlist, nr_modules * 32u);
    if (unreadable) return make_error(errc::out_of_range, "pvh.modlist_paddr", 16);
    for (std::size_t i = 0; i < nr_modules; ++i) {
      const std::uint64_t base = authority::load_le64(mods.data() + 32 * i);
      const std::uint64_t size = authority::load_le64(mods.data() + 32 * i + 8);
      if (base + size < base) return make_error(errc::out_of_range, "pvh.module.size", static_cast<std::uint32_t>(32 * i + 8));
      if (!out.reserved.push_back({base, size})) return make_error(errc::capacity_exceeded, "pvh.reserved");
      if (out.bundle.empty()) out.bundle = {base, size};  // the first module is the bundle
    }
  }
  if (cmdline != 0) {
    // A C string: bounded search for its NUL.
    const authority::bytes_view text = physical(cmdline, max_cmdline);  // may end early: NUL needed inside
    std::size_t n = 0;
    while (n < text.size() && text[n] != 0) ++n;
    if (n == text.size()) return make_error(errc::too_long, "pvh.cmdline", 24);
    out.command_line = authority::as_chars(text.first(n));
  }
  if (out.ram.empty()) return make_error(errc::not_found, "pvh.memmap");
  return authority::success();
}

}  // namespace kernel::pvh
