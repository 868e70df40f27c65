// Linked only into kernel-selftest-failing, which runs just the "harness/" tests: one
// passes and one must fail, so the boot test proves the runner counts both, reports the
// failing check and makes the kernel exit non-zero.
#include "selftest/selftest.hpp"

SELFTEST("harness/a passing check") { ST_CHECK(1 + 1 == 2); }

SELFTEST("harness/deliberately failing check") { ST_CHECK(1 + 1 == 3); }
