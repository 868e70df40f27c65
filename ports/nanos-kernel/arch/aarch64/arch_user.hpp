// aarch64 user mode (kernel/user.hpp): EL0, 4 KiB-granule stage-1 tables through
// TTBR0_EL1, `svc #0` in, `eret` out.
//
// Address space: a level-1 table of the agent's own whose entries 0-3 are the kernel's
// identity map of [0, 4 GiB) (1 GiB blocks with AP = EL1 only, and UXN added so nothing
// of the kernel's runs at EL0), and whose entry 4 — the user window [4 GiB, 5 GiB) —
// leads to the agent's level-2 and level-3 tables with 4 KiB pages. Agents are linked at
// 4 GiB (ADRP code: PC-relative, so any address works).
#pragma once

#include <cstddef>
#include <cstdint>

namespace kernel::arch {

inline constexpr std::uint16_t elf_machine = 183;  // EM_AARCH64

struct address_space {
  std::uint64_t l1 = 0;  // physical (identity-mapped) addresses of the tables
  std::uint64_t l2 = 0;  // the user window's level-2 table
};

// The agent's registers as arch/aarch64/user.S saves them.
struct alignas(16) user_context {
  std::uint64_t x[31];
  std::uint64_t sp, elr, pstate;  // elr: where the agent resumes
  alignas(16) std::uint64_t q[64];  // v0-v31, 128 bits each
  std::uint64_t fpcr, fpsr;

  void set_entry(std::uint64_t entry, std::uint64_t stack) noexcept {
    *this = user_context{};
    elr = entry;
    sp = stack;
  }
  std::uint64_t pc() const noexcept { return elr; }
  // The ABI (docs/syscall-abi.md): x8 = number; x0-x4 = arguments; x0 = status, x1 = value.
  std::uint64_t syscall_number() const noexcept { return x[8]; }
  std::uint64_t syscall_arg(std::size_t i) const noexcept { return i < 5 ? x[i] : 0; }
  void set_syscall_result(std::uint64_t status, std::uint64_t value) noexcept {
    x[0] = status;
    x[1] = value;
  }
};
static_assert(offsetof(user_context, sp) == 248);
static_assert(offsetof(user_context, q) == 272);
static_assert(offsetof(user_context, fpcr) == 784);

}  // namespace kernel::arch
