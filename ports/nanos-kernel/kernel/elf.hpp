// Agents as ELF executables (docs/syscall-abi.md): a strict reader for static ELF64
// little-endian ET_EXEC images and a loader that maps their PT_LOAD segments into an
// agent address space (kernel/user.hpp). Everything is checked before anything is
// mapped; an error names the field, and the kernel audits it as bad_executable.
#pragma once

#include <cstddef>
#include <cstdint>

#include "authority/core/bytes.hpp"
#include "authority/core/result.hpp"
#include "authority/core/static_vector.hpp"
#include "user.hpp"

namespace kernel::elf {

inline constexpr std::size_t max_segments = 8;
inline constexpr std::uint64_t max_image_pages = 256;  // 1 MiB of segments per agent
inline constexpr std::uint64_t stack_pages = 4;        // 16 KiB at the top of the window

struct segment {
  std::uint64_t vaddr = 0, memsz = 0, offset = 0, filesz = 0;
  page_access access = page_access::read;
};

struct image {
  std::uint64_t entry = 0;
  authority::static_vector<segment, max_segments> segments;
};

namespace detail {
inline std::uint16_t le16(authority::bytes_view b, std::size_t at) noexcept {
  return static_cast<std::uint16_t>(b[at] | (b[at + 1] << 8));
}
inline std::uint32_t le32(authority::bytes_view b, std::size_t at) noexcept {
  return static_cast<std::uint32_t>(le16(b, at)) | (static_cast<std::uint32_t>(le16(b, at + 2)) << 16);
}
inline std::uint64_t le64(authority::bytes_view b, std::size_t at) noexcept {
  return static_cast<std::uint64_t>(le32(b, at)) | (static_cast<std::uint64_t>(le32(b, at + 4)) << 32);
}
}  // namespace detail

// Checks the file against the arch (machine, user window) without mapping anything.
inline authority::result<image> parse(authority::bytes_view file, std::uint16_t machine, arch::user_range window) noexcept {
  using authority::errc;
  using authority::make_error;
  using detail::le16, detail::le32, detail::le64;
  constexpr std::size_t ehdr_size = 64, phdr_size = 56;
  if (file.size() < ehdr_size) return make_error(errc::bad_executable, "elf.header");
  if (file[0] != 0x7f || file[1] != 'E' || file[2] != 'L' || file[3] != 'F') return make_error(errc::bad_executable, "elf.magic");
  if (file[4] != 2) return make_error(errc::bad_executable, "elf.class");  // ELFCLASS64
  if (file[5] != 1) return make_error(errc::bad_executable, "elf.data");   // little-endian
  if (file[6] != 1) return make_error(errc::bad_executable, "elf.version");
  if (le16(file, 16) != 2) return make_error(errc::bad_executable, "elf.type");  // ET_EXEC: static, not PIE/shared
  if (le16(file, 18) != machine) return make_error(errc::bad_executable, "elf.machine");
  image out;
  out.entry = le64(file, 24);
  const std::uint64_t phoff = le64(file, 32);
  const std::uint16_t phentsize = le16(file, 54), phnum = le16(file, 56);
  if (phentsize != phdr_size || phnum == 0 || phnum > 32) return make_error(errc::bad_executable, "elf.phdr");
  if (phoff > file.size() || phnum * phdr_size > file.size() - phoff) return make_error(errc::bad_executable, "elf.phdr");
  const std::uint64_t stack_base = window.end - stack_pages * page_size;
  std::uint64_t pages = 0;
  bool entry_ok = false;
  for (std::size_t i = 0; i < phnum; ++i) {
    const std::size_t at = static_cast<std::size_t>(phoff + i * phdr_size);
    const std::uint32_t type = le32(file, at);
    if (type == 2 || type == 3) return make_error(errc::bad_executable, "elf.dynamic");  // PT_DYNAMIC, PT_INTERP
    if (type != 1) continue;                                                           // only PT_LOAD matters
    const std::uint32_t flags = le32(file, at + 4);
    segment s;
    s.offset = le64(file, at + 8);
    s.vaddr = le64(file, at + 16);
    s.filesz = le64(file, at + 32);
    s.memsz = le64(file, at + 40);
    if (s.memsz == 0) continue;
    if ((flags & 2) && (flags & 1)) return make_error(errc::bad_executable, "elf.segment.w^x");
    s.access = (flags & 1) ? page_access::execute : (flags & 2) ? page_access::write : page_access::read;
    if (s.filesz > s.memsz) return make_error(errc::bad_executable, "elf.segment.filesz");
    if (s.offset > file.size() || s.filesz > file.size() - s.offset) return make_error(errc::bad_executable, "elf.segment.offset");
    if (s.vaddr < window.base || s.vaddr >= stack_base || s.memsz > stack_base - s.vaddr)
      return make_error(errc::bad_executable, "elf.segment.range");
    pages += (align_up(s.vaddr + s.memsz, page_size) - align_down(s.vaddr, page_size)) / page_size;
    if (pages > max_image_pages) return make_error(errc::bad_executable, "elf.size");
    if (out.segments.full()) return make_error(errc::bad_executable, "elf.segments");
    if (has(s.access, page_access::execute) && out.entry >= s.vaddr && out.entry < s.vaddr + s.memsz) entry_ok = true;
    (void)out.segments.push_back(s);
  }
  if (out.segments.empty()) return make_error(errc::bad_executable, "elf.segments");
  if (!entry_ok) return make_error(errc::bad_executable, "elf.entry");
  return out;
}

// Maps every segment (zero-filled, file bytes copied in) and the stack; returns the
// initial stack pointer. Segments sharing a page are refused (map_user_page: mapped).
// On error the caller destroys the address space, which frees what was mapped.
inline authority::result<std::uint64_t> load(const image& img, authority::bytes_view file, arch::address_space& as,
                                             page_frame_allocator& frames) noexcept {
  const auto window = arch::user_window();
  auto map_zeroed = [&](std::uint64_t va, page_access access) -> authority::result<authority::byte*> {
    const std::uint64_t frame = AUTHORITY_TRY(frames.allocate());
    auto* p = reinterpret_cast<authority::byte*>(static_cast<std::uintptr_t>(frame));
    if (auto mapped = arch::map_user_page(as, frames, static_cast<std::uintptr_t>(va), frame, access); !mapped) {
      (void)frames.free(frame);
      return authority::make_error(authority::errc::bad_executable, mapped.error().field);
    }
    for (std::size_t i = 0; i < page_size; ++i) p[i] = 0;
    return p;
  };
  for (const auto& s : img.segments) {
    for (std::uint64_t page = align_down(s.vaddr, page_size); page < s.vaddr + s.memsz; page += page_size) {
      authority::byte* p = AUTHORITY_TRY(map_zeroed(page, s.access));
      // The file bytes that fall into this page.
      const std::uint64_t lo = page > s.vaddr ? page : s.vaddr;
      const std::uint64_t hi_file = s.vaddr + s.filesz;
      const std::uint64_t hi = page + page_size < hi_file ? page + page_size : hi_file;
      for (std::uint64_t va = lo; va < hi; ++va) p[va - page] = file[static_cast<std::size_t>(s.offset + (va - s.vaddr))];
    }
  }
  for (std::uint64_t i = 1; i <= stack_pages; ++i)
    AUTHORITY_TRY(map_zeroed(window.end - i * page_size, page_access::read | page_access::write));
  return window.end;
}

}  // namespace kernel::elf
