// INV-1 cost: one full in-memory decision through gate::authorize_and_execute — token
// verify (warm MAC cache, rate limiter), policy evaluation of a compiled policy, budget
// reserve and commit, two audit entries (decision and outcome) on an audit::chain whose
// sink keeps frames in memory and whose sync() does nothing. The executor does no work.
// gate_decision_* times the decision alone (authorize(): steps 1-7, what the issue's
// 1 us p50 target names) call by call. The pieces of the pipeline are measured alone
// too, to show where the time goes.
//   build/benchmarks/bench_gate --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//   benchmarks/callgrind.sh build/benchmarks/bench_gate gate_allow decide_once   (instructions)
#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "authority/capability/issue.hpp"
#include "authority/gate.hpp"
#include "authority/hosted/policy_compiler.hpp"
#include "authority/hosted/policy_text.hpp"
#include "capability/fixture.hpp"

using namespace authority;
using capability::cap_type;
using capability::method_set;

namespace {

constexpr time_ns t0 = 1'700'000'000ull * ns_per_s;

using capability::testing::counter_entropy;

// Keeps the newest frames in a ring (an append costs its copy, as in a memory sink) and
// has nothing to make durable: the benchmark measures the decision, not the disk.
class ring_sink {
 public:
  result<void> append(bytes_view frame) noexcept {
    if (frame.size() > ring_.size() - used_) used_ = 0;
    std::memcpy(ring_.data() + used_, frame.data(), frame.size());
    used_ += frame.size();
    ++frames_;
    return success();
  }
  result<void> sync() noexcept { return success(); }
  std::uint64_t frames() const noexcept { return frames_; }

 private:
  std::array<byte, 1 << 16> ring_{};
  std::size_t used_ = 0;
  std::uint64_t frames_ = 0;
};

struct null_executor {
  std::string_view output = "contents";
  effect_result execute(const effect_permit&, const effect_request&) noexcept {
    effect_result r;
    r.output = as_bytes(output);
    return r;
  }
};

const std::string policy_json = R"({
  "version": "1.0",
  "fs": {"read": ["/workspace/**", "/usr/lib/**", "/etc/hosts"],
         "write": ["/workspace/project/build/**"],
         "deny": ["/workspace/project/.git/**", "/workspace/**/*.key"]},
  "net": {"dns": ["*.example.com"], "connect": ["dns:*.example.com:443"]},
  "tools": {"allow": ["web_fetch", "html_escape"], "deny": ["shell_exec"]},
  "budgets": {"calls": 1000000000000, "file_bytes": 1000000000000}
})";

using bench_log = audit::chain<ring_sink>;
using bench_gate = gate<bench_log, null_executor, manual_clock>;

struct world {
  capability::key_ring keys{3600 * ns_per_s};
  std::vector<capability::revocation_slot> revocation_storage = std::vector<capability::revocation_slot>(256);
  capability::revocation_list revoked{revocation_storage};
  std::vector<capability::bucket_slot> buckets = std::vector<capability::bucket_slot>(256);
  capability::rate_limiter rates{buckets};
  std::vector<capability::verified_slot> cache_storage = std::vector<capability::verified_slot>(16);
  capability::verified_cache cache{cache_storage};
  capability::verifier verifier{keys, revoked, &rates, &cache};
  policy::policy_store policies;
  std::vector<std::uint8_t> blob;
  std::unique_ptr<ring_sink> sink = std::make_unique<ring_sink>();
  bench_log log{*sink, audit::id16{7, 7, 7}};
  null_executor executor;
  manual_clock clock{t0};
  counter_entropy entropy;
  std::unique_ptr<bench_gate> g;
  std::unique_ptr<budget::basic_account<64>> account;
  std::unique_ptr<session<64>> s;
  std::uint64_t seq = 0;

  world() {
    capability::key_secret secret{};
    for (std::size_t i = 0; i < secret.size(); ++i) secret[i] = static_cast<byte>(i + 1);
    (void)keys.add_active(1, secret, t0);
    g = std::make_unique<bench_gate>(gate_parts{&verifier, &policies, &keys}, log, executor, clock);
    auto parsed = policy_text::parse_json(policy_json, "bench.json");
    if (!parsed.ok()) throw std::runtime_error(parsed.diagnostics.front().to_string());
    auto compiled = hosted::compile_policy(*parsed.ast, keys);
    if (!compiled.ok()) throw std::runtime_error(compiled.failure->message);
    blob = compiled.blob;
    if (!policies.load(blob, keys, clock.now_ns())) throw std::runtime_error("policy does not load");
    account = std::make_unique<budget::basic_account<64>>(limits_from_policy(policies.current()), clock.now_ns());
    s = std::make_unique<session<64>>(audit::id16{1}, audit::id16{2}, *account);
  }

  std::vector<byte> mint(cap_type type, std::string_view resource, method_set methods) {
    auto t = std::make_unique<capability::token>();
    capability::grant grant{type, resource, methods, 24 * 3'600'000, capability::rate_limit::per(1'000'000'000, 1000), {}};
    if (!capability::mint(keys, grant, clock.now_ns(), entropy, *t)) throw std::runtime_error("mint failed");
    byte buf[capability::max_token_size];
    auto enc = capability::encode(*t, buf);
    return {enc->begin(), enc->end()};
  }

  effect_request request(std::string_view effect_name, std::string_view target, const std::vector<byte>& cap) {
    effect_request r;
    r.op = find_effect(effect_name)->op_code();
    r.target = target;
    r.capability = cap;
    r.seq = ++seq;
    return r;
  }
};

// Out of line, so that callgrind counts one call per iteration: instructions per decision
// = inclusive cost of decide_once / its calls (benchmarks/callgrind.sh).
[[gnu::noinline]] response decide_once(bench_gate& g, session<64>& s, const effect_request& r) {
  return g.authorize_and_execute(s, r);
}

constexpr std::string_view allowed_target = "/workspace/project/src/main.cpp";
constexpr std::string_view denied_target = "/workspace/project/.git/config";

// Runs `target` through the gate until the benchmark ends; the token is warm (its MAC
// verified once before timing starts).
void run_decisions(benchmark::State& state, std::string_view target, bool expect_allow, errc expect_reason) {
  world w;
  const auto cap = w.mint(cap_type::fs, "/workspace/**", method_set::of(0b1));  // read
  auto first = w.g->authorize_and_execute(*w.s, w.request("fs.read", target, cap));
  if (first.allow != expect_allow || first.reason != expect_reason) {
    state.SkipWithError(("unexpected decision: " + std::string(name_of(first.reason))).c_str());
    return;
  }
  for (auto _ : state) {
    w.clock.advance(1000);
    auto r = decide_once(*w.g, *w.s, w.request("fs.read", target, cap));
    benchmark::DoNotOptimize(r);
    if (r.allow != expect_allow) {
      state.SkipWithError("decision changed during the run");
      break;
    }
  }
  state.counters["audit_frames"] = static_cast<double>(w.sink->frames());
}

// Allowed: decision entry, execution, budget commit, outcome entry.
void gate_allow_fs_read_warm(benchmark::State& state) { run_decisions(state, allowed_target, true, errc::ok); }
BENCHMARK(gate_allow_fs_read_warm);

// Denied by a policy rule after the capability verified: one decision entry.
void gate_deny_fs_read_by_policy(benchmark::State& state) {
  run_decisions(state, denied_target, false, errc::denied_by_rule);
}
BENCHMARK(gate_deny_fs_read_by_policy);

// The decision alone — gate::authorize(): validate, sequence, token verify, policy, taint,
// budget reserve and the decision entry on the log; the effect is allowed. Each call is
// timed on its own with the steady clock (manual time; the two clock reads, ~20-40 ns,
// are included), then completed untimed (budget commit, outcome entry), so that the
// session stays as in real use. Reports the median and 99th percentile of the calls.
[[gnu::noinline]] response authorize_once(bench_gate& g, session<64>& s, const effect_request& r, pending_effect& p) {
  return g.authorize(s, r, p);
}

void gate_decision_allow_fs_read_warm(benchmark::State& state) {
  world w;
  const auto cap = w.mint(cap_type::fs, "/workspace/**", method_set::of(0b1));
  const auto first = w.g->authorize_and_execute(*w.s, w.request("fs.read", allowed_target, cap));
  if (!first.allow) {
    state.SkipWithError(("unexpected decision: " + std::string(name_of(first.reason))).c_str());
    return;
  }
  std::vector<std::uint64_t> samples;
  samples.reserve(1 << 22);
  effect_result done;
  done.output = as_bytes(std::string_view{"contents"});
  for (auto _ : state) {
    w.clock.advance(1000);
    const auto req = w.request("fs.read", allowed_target, cap);
    pending_effect p;
    const auto start = std::chrono::steady_clock::now();
    auto r = authorize_once(*w.g, *w.s, req, p);
    const auto stop = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(r);
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(stop - start).count();
    state.SetIterationTime(static_cast<double>(ns) * 1e-9);
    if (samples.size() < samples.capacity()) samples.push_back(static_cast<std::uint64_t>(ns));
    if (!r.allow) {
      state.SkipWithError("decision changed during the run");
      break;
    }
    (void)w.g->complete(*w.s, p, done, r);
  }
  if (samples.empty()) return;
  auto at = [&](double q) {
    auto k = static_cast<std::size_t>(q * static_cast<double>(samples.size() - 1));
    std::nth_element(samples.begin(), samples.begin() + static_cast<std::ptrdiff_t>(k), samples.end());
    return static_cast<double>(samples[k]);
  };
  state.counters["p50_ns"] = at(0.50);
  state.counters["p99_ns"] = at(0.99);
}
BENCHMARK(gate_decision_allow_fs_read_warm)->UseManualTime();

// ---- the pieces, each alone -------------------------------------------------------------

void piece_canonicalize_target(benchmark::State& state) {
  std::array<char, pattern::max_path_length> out{};
  for (auto _ : state) benchmark::DoNotOptimize(pattern::canonicalize_path(allowed_target, out));
}
BENCHMARK(piece_canonicalize_target);

void piece_verify_warm(benchmark::State& state) {
  world w;
  const auto cap = w.mint(cap_type::fs, "/workspace/**", method_set::of(0b1));
  const capability::access_request access{cap_type::fs, allowed_target, 0, w.s->run_id};
  capability::token_view view;
  time_ns now = t0;
  if (!w.verifier.verify(cap, access, now, view)) state.SkipWithError("token does not verify");
  for (auto _ : state) {
    now += 1000;
    benchmark::DoNotOptimize(w.verifier.verify(cap, access, now, view));
  }
}
BENCHMARK(piece_verify_warm);

void piece_policy_evaluate(benchmark::State& state) {
  world w;
  policy::request r;
  r.kind = policy::op::fs_read;
  r.target = allowed_target;
  if (!w.policies.current().evaluate(r).allow) state.SkipWithError("policy does not allow");
  for (auto _ : state) benchmark::DoNotOptimize(w.policies.current().evaluate(r));
}
BENCHMARK(piece_policy_evaluate);

void piece_request_hash(benchmark::State& state) {
  world w;
  const auto cap = w.mint(cap_type::fs, "/workspace/**", method_set::of(0b1));
  const auto req = w.request("fs.read", allowed_target, cap);
  const auto cap_hash = w.verifier.wire_hash(cap);
  for (auto _ : state) benchmark::DoNotOptimize(gate_detail::request_hash(req, allowed_target, {}, cap_hash));
}
BENCHMARK(piece_request_hash);

void piece_budget_reserve_commit(benchmark::State& state) {
  world w;
  budget::costs c;
  c.set(budget::resource::calls, 1);
  for (auto _ : state) {
    auto r = w.account->reserve(c, t0);
    benchmark::DoNotOptimize(w.account->commit(*r, c));
  }
}
BENCHMARK(piece_budget_reserve_commit);

void piece_audit_append(benchmark::State& state) {
  world w;
  audit::record rec{};
  rec.kind = audit::entry_kind::decision;
  rec.decision = audit::verdict::allow;
  rec.op = find_effect("fs.read")->op_code();
  for (auto _ : state) benchmark::DoNotOptimize(w.log.append_durable(rec));
}
BENCHMARK(piece_audit_append);

// Inside each audit append: the entry's SHA-256 and the frame's CRC-32C.
void piece_sha256_entry(benchmark::State& state) {
  const audit::encoded_entry bytes{};
  for (auto _ : state) benchmark::DoNotOptimize(audit::hash_of(bytes));
}
BENCHMARK(piece_sha256_entry);

void piece_crc32c_frame(benchmark::State& state) {
  const audit::encoded_frame frame{};
  for (auto _ : state) benchmark::DoNotOptimize(crc32c(bytes_view{frame.data(), audit::frame_header_size + audit::record_size}));
}
BENCHMARK(piece_crc32c_frame);

void piece_sha256_result(benchmark::State& state) {
  const std::string_view output = "contents";
  for (auto _ : state) benchmark::DoNotOptimize(crypto::sha256::hash(as_bytes(output)));
}
BENCHMARK(piece_sha256_result);

}  // namespace

BENCHMARK_MAIN();
