// x86_64 on QEMU (pc machine): COM1 console, IDT, TSC clock calibrated against the PIT,
// isa-debug-exit.
#include <cstdint>

#include "arch.hpp"
#include "arch_user.hpp"
#include "console.hpp"
#include "multiboot2.hpp"
#include "pvh.hpp"

namespace kernel::arch {
namespace {

constexpr std::uintptr_t protocol_multiboot2 = 1;
constexpr std::uintptr_t protocol_pvh = 3;

void outb(std::uint16_t port, std::uint8_t v) { asm volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
std::uint8_t inb(std::uint16_t port) {
  std::uint8_t v;
  asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}

constexpr std::uint16_t com1 = 0x3f8;

void serial_put(char c) {
  while ((inb(com1 + 5) & 0x20) == 0) {  // LSR: transmit holding register empty
  }
  outb(com1, static_cast<std::uint8_t>(c));
}

struct [[gnu::packed]] idt_entry {
  std::uint16_t offset_low, selector;
  std::uint8_t ist, type_attributes;
  std::uint16_t offset_mid;
  std::uint32_t offset_high, zero;
};
static_assert(sizeof(idt_entry) == 16);
struct [[gnu::packed]] idt_pointer {
  std::uint16_t limit;
  std::uint64_t base;
};

alignas(16) idt_entry idt[256];  // 0-31 exceptions, 32 the APIC timer, 0xff spurious
std::uint64_t tsc_hz = 0;

authority::bytes_view physical(std::uint64_t address, std::size_t size) {
  return {reinterpret_cast<const authority::byte*>(static_cast<std::uintptr_t>(address)), size};
}

}  // namespace
}  // namespace kernel::arch

extern "C" const std::uint64_t exception_stubs[33];
extern "C" void x86_spurious_stub();

namespace kernel::arch {

std::string_view name() noexcept { return "x86_64"; }

void console_init() noexcept {
  outb(com1 + 1, 0x00);  // no interrupts
  outb(com1 + 3, 0x80);  // DLAB: set the divisor
  outb(com1 + 0, 0x01);  // 115200 baud
  outb(com1 + 1, 0x00);
  outb(com1 + 3, 0x03);  // 8N1
  outb(com1 + 2, 0xc7);  // FIFO on, cleared
  outb(com1 + 4, 0x03);  // DTR, RTS
}

void console_write(std::string_view s) noexcept {
  for (char c : s) {
    if (c == '\n') serial_put('\r');
    serial_put(c);
  }
}

void console_flush() noexcept {
  while ((inb(com1 + 5) & 0x40) == 0) {  // LSR: transmitter empty (holding and shift register)
  }
}

void traps_init() noexcept {
  auto gate = [](std::uint64_t handler) {
    return idt_entry{static_cast<std::uint16_t>(handler), 0x08, 0, 0x8e,  // present, ring 0, interrupt gate
                     static_cast<std::uint16_t>(handler >> 16), static_cast<std::uint32_t>(handler >> 32), 0};
  };
  for (int v = 0; v < 33; ++v) idt[v] = gate(exception_stubs[v]);
  idt[0xff] = gate(reinterpret_cast<std::uint64_t>(&x86_spurious_stub));
  const idt_pointer p{sizeof idt - 1, reinterpret_cast<std::uint64_t>(&idt)};
  asm volatile("lidt %0" ::"m"(p));
}

authority::result<void> read_boot_info(std::uintptr_t protocol, std::uintptr_t info, boot_info& out) noexcept {
  if (protocol == protocol_multiboot2) {
    const auto* p = reinterpret_cast<const authority::byte*>(info);
    AUTHORITY_TRY_ASSIGN(const std::uint32_t size, multiboot2::info_size(p));
    return multiboot2::read_boot_info({p, size}, info, out);
  }
  if (protocol == protocol_pvh) return pvh::read_boot_info(info, physical, out);
  return authority::make_error(authority::errc::unsupported_version, "boot.protocol");
}

// The first MiB holds the real-mode IVT, BIOS data and option ROMs. Physical [1 GiB,
// 2 GiB) is where agent address spaces put the user window (arch_user.hpp), and nothing
// from 4 GiB up is mapped: no page frame may come from either.
authority::result<void> reserve_arch_memory(memory_map& map) noexcept {
  AUTHORITY_TRY(map.reserve({0, 0x100000}));
  AUTHORITY_TRY(map.reserve({0x4000'0000, 0x4000'0000}));
  return map.reserve({0x1'0000'0000, (std::uint64_t{1} << 48) - 0x1'0000'0000});
}

std::uint64_t counter() noexcept {
  std::uint32_t lo, hi;
  asm volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi)::"memory");
  return (std::uint64_t{hi} << 32) | lo;
}

// Counts TSC ticks while PIT channel 2 counts down 10 ms (Linux's pit_calibrate_tsc).
// Under QEMU TCG both follow the host clock, so the result is stable to ~0.1 %.
authority::result<void> clock_init(const boot_info&) noexcept {
  constexpr std::uint32_t pit_hz = 1193182;
  constexpr std::uint32_t latch = pit_hz / 100;
  outb(0x61, static_cast<std::uint8_t>((inb(0x61) & ~0x02) | 0x01));  // speaker off, gate 2 on
  outb(0x43, 0xb0);                                                    // channel 2, lo/hi, mode 0
  outb(0x42, latch & 0xff);
  outb(0x42, latch >> 8);
  const std::uint64_t start = counter();
  std::uint64_t polls = 0;
  while ((inb(0x61) & 0x20) == 0)
    if (++polls > 100'000'000) return authority::make_error(authority::errc::internal, "pit.calibration");
  const std::uint64_t ticks = counter() - start;
  if (ticks == 0) return authority::make_error(authority::errc::internal, "tsc.calibration");
  tsc_hz = ticks * pit_hz / latch;
  return authority::success();
}

std::uint64_t counter_hz() noexcept { return tsc_hz; }

[[noreturn]] void exit(int status) noexcept {
  // isa-debug-exit: QEMU exits with (value << 1) | 1; scripts/boot-kernel.sh undoes it.
  asm volatile("outl %0, %1" ::"a"(static_cast<std::uint32_t>(status)), "Nd"(std::uint16_t{0xf4}));
  for (;;) asm volatile("cli; hlt");
}

}  // namespace kernel::arch

namespace {

using trap_frame = kernel::arch::x86_trap_frame;

constexpr const char* exception_names[32] = {
    "divide error", "debug", "NMI", "breakpoint", "overflow", "bound range exceeded", "invalid opcode",
    "device not available", "double fault", "coprocessor segment overrun", "invalid TSS", "segment not present",
    "stack-segment fault", "general protection fault", "page fault", "reserved", "x87 floating-point error",
    "alignment check", "machine check", "SIMD floating-point exception", "virtualization exception",
    "control protection exception", "reserved", "reserved", "reserved", "reserved", "reserved", "reserved",
    "hypervisor injection", "VMM communication", "security exception", "reserved"};

}  // namespace

extern "C" [[noreturn]] void x86_trap(const trap_frame* f) {
  using kernel::print;
  std::uint64_t cr2, cr3;
  asm volatile("mov %%cr2, %0" : "=r"(cr2));
  asm volatile("mov %%cr3, %0" : "=r"(cr3));
  if ((f->cs & 3) == 3) kernel::arch::x86_user_trap(*f, cr2);  // an agent's fault: end it (user.cpp)
  print("\nPANIC: exception {}: {} (error code {:x})\n", f->vector, exception_names[f->vector % 32], f->error_code);
  if (f->vector == 14)
    print("  faulting address {:p} (CR2), {} {} {}\n", cr2, f->error_code & 1 ? "protection violation" : "page not present",
          f->error_code & 2 ? "on write" : "on read", f->error_code & 16 ? "(instruction fetch)" : "");
  print("  rip {:p}  cs {:x}  rflags {:p}  rsp {:p}  cr3 {:p}\n", f->rip, f->cs, f->rflags, f->rsp, cr3);
  print("  rax {:p}  rbx {:p}  rcx {:p}  rdx {:p}\n", f->rax, f->rbx, f->rcx, f->rdx);
  print("  rsi {:p}  rdi {:p}  rbp {:p}  r8  {:p}\n", f->rsi, f->rdi, f->rbp, f->r8);
  print("  r9  {:p}  r10 {:p}  r11 {:p}  r12 {:p}\n", f->r9, f->r10, f->r11, f->r12);
  print("  r13 {:p}  r14 {:p}  r15 {:p}\n", f->r13, f->r14, f->r15);
  kernel::arch::exit(kernel::exit_panic);
}
