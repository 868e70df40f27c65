// aarch64 on QEMU virt: PL011 console, generic timer, semihosting exit, EL1 traps.
#include <cstdint>

#include "arch.hpp"
#include "console.hpp"
#include "fdt_boot.hpp"

namespace kernel::arch {
namespace {

constexpr std::uintptr_t pl011_base = 0x0900'0000;
constexpr std::uint32_t pl011_fr_txff = 1u << 5;
constexpr std::uint32_t pl011_fr_busy = 1u << 3;  // transmitting (FIFO or shift register)
constexpr std::uint32_t pl011_fr_txfe = 1u << 7;

volatile std::uint32_t& pl011(std::uintptr_t offset) {
  return *reinterpret_cast<volatile std::uint32_t*>(pl011_base + offset);
}

std::uint64_t frequency = 0;

}  // namespace

std::string_view name() noexcept { return "aarch64"; }

void console_init() noexcept {}  // QEMU's PL011 transmits without configuration

void console_write(std::string_view s) noexcept {
  for (char c : s) {
    if (c == '\n') {
      while (pl011(0x18) & pl011_fr_txff) {
      }
      pl011(0) = '\r';
    }
    while (pl011(0x18) & pl011_fr_txff) {
    }
    pl011(0) = static_cast<unsigned char>(c);
  }
}

void console_flush() noexcept {
  while ((pl011(0x18) & (pl011_fr_busy | pl011_fr_txfe)) != pl011_fr_txfe) {
  }
}

void traps_init() noexcept {}  // boot.S installs VBAR_EL1 before the MMU-on C++ code runs

authority::result<void> read_boot_info(std::uintptr_t, std::uintptr_t info, boot_info& out) noexcept {
  return read_fdt_boot_info(info, out);
}

authority::result<void> reserve_arch_memory(memory_map&) noexcept { return authority::success(); }

authority::result<void> clock_init(const boot_info&) noexcept {
  std::uint64_t f;
  asm volatile("mrs %0, cntfrq_el0" : "=r"(f));
  if (f == 0) return authority::make_error(authority::errc::not_found, "cntfrq_el0");
  frequency = f;
  return authority::success();
}

std::uint64_t counter() noexcept {
  std::uint64_t v;
  asm volatile("isb; mrs %0, cntvct_el0" : "=r"(v)::"memory");
  return v;
}

std::uint64_t counter_hz() noexcept { return frequency; }

[[noreturn]] void exit(int status) noexcept {
  // Semihosting SYS_EXIT with an ADP_Stopped_ApplicationExit block carries the status.
  const std::uint64_t block[2] = {0x20026, static_cast<std::uint64_t>(status)};
  register std::uint64_t x0 asm("x0") = 0x18;
  register const std::uint64_t* x1 asm("x1") = block;
  asm volatile("hlt #0xf000" ::"r"(x0), "r"(x1) : "memory");
  for (;;) asm volatile("wfe");
}

}  // namespace kernel::arch

namespace {

struct trap_frame {
  std::uint64_t x[31];
  std::uint64_t sp, elr, spsr, esr, far;
};
static_assert(sizeof(trap_frame) == 288);

const char* exception_class(std::uint64_t ec) {
  switch (ec) {
    case 0x00: return "unknown reason (undefined instruction)";
    case 0x07: return "SIMD/FP access trapped";
    case 0x0e: return "illegal execution state";
    case 0x15: return "SVC";
    case 0x18: return "MSR/MRS trapped";
    case 0x20: return "instruction abort from a lower EL";
    case 0x21: return "instruction abort";
    case 0x22: return "PC alignment fault";
    case 0x24: return "data abort from a lower EL";
    case 0x25: return "data abort";
    case 0x26: return "SP alignment fault";
    case 0x2c: return "floating-point exception";
    case 0x2f: return "SError";
    case 0x3c: return "BRK instruction";
    default: return "other exception class";
  }
}

// Data/instruction fault status code (ESR_EL1.ISS[5:0]).
const char* fault_status(std::uint64_t fsc) {
  switch (fsc >> 2) {
    case 0: return "address size fault";
    case 1: return "translation fault";
    case 2: return "access flag fault";
    case 3: return "permission fault";
    default: return fsc == 0x21 ? "alignment fault" : fsc == 0x10 ? "synchronous external abort" : "other fault";
  }
}

const char* vector_kind(std::uint64_t index) {
  constexpr const char* kinds[] = {"synchronous", "IRQ", "FIQ", "SError"};
  return kinds[index % 4];
}

}  // namespace

extern "C" [[noreturn]] void aarch64_trap(const trap_frame* f, std::uint64_t index) {
  using kernel::print;
  const std::uint64_t ec = (f->esr >> 26) & 0x3f;
  print("\nPANIC: {} exception: {} (ESR_EL1 {:p}, EC {:x})\n", vector_kind(index), exception_class(ec), f->esr, ec);
  if (ec == 0x20 || ec == 0x21 || ec == 0x24 || ec == 0x25)
    print("  faulting address {:p} (FAR_EL1), {} (level {}), {}\n", f->far, fault_status(f->esr & 0x3f), f->esr & 3,
          (f->esr >> 6) & 1 ? "write" : "read");
  print("  pc {:p}  sp {:p}  spsr {:p}  vector {}\n", f->elr, f->sp, f->spsr, index);
  for (int i = 0; i < 31; ++i) print("  x{}{} {:p}{}", i, i < 10 ? " " : "", f->x[i], i % 4 == 3 || i == 30 ? "\n" : "");
  kernel::arch::exit(kernel::exit_panic);
}
