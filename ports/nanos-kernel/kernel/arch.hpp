// What each architecture (ports/nanos-kernel/arch/<arch>/) provides to the shared
// kernel. Implemented once per arch; no virtual dispatch, the linker picks the one.
#pragma once

#include <cstdint>
#include <string_view>

#include "authority/core/result.hpp"
#include "memory_map.hpp"

namespace kernel::arch {

std::string_view name() noexcept;

// Serial console: usable from the first instruction of kernel_main (no init needed
// beyond console_init, which the kernel calls first).
void console_init() noexcept;
void console_write(std::string_view s) noexcept;
// Returns once everything written has left the UART (transmitter empty, not only its
// holding register or FIFO): the audit log's durability point in the kernel.
void console_flush() noexcept;

// Installs the trap/exception vectors. After this a fault prints a panic and exits.
void traps_init() noexcept;

// Reads the boot protocol's information (Multiboot2, PVH start info, device tree).
authority::result<void> read_boot_info(std::uintptr_t protocol, std::uintptr_t info, boot_info& out) noexcept;

// Memory the arch keeps for itself (e.g. the first MiB on x86_64).
authority::result<void> reserve_arch_memory(memory_map& map) noexcept;

// The monotonic counter and its frequency; clock_init may calibrate it.
authority::result<void> clock_init(const boot_info& info) noexcept;
std::uint64_t counter() noexcept;
std::uint64_t counter_hz() noexcept;

// Leaves QEMU with this status (0 = success); never returns.
[[noreturn]] void exit(int status) noexcept;

// User mode (agents in ring 3 / EL0 / U-mode, each in its own address space): the
// functions and types an arch provides for it are declared in user.hpp (functions) and
// arch/<arch>/arch_user.hpp (address_space, user_context); docs/syscall-abi.md.

// For the deliberate-fault test build: an address that is not mapped, so a load from
// it must trap with the address reported.
inline constexpr std::uintptr_t unmapped_address = 0x1'dead'bee0;

}  // namespace kernel::arch
