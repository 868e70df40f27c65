// The kernel console: formatted output to the arch's serial port.
#pragma once

#include <string_view>

#include "arch.hpp"
#include "format.hpp"

namespace kernel {

inline void console_write(std::string_view s) noexcept { arch::console_write(s); }

template <class... Args>
void print(std::string_view fmt, const Args&... args) noexcept {
  format_to([](std::string_view s) { arch::console_write(s); }, fmt, args...);
}

// Exit statuses the boot tests check (scripts/boot-kernel.sh passes them through).
// exit_no_policy: the product ran without a policy (its bundle or policy was refused),
// so it denied everything.
enum exit_status : int { exit_ok = 0, exit_selftest_failed = 2, exit_panic = 3, exit_boot_error = 4, exit_no_policy = 5 };

// Prints "PANIC: <message>" and leaves QEMU with exit_panic.
template <class... Args>
[[noreturn]] void panic(std::string_view fmt, const Args&... args) noexcept {
  print("\nPANIC: ");
  print(fmt, args...);
  print("\n");
  arch::exit(exit_panic);
}

}  // namespace kernel
