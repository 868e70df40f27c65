// The shared boot path, entered from each arch's boot stub with the stack, FP/SIMD and
// paging set up: console, traps, boot information, memory, clock, boot bundle; then the
// image's mode (kernel::run) and a QEMU exit with its status.
#include <cstdint>

#include "arch.hpp"
#include "clock.hpp"
#include "console.hpp"
#include "kernel.hpp"
#include "runtime.hpp"

extern "C" char __kernel_start[];  // from the linker script
extern "C" char __kernel_end[];

namespace kernel {
namespace {

constexpr std::uint64_t heap_pages = 64;  // 256 KiB: the kernel's own bookkeeping

environment env;  // too large for the boot stack; lives in .bss

template <class T>
T must(authority::result<T> r, std::string_view what) noexcept {
  if (!r) {
    const auto e = r.error();
    print("boot: {} failed: {} ({}) field '{}' offset {}\n", what, authority::name_of(e.code),
          static_cast<unsigned>(e.code), e.field, e.offset);
    arch::exit(exit_boot_error);
  }
  if constexpr (!std::is_void_v<T>) return r.release_value();
}

void print_memory(const environment& e) {
  for (const auto& r : e.boot.ram) print("  ram      {:p}-{:p}\n", r.base, r.end());
  for (const auto& r : e.boot.reserved) print("  reserved {:p}-{:p}\n", r.base, r.end());
  print("  free {} KiB in {} ranges; page frames {} free of {}; heap {} KiB\n", e.memory.free_bytes() / 1024,
        e.memory.free_ranges().size(), e.frames.free_frames(), e.frames.span_frames(), e.heap.arena_bytes() / 1024);
}

}  // namespace

void boot(std::uintptr_t protocol, std::uintptr_t info) noexcept {
  arch::console_init();
  run_constructors();
  arch::traps_init();
  print("authority kernel {} booting\n", arch::name());

  must(arch::read_boot_info(protocol, info, env.boot), "boot information");
  print("boot: protocol {}, command line '{}'\n", env.boot.protocol, env.boot.command_line);
  for (const auto& r : env.boot.ram) must(env.memory.add_usable(r), "memory map");
  for (const auto& r : env.boot.reserved) must(env.memory.reserve(r), "memory map");
  const auto kernel_start = reinterpret_cast<std::uintptr_t>(__kernel_start);
  must(env.memory.reserve({kernel_start, reinterpret_cast<std::uintptr_t>(__kernel_end) - kernel_start}), "memory map");
  must(arch::reserve_arch_memory(env.memory), "memory map");
  env.frames = must(page_frame_allocator::create(env.memory), "page frames");
  const std::uint64_t heap_base = must(env.frames.allocate(heap_pages), "heap");
  env.heap = must(kernel_heap::create({reinterpret_cast<std::byte*>(static_cast<std::uintptr_t>(heap_base)),
                                       heap_pages * page_size}),
                  "heap");
  print_memory(env);

  must(arch::clock_init(env.boot), "clock");
  print("clock: counter at {} Hz, {} ms since boot\n", arch::counter_hz(), monotonic_clock{}.now_ns() / authority::ns_per_ms);

  if (!env.boot.bundle.empty()) {
    const authority::bytes_view bytes{reinterpret_cast<const authority::byte*>(static_cast<std::uintptr_t>(env.boot.bundle.base)),
                                      static_cast<std::size_t>(env.boot.bundle.size)};
    env.bundle_bytes = bytes;
    // A bad bundle is the image's business (the product refuses it and stays up
    // denying), not a reason to stop booting.
    if (auto opened = cpio::archive::open(bytes)) {
      env.bundle = *opened;
      print("bundle: {} bytes, {} entries\n", bytes.size(), env.bundle->size());
      env.bundle->for_each([](const cpio::entry& e) {
        print("  {} {} ({} bytes)\n", e.is_directory() ? "dir " : "file", e.name, e.data.size());
        return true;
      });
    } else {
      env.bundle_error = opened.error();
      print("bundle: {} bytes, not a valid archive: {} ({}) field '{}' offset {}\n", bytes.size(),
            authority::name_of(env.bundle_error.code), static_cast<unsigned>(env.bundle_error.code),
            env.bundle_error.field, env.bundle_error.offset);
    }
  } else {
    print("bundle: none\n");
  }

  arch::exit(run(env));
}

}  // namespace kernel

extern "C" [[noreturn]] void kernel_main(std::uintptr_t protocol, std::uintptr_t info) {
  kernel::boot(protocol, info);
  kernel::arch::exit(kernel::exit_boot_error);
}
