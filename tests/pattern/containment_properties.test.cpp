// Containment, checked against its definition on random inputs: whenever contains(p, c)
// is true, every target c matches (targets generated from c, plus random and exhaustive
// small targets) is matched by p; and whenever it is false, a target matched by c and not
// by p exists among those targets (exactness). The oracle is matches(), so this also
// ties the two together. Fixed seeds: a failure reproduces.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "authority/pattern/pattern.hpp"

using namespace authority;
using namespace authority::pattern;

namespace {
using rng = std::mt19937;

std::size_t pick(rng& r, std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(r); }

// Small globs over a tiny alphabet, so that exhaustive targets can tell them apart.
std::string random_glob(rng& r, syntax s, std::size_t max_tokens) {
  static const std::vector<std::string> path_tokens = {"/", "/", "a", "b", "*", "**", "?", "/**"};
  static const std::vector<std::string> name_tokens = {"a", "b", "/", "*", "**", "?"};
  const auto& tokens = s == syntax::path ? path_tokens : name_tokens;
  for (;;) {
    std::string p = s == syntax::path ? "/" : "";
    const std::size_t n = 1 + pick(r, max_tokens);
    for (std::size_t i = 0; i < n; ++i) p += tokens[pick(r, tokens.size())];
    if (validate(s, p)) return p;
  }
}

// A text the glob matches, built by filling each wildcard at random (may be non-canonical;
// callers filter with validate_target).
std::string instance_of(rng& r, syntax s, const std::string& p) {
  static const std::string letters = "abc";
  std::string out;
  for (std::size_t i = 0; i < p.size();) {
    if (p[i] == '?') {
      out += letters[pick(r, 3)];
      ++i;
      continue;
    }
    if (p[i] != '*') {
      out += p[i++];
      continue;
    }
    std::size_t run = 0;
    while (i + run < p.size() && p[i + run] == '*') ++run;
    const bool crosses = s == syntax::name || run >= 2;
    const std::string fill = crosses ? "abc/" : letters;
    const std::size_t len = pick(r, 4);
    for (std::size_t k = 0; k < len; ++k) out += fill[pick(r, fill.size())];
    i += run;
  }
  return out;
}

// Every text over {a, b, c, /} up to max_len (paths start with '/'), valid targets only.
std::vector<std::string> all_small_targets(syntax s, std::size_t max_len) {
  std::vector<std::string> out, frontier{s == syntax::path ? "/" : ""};
  for (std::size_t len = frontier[0].size(); len <= max_len; ++len) {
    std::vector<std::string> next;
    for (const auto& t : frontier) {
      if (validate_target(s, t)) out.push_back(t);
      if (len < max_len)
        for (char c : std::string("abc/")) next.push_back(t + c);
    }
    frontier = std::move(next);
  }
  return out;
}

struct tally {
  int contained = 0, not_contained = 0, too_complex = 0;
};

// Checks one pair against the exhaustive targets and instances of the child.
void check_pair(rng& r, syntax s, const std::string& parent, const std::string& child,
                const std::vector<std::string>& targets, tally& t) {
  INFO("parent '" << parent << "' child '" << child << "'");
  auto c = contains(s, parent, child);
  if (!c) {
    REQUIRE(c.code() == errc::too_complex);
    ++t.too_complex;
    return;
  }
  // Candidates: every short target, and targets built from the child (longer ones).
  auto candidates = targets;
  for (int k = 0; k < 200; ++k) {
    auto x = instance_of(r, s, child);
    if (!validate_target(s, x)) continue;
    INFO("instance '" << x << "'");
    REQUIRE(matches(s, child, x));
    candidates.push_back(std::move(x));
  }
  bool witness = false;  // a target of the child that escapes the parent
  for (const auto& x : candidates)
    if (matches(s, child, x) && !matches(s, parent, x)) {
      witness = true;
      INFO("witness '" << x << "'");
      CHECK_FALSE(*c);
      break;
    }
  if (*c) {
    ++t.contained;
  } else {
    ++t.not_contained;
    CHECK(witness);  // exact: "not contained" always has a witness
  }
}
}  // namespace

namespace {
// Random pairs, half of them with the child built from the parent so that "contained"
// is common; every answer is checked against the targets.
void check_random_pairs(syntax s, unsigned seed, std::size_t target_length) {
  rng r(seed);
  const auto targets = all_small_targets(s, target_length);
  tally t;
  for (int i = 0; i < 1500; ++i) {
    const auto parent = random_glob(r, s, 4);
    auto child = pick(r, 2) ? random_glob(r, s, 4) : parent + random_glob(r, s, 2);
    if (!validate(s, child)) child = random_glob(r, s, 4);
    check_pair(r, s, parent, child, targets, t);
  }
  CHECK(t.contained > 100);
  CHECK(t.not_contained > 100);
  CHECK(t.too_complex == 0);
}
}  // namespace

TEST_CASE("glob containment is sound and exact on random path pairs", "[pattern][property]") {
  check_random_pairs(syntax::path, 20261128, 7);
}

TEST_CASE("glob containment is sound and exact on random name pairs", "[pattern][property]") {
  check_random_pairs(syntax::name, 7, 6);
}

TEST_CASE("glob containment on longer random pairs never contradicts matching", "[pattern][property]") {
  rng r(99);
  tally t;
  for (int i = 0; i < 400; ++i) {
    for (auto s : {syntax::path, syntax::name}) {
      const auto parent = random_glob(r, s, 12);
      const auto child = pick(r, 2) ? random_glob(r, s, 12) : parent + random_glob(r, s, 6);
      if (!validate(s, child)) continue;
      INFO("parent '" << parent << "' child '" << child << "'");
      auto c = contains(s, parent, child);
      if (!c) {
        REQUIRE(c.code() == errc::too_complex);
        ++t.too_complex;
        continue;
      }
      (*c ? t.contained : t.not_contained)++;
      for (int k = 0; k < 30; ++k) {
        const auto x = instance_of(r, s, child);
        if (!validate_target(s, x)) continue;
        REQUIRE(matches(s, child, x));
        if (*c) CHECK(matches(s, parent, x));
      }
    }
  }
  CHECK(t.contained > 20);
  CHECK(t.too_complex < 10);
}

TEST_CASE("host containment agrees with matching", "[pattern][property]") {
  const std::vector<std::string> patterns = {"*", "*.a", "*.b.a", "*.A", "a", "b.a", "c.b.a", "*.c", "xn--d.a", "*.xn--d.a"};
  const std::vector<std::string> hosts = {"a", "b", "c", "b.a", "B.A.", "c.a", "c.b.a", "d.c.b.a", "xn--d.a",
                                          "e.xn--d.a", "ba", "b.ba", "a.c"};
  int contained = 0;
  for (const auto& p : patterns)
    for (const auto& c : patterns) {
      INFO("parent '" << p << "' child '" << c << "'");
      auto r = contains(syntax::host, p, c);
      REQUIRE(r.ok());
      // Candidates: the list, plus a host with a fresh label that the child matches.
      auto candidates = hosts;
      candidates.push_back(c == "*" ? "fresh" : c.starts_with("*.") ? std::string("fresh").append(c, 1) : c);
      bool witness = false;
      for (const auto& h : candidates)
        witness = witness || (matches(syntax::host, c, h) && !matches(syntax::host, p, h));
      CHECK(*r == !witness);
      contained += *r ? 1 : 0;
    }
  CHECK(contained > 10);
}

namespace {
std::uint32_t prefix_mask(int len) { return len == 0 ? 0u : ~0u << (32 - len); }
// (append, not "literal" + std::string: g++ 12 warns falsely about that at -O3)
std::string ip_text(std::uint32_t a) {
  std::string s;
  for (int shift = 24; shift >= 0; shift -= 8) s.append(shift < 24 ? "." : "").append(std::to_string((a >> shift) & 255));
  return s;
}
std::string net_pattern_text(std::uint32_t base, int len, const std::string& ports) {
  return std::string("ip:").append(ip_text(base)).append("/").append(std::to_string(len)).append(":").append(ports);
}
}  // namespace

TEST_CASE("net containment agrees with matching at every boundary", "[pattern][property]") {
  rng r(4242);
  // Networks inside 10/8, so that random pairs overlap often.
  auto random_network = [&](std::uint32_t& base, int& len) {
    len = 8 + static_cast<int>(pick(r, 25));
    base = (0x0a000000u | (static_cast<std::uint32_t>(r()) & 0x00ffffffu)) & prefix_mask(len);
  };
  auto random_ports = [&](std::vector<std::uint32_t>& points) {
    std::string s;
    for (int k = 0, n = 1 + static_cast<int>(pick(r, 3)); k < n; ++k) {
      const auto a = 1 + static_cast<std::uint32_t>(pick(r, 40));
      const auto b = a + static_cast<std::uint32_t>(pick(r, 10));
      s.append(k ? "," : "").append(std::to_string(a)).append("-").append(std::to_string(b));
      points.insert(points.end(), {a - 1, a, b, b + 1});
    }
    return s;
  };
  int contained = 0, not_contained = 0;
  for (int i = 0; i < 2000; ++i) {
    std::uint32_t pa = 0, ca = 0;
    int pl = 0, cl = 0;
    random_network(pa, pl);
    random_network(ca, cl);
    if (pick(r, 2)) {  // often a child inside the parent's network
      cl = std::max(cl, pl);
      ca = (pa | (ca & ~prefix_mask(pl))) & prefix_mask(cl);
    }
    std::vector<std::uint32_t> ports;
    const std::string parent_ports = random_ports(ports);
    // Often the child's ports are the parent's first range, or a part of it.
    std::string child_ports = random_ports(ports);
    if (pick(r, 2)) child_ports = parent_ports.substr(0, parent_ports.find(','));
    const std::string parent = net_pattern_text(pa, pl, parent_ports);
    const std::string child = net_pattern_text(ca, cl, child_ports);
    INFO("parent " << parent << " child " << child);
    auto c = contains(syntax::net, parent, child);
    REQUIRE(c.ok());
    // Both are products of intervals: a witness, if any, lies on a boundary.
    std::vector<std::uint32_t> addresses;
    for (auto [base, len] : {std::pair{pa, pl}, std::pair{ca, cl}}) {
      const std::uint32_t last = base | ~prefix_mask(len);
      addresses.insert(addresses.end(), {base - 1, base, last, last + 1});
    }
    bool witness = false;
    for (auto a : addresses)
      for (auto port : ports) {
        if (port < 1 || port > 65535) continue;
        const auto target = std::string("ip:").append(ip_text(a)).append(":").append(std::to_string(port));
        witness = witness || (matches(syntax::net, child, target) && !matches(syntax::net, parent, target));
      }
    CHECK(*c == !witness);
    (*c ? contained : not_contained)++;
  }
  CHECK(contained > 100);
  CHECK(not_contained > 100);
}
