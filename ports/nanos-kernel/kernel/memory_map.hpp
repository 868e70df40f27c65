// The physical memory map: usable RAM minus everything that is already in use (the
// kernel image, the boot loader's information, the device tree, the boot bundle,
// firmware). Boot-protocol parsers fill it; the page-frame allocator consumes it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "authority/core/result.hpp"
#include "authority/core/static_vector.hpp"

namespace kernel {

struct memory_range {
  std::uint64_t base = 0;
  std::uint64_t size = 0;

  constexpr std::uint64_t end() const noexcept { return base + size; }
  constexpr bool empty() const noexcept { return size == 0; }
  constexpr bool operator==(const memory_range&) const = default;
};

inline constexpr std::uint64_t page_size = 4096;

constexpr std::uint64_t align_down(std::uint64_t v, std::uint64_t a) noexcept { return v & ~(a - 1); }
constexpr std::uint64_t align_up(std::uint64_t v, std::uint64_t a) noexcept {
  return align_down(v + (a - 1), a);
}

// Sorted, non-overlapping, page-aligned free ranges: usable RAM with reserved ranges cut
// out. Capacity bounds the number of fragments; exceeding it is an error, not a guess.
class memory_map {
 public:
  static constexpr std::size_t max_ranges = 64;

  // Adds usable RAM (rounded inwards to whole pages). Overlaps with earlier RAM merge.
  authority::result<void> add_usable(memory_range r) noexcept {
    const std::uint64_t base = align_up(r.base, page_size);
    if (r.end() < r.base) return authority::make_error(authority::errc::out_of_range, "memory.size");
    const std::uint64_t end = align_down(r.end(), page_size);
    if (end <= base) return authority::success();
    // Insert sorted, then merge neighbours that touch or overlap.
    if (!free_.push_back({base, end - base}))
      return authority::make_error(authority::errc::capacity_exceeded, "memory_map");
    for (std::size_t i = free_.size() - 1; i > 0 && free_[i].base < free_[i - 1].base; --i) {
      const memory_range t = free_[i];
      free_[i] = free_[i - 1];
      free_[i - 1] = t;
    }
    merge();
    return authority::success();
  }

  // Removes a range (rounded outwards to whole pages) from the free ranges.
  authority::result<void> reserve(memory_range r) noexcept {
    if (r.empty()) return authority::success();
    if (r.end() < r.base) return authority::make_error(authority::errc::out_of_range, "reserved.size");
    const std::uint64_t lo = align_down(r.base, page_size);
    const std::uint64_t hi = align_up(r.end(), page_size);
    for (std::size_t i = 0; i < free_.size(); ++i) {
      const memory_range f = free_[i];
      if (hi <= f.base || lo >= f.end()) continue;
      const memory_range left{f.base, lo > f.base ? lo - f.base : 0};
      const memory_range right{hi, hi < f.end() ? f.end() - hi : 0};
      if (!left.empty() && !right.empty()) {
        // Split: keep the left part here, insert the right part after it.
        if (free_.full()) return authority::make_error(authority::errc::capacity_exceeded, "memory_map");
        free_[i] = left;
        (void)free_.push_back(right);
        for (std::size_t j = free_.size() - 1; j > i + 1; --j) {
          const memory_range t = free_[j];
          free_[j] = free_[j - 1];
          free_[j - 1] = t;
        }
        ++i;
      } else if (!left.empty()) {
        free_[i] = left;
      } else if (!right.empty()) {
        free_[i] = right;
      } else {
        erase(i);
        --i;
      }
    }
    return authority::success();
  }

  std::span<const memory_range> free_ranges() const noexcept { return free_.span(); }
  std::uint64_t free_bytes() const noexcept {
    std::uint64_t n = 0;
    for (const auto& r : free_) n += r.size;
    return n;
  }

 private:
  void erase(std::size_t i) noexcept {
    for (std::size_t j = i + 1; j < free_.size(); ++j) free_[j - 1] = free_[j];
    free_.pop_back();
  }
  void merge() noexcept {
    for (std::size_t i = 1; i < free_.size();) {
      if (free_[i].base <= free_[i - 1].end()) {
        const std::uint64_t end = free_[i].end() > free_[i - 1].end() ? free_[i].end() : free_[i - 1].end();
        free_[i - 1].size = end - free_[i - 1].base;
        erase(i);
      } else {
        ++i;
      }
    }
  }

  authority::static_vector<memory_range, max_ranges> free_;
};

// What a boot protocol (Multiboot2, device tree) tells the kernel.
struct boot_info {
  authority::static_vector<memory_range, 32> ram;       // usable RAM as reported
  authority::static_vector<memory_range, 32> reserved;  // firmware, boot data, modules
  memory_range bundle{};          // the boot bundle (GRUB module2 / -initrd); empty = none
  std::string_view command_line;  // may be empty
  std::uint64_t timebase_hz = 0;  // device tree /cpus timebase-frequency; 0 = not given
  std::string_view protocol;      // "multiboot2", "fdt", "pvh"
};

}  // namespace kernel
