// Policy engine costs: one decision on a compiled policy of 10 / 100 / 1,000 / 10,000
// rules mixing path globs, DNS names, CIDRs, tools and taint rules, per request kind and
// over a mixed stream; blob open (MAC + structural checks); parse + compile of a 1 MiB
// policy, split into its parts.
//
//   build-*/benchmarks/bench_policy --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//
// The generated policies hold rules in indexable shapes (literal and single-segment
// wildcard path segments, "prefix/**", exact and "*." DNS names, CIDRs, literal tool
// names), whose cost grows with the logarithm of the rule count, plus a FIXED number of
// shapes that are checked one by one at their trie node: path globs with "**" inside
// (8), name globs (6), "ip:*" rules (2) and targetless taint rules (3).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "authority/hosted/policy_compiler.hpp"
#include "authority/hosted/policy_text.hpp"
#include "authority/policy/policy.hpp"

using namespace authority;
using namespace authority::policy;
namespace pt = authority::policy_text;

namespace {

pt::source_location at(std::uint32_t line) {
  pt::source_location l;
  l.line = line;
  l.column = 3;
  return l;
}

// A policy of about `n` rules.
pt::policy mixed_policy(std::size_t n) {
  pt::policy p;
  std::uint32_t line = 1;
  const std::size_t fs = std::max<std::size_t>(n * 4 / 10, 2), dns = std::max<std::size_t>(n * 2 / 10, 1),
                    cidr = std::max<std::size_t>(n * 2 / 10, 1), tools = std::max<std::size_t>(n / 10, 1);
  for (std::size_t i = 0; i < fs; ++i) {
    switch (i % 4) {
      case 0: p.fs.allow.push_back({"/srv/app" + std::to_string(i) + "/**", true, false, false, at(line++)}); break;
      case 1: p.fs.allow.push_back({"/data/u" + std::to_string(i) + "/*.log", true, true, false, at(line++)}); break;
      case 2: p.fs.allow.push_back({"/home/user" + std::to_string(i) + "/docs/file.txt", true, false, false, at(line++)}); break;
      default: p.fs.deny.push_back({"/srv/app" + std::to_string(i - 3) + "/secret/*", at(line++)}); break;
    }
  }
  for (std::size_t i = 0; i < 8 && n >= 100; ++i)
    p.fs.allow.push_back({"/var/**/log" + std::to_string(i), true, false, false, at(line++)});
  for (std::size_t i = 0; i < dns; ++i) {
    const std::string host = i % 2 ? "*.tenant" + std::to_string(i) + ".example.net" : "api" + std::to_string(i) + ".svc.example.com";
    p.net.dns.push_back({host, at(line++)});
    p.net.allow.push_back({"dns:" + host + ":443", true, false, false, at(line++)});
  }
  for (std::size_t i = 0; i < cidr; ++i) {
    const std::string net = i % 3 == 2 ? "172." + std::to_string(16 + i % 16) + ".0.0/16:5432"
                                       : "10." + std::to_string((i / 250) % 250) + "." + std::to_string(i % 250) + ".0/24:443";
    p.net.allow.push_back({"ip:" + net, true, false, false, at(line++)});
  }
  p.net.allow.push_back({"ip:[2001:db8::/32]:443", true, false, false, at(line++)});
  p.net.allow.push_back({"ip:*:53", true, false, false, at(line++)});
  p.net.deny.push_back({"ip:10.0.0.66:*", at(line++)});
  p.net.deny.push_back({"ip:*:25", at(line++)});
  for (std::size_t i = 0; i < tools; ++i) {
    std::optional<std::string> version;
    if (i % 5 == 0) version = ">=1.2, <3";
    p.tools.allow.push_back({"tool_" + std::to_string(i), version, at(line++)});
  }
  for (std::size_t i = 0; i < 6 && n >= 100; ++i) p.tools.allow.push_back({"plugin" + std::to_string(i) + "_*", {}, at(line++)});
  p.tools.deny.push_back({"shell_exec", {}, at(line++)});
  p.taint.labels.push_back({"sanitized:html", at(line++)});
  auto selector = [](const std::string& text) { return pt::effect_selector{text, *pt::parse_effect_selector(text)}; };
  p.taint.sources.push_back({selector("net.*"), std::nullopt, "untrusted", at(line++)});
  p.taint.sinks.push_back({selector("tool.call"), std::string{"tool_1"}, {"untrusted"}, at(line++)});
  p.taint.sanitizers.push_back({"tool_2", {"untrusted"}, {"sanitized:html"}, at(line++)});
  return p;
}

struct fixture {
  std::vector<std::uint8_t> blob;
  capability::key_ring keys;
  compiled_policy policy;
  std::size_t rules = 0;

  explicit fixture(std::size_t n) {
    capability::key_secret secret{};
    secret[0] = 1;
    (void)keys.add_active(1, secret, 0);
    auto compiled = hosted::compile_policy(mixed_policy(n), keys);
    blob = std::move(compiled.blob);
    policy = *compiled_policy::open(blob, keys, 0);
    rules = policy.rule_count();
  }
};

fixture& policy_of(std::size_t n) {
  static std::map<std::size_t, std::unique_ptr<fixture>> cache;
  auto& f = cache[n];
  if (!f) f = std::make_unique<fixture>(n);
  return *f;
}

// Requests that hit rules spread over the whole policy (targets from every part of the
// index); most are allowed, some miss every rule.
struct request_set {
  std::vector<std::string> targets;
  std::vector<request> requests;
};

request_set requests_of(const std::string& kind, std::size_t n) {
  request_set s;
  std::mt19937_64 rng{42};
  const std::size_t fs = std::max<std::size_t>(n * 4 / 10, 2), dns = std::max<std::size_t>(n * 2 / 10, 1),
                    cidr = std::max<std::size_t>(n * 2 / 10, 1), tools = std::max<std::size_t>(n / 10, 1);
  auto pick = [&](std::size_t m) { return std::uniform_int_distribution<std::size_t>(0, m - 1)(rng); };
  for (int i = 0; i < 256; ++i) {
    std::string t;
    op o = op::fs_read;
    label_set labels = 0;
    const std::string k = kind == "mixed" ? std::string{std::array{"path", "dns", "cidr", "tool", "taint"}[static_cast<std::size_t>(i % 5)]} : kind;
    if (k == "path") {
      const auto j = pick(fs) & ~std::size_t{3};
      t = i % 2 ? "/srv/app" + std::to_string(j) + "/bin/server" : "/data/u" + std::to_string(j + 1) + "/today.log";
      if (i % 7 == 0) t = "/home/user" + std::to_string(j + 2) + "/docs/file.txt";
      if (i % 11 == 0) t = "/opt/unknown/x";
    } else if (k == "dns") {
      o = op::net_connect;
      const auto j = pick(dns);
      t = "dns:" + (j % 2 ? "www.tenant" + std::to_string(j) + ".example.net" : "api" + std::to_string(j) + ".svc.example.com") + ":443";
    } else if (k == "cidr") {
      o = op::net_connect;
      const auto j = pick(cidr);
      t = j % 3 == 2 ? "ip:172." + std::to_string(16 + j % 16) + ".4.5:5432"
                     : "ip:10." + std::to_string((j / 250) % 250) + "." + std::to_string(j % 250) + ".7:443";
    } else if (k == "tool") {
      o = op::tool_call;
      t = "tool_" + std::to_string(pick(tools));
    } else {  // taint: labelled data into tools, the sink among them
      o = op::tool_call;
      labels = untrusted_label;
      t = "tool_" + std::to_string(i % 3 == 0 ? 1 : pick(tools));
    }
    s.targets.push_back(t);
    s.requests.push_back({o, {}, o == op::tool_call ? "2.0" : "", 0, labels});
  }
  for (std::size_t i = 0; i < s.requests.size(); ++i) s.requests[i].target = s.targets[i];
  return s;
}

void BM_decide(benchmark::State& state, std::string kind) {
  const auto n = static_cast<std::size_t>(state.range(0));
  auto& f = policy_of(n);
  const auto set = requests_of(kind, n);
  std::size_t i = 0, allowed = 0;
  for (auto _ : state) {
    const auto d = f.policy.evaluate(set.requests[i++ & 255]);
    allowed += d.allow;
    benchmark::DoNotOptimize(d);
  }
  state.counters["rules"] = static_cast<double>(f.rules);
  state.counters["allowed%"] = 100.0 * static_cast<double>(allowed) / static_cast<double>(state.iterations());
}
BENCHMARK_CAPTURE(BM_decide, mixed, std::string{"mixed"})->Arg(10)->Arg(100)->Arg(1000)->Arg(10000);
BENCHMARK_CAPTURE(BM_decide, path, std::string{"path"})->Arg(10)->Arg(100)->Arg(1000)->Arg(10000);
BENCHMARK_CAPTURE(BM_decide, dns, std::string{"dns"})->Arg(10)->Arg(100)->Arg(1000)->Arg(10000);
BENCHMARK_CAPTURE(BM_decide, cidr, std::string{"cidr"})->Arg(10)->Arg(100)->Arg(1000)->Arg(10000);
BENCHMARK_CAPTURE(BM_decide, tool, std::string{"tool"})->Arg(10)->Arg(100)->Arg(1000)->Arg(10000);
BENCHMARK_CAPTURE(BM_decide, taint, std::string{"taint"})->Arg(10)->Arg(100)->Arg(1000)->Arg(10000);

// The latency of single decisions: each of 4096 mixed decisions timed on its own with
// the TSC-backed steady clock (the clock's own cost, measured on empty intervals, is
// subtracted), reported as percentiles.
void BM_decision_percentiles(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  auto& f = policy_of(n);
  const auto set = requests_of("mixed", n);
  std::vector<double> samples(4096), empty(4096);
  for (auto _ : state) {
    for (std::size_t i = 0; i < samples.size(); ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      const auto t1 = std::chrono::steady_clock::now();
      benchmark::DoNotOptimize(f.policy.evaluate(set.requests[i & 255]));
      const auto t2 = std::chrono::steady_clock::now();
      empty[i] = std::chrono::duration<double, std::nano>(t1 - t0).count();
      samples[i] = std::chrono::duration<double, std::nano>(t2 - t1).count();
    }
  }
  std::sort(samples.begin(), samples.end());
  std::sort(empty.begin(), empty.end());
  const double overhead = empty[empty.size() / 2];
  state.counters["p50_ns"] = samples[samples.size() / 2] - overhead;
  state.counters["p90_ns"] = samples[samples.size() * 9 / 10] - overhead;
  state.counters["p99_ns"] = samples[samples.size() * 99 / 100] - overhead;
  state.counters["clock_ns"] = overhead;
  state.counters["rules"] = static_cast<double>(f.rules);
}
BENCHMARK(BM_decision_percentiles)->Arg(10)->Arg(1000)->Arg(10000)->Iterations(20);

void BM_open(benchmark::State& state) {
  auto& f = policy_of(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(compiled_policy::open(f.blob, f.keys, 0));
  state.counters["blob_bytes"] = static_cast<double>(f.blob.size());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(f.blob.size()));
}
BENCHMARK(BM_open)->Arg(10)->Arg(1000)->Arg(10000);

// A JSON policy of about 1 MiB, one entry per line as people and generators write them.
const std::string& large_policy_text() {
  static const std::string text = [] {
    std::string fs_read, fs_write, dns, connect, tools, models;
    std::size_t i = 0;
    std::string out;
    while (fs_read.size() + fs_write.size() + dns.size() + connect.size() + tools.size() + models.size() < (1u << 20) - 4096) {
      const auto k = std::to_string(i++);
      fs_read += (fs_read.empty() ? "" : ",\n") + std::string{"      \"/srv/app"} + k + "/**\"";
      fs_write += (fs_write.empty() ? "" : ",\n") + std::string{"      \"/data/u"} + k + "/*.log\"";
      dns += (dns.empty() ? "" : ",\n") + std::string{"      \"api"} + k + ".svc.example.com\"";
      connect += (connect.empty() ? "" : ",\n") + std::string{"      \"ip:10."} + std::to_string((i / 250) % 250) + "." +
                 std::to_string(i % 250) + ".0/24:443\"";
      tools += (tools.empty() ? "" : ",\n") + std::string{"      \"tool_"} + k + "\"";
      if (i % 10 == 0) models += (models.empty() ? "" : ",\n") + std::string{"      \"model-"} + k + "\"";
    }
    out = "{\n  \"version\": \"1.0\",\n  \"fs\": {\n    \"read\": [\n" + fs_read + "\n    ],\n    \"write\": [\n" + fs_write +
          "\n    ]\n  },\n  \"net\": {\n    \"dns\": [\n" + dns + "\n    ],\n    \"connect\": [\n" + connect +
          "\n    ]\n  },\n  \"tools\": {\n    \"allow\": [\n" + tools + "\n    ]\n  },\n  \"infer\": {\n    \"models\": [\n" +
          models + "\n    ]\n  }\n}\n";
    return out;
  }();
  return text;
}

void BM_large_parse(benchmark::State& state) {
  const auto& text = large_policy_text();
  for (auto _ : state) {
    auto r = pt::parse_json(text, "large.json");
    if (!r.ok()) state.SkipWithError("the large policy does not parse");
    benchmark::DoNotOptimize(r);
  }
  state.counters["MiB"] = static_cast<double>(text.size()) / (1 << 20);
}
BENCHMARK(BM_large_parse)->Unit(benchmark::kMillisecond);

void BM_large_compile(benchmark::State& state) {
  const auto ast = pt::parse_json(large_policy_text(), "large.json").ast;
  capability::key_ring keys;
  capability::key_secret secret{};
  (void)keys.add_active(1, secret, 0);
  std::size_t bytes = 0;
  for (auto _ : state) {
    auto r = hosted::compile_policy(*ast, keys);
    bytes = r.blob.size();
    benchmark::DoNotOptimize(r);
  }
  state.counters["blob_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_large_compile)->Unit(benchmark::kMillisecond);

void BM_large_parse_and_compile(benchmark::State& state) {
  const auto& text = large_policy_text();
  capability::key_ring keys;
  capability::key_secret secret{};
  (void)keys.add_active(1, secret, 0);
  std::size_t rules = 0;
  for (auto _ : state) {
    auto parsed = pt::parse_json(text, "large.json");
    auto compiled = hosted::compile_policy(*parsed.ast, keys);
    rules = compiled.blob.size();
    benchmark::DoNotOptimize(compiled);
  }
  state.counters["MiB"] = static_cast<double>(text.size()) / (1 << 20);
  state.counters["blob_bytes"] = static_cast<double>(rules);
}
BENCHMARK(BM_large_parse_and_compile)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
