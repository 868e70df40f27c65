// Audit log benchmarks (INV-4):
//   - durable appends, 16 concurrent appenders: group commit vs one fdatasync per entry,
//     on the same disk in the same run, and their throughput ratio (target >= 20x);
//   - Merkle inclusion proof verification in a tree of 2^20 entries (target <= 5 us);
//   - in-memory append without sync: encode + one SHA-256 + framing (part of the gate's
//     1 us decision budget).
// Run: build-*/benchmarks/bench_audit --benchmark_repetitions=5
//      (AUTHORITY_BENCH_DIR picks the directory for the log files; default: the
//      current directory, so that it is the disk the logs would live on).
#include <benchmark/benchmark.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "authority/audit/chain.hpp"
#include "authority/audit/merkle.hpp"
#include "authority/hosted/audit_file.hpp"

using namespace authority;
using namespace authority::audit;

namespace {

std::string bench_dir() {
  const char* d = std::getenv("AUTHORITY_BENCH_DIR");
  return d ? d : std::filesystem::current_path().string();
}

record sample(std::uint64_t n) {
  record r;
  r.kind = entry_kind::decision;
  r.decision = verdict::allow;
  r.op = static_cast<std::uint16_t>(n);
  r.time = n;
  r.request_hash[0] = static_cast<byte>(n);
  return r;
}

// One log file per benchmark run, shared by its threads.
std::unique_ptr<hosted::audit_file> shared_log;
std::string shared_path;

void durable_appends(benchmark::State& state, bool group_commit) {
  if (state.thread_index() == 0) {
    shared_path = bench_dir() + "/bench-audit-" + std::to_string(::getpid()) + (group_commit ? "-group" : "-each");
    std::filesystem::remove(shared_path);
    hosted::recovery_report report;
    hosted::audit_file_options options;
    options.group_commit = group_commit;
    auto f = hosted::audit_file::open(shared_path, options, report);
    if (!f) {
      state.SkipWithError("cannot create the log file");
      return;
    }
    shared_log = std::move(*f);
  }
  std::uint64_t n = 0;
  for (auto _ : state) {
    if (!shared_log) break;
    auto a = shared_log->append(sample(n++));
    if (!a) {
      state.SkipWithError("append failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    if (shared_log) state.counters["fdatasyncs"] = static_cast<double>(shared_log->sync_count());
    shared_log.reset();
    std::filesystem::remove(shared_path);
  }
}

void BM_durable_append_group_commit(benchmark::State& state) { durable_appends(state, true); }
void BM_durable_append_fdatasync_each(benchmark::State& state) { durable_appends(state, false); }
// One appender too, for the cost of a single write + fdatasync on this disk.
BENCHMARK(BM_durable_append_group_commit)->Threads(16)->Threads(1)->UseRealTime()->MinTime(1.0);
BENCHMARK(BM_durable_append_fdatasync_each)->Threads(16)->Threads(1)->UseRealTime()->MinTime(1.0);

// A sink that takes frames and throws them away: the cost of the chain itself.
struct discard_sink {
  result<void> append(bytes_view) { return success(); }
  result<void> sync() { return success(); }
};

void BM_memory_append_no_sync(benchmark::State& state) {
  discard_sink out;
  id16 log_id{};
  chain c{out, log_id};
  record r = sample(1);
  for (auto _ : state) {
    ++r.time;
    auto a = c.append(r);
    benchmark::DoNotOptimize(a);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_memory_append_no_sync);

void BM_merkle_verify_inclusion_2_20(benchmark::State& state) {
  constexpr std::size_t n = std::size_t{1} << 20;
  static std::vector<digest> leaves;
  static digest root{};
  struct prepared {
    std::uint64_t index;
    merkle::proof proof;
  };
  static std::vector<prepared> proofs;
  if (leaves.empty()) {
    std::mt19937_64 rng(2020);
    leaves.resize(n);
    for (auto& l : leaves)
      for (auto& b : l) b = static_cast<byte>(rng());
    root = merkle::root(leaves);
    for (int i = 0; i < 4; ++i) {
      const std::uint64_t index = rng() % n;
      proofs.push_back({index, *merkle::inclusion_proof(leaves, index)});
    }
  }
  std::size_t k = 0;
  for (auto _ : state) {
    const auto& p = proofs[k++ & 3];
    auto ok = merkle::verify_inclusion(leaves[p.index], p.index, n, p.proof.span(), root);
    if (!ok) state.SkipWithError("proof did not verify");
    benchmark::DoNotOptimize(ok);
  }
  state.counters["proof_hashes"] = static_cast<double>(proofs[0].proof.size());
}
BENCHMARK(BM_merkle_verify_inclusion_2_20)->Unit(benchmark::kMicrosecond);

// Prints the benchmarks as usual and, at the end, the group-commit speed-up from the
// medians (or the single runs without repetitions).
class ratio_reporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const auto& r : runs) {
      const std::string name = r.benchmark_name();
      const bool aggregate = r.run_type == Run::RT_Aggregate;
      if (aggregate && r.aggregate_name != "median") continue;
      const auto it = r.counters.find("items_per_second");
      if (it == r.counters.end()) continue;
      if (name.find("threads:16") == std::string::npos) continue;
      for (const char* key : {"BM_durable_append_group_commit", "BM_durable_append_fdatasync_each"})
        if (name.rfind(key, 0) == 0 && (aggregate || !medians_.count(key))) medians_[key] = it->second;
    }
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    const auto g = medians_.find("BM_durable_append_group_commit");
    const auto e = medians_.find("BM_durable_append_fdatasync_each");
    if (g == medians_.end() || e == medians_.end() || e->second <= 0) return;
    std::printf("\ndurable appends, 16 appenders: group commit %.0f entries/s, fdatasync per entry %.0f entries/s, "
                "ratio %.1fx (target >= 20x)\n",
                g->second, e->second, g->second / e->second);
  }

 private:
  std::map<std::string, double> medians_;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  ratio_reporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
