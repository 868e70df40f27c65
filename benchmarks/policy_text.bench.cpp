// Policy text throughput: the Spirit X3 grammars plus the schema walk (pattern
// validation included), and the canonical printers, on a small policy like the
// reference's and on a large generated one (N rules of every kind).
#include <benchmark/benchmark.h>

#include <string>

#include "authority/hosted/policy_text.hpp"

namespace {

namespace pt = authority::policy_text;

const char* const small_policy = R"({
  "version": "1.0",
  "fs": {"read": ["/usr/**", "/lib/**", "/bin/**", "/etc/**", "/proc/self/**"], "write": ["/tmp/**"]},
  "net": {"dns": ["api.openai.com", "api.anthropic.com"],
          "connect": ["dns:api.openai.com:443", "dns:api.anthropic.com:443"]},
  "infer": {"models": ["gpt-4", "gpt-3.5-turbo", "claude-*"], "max_tokens": 100000},
  "budgets": {"heap_objects": 1000, "heap_bytes": 10485760, "tool_calls": 100, "tokens": 100000, "wall_time_ms": 60000},
  "profiles": ["tier1-musl"]
})";

std::string large_policy(int n) {
  auto list = [n](std::string& s, auto item) {
    for (int i = 0; i < n; ++i) {
      if (i > 0) s += ", ";
      item(s, i);
    }
  };
  std::string s = "{\"version\": \"1.0\", \"fs\": {\"read\": [";
  list(s, [](std::string& out, int i) {
    out += "\"/data/project";
    out += std::to_string(i);
    out += "/**/*.txt\"";
  });
  s += "]}, \"net\": {\"connect\": [";
  list(s, [](std::string& out, int i) {
    out += "\"ip:10.";
    out += std::to_string(i / 256);
    out += '.';
    out += std::to_string(i % 256);
    out += ".0/24:443,8000-8080\"";
  });
  s += "]}, \"tools\": {\"allow\": [";
  list(s, [](std::string& out, int i) {
    out += "{\"name\": \"tool_";
    out += std::to_string(i);
    out += "\", \"version\": \">=1.2, <2\"}";
  });
  s += "]}, \"budgets\": {\"tokens\": 100000, \"cpu_ns\": \"unlimited\"}}";
  return s;
}

void parse_bench(benchmark::State& state, const std::string& text, pt::format f) {
  for (auto _ : state) {
    auto r = pt::parse(text, f, "bench");
    if (!r.ok()) state.SkipWithError("policy does not parse");
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(text.size()));
}

pt::policy parsed(const std::string& text) { return *pt::parse_json(text, "bench").ast; }

void BM_parse_json_small(benchmark::State& state) { parse_bench(state, small_policy, pt::format::json); }
void BM_parse_toml_small(benchmark::State& state) {
  parse_bench(state, pt::print_toml(parsed(small_policy)), pt::format::toml);
}
void BM_parse_json_large(benchmark::State& state) {
  parse_bench(state, large_policy(static_cast<int>(state.range(0))), pt::format::json);
}
void BM_parse_toml_large(benchmark::State& state) {
  parse_bench(state, pt::print_toml(parsed(large_policy(static_cast<int>(state.range(0))))), pt::format::toml);
}
void BM_print_json_large(benchmark::State& state) {
  const auto p = parsed(large_policy(static_cast<int>(state.range(0))));
  std::size_t bytes = 0;
  for (auto _ : state) {
    auto text = pt::print_json(p);
    bytes += text.size();
    benchmark::DoNotOptimize(text);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}
void BM_print_toml_large(benchmark::State& state) {
  const auto p = parsed(large_policy(static_cast<int>(state.range(0))));
  std::size_t bytes = 0;
  for (auto _ : state) {
    auto text = pt::print_toml(p);
    bytes += text.size();
    benchmark::DoNotOptimize(text);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}

BENCHMARK(BM_parse_json_small);
BENCHMARK(BM_parse_toml_small);
BENCHMARK(BM_parse_json_large)->Arg(1000);
BENCHMARK(BM_parse_toml_large)->Arg(1000);
BENCHMARK(BM_print_json_large)->Arg(1000);
BENCHMARK(BM_print_toml_large)->Arg(1000);

}  // namespace

BENCHMARK_MAIN();
