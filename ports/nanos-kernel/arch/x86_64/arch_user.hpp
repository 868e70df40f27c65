// x86_64 user mode (kernel/user.hpp): ring 3, 4-level paging, `syscall` in, `iretq` out.
//
// Address space: a PML4 whose entry 0 reaches a PDPT of the agent's own. PDPT[0], [2]
// and [3] are the kernel's identity map (2 MiB pages, U clear: supervisor-only; the MMIO
// at 3-4 GiB is among them), PDPT[1] — the user window [1 GiB, 2 GiB) — is the agent's
// page directory with 4 KiB pages. Physical [1 GiB, 2 GiB) is kept out of the page-frame
// allocator, so every frame the kernel hands out stays reachable through its identity
// map while an agent's address space is active.
#pragma once

#include <cstddef>
#include <cstdint>

namespace kernel::arch {

inline constexpr std::uint16_t elf_machine = 62;  // EM_X86_64

struct address_space {
  std::uint64_t pml4 = 0;  // physical (identity-mapped) addresses of the tables
  std::uint64_t pdpt = 0;
  std::uint64_t pd = 0;    // the user window's page directory
};

// The agent's registers as the entry stubs save them (arch/x86_64/user.S relies on this
// layout: general registers from r15 up, then rip, rsp, rflags; fxsave area last).
struct alignas(16) user_context {
  std::uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
  std::uint64_t rip, rsp, rflags;
  std::uint64_t pad;                 // keeps fx 16-byte aligned
  alignas(16) std::uint8_t fx[512];  // x87/SSE state (fxsave64): the kernel uses SSE too

  void set_entry(std::uint64_t pc, std::uint64_t sp) noexcept {
    *this = user_context{};
    rip = pc;
    rsp = sp;
    rflags = 0x202;  // IF = 1 (the APIC timer preempts), IOPL = 0: in/out/cli/sti fault
    fx[0] = 0x7f;  // FCW = 0x037f
    fx[1] = 0x03;
    fx[24] = 0x80;  // MXCSR = 0x1f80
    fx[25] = 0x1f;
  }
  std::uint64_t pc() const noexcept { return rip; }
  // The ABI (docs/syscall-abi.md): rax = number; rdi, rsi, rdx, r10, r8 = arguments;
  // rax = status (an errc value), rdx = value on return.
  std::uint64_t syscall_number() const noexcept { return rax; }
  std::uint64_t syscall_arg(std::size_t i) const noexcept {
    switch (i) {
      case 0: return rdi;
      case 1: return rsi;
      case 2: return rdx;
      case 3: return r10;
      case 4: return r8;
      default: return 0;
    }
  }
  void set_syscall_result(std::uint64_t status, std::uint64_t value) noexcept {
    rax = status;
    rdx = value;
  }
};
static_assert(offsetof(user_context, rip) == 15 * 8);
static_assert(offsetof(user_context, fx) == 160);

// What traps.S pushes for an exception (arch.cpp), and the hook that ends an agent whose
// code raised it (user.cpp): saves its registers and returns from enter_user().
struct x86_trap_frame {
  std::uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
  std::uint64_t vector, error_code, rip, cs, rflags, rsp, ss;
};
[[noreturn]] void x86_user_trap(const x86_trap_frame& f, std::uint64_t cr2) noexcept;

}  // namespace kernel::arch
