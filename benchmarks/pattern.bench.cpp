// Pattern layer costs: canonicalization, matching per syntax (typical and worst case),
// containment (what delegation pays) and specificity.
#include <benchmark/benchmark.h>

#include <array>
#include <string>

#include "authority/pattern/pattern.hpp"

using namespace authority;
using namespace authority::pattern;

namespace {
// Out of line, so that callgrind counts one call per iteration (benchmarks/callgrind.sh).
[[gnu::noinline]] result<std::string_view> canonicalize_once(std::string_view path, std::span<char> out) {
  return canonicalize_path(path, out);
}

void BM_canonicalize(benchmark::State& state, std::string path) {
  std::array<char, max_path_length> out{};
  for (auto _ : state) benchmark::DoNotOptimize(canonicalize_once(path, out));
}
BENCHMARK_CAPTURE(BM_canonicalize, typical, "/usr/lib/../lib64/./libc.so.6");
BENCHMARK_CAPTURE(BM_canonicalize, already_canonical, "/workspace/project/src/main.cpp");

void BM_canonicalize_4k(benchmark::State& state) {
  std::string path;
  while (path.size() + 12 <= max_path_length) path += "/a/./b/../..";
  std::array<char, max_path_length> out{};
  for (auto _ : state) benchmark::DoNotOptimize(canonicalize_path(path, out));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(path.size()));
}
BENCHMARK(BM_canonicalize_4k);

// Out of line, so that callgrind counts one call per iteration (benchmarks/callgrind.sh).
[[gnu::noinline]] bool match_once(syntax s, std::string_view pattern, std::string_view target) {
  return matches(s, pattern, target);
}

void BM_match(benchmark::State& state, syntax s, std::string pattern, std::string target) {
  if (!matches(s, pattern, target)) state.SkipWithError("benchmark input does not match");
  benchmark::DoNotOptimize(s);  // a run-time syntax, as callers have: no clone of match_once per syntax
  for (auto _ : state) benchmark::DoNotOptimize(match_once(s, pattern, target));
}
BENCHMARK_CAPTURE(BM_match, path_globstar, syntax::path, "/usr/**", "/usr/lib/x86_64-linux-gnu/libc.so.6");
BENCHMARK_CAPTURE(BM_match, path_star, syntax::path, "/home/*/.config/*.toml", "/home/agent/.config/app.toml");
BENCHMARK_CAPTURE(BM_match, path_exact, syntax::path, "/etc/passwd", "/etc/passwd");
BENCHMARK_CAPTURE(BM_match, name, syntax::name, "claude-*", "claude-3-5-sonnet");
BENCHMARK_CAPTURE(BM_match, host, syntax::host, "*.example.com", "api.example.com");
BENCHMARK_CAPTURE(BM_match, net_dns, syntax::net, "dns:*.example.com:443", "dns:api.example.com:443");
BENCHMARK_CAPTURE(BM_match, net_ipv4, syntax::net, "ip:10.0.0.0/8:80,443,8000-8080", "ip:10.1.2.3:8080");
BENCHMARK_CAPTURE(BM_match, net_ipv6, syntax::net, "ip:[2001:db8::/32]:443", "ip:[2001:db8::1]:443");

// The same pattern through matches_valid: for callers that validated pattern and target
// once (the capability verifier).
[[gnu::noinline]] bool match_valid_once(syntax s, std::string_view pattern, std::string_view target) {
  return matches_valid(s, pattern, target);
}

void BM_matches_valid(benchmark::State& state, syntax s, std::string pattern, std::string target) {
  if (!matches(s, pattern, target)) state.SkipWithError("benchmark input does not match");
  benchmark::DoNotOptimize(s);
  for (auto _ : state) benchmark::DoNotOptimize(match_valid_once(s, pattern, target));
}
BENCHMARK_CAPTURE(BM_matches_valid, path_globstar, syntax::path, "/usr/**", "/usr/lib/x86_64-linux-gnu/libc.so.6");
BENCHMARK_CAPTURE(BM_matches_valid, path_star, syntax::path, "/home/*/.config/*.toml", "/home/agent/.config/app.toml");

// glob_match (fast paths) against glob_match_nfa (the general automaton) on the shapes
// policies and capabilities use; same inputs, same run.
[[gnu::noinline]] bool glob_once(std::string_view pattern, std::string_view text, glob_flavor flavor) {
  return glob_match(pattern, text, flavor);
}
[[gnu::noinline]] bool glob_nfa_once(std::string_view pattern, std::string_view text, glob_flavor flavor) {
  return glob_match_nfa(pattern, text, flavor);
}

void run_glob(benchmark::State& state, bool (*match)(std::string_view, std::string_view, glob_flavor),
              const std::string& pattern, const std::string& text, bool expected) {
  const auto flavor = pattern.starts_with("/") || pattern.starts_with("**") ? glob_flavor::path : glob_flavor::name;
  if (glob_match_nfa(pattern, text, flavor) != expected) state.SkipWithError("unexpected answer");
  for (auto _ : state) benchmark::DoNotOptimize(match(pattern, text, flavor));
}
void BM_glob(benchmark::State& state, std::string pattern, std::string text, bool expected) {
  run_glob(state, glob_once, pattern, text, expected);
}
void BM_glob_nfa(benchmark::State& state, std::string pattern, std::string text, bool expected) {
  run_glob(state, glob_nfa_once, pattern, text, expected);
}
#define AUTHORITY_GLOB_BENCH(name, pattern, text, expected)   \
  BENCHMARK_CAPTURE(BM_glob, name, pattern, text, expected); \
  BENCHMARK_CAPTURE(BM_glob_nfa, name, pattern, text, expected)
AUTHORITY_GLOB_BENCH(prefix_globstar, "/workspace/project/src/**", "/workspace/project/src/main.cpp", true);
AUTHORITY_GLOB_BENCH(prefix_globstar_miss, "/workspace/project/src/**", "/workspace/other/src/main.cpp", false);
AUTHORITY_GLOB_BENCH(segments, "/home/*/.config/*.toml", "/home/agent/.config/app.toml", true);
AUTHORITY_GLOB_BENCH(inner_globstar, "/workspace/**/*.key", "/workspace/project/src/secrets/id.key", true);
AUTHORITY_GLOB_BENCH(inner_globstar_miss, "/workspace/**/*.key", "/workspace/project/src/main.cpp", false);
AUTHORITY_GLOB_BENCH(name_prefix, "claude-*", "claude-3-5-sonnet", true);
AUTHORITY_GLOB_BENCH(general, "/a/**/b/**/c", "/a/x/b/y/z/c", true);

// `*?*?*?*?` against a 4 KiB path: linear.
void BM_match_star_question_4k(benchmark::State& state) {
  const std::string path = std::string(max_path_length, 'a').replace(0, 1, "/");
  for (auto _ : state) benchmark::DoNotOptimize(glob_match("/*?*?*?*?b", path, glob_flavor::path));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(path.size()));
}
BENCHMARK(BM_match_star_question_4k);

// The engine's worst case: a 4 KiB pattern with every state live, against 4 KiB.
void BM_match_worst_4k_by_4k(benchmark::State& state) {
  std::string pattern;
  while (pattern.size() + 2 <= max_pattern_length) pattern += "*a";
  pattern.back() = 'b';
  const std::string text(max_path_length, 'a');
  for (auto _ : state) benchmark::DoNotOptimize(glob_match(pattern, text, glob_flavor::name));
}
BENCHMARK(BM_match_worst_4k_by_4k)->Unit(benchmark::kMillisecond);

void BM_contains(benchmark::State& state, syntax s, std::string parent, std::string child) {
  auto r = contains(s, parent, child);
  if (!r.ok()) state.SkipWithError("benchmark pair does not decide");
  for (auto _ : state) benchmark::DoNotOptimize(contains(s, parent, child));
}
BENCHMARK_CAPTURE(BM_contains, path, syntax::path, "/a/**", "/a/b/*.txt");
BENCHMARK_CAPTURE(BM_contains, path_not, syntax::path, "/tmp/*", "/tmp/*/x");
BENCHMARK_CAPTURE(BM_contains, path_literal_child, syntax::path, "/home/*/.config/**", "/home/agent/.config/app.toml");
BENCHMARK_CAPTURE(BM_contains, name, syntax::name, "claude-*", "claude-3-*");
BENCHMARK_CAPTURE(BM_contains, host, syntax::host, "*.example.com", "api.example.com");
BENCHMARK_CAPTURE(BM_contains, net, syntax::net, "ip:10.0.0.0/8:*", "ip:10.1.0.0/16:443");

void BM_specificity_path(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(specificity(syntax::path, "/home/*/.config/**"));
}
BENCHMARK(BM_specificity_path);
}  // namespace

BENCHMARK_MAIN();
