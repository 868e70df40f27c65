#include "authority/hosted/platform.hpp"

#include <sodium.h>
#include <time.h>

namespace authority::hosted {

result<void> init_sodium() noexcept {
  // sodium_init: 0 on first success, 1 if already initialized, -1 on failure.
  if (sodium_init() < 0) return make_error(errc::entropy_failure, "sodium_init");
  return success();
}

time_ns system_clock::now_ns() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  const time_ns now = static_cast<time_ns>(ts.tv_sec) * ns_per_s + static_cast<time_ns>(ts.tv_nsec);
  time_ns prev = last_.load(std::memory_order_relaxed);
  while (now > prev && !last_.compare_exchange_weak(prev, now, std::memory_order_relaxed)) {
  }
  return now > prev ? now : prev;
}

bool sodium_entropy::fill(unsigned char* out, std::uint64_t n) noexcept {
  if (!init_sodium()) return false;
  randombytes_buf(out, static_cast<std::size_t>(n));
  return true;
}

}  // namespace authority::hosted
