// Linked only into kernel-selftest-failing: one self-test that must fail, so the boot
// test proves the harness reports a failure and exits non-zero.
#include "selftest/selftest.hpp"

SELFTEST("kernel/deliberately failing check") { ST_CHECK(1 + 1 == 3); }
