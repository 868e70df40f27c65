// Time comes in through a clock object, never a global: the library is deterministic
// under a fixed clock, which is what lets ports be compared byte for byte.
#pragma once

#include <concepts>
#include <cstdint>

namespace authority {

// Nanoseconds since the Unix epoch. A port's clock must never go backwards.
using time_ns = std::uint64_t;

inline constexpr time_ns ns_per_ms = 1'000'000;
inline constexpr time_ns ns_per_s = 1'000'000'000;

template <class C>
concept clock = requires(C& c) {
  { c.now_ns() } -> std::same_as<time_ns>;
};

// A clock the caller moves by hand: tests, conformance runs, replay.
class manual_clock {
 public:
  constexpr explicit manual_clock(time_ns start = 0) noexcept : now_(start) {}
  constexpr time_ns now_ns() const noexcept { return now_; }
  constexpr void set(time_ns t) noexcept { now_ = t > now_ ? t : now_; }
  constexpr void advance(time_ns d) noexcept { now_ += d; }

 private:
  time_ns now_;
};
static_assert(clock<manual_clock>);

// Entropy, too, is injected: capability ids and keys come from the port's source.
template <class E>
concept entropy_source = requires(E& e, unsigned char* p, std::uint64_t n) {
  { e.fill(p, n) } -> std::same_as<bool>;
};

}  // namespace authority
