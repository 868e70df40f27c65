// What the C ABI costs over calling the C++ library directly: the same work through
// authority.h (opaque objects, C structs, callbacks) and through the headers, pairwise:
// token verify (warm MAC cache), policy evaluate, budget reserve+commit, an audit append
// into memory, and one request frame through the whole gate.
//   build/benchmarks/bench_c_abi --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "authority/audit/chain.hpp"
#include "authority/authority.h"
#include "authority/capability/issue.hpp"
#include "authority/gate.hpp"
#include "authority/hosted/policy_compiler.hpp"
#include "authority/hosted/policy_text.hpp"
#include "authority/request_frame.hpp"
#include "capability/fixture.hpp"

using namespace authority;

namespace {

constexpr time_ns now0 = 1'700'000'000ull * ns_per_s;
const char* policy_json = R"({"fs": {"read": ["/data/**", "/usr/**", "/etc/hosts"], "deny": ["/data/secret/**"]}})";

using authority::capability::testing::counter_entropy;

// A discarding audit sink, in both shapes. The C++ one is kept out of line and made to
// look at the frame, as the C callback is: otherwise the compiler would skip building
// frames nobody reads, and the comparison would flatter the C++ side.
struct null_sink {
  [[gnu::noinline]] result<void> append(bytes_view frame) noexcept {
    benchmark::DoNotOptimize(frame.data());
    benchmark::ClobberMemory();
    return success();
  }
  [[gnu::noinline]] result<void> sync() noexcept { return success(); }
};
int null_append(void*, const std::uint8_t*, std::size_t) { return 0; }
int null_sync(void*) { return 0; }

struct null_executor {
  effect_result execute(const effect_permit&, const effect_request&) noexcept { return {}; }
};
void null_execute(void*, const authority_permit*, const authority_effect_request*, authority_effect_result*) {}
std::uint64_t fixed_clock(void*) { return now0; }

// Both worlds over the same key, token and blob.
struct world {
  capability::key_secret secret{};
  std::vector<std::uint8_t> token, blob;

  // C++
  capability::key_ring keys;
  std::vector<capability::revocation_slot> revocation_slots = std::vector<capability::revocation_slot>(64);
  capability::revocation_list revoked{revocation_slots};
  std::vector<capability::bucket_slot> buckets = std::vector<capability::bucket_slot>(64);
  capability::rate_limiter rates{buckets};
  std::vector<capability::verified_slot> cache_slots = std::vector<capability::verified_slot>(16);
  capability::verified_cache cache{cache_slots};
  std::unique_ptr<capability::verifier> verifier;
  policy::policy_store store;

  // C
  authority_key_ring c_keys{};
  authority_revocation_list c_revoked{};
  std::vector<unsigned char> c_revocation_storage = std::vector<unsigned char>(AUTHORITY_REVOCATION_STORAGE_SIZE(64));
  alignas(16) unsigned char c_buckets[AUTHORITY_RATE_STORAGE_SIZE(64)]{};
  std::vector<unsigned char> c_cache = std::vector<unsigned char>(AUTHORITY_TOKEN_CACHE_STORAGE_SIZE(16));
  authority_verifier c_verifier{};
  authority_policy c_policy{};
  authority_policy_store c_store{};

  world() {
    for (std::size_t i = 0; i < secret.size(); ++i) secret[i] = static_cast<byte>(i * 7 + 1);
    (void)keys.add_active(1, secret, now0);
    counter_entropy entropy;
    auto t = std::make_unique<capability::token>();
    (void)capability::mint(keys, {capability::cap_type::fs, "/data/**", capability::method_set::everything(), 3'600'000, {}, {}},
                           now0, entropy, *t);
    token.resize(capability::max_token_size);
    token.resize(capability::encode(*t, token)->size());
    auto parsed = policy_text::parse_json(policy_json, "bench.json");
    blob = hosted::compile_policy(*parsed.ast, keys).blob;
    verifier = std::make_unique<capability::verifier>(keys, revoked, &rates, &cache);
    (void)store.load(blob, keys, now0);

    authority_key_ring_init(&c_keys, 3600 * ns_per_s);
    authority_key_ring_add_active(&c_keys, 1, secret.data(), now0, nullptr);
    authority_revocation_list_init(&c_revoked, c_revocation_storage.data(), c_revocation_storage.size(), nullptr);
    authority_verifier_init(&c_verifier, &c_keys, &c_revoked, c_buckets, sizeof c_buckets, c_cache.data(),
                            c_cache.size(), nullptr);
    authority_policy_open(&c_policy, blob.data(), blob.size(), &c_keys, now0, nullptr);
    authority_policy_store_init(&c_store);
    authority_policy_store_load(&c_store, blob.data(), blob.size(), &c_keys, now0, nullptr);
  }
};

world& shared() {
  static world w;
  return w;
}

void BM_verify_cpp(benchmark::State& state) {
  auto& w = shared();
  capability::token_view view;
  const capability::access_request a{capability::cap_type::fs, "/data/reports/q3.txt", 0, {}};
  for (auto _ : state) benchmark::DoNotOptimize(w.verifier->verify(w.token, a, now0, view));
}
BENCHMARK(BM_verify_cpp);

void BM_verify_c(benchmark::State& state) {
  auto& w = shared();
  authority_access a{};
  a.type = AUTHORITY_CAP_FS;
  a.target = "/data/reports/q3.txt";
  a.target_len = 20;
  for (auto _ : state)
    benchmark::DoNotOptimize(authority_verify_token(&w.c_verifier, w.token.data(), w.token.size(), &a, now0, nullptr, nullptr));
}
BENCHMARK(BM_verify_c);

void BM_evaluate_cpp(benchmark::State& state) {
  auto& w = shared();
  policy::request r;
  r.kind = policy::op::fs_read;
  r.target = "/data/reports/q3.txt";
  for (auto _ : state) benchmark::DoNotOptimize(w.store.evaluate(r));
}
BENCHMARK(BM_evaluate_cpp);

void BM_evaluate_c(benchmark::State& state) {
  auto& w = shared();
  authority_policy_request r{};
  r.op = AUTHORITY_OP_FS_READ;
  r.target = "/data/reports/q3.txt";
  r.target_len = 20;
  authority_policy_decision d{};
  for (auto _ : state) benchmark::DoNotOptimize(authority_policy_evaluate(&w.c_policy, &r, &d));
}
BENCHMARK(BM_evaluate_c);

void BM_budget_cpp(benchmark::State& state) {
  budget::account account(budget::limits::all_unlimited(), now0);
  const budget::costs c{{budget::resource::calls, 1}, {budget::resource::file_bytes, 4096}};
  for (auto _ : state) {
    auto r = account.reserve(c, now0);
    benchmark::DoNotOptimize(account.commit(*r, c));
  }
}
BENCHMARK(BM_budget_cpp);

void BM_budget_c(benchmark::State& state) {
  authority_limits limits{};
  for (auto& l : limits.of) l.unlimited = 1;
  authority_budget b;
  authority_budget_init(&b, &limits, now0);
  authority_costs c{};
  c.of[AUTHORITY_RESOURCE_CALLS] = 1;
  c.of[AUTHORITY_RESOURCE_FILE_BYTES] = 4096;
  authority_reservation r;
  for (auto _ : state) {
    authority_budget_reserve(&b, &c, now0, &r, nullptr);
    benchmark::DoNotOptimize(authority_budget_commit(&b, &r, &c, nullptr));
  }
}
BENCHMARK(BM_budget_c);

void BM_audit_append_cpp(benchmark::State& state) {
  null_sink sink;
  audit::chain<null_sink> chain(sink, audit::id16{1});
  audit::record r;
  r.time = now0;
  for (auto _ : state) benchmark::DoNotOptimize(chain.append_durable(r));
}
BENCHMARK(BM_audit_append_cpp);

void BM_audit_append_c(benchmark::State& state) {
  authority_audit_sink sink{nullptr, null_append, null_sync, nullptr, nullptr};
  authority_audit_chain chain;
  const std::uint8_t log_id[16] = {1};
  authority_audit_chain_init(&chain, &sink, log_id);
  authority_audit_record r{};
  r.kind = AUTHORITY_AUDIT_DECISION;
  r.time_ns = now0;
  for (auto _ : state) benchmark::DoNotOptimize(authority_audit_append_durable(&chain, &r, nullptr, nullptr));
}
BENCHMARK(BM_audit_append_c);

// One fs.read frame: encode (in both loops: every request needs a new sequence number),
// decode, verify (warm), policy, budget, decision, executor, outcome.
std::vector<std::uint8_t> frame_for(const std::vector<std::uint8_t>& token, std::uint64_t seq) {
  effect_request r;
  r.op = static_cast<std::uint16_t>(effect::fs_read);
  r.seq = seq;
  r.target = "/data/reports/q3.txt";
  r.capability = token;
  std::vector<std::uint8_t> out(1024);
  out.resize(encode_request(r, out)->size());
  return out;
}

void BM_gate_cpp(benchmark::State& state) {
  auto& w = shared();
  null_sink sink;
  audit::chain<null_sink> log(sink, audit::id16{1});
  null_executor executor;
  manual_clock clock{now0};
  gate<audit::chain<null_sink>, null_executor, manual_clock> g({w.verifier.get(), &w.store, &w.keys}, log, executor, clock);
  auto account = std::make_unique<budget::account>(budget::limits::all_unlimited(), now0);
  auto s = std::make_unique<session<budget::account::max_reservations()>>(id16{1}, id16{2}, *account);
  std::uint64_t seq = 0;
  for (auto _ : state) {
    const auto frame = frame_for(w.token, ++seq);
    auto req = decode_request(frame);
    benchmark::DoNotOptimize(g.authorize_and_execute(*s, *req));
  }
}
BENCHMARK(BM_gate_cpp);

void BM_gate_c(benchmark::State& state) {
  auto& w = shared();
  authority_audit_sink sink{nullptr, null_append, null_sync, nullptr, nullptr};
  authority_audit_chain chain;
  const std::uint8_t log_id[16] = {1};
  authority_audit_chain_init(&chain, &sink, log_id);
  authority_gate_config config{};
  config.verifier = &w.c_verifier;
  config.policies = &w.c_store;
  config.keys = &w.c_keys;
  config.log = &chain;
  config.executor.execute = null_execute;
  config.clock.now_ns = fixed_clock;
  authority_gate g;
  authority_gate_init(&g, &config, nullptr);
  authority_limits limits{};
  for (auto& l : limits.of) l.unlimited = 1;
  auto b = std::make_unique<authority_budget>();
  authority_budget_init(b.get(), &limits, now0);
  auto s = std::make_unique<authority_session>();
  const std::uint8_t id[16] = {1};
  authority_session_init(s.get(), id, id, b.get());
  std::uint64_t seq = 0;
  authority_response response{};
  for (auto _ : state) {
    const auto frame = frame_for(w.token, ++seq);
    benchmark::DoNotOptimize(authority_gate_submit(&g, s.get(), frame.data(), frame.size(), &response));
  }
}
BENCHMARK(BM_gate_c);

}  // namespace

BENCHMARK_MAIN();
