// pattern/glob: the fast paths of glob_match agree with the general automaton
// (glob_match_nfa), also on the kernel's own architecture, where the eight-byte scans use
// its loads. Random globs and texts from a fixed seed; the hosted property test in
// glob_fast_path.test.cpp runs many more.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "authority/pattern/glob.hpp"
#include "selftest/selftest.hpp"

using namespace authority::pattern;

namespace {
struct xorshift {
  std::uint64_t state;
  std::size_t below(std::size_t n) noexcept {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return static_cast<std::size_t>(state % n);
  }
};

constexpr std::size_t buffer_size = 160;
char glob_buffer[buffer_size];
char text_buffer[buffer_size];

constexpr std::string_view pieces[] = {"/", "/", "/", "a", "b", "*", "*", "**", "?", "/**", ".", "workspace"};

std::string_view random_glob(xorshift& r) {
  std::size_t n = 0;
  if (r.below(4) != 0) glob_buffer[n++] = '/';
  for (std::size_t k = r.below(9); k > 0; --k)
    for (char c : pieces[r.below(sizeof pieces / sizeof pieces[0])]) glob_buffer[n++] = c;
  return {glob_buffer, n};
}

// A text the glob probably matches: wildcards filled at random, sometimes one byte changed.
std::string_view instance_of(xorshift& r, std::string_view p) {
  constexpr char fill[] = "ab./";
  std::size_t n = 0;
  for (std::size_t i = 0; i < p.size();) {
    if (p[i] == '*') {
      while (i < p.size() && p[i] == '*') ++i;
      for (std::size_t k = r.below(6); k > 0; --k) text_buffer[n++] = fill[r.below(4)];
    } else {
      text_buffer[n++] = p[i] == '?' ? fill[r.below(3)] : p[i];
      ++i;
    }
  }
  if (n > 0 && r.below(4) == 0) text_buffer[r.below(n)] = fill[r.below(4)];
  return {text_buffer, n};
}
}  // namespace

SELFTEST("pattern/glob fast paths agree with the automaton") {
  xorshift r{0x9e3779b97f4a7c15u};
  std::size_t cases = 0, matched = 0, disagreements = 0;
  for (int round = 0; round < 3000; ++round) {
    const auto p = random_glob(r);
    const auto t = instance_of(r, p);
    for (auto flavor : {glob_flavor::path, glob_flavor::name}) {
      const bool nfa = glob_match_nfa(p, t, flavor);
      ++cases;
      matched += nfa ? 1 : 0;
      disagreements += glob_match(p, t, flavor) != nfa ? 1 : 0;
    }
  }
  ST_CHECK(disagreements == 0);
  ST_CHECK(matched > cases / 5);
  ST_CHECK(matched < cases * 4 / 5);
}
