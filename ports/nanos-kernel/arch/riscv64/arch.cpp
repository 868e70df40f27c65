// riscv64 on QEMU virt: NS16550 console, rdtime clock, sifive_test exit, S-mode traps.
#include <cstdint>

#include "arch.hpp"
#include "console.hpp"
#include "fdt_boot.hpp"

namespace kernel::arch {
namespace {

constexpr std::uintptr_t uart_base = 0x1000'0000;
constexpr std::uint8_t lsr_thr_empty = 1u << 5;
constexpr std::uint8_t lsr_transmitter_empty = 1u << 6;  // holding and shift register
constexpr std::uintptr_t sifive_test = 0x10'0000;

volatile std::uint8_t& uart(std::uintptr_t offset) { return *reinterpret_cast<volatile std::uint8_t*>(uart_base + offset); }

void uart_put(char c) {
  while ((uart(5) & lsr_thr_empty) == 0) {
  }
  uart(0) = static_cast<std::uint8_t>(c);
}

std::uint64_t frequency = 0;

}  // namespace

std::string_view name() noexcept { return "riscv64"; }

void console_init() noexcept {}  // QEMU's 16550 transmits without configuration

void console_write(std::string_view s) noexcept {
  for (char c : s) {
    if (c == '\n') uart_put('\r');
    uart_put(c);
  }
}

void console_flush() noexcept {
  while ((uart(5) & lsr_transmitter_empty) == 0) {
  }
}

// boot.S sets stvec before any C++ runs. sscratch = 0 says "a trap from S-mode" to
// trap.S (firmware may leave anything in it); user.S keeps it so outside U-mode.
void traps_init() noexcept { asm volatile("csrw sscratch, zero"); }

authority::result<void> read_boot_info(std::uintptr_t, std::uintptr_t info, boot_info& out) noexcept {
  return read_fdt_boot_info(info, out);
}

authority::result<void> reserve_arch_memory(memory_map&) noexcept { return authority::success(); }

authority::result<void> clock_init(const boot_info& info) noexcept {
  if (info.timebase_hz == 0) return authority::make_error(authority::errc::not_found, "fdt.timebase-frequency");
  frequency = info.timebase_hz;
  return authority::success();
}

std::uint64_t counter() noexcept {
  std::uint64_t v;
  asm volatile("rdtime %0" : "=r"(v));
  return v;
}

std::uint64_t counter_hz() noexcept { return frequency; }

[[noreturn]] void exit(int status) noexcept {
  // sifive_test: 0x5555 = pass (QEMU exits 0), (code << 16) | 0x3333 = fail with code.
  const auto code = static_cast<std::uint32_t>(status);
  *reinterpret_cast<volatile std::uint32_t*>(sifive_test) = code == 0 ? 0x5555 : (code << 16) | 0x3333;
  for (;;) asm volatile("wfi");
}

}  // namespace kernel::arch

namespace {

struct trap_frame {
  std::uint64_t x[32];  // x[0] holds sepc
  std::uint64_t scause, stval, sstatus, pad;
};
static_assert(sizeof(trap_frame) == 288);

const char* cause_name(std::uint64_t cause) {
  if (cause >> 63) return "interrupt";
  constexpr const char* names[] = {"instruction address misaligned", "instruction access fault", "illegal instruction",
                                   "breakpoint", "load address misaligned", "load access fault",
                                   "store address misaligned", "store access fault", "environment call from U-mode",
                                   "environment call from S-mode", "reserved", "environment call from M-mode",
                                   "instruction page fault", "load page fault", "reserved", "store page fault"};
  return cause < 16 ? names[cause] : "reserved";
}

constexpr const char* abi_names[32] = {"pc", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0",
                                       "a1", "a2", "a3", "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5",
                                       "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6"};

}  // namespace

extern "C" [[noreturn]] void riscv64_trap(const trap_frame* f) {
  using kernel::print;
  const std::uint64_t code = f->scause & ~(std::uint64_t{1} << 63);
  print("\nPANIC: trap: {} (scause {:p}, code {})\n", cause_name(f->scause), f->scause, code);
  print("  faulting address {:p} (stval)\n", f->stval);
  print("  sepc {:p}  sstatus {:p}\n", f->x[0], f->sstatus);
  for (int i = 1; i < 32; ++i) print("  {}{} {:p}{}", abi_names[i], abi_names[i][2] == 0 ? " " : "", f->x[i], i % 4 == 3 || i == 31 ? "\n" : "");
  kernel::arch::exit(kernel::exit_panic);
}
