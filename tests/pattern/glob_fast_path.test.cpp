// glob_match's fast paths (literal, literal prefix before `**`, segment by segment) must
// give exactly the answer of the general NFA matcher (glob_match_nfa), for any pattern
// and text, valid or not; and matches_valid must agree with matches on valid inputs.
// Random inputs with fixed seeds (a failure reproduces), biased so that both answers
// are common and the eight-bytes-at-a-time scans see long runs.
#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "authority/pattern/pattern.hpp"

using namespace authority;
using namespace authority::pattern;

namespace {
using rng = std::mt19937_64;

std::size_t pick(rng& r, std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(r); }

// Glob pieces weighted toward the shapes policies use, plus '.' and NUL bytes, and long
// literals so that scans cross eight-byte words.
std::string random_glob(rng& r) {
  static const std::vector<std::string> pieces = {"/", "/", "/", "a", "b", "ab", ".", "..", "*", "*", "**",
                                                  "***", "?", "/**", "/*", "workspace", "project.src",
                                                  std::string(1, '\0'), "x?y", "*.c"};
  std::string p = pick(r, 4) == 0 ? "" : "/";
  const std::size_t n = pick(r, 10);
  for (std::size_t i = 0; i < n; ++i) p += pieces[pick(r, pieces.size())];
  return p;
}

// A text the glob (probably) matches: each wildcard filled at random, sometimes across a
// '/' where it should not be, then sometimes one character changed, added or removed.
std::string instance_of(rng& r, const std::string& p) {
  static const std::string fill = "ab./";
  std::string out;
  for (std::size_t i = 0; i < p.size();) {
    if (p[i] == '?') {
      out += pick(r, 8) == 0 ? '/' : fill[pick(r, 3)];
      ++i;
    } else if (p[i] == '*') {
      while (i < p.size() && p[i] == '*') ++i;
      const std::size_t len = pick(r, 12);
      for (std::size_t k = 0; k < len; ++k) out += fill[pick(r, fill.size())];
    } else {
      out += p[i++];
    }
  }
  switch (pick(r, 6)) {
    case 0:
      if (!out.empty()) out[pick(r, out.size())] = fill[pick(r, fill.size())];
      break;
    case 1: out.insert(pick(r, out.size() + 1), 1, fill[pick(r, fill.size())]); break;
    case 2:
      if (!out.empty()) out.erase(pick(r, out.size()), 1);
      break;
    default: break;
  }
  return out;
}

std::string random_text(rng& r) {
  static const std::string chars = "ab./";
  std::string t;
  const std::size_t n = pick(r, 40);
  for (std::size_t i = 0; i < n; ++i) t += chars[pick(r, chars.size())];
  return t;
}

struct tally {
  std::size_t cases = 0, matched = 0;
  std::array<std::size_t, 4> shapes{};  // how often each matcher ran (glob_detail::glob_plan::kind)
};

void check_one(const std::string& p, const std::string& t, glob_flavor flavor, tally& count) {
  glob_work fast_work, nfa_work;
  const bool fast = glob_match(p, t, flavor, &fast_work);
  const bool nfa = glob_match_nfa(p, t, flavor, &nfa_work);
  ++count.cases;
  count.matched += nfa ? 1 : 0;
  ++count.shapes[static_cast<std::size_t>(glob_detail::plan_for(p, flavor).body)];
  if (fast != nfa) {
    INFO("pattern \"" << p << "\" text \"" << t << "\" flavor " << (flavor == glob_flavor::path ? "path" : "name"));
    CHECK(fast == nfa);
  }
  if (fast_work.steps > 2 * (p.size() + 1) * (t.size() + 1)) {
    INFO("pattern \"" << p << "\" text \"" << t << "\" took " << fast_work.steps << " steps");
    CHECK(fast_work.steps <= 2 * (p.size() + 1) * (t.size() + 1));
  }
}
}  // namespace

TEST_CASE("glob_match fast paths agree with the NFA on random globs and texts", "[pattern][glob][property]") {
  rng r{20240611};
  tally count;
  for (int round = 0; round < 200'000; ++round) {
    const std::string p = random_glob(r);
    const std::string t = pick(r, 3) == 0 ? random_text(r) : instance_of(r, p);
    for (auto flavor : {glob_flavor::path, glob_flavor::name}) check_one(p, t, flavor, count);
  }
  // Both answers are common and every matcher runs often, or the comparison would prove little.
  CHECK(count.cases == 400'000);
  CHECK(count.matched > count.cases / 5);
  CHECK(count.matched < count.cases * 4 / 5);
  for (auto n : count.shapes) CHECK(n > count.cases / 20);
}

TEST_CASE("glob_match fast paths agree with the NFA on every small glob and text", "[pattern][glob][property]") {
  // Exhaustive over a tiny alphabet: every glob up to 5 characters against every text up
  // to 4 characters, where the corner cases (empty, "/", star runs at the ends) live.
  const std::string glob_chars = "/a*?";
  const std::string text_chars = "/a";
  auto all_strings = [](const std::string& alphabet, std::size_t max_len) {
    std::vector<std::string> out{""};
    for (std::size_t begin = 0, len = 1; len <= max_len; ++len) {
      const std::size_t end = out.size();
      for (std::size_t i = begin; i < end; ++i)
        for (char c : alphabet) out.push_back(out[i] + c);
      begin = end;
    }
    return out;
  };
  const auto globs = all_strings(glob_chars, 5);
  const auto texts = all_strings(text_chars, 4);
  tally count;
  for (const auto& p : globs)
    for (const auto& t : texts)
      for (auto flavor : {glob_flavor::path, glob_flavor::name}) check_one(p, t, flavor, count);
  CHECK(count.cases == globs.size() * texts.size() * 2);
  CHECK(count.matched > 0);
}

TEST_CASE("glob_match fast paths on long literals, segments and prefixes", "[pattern][glob]") {
  // Lengths around multiples of eight: the scans read whole words, then the tail.
  rng r{7};
  tally count;
  for (std::size_t len = 1; len <= 40; ++len) {
    std::string segment(len, 'a');
    segment[pick(r, len)] = 'b';
    for (const std::string& p : {"/" + segment, "/" + segment + "/**", "/" + segment + "**", "/*/" + segment,
                                 "/" + segment + "/*.c", "/" + segment.substr(0, len / 2) + "?" + segment.substr(len / 2)}) {
      for (const std::string& t : {"/" + segment, "/" + segment + "/x.c", "/x/" + segment, "/" + segment + "x",
                                   "/" + segment.substr(0, len - 1), "/" + segment + "/", instance_of(r, p)})
        for (auto flavor : {glob_flavor::path, glob_flavor::name}) check_one(p, t, flavor, count);
    }
  }
  CHECK(count.matched > count.cases / 10);
}

TEST_CASE("matches_valid agrees with matches on valid patterns and targets", "[pattern][property]") {
  rng r{99};
  std::size_t compared = 0, matched = 0;
  for (int round = 0; round < 50'000; ++round) {
    const std::string p = random_glob(r);
    const std::string t = instance_of(r, p);
    for (auto s : {syntax::path, syntax::name}) {
      if (!validate(s, p) || !validate_target(s, t)) continue;
      ++compared;
      matched += matches(s, p, t) ? 1 : 0;
      CHECK(matches_valid(s, p, t) == matches(s, p, t));
    }
  }
  CHECK(compared > 10'000);
  CHECK(matched > compared / 5);
  // Hosts and net targets parse their pattern either way; the target is taken as valid.
  const std::array<std::array<const char*, 2>, 8> others = {{{"*.example.com", "api.example.com"},
                                                            {"*.example.com", "example.com"},
                                                            {"*.example.com", "a.b.example.com"},
                                                            {"Example.COM", "example.com."},
                                                            {"*", "x.y"},
                                                            {"dns:*.example.com:443", "dns:api.example.com:443"},
                                                            {"ip:10.0.0.0/8:80,443", "ip:10.1.2.3:443"},
                                                            {"ip:10.0.0.0/8:80,443", "ip:11.1.2.3:443"}}};
  for (const auto& [pattern, target] : others) {
    const auto s = std::string_view{pattern}.starts_with("dns:") || std::string_view{pattern}.starts_with("ip:")
                       ? syntax::net
                       : syntax::host;
    INFO(pattern << " " << target);
    REQUIRE(validate(s, pattern).ok());
    REQUIRE(validate_target(s, target).ok());
    CHECK(matches_valid(s, pattern, target) == matches(s, pattern, target));
  }
}

TEST_CASE("is_canonical_path is exactly: canonicalization leaves the path as it is", "[pattern][path][property]") {
  // Random paths from the glob pieces, wildcards made literal; NUL, "." and ".." included.
  rng r{5};
  std::array<char, max_path_length> out{};
  std::size_t canonical = 0;
  for (int round = 0; round < 100'000; ++round) {
    std::string path = random_glob(r);
    for (auto& c : path)
      if (c == '*' || c == '?') c = 'c';
    const auto c = canonicalize_path(path, out);
    const bool unchanged = c.ok() && *c == path;
    canonical += unchanged ? 1 : 0;
    INFO("path \"" << path << "\"");
    CHECK(is_canonical_path(path) == unchanged);
    // The same path relative to "/" always takes the segment-by-segment way (an absolute
    // canonical path is copied as it is): both ways agree.
    if (!path.empty() && path[0] == '/') {
      std::array<char, max_path_length> relative_out{};
      const auto r = canonicalize_path("." + path, relative_out, "/");
      CHECK(r.ok() == c.ok());
      if (r.ok() && c.ok()) CHECK(*r == *c);
    }
    // A glob without wildcards is valid exactly when it is a canonical path.
    CHECK(validate_path_glob(path).ok() == unchanged);
  }
  CHECK(canonical > 10'000);
  CHECK(canonical < 90'000);
}

// The same scans at compile time (constexpr paths of the eight-byte loads).
static_assert(is_canonical_path("/workspace/project/src/main.cpp"));
static_assert(!is_canonical_path("/workspace/project/src//main.cpp"));
static_assert(!is_canonical_path("/workspace/project/src/../main.cpp"));
static_assert(validate_path_glob("/workspace/project/src/**").ok());
static_assert(glob_match("/workspace/project/**", "/workspace/project/src/main.cpp", glob_flavor::path));
static_assert(glob_match("/workspace/project/**", "/workspace/project", glob_flavor::path));
static_assert(!glob_match("/workspace/project/**", "/workspace/projects", glob_flavor::path));
static_assert(glob_match("/home/*/.config/*.toml", "/home/agent/.config/app.toml", glob_flavor::path));
static_assert(!glob_match("/home/*/.config/*.toml", "/home/a/b/.config/app.toml", glob_flavor::path));
