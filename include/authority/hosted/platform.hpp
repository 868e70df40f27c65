// Hosted (Linux) platform pieces: the real-time clock and libsodium's randomness.
// Hosted-only: this corner of include/ may use the whole standard library.
#pragma once

#include <atomic>
#include <cstdint>

#include "authority/core/clock.hpp"
#include "authority/core/result.hpp"

namespace authority::hosted {

// Initializes libsodium once; every hosted entry point calls it before using keys.
result<void> init_sodium() noexcept;

// CLOCK_REALTIME, clamped so that it never goes backwards within the process.
class system_clock {
 public:
  time_ns now_ns() noexcept;

 private:
  std::atomic<time_ns> last_{0};
};
static_assert(clock<system_clock>);

// randombytes_buf from libsodium.
struct sodium_entropy {
  bool fill(unsigned char* out, std::uint64_t n) noexcept;
};
static_assert(entropy_source<sodium_entropy>);

}  // namespace authority::hosted
