// The self-test image: every tests/*/*.selftest.cpp is linked in and registers itself;
// run them all and exit 0 only when none failed.
#include "clock.hpp"
#include "console.hpp"
#include "kernel.hpp"
#include "selftest/selftest.hpp"

// A build may run a subset (the failing-harness image runs only "harness/").
#ifndef AUTHORITY_KERNEL_SELFTEST_FILTER
#define AUTHORITY_KERNEL_SELFTEST_FILTER ""
#endif

int kernel::run(environment&) noexcept {
  constexpr std::string_view filter = AUTHORITY_KERNEL_SELFTEST_FILTER;
  print("selftest: running{}{}\n", filter.empty() ? "" : " tests starting with ", filter);
  const monotonic_clock clock;
  const auto start = clock.now_ns();
  const auto s = authority::selftest::run_all([](std::string_view text) { console_write(text); }, filter);
  print("selftest: {} tests in {} ms\n", s.passed + s.failed, (clock.now_ns() - start) / authority::ns_per_ms);
  return s.failed == 0 && s.passed > 0 ? exit_ok : exit_selftest_failed;
}
