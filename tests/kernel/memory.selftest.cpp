// kernel/memory: the physical memory map, the page-frame allocator and the kernel heap.
// "Physical memory" here is a static buffer, which is what it is in the kernel too
// (RAM is identity-mapped).
#include <cstddef>
#include <cstdint>

#include "../../ports/nanos-kernel/kernel/heap.hpp"
#include "../../ports/nanos-kernel/kernel/memory_map.hpp"
#include "../../ports/nanos-kernel/kernel/page_frames.hpp"
#include "selftest/selftest.hpp"

using kernel::memory_map;
using kernel::memory_range;
using kernel::page_size;

namespace {
alignas(4096) std::byte frames_arena[48 * 4096];
alignas(16) std::byte heap_arena[16 * 1024];

std::uint64_t addr(const void* p) { return reinterpret_cast<std::uintptr_t>(p); }
}  // namespace

SELFTEST("kernel/memory map merges RAM, cuts reservations and rounds to pages") {
  memory_map m;
  ST_REQUIRE(m.add_usable({0x10000, 0x10000}).ok());
  ST_REQUIRE(m.add_usable({0x18000, 0x10000}).ok());  // overlaps: merged
  ST_REQUIRE(m.add_usable({0x100, 0x1000}).ok());     // rounds inwards to nothing
  ST_REQUIRE(m.free_ranges().size() == 1);
  ST_CHECK((m.free_ranges()[0] == memory_range{0x10000, 0x18000}));
  ST_REQUIRE(m.reserve({0x14010, 0x10}).ok());        // rounds outwards to one page, splits
  ST_REQUIRE(m.free_ranges().size() == 2);
  ST_CHECK((m.free_ranges()[0] == memory_range{0x10000, 0x4000}));
  ST_CHECK((m.free_ranges()[1] == memory_range{0x15000, 0x13000}));
  ST_REQUIRE(m.reserve({0x0, 0x11000}).ok());         // trims the left end
  ST_CHECK(m.free_ranges()[0].base == 0x11000);
  ST_REQUIRE(m.reserve({0x15000, 0x13000}).ok());     // removes a whole range
  ST_CHECK(m.free_ranges().size() == 1);
  ST_CHECK(m.free_bytes() == 0x3000);
  ST_CHECK(m.add_usable({~std::uint64_t{0} - 10, 100}).code() == authority::errc::out_of_range);
}

SELFTEST("kernel/memory map refuses more fragments than it can hold") {
  memory_map m;
  ST_REQUIRE(m.add_usable({0, memory_map::max_ranges * 2 * page_size + page_size}).ok());
  authority::result<void> r = authority::success();
  for (std::uint64_t i = 0; i < memory_map::max_ranges && r.ok(); ++i) r = m.reserve({(2 * i + 1) * page_size, 1});
  ST_CHECK(r.code() == authority::errc::capacity_exceeded);
}

SELFTEST("kernel/page frames allocate, free, refuse double frees and run out cleanly") {
  memory_map m;
  ST_REQUIRE(m.add_usable({addr(frames_arena), sizeof frames_arena}).ok());
  ST_REQUIRE(m.reserve({addr(frames_arena) + 20 * page_size, page_size}).ok());  // a hole
  auto made = kernel::page_frame_allocator::create(m);
  ST_REQUIRE(made.ok());
  auto& pf = *made;
  // 48 frames, one reserved, one for the bitmap.
  ST_CHECK(pf.free_frames() == 46);
  auto one = pf.allocate();
  ST_REQUIRE(one.ok());
  ST_CHECK(*one % page_size == 0 && *one >= addr(frames_arena) && *one < addr(frames_arena) + sizeof frames_arena);
  auto run = pf.allocate(20);  // must skip the hole at frame 20
  ST_REQUIRE(run.ok());
  const std::uint64_t hole = addr(frames_arena) + 20 * page_size;
  ST_CHECK(*run + 20 * page_size <= hole || *run > hole);
  ST_CHECK(pf.free(*one).ok());
  ST_CHECK(pf.free(*one).code() == authority::errc::invalid_argument);  // double free
  ST_CHECK(pf.free(*one + 1).code() == authority::errc::invalid_argument);  // misaligned
  ST_CHECK(pf.free(hole + 1000 * page_size).code() == authority::errc::out_of_range);
  ST_CHECK(pf.allocate(0).code() == authority::errc::capacity_exceeded);
  ST_CHECK(pf.allocate(27).code() == authority::errc::capacity_exceeded);  // 26 left
  std::uint64_t taken = 0;
  while (pf.allocate().ok()) ++taken;
  ST_CHECK(taken == 26);
  ST_CHECK(pf.free_frames() == 0);
  ST_CHECK(pf.free(*run, 20).ok());
  ST_CHECK(pf.allocate(20).ok());
}

SELFTEST("kernel/heap allocates aligned blocks, reuses and merges freed ones") {
  auto made = kernel::kernel_heap::create(heap_arena);
  ST_REQUIRE(made.ok());
  auto& h = *made;
  void* a = h.allocate(1);
  void* b = h.allocate(100);
  void* c = h.allocate(1000);
  ST_REQUIRE(a && b && c);
  ST_CHECK(addr(a) % 16 == 0 && addr(b) % 16 == 0 && addr(c) % 16 == 0);
  ST_CHECK(addr(b) >= addr(a) + 16 && addr(c) >= addr(b) + 112);
  for (int i = 0; i < 1000; ++i) static_cast<unsigned char*>(c)[i] = 0xab;  // stays inside its block
  ST_CHECK(h.check().ok());
  ST_CHECK(h.allocate(sizeof heap_arena) == nullptr);
  ST_CHECK(h.allocate(0) == nullptr);
  ST_CHECK(h.free(a).ok());
  ST_CHECK(h.free(b).ok());
  // a and b merge into one free block large enough for 120 bytes, at a's address.
  void* merged = h.allocate(120);
  ST_CHECK(merged == a);
  ST_CHECK(h.free(merged).ok());
  ST_CHECK(h.free(c).ok());
  void* all = h.allocate(sizeof heap_arena - 64);  // everything merged again
  ST_CHECK(all != nullptr);
  ST_CHECK(h.free(all).ok());
  ST_CHECK(h.used_bytes() == 0);
}

SELFTEST("kernel/heap refuses double frees, foreign pointers and detects corruption") {
  auto made = kernel::kernel_heap::create(heap_arena);
  ST_REQUIRE(made.ok());
  auto& h = *made;
  void* a = h.allocate(64);
  ST_REQUIRE(a != nullptr);
  ST_CHECK(h.free(a).ok());
  ST_CHECK(h.free(a).code() == authority::errc::invalid_argument);
  static std::byte elsewhere[32];
  ST_CHECK(h.free(elsewhere).code() == authority::errc::invalid_argument);
  ST_CHECK(h.free(static_cast<std::byte*>(a) + 8).code() == authority::errc::invalid_argument);
  ST_CHECK(h.free(nullptr).ok());
  void* b = h.allocate(64);
  ST_REQUIRE(b != nullptr);
  // Overwrite the block header in front of b, as an overflow from the block before would.
  auto* header = static_cast<std::uint64_t*>(b) - 2;
  const std::uint64_t saved = header[1];
  header[1] = 0x4141414141414141;
  ST_CHECK(h.check().code() == authority::errc::internal);
  header[1] = saved;
  ST_CHECK(h.check().ok());
  ST_CHECK(kernel::kernel_heap::create({heap_arena + 8, 64}).code() == authority::errc::invalid_argument);
}
