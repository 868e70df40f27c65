// The deliberate-fault image: proves that a fault reaches the trap vectors and prints a
// readable panic (cause, faulting address, registers) instead of hanging or rebooting.
#include <cstdint>

#include "console.hpp"
#include "kernel.hpp"

int kernel::run(environment&) noexcept {
  print("fault: loading from unmapped address {:p}\n", arch::unmapped_address);
  const auto* p = reinterpret_cast<const volatile std::uint32_t*>(arch::unmapped_address);
  const std::uint32_t v = *p;
  print("fault: load returned {:x} without a trap\n", v);
  return exit_ok;  // reaching this is the failure the boot test looks for
}
