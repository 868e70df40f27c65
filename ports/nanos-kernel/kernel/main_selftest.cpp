// The self-test image: every tests/*/*.selftest.cpp is linked in and registers itself;
// run them all and exit 0 only when none failed.
#include "clock.hpp"
#include "console.hpp"
#include "kernel.hpp"
#include "selftest/selftest.hpp"
#include "stack.hpp"

// A build may run a subset (the failing-harness image runs only "harness/").
#ifndef AUTHORITY_KERNEL_SELFTEST_FILTER
#define AUTHORITY_KERNEL_SELFTEST_FILTER ""
#endif

int kernel::run(environment&) noexcept {
  constexpr std::string_view filter = AUTHORITY_KERNEL_SELFTEST_FILTER;
  print("selftest: running{}{}\n", filter.empty() ? "" : " tests starting with ", filter);
  stack::paint_unused();
  const monotonic_clock clock;
  const auto start = clock.now_ns();
  const auto s = authority::selftest::run_all([](std::string_view text) { console_write(text); }, filter);
  print("selftest: {} tests in {} ms\n", s.passed + s.failed, (clock.now_ns() - start) / authority::ns_per_ms);
  const std::size_t used = stack::high_water();
  print("selftest: stack high-water mark {} of {} bytes\n", used, stack::size());
  // A self-test that ran off the stack has scribbled over .bss: its result means nothing.
  if (used >= stack::size() - 64) panic("stack overflow during the self-tests ({} bytes)", stack::size());
  return s.failed == 0 && s.passed > 0 ? exit_ok : exit_selftest_failed;
}
