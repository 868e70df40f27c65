// INV-2 costs: verifying a token that carries 4 holder caveats, warm (its MAC chain
// already verified once: the gate's steady state) and cold (the full MAC chain), plus
// decoding alone and minting.
//   build/benchmarks/bench_capability --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <memory>
#include <vector>

#include "authority/capability/issue.hpp"
#include "authority/capability/verify.hpp"
#include "capability/fixture.hpp"

using namespace authority;
using namespace authority::capability;

namespace {

constexpr time_ns now0 = 1'700'000'000ull * ns_per_s;

using authority::capability::testing::counter_entropy;

struct fixture {
  key_ring keys;
  std::vector<revocation_slot> revocation_storage = std::vector<revocation_slot>(1024);
  revocation_list revoked{revocation_storage};
  std::vector<bucket_slot> buckets = std::vector<bucket_slot>(64);
  rate_limiter rates{buckets};
  std::vector<verified_slot> cache_storage = std::vector<verified_slot>(64);
  verified_cache cache{cache_storage};
  counter_entropy entropy;
  std::unique_ptr<token> t = std::make_unique<token>();
  std::unique_ptr<token> scratch = std::make_unique<token>();
  std::unique_ptr<token_view> view = std::make_unique<token_view>();
  std::vector<byte> wire;

  fixture() {
    key_secret s{};
    for (std::size_t i = 0; i < s.size(); ++i) s[i] = static_cast<byte>(i * 7);
    (void)keys.add_active(1, s, now0);
    // A few hundred revoked ids, so revocation lookups are not trivially empty.
    for (byte i = 0; i < 200; ++i) {
      id128 id{};
      id[0] = i;
      id[9] = 0x55;
      (void)revoked.revoke_token(id);
    }
    grant g{cap_type::fs, "/workspace/**", method_set::of(0b111), 3'600'000, rate_limit::per(1'000'000'000, 1000), {}};
    (void)mint(keys, g, now0, entropy, *t);
    const char* narrower[] = {"/workspace/project/**", "/workspace/project/src/**"};
    for (const char* p : narrower) {
      caveat c;
      c.kind = caveat_kind::resource;
      c.pattern = static_string<max_resource_size>::from(p).value();
      (void)add_caveat(*t, c);
    }
    caveat m;
    m.kind = caveat_kind::methods;
    m.value = 0b001;
    (void)add_caveat(*t, m);
    caveat e;
    e.kind = caveat_kind::expires_before;
    e.value = now0 / ns_per_ms + 1'800'000;
    (void)add_caveat(*t, e);
    byte buf[max_token_size];
    auto enc = encode(*t, buf);
    wire.assign(enc->begin(), enc->end());
  }
};

const access_request access{cap_type::fs, "/workspace/project/src/main.cpp", 0, {}};

// Out of line, so that callgrind counts one call per iteration: instructions per verify =
// inclusive cost of verify_once / its calls (see benchmarks/callgrind.sh).
[[gnu::noinline]] result<void> verify_once(verifier& v, bytes_view wire, time_ns now, token_view& out) {
  return v.verify(wire, access, now, out);
}
[[gnu::noinline]] result<void> decode_once(bytes_view wire, token_view& out) { return decode(wire, out); }

void verify_4_caveats_warm(benchmark::State& state) {
  fixture f;
  verifier v{f.keys, f.revoked, &f.rates, &f.cache};
  time_ns now = now0;
  if (!v.verify(f.wire, access, now, *f.view)) state.SkipWithError("token does not verify");
  for (auto _ : state) {
    now += 1000;
    auto r = verify_once(v, f.wire, now, *f.view);
    benchmark::DoNotOptimize(r);
  }
  state.counters["token_bytes"] = static_cast<double>(f.wire.size());
}
BENCHMARK(verify_4_caveats_warm);

void verify_4_caveats_cold(benchmark::State& state) {
  fixture f;
  verifier v{f.keys, f.revoked, &f.rates, nullptr};  // no cache: the whole MAC chain every time
  time_ns now = now0;
  for (auto _ : state) {
    now += 1000;
    auto r = verify_once(v, f.wire, now, *f.view);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(verify_4_caveats_cold);

void decode_4_caveats(benchmark::State& state) {
  fixture f;
  for (auto _ : state) {
    auto r = decode_once(f.wire, *f.view);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(decode_4_caveats);

void mint_token(benchmark::State& state) {
  fixture f;
  grant g{cap_type::fs, "/workspace/**", method_set::of(0b11), 60'000, rate_limit::unlimited(), {}};
  for (auto _ : state) {
    auto r = mint(f.keys, g, now0, f.entropy, *f.scratch);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(mint_token);

}  // namespace

BENCHMARK_MAIN();
