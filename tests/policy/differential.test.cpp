// Differential test: the compiled blob evaluator against the simple AST oracle
// (oracle.hpp) on generated policies and requests. Same decision, same reason, same
// deciding rule, same result labels, or the test prints the policy and the request.
//
//   bounded (ctest):  1,000,000 cases
//   long run:         test_policy "[.long]"            10,000,000 cases
//   any count / seed: AUTHORITY_POLICY_DIFF_CASES=N AUTHORITY_POLICY_DIFF_SEED=S test_policy "[differential]"
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "oracle.hpp"
#include "support.hpp"

using namespace policy_core_test;

namespace {

class generator {
 public:
  explicit generator(std::uint64_t seed) : rng_(seed) {}

  std::size_t below(std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_); }
  bool chance(int percent) { return below(100) < static_cast<std::size_t>(percent); }
  template <class T, std::size_t N>
  const T& pick(const T (&items)[N]) {
    return items[below(N)];
  }

  // ---- targets ----
  std::string segment() {
    static const char* const names[] = {"a", "b", "c", "ab", "x.y", "lib", "a.so"};
    return pick(names);
  }
  std::string path() {
    if (chance(5)) return "/";
    std::string p;
    for (std::size_t n = 1 + below(5); n > 0; --n) p += "/" + segment();
    return p;
  }
  std::string host() {
    static const char* const labels[] = {"a", "b", "example", "com", "x-y", "API"};
    std::string h;
    for (std::size_t n = 1 + below(4); n > 0; --n) h = std::string{pick(labels)} + (h.empty() ? "" : "." + h);
    if (h == "API" || h.find('.') == std::string::npos) h += ".com";
    return h;
  }
  std::string ipv4() {
    static const char* const parts[] = {"10", "0", "1", "2", "255", "192", "168"};
    return std::string{pick(parts)} + "." + pick(parts) + "." + pick(parts) + "." + pick(parts);
  }
  std::string ipv6() {
    static const char* const forms[] = {"2001:db8::1", "2001:db8:1::5", "::1", "2001:db9::", "fe80::1", "::"};
    return pick(forms);
  }
  std::string port() {
    static const char* const ports[] = {"80", "443", "8080", "8050", "53", "1"};
    return pick(ports);
  }
  std::string net_target() {
    switch (below(4)) {
      case 0: return "dns:" + host() + ":" + port();
      case 1: return "ip:" + ipv4() + ":" + port();
      case 2: return "ip:[" + ipv6() + "]:" + port();
      default: return "ip:[::ffff:" + ipv4() + "]:" + port();
    }
  }
  std::string name() {
    static const char* const names[] = {"git", "gpt-4", "claude-3", "db.query", "x", "html_escape", "send"};
    return pick(names);
  }

  // ---- patterns ----
  std::string path_pattern() {
    static const char* const globs[] = {"*", "?", "a*", "*b", "?b", "**", "*.so", "a**"};
    if (chance(4)) return "/";
    if (chance(4)) return "/**";
    if (chance(3)) return "**/" + segment();
    std::string p;
    for (std::size_t n = 1 + below(4); n > 0; --n) p += "/" + (chance(30) ? std::string{pick(globs)} : segment());
    if (chance(25)) p += "/**";
    return p;
  }
  std::string host_pattern() {
    if (chance(5)) return "*";
    const auto h = host();
    return chance(40) ? "*." + h : h;
  }
  std::string ports() {
    static const char* const sets[] = {"*", "443", "80,443", "8000-8100", "1-100,443"};
    return pick(sets);
  }
  std::string net_pattern() {
    static const char* const v4_prefix[] = {"0", "8", "16", "24", "30", "32"};
    static const char* const v6[] = {"2001:db8::/32", "::1", "::/0", "2001:db8:1::/48", "::ffff:10.0.0.0/104"};
    switch (below(5)) {
      case 0:
      case 1: return "dns:" + host_pattern() + ":" + ports();
      case 2: {
        // A CIDR with its host bits cleared.
        auto a = pattern::parse_ipv4(ipv4());
        const int prefix = std::atoi(pick(v4_prefix));
        std::uint32_t bits = load_be32(a->bytes.data());
        bits = prefix == 0 ? 0 : bits & (~std::uint32_t{0} << (32 - prefix));
        return "ip:" + std::to_string(bits >> 24) + "." + std::to_string((bits >> 16) & 255) + "." +
               std::to_string((bits >> 8) & 255) + "." + std::to_string(bits & 255) + "/" + std::to_string(prefix) + ":" +
               ports();
      }
      case 3: return "ip:[" + std::string{pick(v6)} + "]:" + ports();
      default: return "ip:*:" + ports();
    }
  }
  std::string name_pattern() {
    static const char* const globs[] = {"g*", "*-?", "d?.query", "*", "*a*", "gpt-4", "git", "x", "send", "html_*"};
    return pick(globs);
  }
  std::optional<std::string> version_constraint() {
    static const char* const constraints[] = {">=1.2", "<2", "^1", "~1.2", "=1", "!=1.3", ">=1, <1.5", "1.2.3", "^0.9", "~1"};
    if (chance(60)) return std::nullopt;
    return std::string{pick(constraints)};
  }
  std::string version() {
    static const char* const versions[] = {"", "1", "1.2", "1.2.3", "1.4.9", "2.0", "0.9", "1.3", "bad", "0.9.5", "1.2.3-rc"};
    return pick(versions);
  }

  pt::policy policy() {
    pt::policy p;
    std::uint32_t line = 0;
    auto loc = [&] {
      pt::source_location l;
      l.line = ++line;
      l.column = 1;
      return l;
    };
    auto some = [&](int max) { return below(static_cast<std::size_t>(max) + 1); };
    for (auto n = some(6); n > 0; --n) {
      bool r = false, w = false, x = false;
      while (!r && !w && !x) r = chance(60), w = chance(40), x = chance(20);
      p.fs.allow.push_back({path_pattern(), r, w, x, loc()});
    }
    if (chance(20)) p.profiles.push_back({chance(50) ? "tier1-musl" : "tier2-glibc", loc()});
    for (auto n = some(2); n > 0; --n) p.fs.deny.push_back({path_pattern(), loc()});
    for (auto n = some(3); n > 0; --n) p.net.dns.push_back({host_pattern(), loc()});
    for (auto n = some(5); n > 0; --n) {
      bool c = false, b = false, l = false;
      while (!c && !b && !l) c = chance(70), b = chance(20), l = chance(20);
      p.net.allow.push_back({net_pattern(), c, b, l, loc()});
    }
    for (auto n = some(2); n > 0; --n) p.net.deny.push_back({net_pattern(), loc()});
    for (auto n = some(4); n > 0; --n) p.tools.allow.push_back({name_pattern(), version_constraint(), loc()});
    for (auto n = some(2); n > 0; --n) p.tools.deny.push_back({name_pattern(), version_constraint(), loc()});
    for (auto n = some(2); n > 0; --n) p.wasm.modules.push_back({name_pattern(), loc()});
    for (auto n = some(1); n > 0; --n) p.wasm.hostcalls.push_back({name_pattern(), loc()});
    static const std::uint64_t limits[] = {0, 10, 100};
    for (auto n = some(3); n > 0; --n)
      p.infer.models.push_back({name_pattern(), chance(50) ? std::optional<std::uint64_t>{pick(limits)} : std::nullopt, loc()});
    if (chance(30)) p.infer.max_tokens = pick(limits);
    for (auto n = some(2); n > 0; --n) p.spawn.allow.push_back({path_pattern(), loc()});
    for (auto n = some(1); n > 0; --n) p.spawn.deny.push_back({path_pattern(), loc()});
    if (chance(50)) {
      static const char* const labels[] = {"untrusted", "pii", "sanitized:html"};
      p.taint.labels = {{"pii", loc()}, {"sanitized:html", loc()}};
      static const char* const selectors[] = {"net.*", "fs.read", "tool.call", "fs.*", "net.connect", "net.dns", "infer", "wasm.*"};
      auto selector = [&] {
        std::string text = pick(selectors);
        return pt::effect_selector{text, *pt::parse_effect_selector(text)};
      };
      auto target_for = [&](const pt::effect_selector& e) -> std::optional<std::string> {
        if (e.text == "net.*" || chance(40)) return std::nullopt;
        const auto first = static_cast<op>(std::countr_zero(static_cast<unsigned>(e.kinds)));
        switch (target_syntax(first)) {
          case pattern::syntax::path: return path_pattern();
          case pattern::syntax::host: return host_pattern();
          case pattern::syntax::net: return net_pattern();
          case pattern::syntax::name: return name_pattern();
        }
        return std::nullopt;
      };
      for (auto n = some(2); n > 0; --n) {
        auto e = selector();
        auto t = target_for(e);
        p.taint.sources.push_back({e, t, pick(labels), loc()});
      }
      for (auto n = some(2); n > 0; --n) {
        auto e = selector();
        auto t = target_for(e);
        p.taint.sinks.push_back({e, t, {pick(labels)}, loc()});
      }
      for (auto n = some(1); n > 0; --n)
        p.taint.sanitizers.push_back({name_pattern(), {pick(labels)}, chance(50) ? std::vector<std::string>{"sanitized:html"} : std::vector<std::string>{}, loc()});
    }
    return p;
  }

  policy_oracle::request request(std::size_t label_count) {
    policy_oracle::request q;
    q.o = static_cast<policy_oracle::op>(below(op_count));
    switch (target_syntax(static_cast<op>(q.o))) {
      case pattern::syntax::path: q.target = chance(2) ? "/a/../b" : path(); break;
      case pattern::syntax::host: q.target = chance(2) ? "a..com" : host(); break;
      case pattern::syntax::net: q.target = chance(2) ? "dns:a.com" : net_target(); break;
      case pattern::syntax::name: q.target = name(); break;
    }
    if (q.o == policy_oracle::op::tool_call) q.version = version();
    static const std::uint64_t tokens[] = {0, 5, 10, 11, 100, 101, 1000};
    if (q.o == policy_oracle::op::infer) q.tokens = pick(tokens);
    static const char* const names[] = {"untrusted", "pii", "sanitized:html"};
    for (std::size_t i = 0; i < label_count; ++i)
      if (chance(30)) q.labels.push_back(names[i]);
    return q;
  }

 private:
  std::mt19937_64 rng_;
};

std::uint64_t env_or(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);
  return v ? std::strtoull(v, nullptr, 10) : fallback;
}

std::string describe(const pt::policy& p, const policy_oracle::request& q) {
  std::string s = pt::print_json(p) + "request: " + std::string{name_of(static_cast<op>(q.o))} + " " + q.target;
  if (!q.version.empty()) s += " version " + q.version;
  if (q.tokens) s += " tokens " + std::to_string(q.tokens);
  for (const auto& l : q.labels) s += " label " + l;
  return s;
}

void run_differential(std::uint64_t cases, std::uint64_t seed) {
  generator gen{seed};
  std::uint64_t done = 0, by_reason[8]{};
  const auto start = std::chrono::steady_clock::now();
  while (done < cases) {
    const auto ast = gen.policy();
    const auto blob = compile_ok(ast);
    auto opened = compiled_policy::open(blob, keys(), now);
    REQUIRE(opened.ok());
    const policy_oracle::model oracle{ast};
    const std::size_t label_count = oracle.labels().size();
    for (int i = 0; i < 250 && done < cases; ++i, ++done) {
      const auto q = gen.request(label_count);
      label_set labels = 0;
      for (const auto& l : q.labels) labels |= label_set{1} << *opened->label_from_name(l);
      const auto got = opened->evaluate({static_cast<op>(q.o), q.target, q.version, q.tokens, labels});
      const auto want = oracle.decide(q);
      label_set want_labels = 0;
      for (const auto& l : want.result_labels) want_labels |= label_set{1} << *opened->label_from_name(l);
      const bool same_rule =
          want.decided == nullptr
              ? got.rule == no_rule
              : got.rule != no_rule && opened->rule(got.rule).line == want.decided->line &&
                    opened->rule(got.rule).pattern == want.decided->text;
      if (got.allow != want.allow || got.reason != want.reason || !same_rule || got.result_labels != want_labels) {
        FAIL_CHECK("case " << done << " (seed " << seed << ") differs:\n"
                           << describe(ast, q) << "\ncompiled: allow=" << got.allow << " reason=" << name_of(got.reason)
                           << " rule=" << (got.rule == no_rule ? std::string{"none"} : std::string{opened->rule(got.rule).pattern} + "@" + std::to_string(opened->rule(got.rule).line))
                           << " labels=" << got.result_labels << "\noracle:   allow=" << want.allow
                           << " reason=" << name_of(want.reason) << " rule="
                           << (want.decided ? want.decided->text + "@" + std::to_string(want.decided->line) : std::string{"none"})
                           << " labels=" << want_labels);
        return;
      }
      ++by_reason[got.reason == errc::ok ? 0 : got.reason == errc::denied_by_rule ? 1 : got.reason == errc::not_allowed ? 2
                  : got.reason == errc::limit_exceeded ? 3 : got.reason == errc::taint_violation ? 4 : 5];
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("policy differential: %llu cases (seed %llu) agree in %.1f s: allowed %llu, denied_by_rule %llu, "
              "not_allowed %llu, limit_exceeded %llu, taint_violation %llu, invalid target %llu\n",
              static_cast<unsigned long long>(done), static_cast<unsigned long long>(seed), seconds,
              static_cast<unsigned long long>(by_reason[0]), static_cast<unsigned long long>(by_reason[1]),
              static_cast<unsigned long long>(by_reason[2]), static_cast<unsigned long long>(by_reason[3]),
              static_cast<unsigned long long>(by_reason[4]), static_cast<unsigned long long>(by_reason[5]));
  CHECK(done == cases);
  // The generator must exercise every outcome, or agreement proves little.
  for (int i = 0; i < 6; ++i) CHECK(by_reason[i] > cases / 1000);
}

}  // namespace

TEST_CASE("differential: compiled evaluator agrees with the AST oracle on 1,000,000 cases", "[differential]") {
  run_differential(env_or("AUTHORITY_POLICY_DIFF_CASES", 1'000'000), env_or("AUTHORITY_POLICY_DIFF_SEED", 20240601));
}

TEST_CASE("differential: long run, 10,000,000 cases", "[.long][differential]") {
  run_differential(env_or("AUTHORITY_POLICY_DIFF_CASES", 10'000'000), env_or("AUTHORITY_POLICY_DIFF_SEED", 7));
}

TEST_CASE("differential: the oracle's version arithmetic agrees with the documented examples") {
  using policy_oracle::parse_numbers;
  using policy_oracle::version_holds;
  CHECK(version_holds(*parse_numbers("1.2.9"), "=1.2"));
  CHECK_FALSE(version_holds(*parse_numbers("1.3"), "=1.2"));
  CHECK(version_holds(*parse_numbers("1.9"), "^1.2.3"));
  CHECK_FALSE(version_holds(*parse_numbers("2.0"), "^1.2.3"));
  CHECK(version_holds(*parse_numbers("0.2.9"), "^0.2.3"));
  CHECK_FALSE(version_holds(*parse_numbers("0.3"), "^0.2.3"));
  CHECK_FALSE(version_holds(*parse_numbers("0.0.4"), "^0.0.3"));
  CHECK(version_holds(*parse_numbers("1.2.9"), "~1.2.3"));
  CHECK_FALSE(version_holds(*parse_numbers("1.3"), "~1.2"));
  CHECK(version_holds(*parse_numbers("1.9"), "~1"));
  CHECK(version_holds(*parse_numbers("1.4"), ">=1.2, <2"));
  CHECK_FALSE(parse_numbers("1.2.3-rc").has_value());
  // And the core's, on the same examples.
  auto holds = [](std::string_view v, std::string_view c) {
    std::array<version_term, max_version_terms> terms{};
    auto n = parse_version_constraint(c, terms);
    REQUIRE(n.ok());
    return satisfies_all(*parse_version(v), std::span<const version_term>{terms.data(), *n});
  };
  CHECK(holds("1.2.9", "=1.2"));
  CHECK(holds("1.9", "^1.2.3"));
  CHECK_FALSE(holds("0.3", "^0.2.3"));
  CHECK_FALSE(holds("0.0.4", "^0.0.3"));
  CHECK(holds("0.0", "^0"));
  CHECK_FALSE(holds("1", "^0"));
  CHECK_FALSE(holds("1.3", "~1.2"));
  CHECK(holds("1.4", ">= 1.2 , < 2"));
  std::array<version_term, max_version_terms> terms{};
  CHECK(parse_version_constraint("", terms).code() == errc::invalid_argument);
  CHECK(parse_version_constraint(">=1,", terms).code() == errc::invalid_argument);
  CHECK(parse_version_constraint("1..2", terms).code() == errc::invalid_argument);
  CHECK(parse_version_constraint("1234567890", terms).code() == errc::invalid_argument);
  CHECK(parse_version("1.2.3.4").code() == errc::invalid_argument);
}
