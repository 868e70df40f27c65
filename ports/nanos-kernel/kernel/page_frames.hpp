// The page-frame allocator: one bit per 4 KiB frame between the lowest and highest free
// address of the memory map. The bitmap itself is carved out of the map, so the
// allocator needs nothing but the memory it manages. Addresses are physical; the
// kernel identity-maps RAM, so they are also pointers.
#pragma once

#include <cstddef>
#include <cstdint>

#include "authority/core/result.hpp"
#include "memory_map.hpp"

namespace kernel {

class page_frame_allocator {
 public:
  page_frame_allocator() = default;

  // Takes the bitmap from `map` (which then no longer lists that memory) and marks every
  // frame inside a free range as free and every other frame (holes) as used.
  static authority::result<page_frame_allocator> create(memory_map& map) noexcept {
    const auto ranges = map.free_ranges();
    if (ranges.empty()) return authority::make_error(authority::errc::not_found, "memory_map.free");
    page_frame_allocator a;
    a.base_ = ranges.front().base;
    a.frames_ = (ranges.back().end() - a.base_) / page_size;
    const std::uint64_t bitmap_bytes = align_up((a.frames_ + 7) / 8, page_size);
    const memory_range* home = nullptr;
    for (const auto& r : ranges)
      if (r.size >= bitmap_bytes) {
        home = &r;
        break;
      }
    if (home == nullptr) return authority::make_error(authority::errc::capacity_exceeded, "page_frames.bitmap");
    const memory_range bitmap_range{home->base, bitmap_bytes};
    a.bitmap_ = reinterpret_cast<std::uint8_t*>(static_cast<std::uintptr_t>(bitmap_range.base));
    AUTHORITY_TRY(map.reserve(bitmap_range));
    for (std::uint64_t i = 0; i < bitmap_bytes; ++i) a.bitmap_[i] = 0xff;  // all used
    for (const auto& r : map.free_ranges())
      for (std::uint64_t f = (r.base - a.base_) / page_size; f < (r.end() - a.base_) / page_size; ++f) {
        a.set_used(f, false);
        ++a.free_;
      }
    return a;
  }

  // `count` physically contiguous frames, first fit; returns the physical address.
  authority::result<std::uint64_t> allocate(std::uint64_t count = 1) noexcept {
    if (count == 0 || count > free_) return authority::make_error(authority::errc::capacity_exceeded, "page_frames");
    std::uint64_t run = 0;
    for (std::uint64_t f = 0; f < frames_; ++f) {
      run = used(f) ? 0 : run + 1;
      if (run == count) {
        const std::uint64_t first = f + 1 - count;
        for (std::uint64_t i = first; i <= f; ++i) set_used(i, true);
        free_ -= count;
        return base_ + first * page_size;
      }
    }
    return authority::make_error(authority::errc::capacity_exceeded, "page_frames.contiguous");
  }

  // Returns frames; refuses misaligned, foreign or already-free frames (a double free
  // is a kernel bug worth stopping on, not something to paper over).
  authority::result<void> free(std::uint64_t address, std::uint64_t count = 1) noexcept {
    if (address % page_size != 0 || address < base_)
      return authority::make_error(authority::errc::invalid_argument, "page_frames.address");
    const std::uint64_t first = (address - base_) / page_size;
    if (count == 0 || first >= frames_ || count > frames_ - first)
      return authority::make_error(authority::errc::out_of_range, "page_frames.address");
    for (std::uint64_t i = first; i < first + count; ++i)
      if (!used(i)) return authority::make_error(authority::errc::invalid_argument, "page_frames.double_free");
    for (std::uint64_t i = first; i < first + count; ++i) set_used(i, false);
    free_ += count;
    return authority::success();
  }

  std::uint64_t free_frames() const noexcept { return free_; }
  std::uint64_t span_frames() const noexcept { return frames_; }

 private:
  bool used(std::uint64_t f) const noexcept { return (bitmap_[f / 8] >> (f % 8)) & 1u; }
  void set_used(std::uint64_t f, bool v) noexcept {
    const auto bit = static_cast<std::uint8_t>(1u << (f % 8));
    bitmap_[f / 8] = static_cast<std::uint8_t>(v ? (bitmap_[f / 8] | bit) : (bitmap_[f / 8] & ~bit));
  }

  std::uint8_t* bitmap_ = nullptr;
  std::uint64_t base_ = 0;
  std::uint64_t frames_ = 0;
  std::uint64_t free_ = 0;
};

}  // namespace kernel
