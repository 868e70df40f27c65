// INV-3 under threads: N threads × M random reserve/commit/release against one account
// never push in-flight + committed past any limit. An observer thread checks the
// invariant while they run; the end state is checked exactly. Run under ThreadSanitizer
// too (see docs in the report: -DAUTHORITY_SANITIZE=thread).
#include <catch2/catch.hpp>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include "authority/budget/account.hpp"

using namespace authority;
using namespace authority::budget;

namespace {

constexpr std::array<resource, 4> used_resources{resource::calls, resource::tokens, resource::net_bytes_out,
                                                 resource::cpu_time_ns};

limits tight_limits() {
  return limits{{resource::calls, limit::of(500)},
                {resource::tokens, limit::of(20'000)},
                {resource::net_bytes_out, limit::of(1'000'000)},
                {resource::cpu_time_ns, limit::unlimited()},
                {resource::wall_time_ms, limit::unlimited()}};
}

costs random_costs(std::mt19937_64& rng) {
  costs c;
  c.set(resource::calls, 1);
  c.set(resource::tokens, rng() % 200);
  c.set(resource::net_bytes_out, rng() % 20'000);
  if (rng() % 50 == 0) c.set(resource::tokens, ~std::uint64_t{0} - rng() % 3);  // absurd cost: must fail
  return c;
}

costs at_most(std::mt19937_64& rng, const costs& reserved) {
  costs c;
  for (auto r : used_resources) c.set(r, reserved[r] == 0 ? 0 : rng() % (reserved[r] + 1));
  return c;
}

// Catch2 assertions are not thread-safe: worker threads count failures here and the
// test thread checks the count.
std::atomic<int> thread_failures{0};
#define EXPECT_IN_THREAD(cond) \
  do {                         \
    if (!(cond)) ++thread_failures; \
  } while (0)

struct observer {
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> violations{0};
  std::atomic<std::uint64_t> samples{0};

  template <class Account>
  void watch(const Account& a, const limits& l) {
    while (!stop.load(std::memory_order_acquire)) {
      for (auto r : used_resources) {
        if (l[r].is_unlimited()) continue;
        const std::uint64_t committed = a.committed(r);
        const std::uint64_t charged = a.charged(r);
        if (charged > l[r].amount() || committed > charged) violations.fetch_add(1);
      }
      samples.fetch_add(1, std::memory_order_relaxed);
    }
  }
};

}  // namespace

TEST_CASE("budget: random reserve/commit/release from many threads never exceed a limit", "[budget][threads]") {
  constexpr int threads = 8;
  constexpr int ops_per_thread = 20'000;
  const limits l = tight_limits();
  auto a = std::make_unique<basic_account<64>>(l, 0);

  observer watcher;
  std::thread watch_thread([&] { watcher.watch(*a, l); });

  std::array<std::array<std::uint64_t, resource_count>, threads> committed_by{};
  std::array<std::uint64_t, threads> denied{};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      std::mt19937_64 rng(0x5eed + static_cast<std::uint64_t>(t));
      std::vector<std::pair<reservation, costs>> held;
      for (int i = 0; i < ops_per_thread; ++i) {
        const auto choice = rng() % 3;
        if (choice == 0 || held.empty()) {
          const costs want = random_costs(rng);
          auto r = a->reserve(want, 0);
          if (r.ok())
            held.emplace_back(*r, want);
          else
            ++denied[static_cast<std::size_t>(t)];
        } else {
          const std::size_t k = rng() % held.size();
          auto [res, want] = held[k];
          held.erase(held.begin() + static_cast<std::ptrdiff_t>(k));
          if (choice == 1) {
            const costs actual = at_most(rng, want);
            EXPECT_IN_THREAD(a->commit(res, actual).ok());
            for (auto r : used_resources) committed_by[static_cast<std::size_t>(t)][index_of(r)] += actual[r];
          } else {
            EXPECT_IN_THREAD(a->release(res).ok());
          }
          // The same handle a second time is refused.
          EXPECT_IN_THREAD(a->release(res).code() == errc::budget_unknown_reservation);
        }
      }
      for (auto& [res, want] : held) EXPECT_IN_THREAD(a->release(res).ok());
    });
  }
  for (auto& w : workers) w.join();
  watcher.stop = true;
  watch_thread.join();

  INFO("observer samples: " << watcher.samples.load());
  CHECK(thread_failures.exchange(0) == 0);
  CHECK(watcher.violations.load() == 0);
  CHECK(watcher.samples.load() > 0);
  std::uint64_t total_denied = 0;
  for (auto d : denied) total_denied += d;
  CHECK(total_denied > 0);  // the limits were actually reached
  for (auto r : used_resources) {
    std::uint64_t expected = 0;
    for (const auto& per_thread : committed_by) expected += per_thread[index_of(r)];
    INFO(name_of(r));
    CHECK(a->committed(r) == expected);
    CHECK(a->charged(r) == expected);  // nothing left in flight
    CHECK(a->in_flight(r) == 0);
    if (!l[r].is_unlimited()) CHECK(a->committed(r) <= l[r].amount());
  }
}

TEST_CASE("budget: overrunning commits from many threads saturate at the limit", "[budget][threads]") {
  constexpr int threads = 4;
  const limits l{{resource::tokens, limit::of(10'000)},
                 {resource::calls, limit::unlimited()},
                 {resource::cpu_time_ns, limit::unlimited()},
                 {resource::wall_time_ms, limit::unlimited()}};
  basic_account<32> a{l, 0};
  observer watcher;
  std::thread watch_thread([&] { watcher.watch(a, l); });
  std::atomic<int> overruns{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      std::mt19937_64 rng(77 + static_cast<std::uint64_t>(t));
      for (int i = 0; i < 5'000; ++i) {
        auto r = a.reserve(costs{{resource::tokens, rng() % 50}, {resource::calls, 1}}, 0);
        if (!r) continue;
        auto c = a.commit(*r, costs{{resource::tokens, rng() % 120}, {resource::calls, 1}});
        if (!c) {
          EXPECT_IN_THREAD(c.code() == errc::budget_exceeded);
          ++overruns;
        }
      }
    });
  }
  for (auto& w : workers) w.join();
  watcher.stop = true;
  watch_thread.join();
  CHECK(thread_failures.exchange(0) == 0);
  CHECK(watcher.violations.load() == 0);
  CHECK(overruns.load() > 0);
  CHECK(a.committed(resource::tokens) == 10'000);
  CHECK(a.charged(resource::tokens) == 10'000);
}

TEST_CASE("budget: children carved concurrently from one parent stay inside their carve", "[budget][threads]") {
  const limits parent_limits{{resource::calls, limit::of(1'000)},
                             {resource::tokens, limit::of(100'000)},
                             {resource::cpu_time_ns, limit::unlimited()},
                             {resource::wall_time_ms, limit::unlimited()}};
  basic_account<32> parent{parent_limits, 0};
  constexpr int children = 6;
  std::vector<std::thread> workers;
  std::atomic<int> refused_carves{0};
  for (int c = 0; c < children; ++c) {
    workers.emplace_back([&, c] {
      auto grant = parent.carve(limits{{resource::calls, limit::of(200)},
                                         {resource::tokens, limit::of(20'000)},
                                         {resource::cpu_time_ns, limit::unlimited()},
                                         {resource::wall_time_ms, limit::unlimited()}},
                                  0);
      if (!grant) {
        ++refused_carves;
        return;
      }
      basic_account<8> child{grant->child_limits, grant->start};
      std::mt19937_64 rng(static_cast<std::uint64_t>(c));
      // Child c = 0 spends everything; the others spend randomly.
      for (int i = 0; i < 400; ++i) {
        auto r = child.reserve(costs{{resource::calls, 1}, {resource::tokens, c == 0 ? 100 : rng() % 100}}, 0);
        if (!r) continue;
        EXPECT_IN_THREAD(child.commit(*r, costs{{resource::calls, 1}, {resource::tokens, rng() % 101}}).ok());
      }
      EXPECT_IN_THREAD(child.committed(resource::calls) > 0);
      EXPECT_IN_THREAD(child.committed(resource::calls) <= 200);
      EXPECT_IN_THREAD(child.committed(resource::tokens) <= 20'000);
      EXPECT_IN_THREAD(parent.settle_child(*grant, child).ok());
    });
  }
  for (auto& w : workers) w.join();
  // 6 × 200 calls > 1000: exactly one carve must have been refused while all were held,
  // unless a child returned early; either way the parent never went past its limits.
  CHECK(thread_failures.exchange(0) == 0);
  CHECK(parent.charged(resource::calls) <= 1'000);
  CHECK(parent.charged(resource::tokens) <= 100'000);
  CHECK(parent.in_flight(resource::calls) == 0);
}
