// The kernel's own heap: first fit over one arena, blocks with a checked header,
// neighbouring free blocks merged as the allocator walks past them. The kernel may
// allocate; the library core never does (the kernel defines no global operator new or
// malloc, so a core header that allocates fails to link).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "authority/core/result.hpp"

namespace kernel {

class kernel_heap {
 public:
  static constexpr std::size_t alignment = 16;

  kernel_heap() = default;
  // The arena must be 16-byte aligned and at least two headers long.
  static authority::result<kernel_heap> create(std::span<std::byte> arena) noexcept {
    if (reinterpret_cast<std::uintptr_t>(arena.data()) % alignment != 0 || arena.size() < 2 * sizeof(header))
      return authority::make_error(authority::errc::invalid_argument, "heap.arena");
    kernel_heap h;
    h.begin_ = arena.data();
    h.size_ = arena.size() & ~(alignment - 1);
    *h.at(0) = header{h.size_, magic_free};
    return h;
  }

  // nullptr when no block is large enough (the caller decides what that means).
  void* allocate(std::size_t bytes) noexcept {
    if (bytes == 0 || bytes > size_ - sizeof(header)) return nullptr;  // a block needs its header too
    const std::size_t need = round_up(bytes) + sizeof(header);
    for (std::size_t off = 0; off < size_; off += at(off)->size) {
      header* h = at(off);
      if (h->tag != magic_free) continue;
      // Merge the free blocks that follow, then see whether this one fits.
      while (off + h->size < size_ && at(off + h->size)->tag == magic_free) h->size += at(off + h->size)->size;
      if (h->size < need) continue;
      if (h->size - need >= sizeof(header) + alignment) {
        *at(off + need) = header{h->size - need, magic_free};
        h->size = need;
      }
      h->tag = magic_used;
      used_ += h->size;
      return h + 1;
    }
    return nullptr;
  }

  // Frees a block from allocate(). A pointer that is not a live block is refused.
  authority::result<void> free(void* p) noexcept {
    if (p == nullptr) return authority::success();
    // Addresses, not pointers: comparing a pointer into another object with the arena's
    // is unspecified, so a foreign pointer could pass as ours.
    const auto address = reinterpret_cast<std::uintptr_t>(p);
    const auto begin = reinterpret_cast<std::uintptr_t>(begin_);
    if (address < begin + sizeof(header) || address - begin >= size_ || (address - begin) % alignment != 0)
      return authority::make_error(authority::errc::invalid_argument, "heap.pointer");
    header* h = at(address - begin - sizeof(header));
    if (h->tag != magic_used) return authority::make_error(authority::errc::invalid_argument, "heap.double_free");
    h->tag = magic_free;
    used_ -= h->size;
    return authority::success();
  }

  // Walks every block: sizes must tile the arena exactly and every tag be known.
  authority::result<void> check() const noexcept {
    std::size_t off = 0;
    while (off < size_) {
      const header* h = at(off);
      if ((h->tag != magic_free && h->tag != magic_used) || h->size < sizeof(header) || h->size % alignment != 0 ||
          h->size > size_ - off)
        return authority::make_error(authority::errc::internal, "heap.block", static_cast<std::uint32_t>(off));
      off += h->size;
    }
    return authority::success();
  }

  std::size_t used_bytes() const noexcept { return used_; }  // including headers
  std::size_t arena_bytes() const noexcept { return size_; }

 private:
  struct header {
    std::size_t size;  // of the whole block, header included
    std::uint64_t tag;
  };
  static_assert(sizeof(header) == alignment);
  static constexpr std::uint64_t magic_free = 0x6672'6565'6672'6565;  // "freefree"
  static constexpr std::uint64_t magic_used = 0x7573'6564'7573'6564;  // "usedused"

  static constexpr std::size_t round_up(std::size_t n) noexcept { return (n + alignment - 1) & ~(alignment - 1); }
  header* at(std::size_t off) const noexcept { return reinterpret_cast<header*>(begin_ + off); }

  std::byte* begin_ = nullptr;
  std::size_t size_ = 0;
  std::size_t used_ = 0;
};

}  // namespace kernel
