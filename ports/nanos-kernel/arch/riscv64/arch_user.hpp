// riscv64 user mode (kernel/user.hpp): U-mode, Sv39, `ecall` in, `sret` out.
//
// Address space: a root table of the agent's own whose entries 0-3 are the kernel's
// identity map of [0, 4 GiB) (1 GiB pages, U clear: supervisor-only — devices, RAM and
// the kernel alike), and whose entry 4 — the user window [4 GiB, 5 GiB) — leads to the
// agent's own level-1 and level-0 tables with 4 KiB pages. Agents are linked at 4 GiB
// (medany code: PC-relative, so any address works).
#pragma once

#include <cstddef>
#include <cstdint>

namespace kernel::arch {

inline constexpr std::uint16_t elf_machine = 243;  // EM_RISCV

struct address_space {
  std::uint64_t root = 0;  // physical (identity-mapped) addresses of the tables
  std::uint64_t l1 = 0;    // the user window's level-1 table
};

// The agent's registers as arch/riscv64/user.S saves them: x[0] holds the pc (x0 is
// always zero), then the FP registers and fcsr.
struct alignas(16) user_context {
  std::uint64_t x[32];
  std::uint64_t f[32];
  std::uint64_t fcsr;
  std::uint64_t pad;

  void set_entry(std::uint64_t pc, std::uint64_t sp) noexcept {
    *this = user_context{};
    x[0] = pc;
    x[2] = sp;
  }
  std::uint64_t pc() const noexcept { return x[0]; }
  // The ABI (docs/syscall-abi.md): a7 = number; a0-a4 = arguments; a0 = status, a1 = value.
  std::uint64_t syscall_number() const noexcept { return x[17]; }
  std::uint64_t syscall_arg(std::size_t i) const noexcept { return i < 5 ? x[10 + i] : 0; }
  void set_syscall_result(std::uint64_t status, std::uint64_t value) noexcept {
    x[10] = status;
    x[11] = value;
  }
};
static_assert(offsetof(user_context, f) == 256);
static_assert(offsetof(user_context, fcsr) == 512);

}  // namespace kernel::arch
