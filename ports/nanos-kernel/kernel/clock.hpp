// The kernel's monotonic clock over the arch counter, in the library's clock concept.
#pragma once

#include <cstdint>

#include "arch.hpp"
#include "authority/core/clock.hpp"

namespace kernel {

// counter ticks → nanoseconds without 128-bit arithmetic (exact for hz < 18 GHz).
constexpr authority::time_ns ticks_to_ns(std::uint64_t ticks, std::uint64_t hz) noexcept {
  return ticks / hz * authority::ns_per_s + ticks % hz * authority::ns_per_s / hz;
}

// Nanoseconds since the counter started (boot). There is no wall-clock source yet, so
// this is not Unix time: a later stage adds the RTC offset before audit entries use it.
class monotonic_clock {
 public:
  authority::time_ns now_ns() const noexcept { return ticks_to_ns(arch::counter(), arch::counter_hz()); }
};
static_assert(authority::clock<monotonic_clock>);

}  // namespace kernel
