// Budget (INV-3) benchmarks: one reserve + commit of a typical effect (calls, tokens,
// bytes), uncontended and with two threads on one account.
// Run: build-*/benchmarks/bench_budget --benchmark_repetitions=5
#include <benchmark/benchmark.h>

#include <memory>

#include "authority/budget/account.hpp"

using namespace authority;
using namespace authority::budget;

namespace {

const limits bench_limits{{resource::calls, limit::unlimited()},
                          {resource::tokens, limit::unlimited()},
                          {resource::net_bytes_out, limit::unlimited()},
                          {resource::cpu_time_ns, limit::unlimited()},
                          {resource::wall_time_ms, limit::unlimited()}};
const costs estimate{{resource::calls, 1}, {resource::tokens, 500}, {resource::net_bytes_out, 4096}};
const costs actual{{resource::calls, 1}, {resource::tokens, 321}, {resource::net_bytes_out, 1000},
                   {resource::cpu_time_ns, 20'000}};

std::unique_ptr<account> shared_account;

void reserve_commit(benchmark::State& state) {
  if (state.thread_index() == 0) shared_account = std::make_unique<account>(bench_limits, 0);
  for (auto _ : state) {
    auto r = shared_account->reserve(estimate, 0);
    if (!r) {
      state.SkipWithError("reserve failed");
      break;
    }
    auto c = shared_account->commit(*r, actual);
    benchmark::DoNotOptimize(c);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_reserve_commit(benchmark::State& state) { reserve_commit(state); }
BENCHMARK(BM_reserve_commit)->Threads(1);
BENCHMARK(BM_reserve_commit)->Threads(2)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
