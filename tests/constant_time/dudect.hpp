// A dudect-style timing leak detector ("dude, is my code constant time?", Reparaz,
// Balasch, Verbauwhede, 2017): run an operation on inputs of two classes chosen at
// random for every measurement, time each measurement with the cycle counter, and
// compare the two timing distributions with Welch's t-test: on all measurements, on
// measurements cropped at a ladder of upper percentiles (timing noise is one-sided:
// interrupts and other processes only add time) and, second order, on the squared
// deviations from each class's mean. |t| above 10 after enough measurements is
// dudect's "definitely not constant time"; below it, no leak was found at this sample
// size.
//
// Hosted test code, not part of the library.
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

namespace dudect {

// Cycle counter where there is a cheap one, else the monotonic clock in ns.
inline std::uint64_t now_ticks() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_lfence();
  const std::uint64_t t = __builtin_ia32_rdtsc();
  __builtin_ia32_lfence();
  return t;
#else
  return static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
#endif
}

// Lets prepare's stores complete before the clock starts, so that what one class wrote
// (and the other did not) is not still in flight when the timed calls load it.
inline void drain_stores() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_mfence();
#else
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
#endif
}

// Welch's t statistic, updated online (Welford).
struct welch {
  double n[2]{}, mean[2]{}, m2[2]{};
  void push(double x, int cls) noexcept {
    n[cls] += 1;
    const double d = x - mean[cls];
    mean[cls] += d / n[cls];
    m2[cls] += d * (x - mean[cls]);
  }
  double t() const noexcept {
    if (n[0] < 2 || n[1] < 2) return 0;
    const double v = m2[0] / (n[0] - 1) / n[0] + m2[1] / (n[1] - 1) / n[1];
    return v > 0 ? (mean[0] - mean[1]) / std::sqrt(v) : 0;
  }
};

struct report {
  double max_abs_t = 0;     // the largest |t| over every test with enough measurements
  const char* which = "";   // "all", "cropped" or "second order"
  double percentile = 1.0;  // for a cropped test: the crop
  double mean_a = 0, mean_b = 0;  // uncropped means of the two classes, in ticks
  std::size_t measurements = 0;
};

inline constexpr int crops = 20;
inline constexpr double min_per_class = 1000;  // a test with fewer measurements is not reported

// `prepare(cls)` sets up the input of class cls (0 = A, 1 = B), untimed; each
// measurement then times `reps` calls of `op()` on it. Best: one buffer for both classes
// that prepare edits in place, so that the classes differ only in what is tested (two
// buffers would differ in address and alignment too, which a large enough sample sees).
template <class Prepare, class Op>
report measure(std::size_t measurements, std::uint64_t seed, unsigned reps, Prepare&& prepare, Op&& op) {
  std::mt19937_64 rng{seed};
  std::vector<std::uint8_t> cls(measurements);
  for (auto& c : cls) c = static_cast<std::uint8_t>(rng() & 1u);
  std::vector<double> ticks(measurements);
  for (unsigned i = 0; i < 1000; ++i) {  // warm caches and predictors
    prepare(static_cast<int>(i & 1u));
    op();
  }
  for (std::size_t i = 0; i < measurements; ++i) {
    prepare(static_cast<int>(cls[i]));
    drain_stores();
    const std::uint64_t start = now_ticks();
    for (unsigned r = 0; r < reps; ++r) op();
    const std::uint64_t end = now_ticks();
    ticks[i] = static_cast<double>(end - start);
  }

  // Crop thresholds: dudect's ladder 1 - 0.5^(10 (k+1) / crops), from the measurements.
  std::vector<double> sorted = ticks;
  std::sort(sorted.begin(), sorted.end());
  double threshold[crops], fraction[crops];
  for (int k = 0; k < crops; ++k) {
    fraction[k] = 1 - std::pow(0.5, 10.0 * (k + 1) / crops);
    threshold[k] = sorted[static_cast<std::size_t>(fraction[k] * static_cast<double>(measurements - 1))];
  }
  welch all, cropped[crops], second;
  for (std::size_t i = 0; i < measurements; ++i) {
    all.push(ticks[i], cls[i]);
    for (int k = 0; k < crops; ++k)
      if (ticks[i] <= threshold[k]) cropped[k].push(ticks[i], cls[i]);
  }
  for (std::size_t i = 0; i < measurements; ++i) {
    const double d = ticks[i] - all.mean[cls[i]];
    second.push(d * d, cls[i]);
  }

  report r;
  r.mean_a = all.mean[0];
  r.mean_b = all.mean[1];
  r.measurements = measurements;
  const auto consider = [&](const welch& w, const char* which, double pct) {
    if (w.n[0] < min_per_class || w.n[1] < min_per_class) return;
    if (std::fabs(w.t()) > r.max_abs_t) {
      r.max_abs_t = std::fabs(w.t());
      r.which = which;
      r.percentile = pct;
    }
  };
  consider(all, "all", 1.0);
  for (int k = 0; k < crops; ++k) consider(cropped[k], "cropped", fraction[k]);
  consider(second, "second order", 1.0);
  return r;
}

// Keeps the optimizer from dropping or hoisting a computation whose result is unused.
template <class T>
inline void keep(const T& value) noexcept {
  __asm__ __volatile__("" : : "r"(&value) : "memory");
}

}  // namespace dudect
