// User mode: what the shared kernel needs from an arch to run an agent unprivileged
// (ring 3 on x86_64, EL0 on aarch64, U-mode on riscv64) in an address space of its own,
// and the arch-neutral helpers built on it (user-pointer validation and copies).
//
// The model is "the kernel calls the agent": enter_user() runs the agent until it traps
// and returns *why* — a system call (number and arguments are in the context) or a
// fault (cause, address, pc). The kernel then handles the call, writes the results into
// the context and calls enter_user() again, or ends the agent. So the kernel never
// runs on behalf of an agent except between two enter_user() calls, with the agent's
// registers saved in a plain struct — there is no scheduler, no kernel thread per agent.
//
// Each arch provides, in arch/<arch>/arch_user.hpp (on the include path as
// "arch_user.hpp"):
//   struct kernel::arch::address_space   the agent's page tables (opaque to the kernel)
//   struct kernel::arch::user_context    the agent's registers, with the inline accessors
//                                        set_entry(pc, sp), syscall_number(),
//                                        syscall_arg(i) (i < 5), set_syscall_result(status, value),
//                                        pc()
//   constexpr std::uint16_t elf_machine  e_machine the ELF loader accepts (EM_X86_64, ...)
// and implements the functions declared below (arch/<arch>/user.cpp or arch.cpp).
//
// Rules every arch keeps (docs/syscall-abi.md):
//   - kernel memory is mapped supervisor-only in every agent address space; device MMIO
//     and I/O ports are never mapped or permitted for an agent;
//   - user pages are never writable and executable at once (map_user_page refuses it);
//   - the only way from the agent into the kernel is the system-call instruction; every
//     other trap from user mode is a fault that ends the agent;
//   - a periodic timer interrupts user mode (never the kernel): enter_user() returns
//     trap_kind::interrupt, and the kernel decides whether the agent has used up its CPU
//     time (an agent that spins without a system call is ended, not waited for).
#pragma once

#include <cstddef>
#include <cstdint>

#include "arch_user.hpp"
#include "authority/core/bytes.hpp"
#include "authority/core/result.hpp"
#include "page_frames.hpp"

namespace kernel {

// Page permissions of a user mapping. Read is implied by write and execute on every arch
// here; write together with execute is refused (W^X).
enum class page_access : std::uint8_t { read = 1, write = 2, execute = 4 };
constexpr page_access operator|(page_access a, page_access b) noexcept {
  return static_cast<page_access>(static_cast<std::uint8_t>(a) | static_cast<std::uint8_t>(b));
}
constexpr bool has(page_access set, page_access bit) noexcept {
  return (static_cast<std::uint8_t>(set) & static_cast<std::uint8_t>(bit)) != 0;
}

// Why enter_user() returned.
enum class trap_kind : std::uint8_t {
  syscall,    // the system-call instruction: number and arguments are in the context
  fault,      // an exception: the agent is ended
  interrupt,  // the preemption timer (acknowledged): the kernel may resume the agent
};

enum class fault_cause : std::uint8_t {
  page_fault,           // not mapped, or mapped without the access (incl. kernel memory, MMIO)
  privileged,           // privileged instruction, port I/O, general protection
  illegal_instruction,  // undefined opcode
  arithmetic,           // divide error, FP exception
  other,                // breakpoint, alignment check, anything else from user mode
  time_limit,           // not a CPU exception: the agent used up its CPU time (the kernel's verdict)
};

struct user_trap {
  trap_kind kind = trap_kind::fault;
  fault_cause cause = fault_cause::other;
  page_access access = page_access::read;  // page faults: the access that failed
  std::uint64_t address = 0;               // page faults: the faulting address
  std::uint64_t pc = 0;                    // where the agent was
  std::uint64_t code = 0;                  // the arch's own cause (x86 vector<<32 | error code, scause, ESR)
};

// The error code an agent fault is audited with (docs/error-codes.md, 609-613).
constexpr authority::errc fault_errc(fault_cause c) noexcept {
  switch (c) {
    case fault_cause::page_fault: return authority::errc::agent_page_fault;
    case fault_cause::privileged: return authority::errc::agent_privileged;
    case fault_cause::illegal_instruction: return authority::errc::agent_illegal_instruction;
    case fault_cause::arithmetic: return authority::errc::agent_arithmetic;
    case fault_cause::other: return authority::errc::agent_trap;
    case fault_cause::time_limit: return authority::errc::deadline_exceeded;
  }
  return authority::errc::agent_trap;
}

constexpr std::string_view name_of(fault_cause c) noexcept {
  switch (c) {
    case fault_cause::page_fault: return "page fault";
    case fault_cause::privileged: return "privileged instruction or port I/O";
    case fault_cause::illegal_instruction: return "illegal instruction";
    case fault_cause::arithmetic: return "arithmetic trap";
    case fault_cause::other: return "exception";
    case fault_cause::time_limit: return "CPU time used up";
  }
  return "exception";
}

namespace arch {

// The virtual range agents are linked and mapped into: [base, end). It never overlaps
// what the kernel maps for itself (the kernel refuses ELF segments outside it).
struct user_range {
  std::uintptr_t base = 0;
  std::uintptr_t end = 0;
};
user_range user_window() noexcept;

// Once, after traps_init(): descriptor tables, the system-call entry, NX/W^X controls,
// and the periodic preemption timer (it interrupts user mode only).
authority::result<void> user_init() noexcept;

// A new, empty agent address space (the kernel's own mappings supervisor-only). Its
// page-table frames come from `frames`.
authority::result<void> address_space_create(address_space& as, page_frame_allocator& frames) noexcept;
// Maps one 4 KiB page of the user window to the physical frame `frame` with `access`.
// Refuses: outside the window, misaligned, already mapped, write together with execute.
authority::result<void> map_user_page(address_space& as, page_frame_allocator& frames, std::uintptr_t va,
                                      std::uint64_t frame, page_access access) noexcept;
// The physical address behind user address `va` if it is mapped as a user page with
// (at least) `access`; bad_address otherwise. The kernel copies through this, never
// through the agent's virtual address, so a kernel pointer or an unmapped pointer
// passed to a system call cannot make the kernel touch anything but the agent's pages.
authority::result<std::uint64_t> translate(const address_space& as, std::uintptr_t va, page_access access) noexcept;
// Frees every frame of the address space: page tables and the mapped user pages (which
// must have come from `frames`). The address space must not be active.
void address_space_destroy(address_space& as, page_frame_allocator& frames) noexcept;

// Runs the agent in `as` from the registers in `ctx` until it traps; saves its registers
// back into `ctx` and says why. Returns with the kernel's own address space active.
user_trap enter_user(address_space& as, user_context& ctx) noexcept;

}  // namespace arch

// ---- arch-neutral helpers ------------------------------------------------------------

// Checks that [va, va + size) lies in the user window and that each of its pages is
// mapped for the agent with `access`. Nothing is read.
inline authority::result<void> check_user_range(const arch::address_space& as, std::uintptr_t va, std::size_t size,
                                                 page_access access) noexcept {
  const auto window = arch::user_window();
  if (size == 0) return authority::success();
  if (va < window.base || va >= window.end || size > window.end - va)
    return authority::make_error(authority::errc::bad_address, "user.range");
  for (std::uintptr_t page = va & ~std::uintptr_t{page_size - 1}; page < va + size; page += page_size)
    AUTHORITY_TRY(arch::translate(as, page, access));
  return authority::success();
}

// Copies from the agent's memory after validating the whole range (so a failure copies
// nothing).
inline authority::result<void> copy_from_user(const arch::address_space& as, authority::mutable_bytes to,
                                              std::uintptr_t from) noexcept {
  AUTHORITY_TRY(check_user_range(as, from, to.size(), page_access::read));
  std::size_t done = 0;
  while (done < to.size()) {
    const std::uintptr_t va = from + done;
    const std::uint64_t pa = AUTHORITY_TRY(arch::translate(as, va, page_access::read));
    const std::size_t in_page = static_cast<std::size_t>(page_size - (va & (page_size - 1)));
    const std::size_t n = in_page < to.size() - done ? in_page : to.size() - done;
    const auto* src = reinterpret_cast<const authority::byte*>(static_cast<std::uintptr_t>(pa));
    for (std::size_t i = 0; i < n; ++i) to[done + i] = src[i];
    done += n;
  }
  return authority::success();
}

// Copies into the agent's memory after validating the whole range for writing.
inline authority::result<void> copy_to_user(const arch::address_space& as, std::uintptr_t to,
                                            authority::bytes_view from) noexcept {
  AUTHORITY_TRY(check_user_range(as, to, from.size(), page_access::write));
  std::size_t done = 0;
  while (done < from.size()) {
    const std::uintptr_t va = to + done;
    const std::uint64_t pa = AUTHORITY_TRY(arch::translate(as, va, page_access::write));
    const std::size_t in_page = static_cast<std::size_t>(page_size - (va & (page_size - 1)));
    const std::size_t n = in_page < from.size() - done ? in_page : from.size() - done;
    auto* dst = reinterpret_cast<authority::byte*>(static_cast<std::uintptr_t>(pa));
    for (std::size_t i = 0; i < n; ++i) dst[i] = from[done + i];
    done += n;
  }
  return authority::success();
}

}  // namespace kernel
