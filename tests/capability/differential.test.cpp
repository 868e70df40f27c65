// Differential test: capability attenuation through the public API (mint, delegate,
// add_caveat, revoke, verify with rate limits and the verified cache) against the
// reference model (reference_model.hpp) on random chains and requests.
//
// Per case: mint a root, apply random caveats, delegations and revocations (each
// delegation the model must accept is accepted; each one production accepts must not
// provably widen), then present random links of the chain with random requests at one
// instant: production's allow/deny must equal the model's, which allows a request only
// if every link of the chain allows it and every rate-limited link has a use left.
//
//   bounded (ctest):  200,000 cases
//   long run:         test_capability "[.long]"             10,000,000 cases
//   any count / seed: AUTHORITY_CAP_DIFF_CASES=N AUTHORITY_CAP_DIFF_SEED=S test_capability "[differential]~[.long]"
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "authority/capability/issue.hpp"
#include "authority/capability/verify.hpp"
#include "capability/fixture.hpp"
#include "capability/reference_model.hpp"

using namespace authority;
using namespace authority::capability;
using namespace authority::capability::testing;

namespace {

std::uint64_t env_or(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);
  return v ? std::strtoull(v, nullptr, 10) : fallback;
}

constexpr std::uint64_t t0_ms = t0 / ns_per_ms;

class generator {
 public:
  explicit generator(std::uint64_t seed) : rng_(seed) {}
  std::size_t below(std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_); }
  bool chance(int percent) { return below(100) < static_cast<std::size_t>(percent); }
  template <class T, std::size_t N>
  const T& pick(const T (&items)[N]) {
    return items[below(N)];
  }

  std::string path() {
    static const char* const segs[] = {"a", "b", "ab", "ba", "a.b"};
    if (chance(3)) return "/";
    std::string p;
    for (std::size_t n = 1 + below(3); n > 0; --n) p += std::string{"/"} + pick(segs);
    if (chance(2)) p += chance(50) ? "/" : "//a";  // not canonical
    return p;
  }
  std::string path_pattern() {
    static const char* const segs[] = {"a", "b", "ab", "*", "?", "a*", "*b", "?b", "**"};
    if (chance(4)) return "/**";
    if (chance(3)) return "/";
    if (chance(4)) return "**/b";
    std::string p;
    bool double_star = false;
    for (std::size_t n = 1 + below(3); n > 0; --n) {
      std::string s = pick(segs);
      if (s == "**") {
        if (double_star) s = "*";
        double_star = true;
      }
      p += "/" + s;
    }
    return p;
  }
  std::string name() {
    static const char* const parts[] = {"a", "b", "ab", ".x", "-1"};
    std::string n;
    for (std::size_t k = 1 + below(3); k > 0; --k) n += pick(parts);
    return n;
  }
  std::string name_pattern() {
    static const char* const parts[] = {"a", "b", "ab", ".x", "*", "?", "-1"};
    if (chance(5)) return "*";
    std::string n;
    for (std::size_t k = 1 + below(3); k > 0; --k) n += pick(parts);
    return n;
  }
  // A text that the pattern probably matches: wildcards filled in.
  std::string instance(const std::string& pattern, bool path) {
    std::string out;
    for (std::size_t i = 0; i < pattern.size();) {
      if (pattern.compare(i, 2, "**") == 0) {
        static const char* const fill[] = {"a", "a/b", "ab", "b/a/b"};
        if (i == 0 && path) out += "/";
        out += pick(fill);
        i += 2;
        while (i < pattern.size() && pattern[i] == '*') ++i;
      } else if (pattern[i] == '*') {
        static const char* const fill[] = {"", "a", "ab", "b"};
        out += pick(fill);
        ++i;
      } else if (pattern[i] == '?') {
        out += chance(50) ? "a" : "b";
        ++i;
      } else {
        out += pattern[i++];
      }
    }
    if (path && out.size() > 3 && chance(15) && pattern.size() >= 3 && pattern.substr(pattern.size() - 3) == "/**")
      out = pattern.substr(0, pattern.size() - 3);  // the directory itself
    if (out.empty()) out = path ? "/" : "a";
    return out;
  }
  std::string target(bool path, const cap_model::link& near) {
    if (chance(60)) return instance(near.patterns[below(near.patterns.size())], path);
    return path ? this->path() : name();
  }
  std::uint32_t bits(std::uint32_t valid) { return static_cast<std::uint32_t>(rng_()) & valid; }
  std::mt19937_64& rng() { return rng_; }

 private:
  std::mt19937_64 rng_;
};

const id128 run_a = id_of(0x51), run_b = id_of(0x77);
id128 pick_run(generator& g) {
  const auto k = g.below(3);
  return k == 0 ? id128{} : k == 1 ? run_a : run_b;
}
cap_model::run_id to_model(const id128& r) {
  cap_model::run_id m{};
  for (std::size_t i = 0; i < m.size(); ++i) m[i] = r[i];
  return m;
}
std::string name_of_id(const id128& id) { return std::string(reinterpret_cast<const char*>(id.data()), id.size()); }
cap_model::rate to_model(const rate_limit& r) { return {r.limited, r.count, r.window_ms}; }

rate_limit random_rate(generator& g, const rate_limit& parent) {
  if (g.chance(40) && parent.limited) return parent;
  if (g.chance(40)) return rate_limit::unlimited();
  static const std::uint64_t windows[] = {1'000, 60'000, 120'000};
  return rate_limit::per(static_cast<std::uint32_t>(1 + g.below(4)), g.pick(windows));
}
std::uint64_t random_ttl(generator& g) {
  static const std::uint64_t ttls[] = {0, 1'000, 10'000, 60'000, 120'000, 3'600'000};
  return g.pick(ttls);
}

struct production {
  key_ring keys{3600 * ns_per_s};
  revocation_slot revocation_storage[64]{};
  revocation_list revoked{revocation_storage};
  bucket_slot bucket_storage[1024]{};
  rate_limiter rates{bucket_storage};
  verified_slot cache_storage[64]{};
  verified_cache cache{cache_storage};
  verifier v{keys, revoked, &rates, &cache};
  counter_entropy entropy{};
  production() { (void)keys.add_active(1, secret_of(9), t0); }
  void fresh_case() {
    revoked = revocation_list{revocation_storage};
    rates = rate_limiter{bucket_storage};
  }
};

struct counters {
  std::uint64_t cases = 0, requests = 0, allowed = 0, denied = 0, rate_denied = 0;
  std::uint64_t delegated = 0, delegation_refused = 0, caveats = 0, revocations = 0, deepest = 0;
};

std::string describe_chain(const std::vector<cap_model::link>& links) {
  std::ostringstream s;
  for (std::size_t i = 0; i < links.size(); ++i) {
    const auto& l = links[i];
    s << "  link " << i << ": type " << l.type << " patterns";
    for (const auto& p : l.patterns) s << " '" << p << "'";
    s << " methods " << (l.all_methods ? std::string{"all"} : std::to_string(l.methods));
    for (auto m : l.method_caveats) s << " &" << m;
    s << " issued " << l.issued_ms - t0_ms << " expires " << l.effective_expiry() - t0_ms << " (ms after t0)";
    if (l.r.limited) s << " rate " << l.r.count << "/" << l.r.window_ms << "ms";
    s << " runs";
    for (const auto& r : l.runs) s << " " << (cap_model::is_none(r) ? "none" : r == to_model(run_a) ? "A" : "B");
    s << "\n";
  }
  return s.str();
}

// One case; false (after FAIL_CHECK) when production and the model disagree.
bool run_case(generator& g, production& prod, counters& n, std::uint64_t case_no, std::uint64_t seed) {
  prod.fresh_case();
  auto tokens = std::make_unique<std::vector<token>>();
  std::vector<cap_model::link> links;
  cap_model::revocations rev;
  const auto where = [&] {
    std::ostringstream s;
    s << "case " << case_no << " (seed " << seed << "):\n" << describe_chain(links);
    return s.str();
  };

  // ---- the root ----
  const cap_type type = g.chance(70) ? cap_type::fs : cap_type::heap;
  const bool path = type == cap_type::fs;
  const std::uint32_t valid = valid_method_bits(type);
  std::string resource = path ? g.path_pattern() : g.name_pattern();
  grant root;
  root.type = type;
  root.resource = resource;
  root.methods = g.chance(15) ? method_set::everything() : method_set::of(g.bits(valid));
  root.ttl_ms = random_ttl(g);
  if (root.ttl_ms == 0) root.ttl_ms = 60'000;
  root.rate = random_rate(g, rate_limit::unlimited());
  root.run_id = g.chance(60) ? id128{} : pick_run(g);
  tokens->emplace_back();
  auto minted = mint(prod.keys, root, t0, prod.entropy, tokens->back());
  if (!minted) {
    FAIL_CHECK("mint refused a valid grant: " << resource);
    return false;
  }
  {
    cap_model::link l;
    l.name = name_of_id(tokens->back().token_id);
    l.type = static_cast<int>(type);
    l.path_syntax = path;
    l.patterns = {resource};
    l.all_methods = root.methods.all;
    l.methods = root.methods.bits;
    l.issued_ms = t0_ms;
    l.expires_ms = t0_ms + root.ttl_ms;
    if (!is_zero(root.run_id)) l.runs.push_back(to_model(root.run_id));
    l.r = to_model(root.rate);
    links.push_back(l);
  }

  // ---- attenuation steps ----
  std::uint64_t now_ms = t0_ms;
  const std::size_t steps = g.chance(3) ? 10 : g.below(5);
  for (std::size_t step = 0; step < steps; ++step) {
    const auto kind = g.below(100);
    if (kind < 5) {  // a revocation, in the middle of things
      if (g.chance(70)) {
        const auto& victim = (*tokens)[g.below(tokens->size())];
        REQUIRE(prod.revoked.revoke_token(victim.token_id).ok());
        rev.tokens.push_back(name_of_id(victim.token_id));
      } else {
        const id128 r = g.chance(50) ? run_a : run_b;
        REQUIRE(prod.revoked.revoke_run(r).ok());
        rev.runs.push_back(to_model(r));
      }
      ++n.revocations;
    } else if (kind < 40) {  // a caveat on the leaf
      caveat c;
      auto& leaf = links.back();
      std::string pattern;
      switch (g.below(4)) {
        case 0:
          c.kind = caveat_kind::expires_before;
          c.value = t0_ms + g.below(200'000);
          break;
        case 1:
          c.kind = caveat_kind::resource;
          pattern = g.chance(50) ? g.instance(leaf.patterns[0], path) : (path ? g.path_pattern() : g.name_pattern());
          if (path && !cap_model::valid_target(pattern, true) && !cap_model::has_wildcard(pattern))
            pattern = g.path_pattern();  // a literal caveat must itself be a valid glob
          c.pattern = *static_string<max_resource_size>::from(pattern);
          break;
        case 2:
          c.kind = caveat_kind::methods;
          c.value = g.bits(valid);
          break;
        default:
          c.kind = caveat_kind::bind_run;
          c.run = g.chance(10) ? id128{} : g.chance(50) ? run_a : run_b;
          break;
      }
      const bool full = leaf.caveats == cap_model::max_caveats;
      const auto r = add_caveat(tokens->back(), c);
      if (c.kind == caveat_kind::resource && !pattern::validate(pattern::syntax::path, pattern).ok() && path) {
        // Invalid path globs (a literal like "/a//a" from a non-canonical instance) are refused.
        if (r.ok()) {
          FAIL_CHECK(where() << "add_caveat accepted an invalid resource pattern '" << pattern << "'");
          return false;
        }
        continue;
      }
      if (full != !r.ok()) {
        FAIL_CHECK(where() << "add_caveat " << (r.ok() ? "accepted a ninth caveat" : "refused a valid caveat") << ": "
                           << (r.ok() ? "" : r.error().field));
        return false;
      }
      if (!r.ok()) continue;
      ++leaf.caveats;
      ++n.caveats;
      switch (c.kind) {
        case caveat_kind::expires_before: leaf.expires_before.push_back(c.value); break;
        case caveat_kind::resource: leaf.patterns.push_back(pattern); break;
        case caveat_kind::methods: leaf.method_caveats.push_back(static_cast<std::uint32_t>(c.value)); break;
        case caveat_kind::bind_run: leaf.runs.push_back(to_model(c.run)); break;
      }
    } else {  // a delegation from the leaf
      static const std::uint64_t advance[] = {0, 0, 1'000, 30'000, 90'000};
      now_ms += g.pick(advance);
      const auto& parent = links.back();
      cap_model::child_grant c;
      // Mostly a narrowing (each respect derived from the parent), then one respect
      // perhaps changed at random: half of the delegations should widen in some way.
      const bool narrow = g.chance(60);
      const auto mutate = [&](int respect) { return !narrow && g.below(6) == static_cast<std::size_t>(respect); };
      c.type = mutate(0) ? static_cast<int>(path ? cap_type::heap : cap_type::fs) : parent.type;
      if (mutate(1)) {
        c.resource = path ? g.path_pattern() : g.name_pattern();
      } else if (parent.patterns.size() == 1 && g.chance(50)) {
        c.resource = parent.patterns[0];
      } else {
        c.resource = g.instance(parent.patterns[g.below(parent.patterns.size())], path);
      }
      if (path && !pattern::validate(pattern::syntax::path, c.resource).ok()) c.resource = parent.patterns[0];
      std::uint32_t allowed = parent.all_methods ? valid : parent.methods;
      for (auto m : parent.method_caveats) allowed &= m;
      if (mutate(2)) {
        c.all_methods = g.chance(30);
        c.methods = g.bits(valid);
      } else if (parent.all_methods && parent.method_caveats.empty() && g.chance(30)) {
        c.all_methods = true;
      } else {
        c.methods = allowed & g.bits(valid);
      }
      const std::uint64_t left = parent.effective_expiry() > now_ms ? parent.effective_expiry() - now_ms : 0;
      c.ttl_ms = mutate(3) ? random_ttl(g) : left == 0 ? 1 : 1 + g.below(static_cast<std::size_t>(std::min<std::uint64_t>(left, 200'000)));
      const auto rate = mutate(4) ? random_rate(g, rate_limit::unlimited())
                        : (*tokens).back().rate.limited && g.chance(30)
                            ? rate_limit::per((*tokens).back().rate.count, (*tokens).back().rate.window_ms * 2)
                            : (*tokens).back().rate;
      c.r = to_model(rate);
      c.run = parent.runs.empty() ? to_model(g.chance(70) ? id128{} : pick_run(g)) : parent.runs.back();
      if (mutate(5)) c.run = to_model(pick_run(g));
      grant gr;
      gr.type = static_cast<cap_type>(c.type);
      gr.resource = c.resource;
      gr.methods = c.all_methods ? method_set::everything() : method_set::of(c.methods);
      gr.ttl_ms = c.ttl_ms;
      gr.rate = rate;
      for (std::size_t i = 0; i < 16; ++i) gr.run_id[i] = c.run[i];

      const bool must = cap_model::must_accept(links, c, now_ms, rev);
      token child;
      const auto res = delegate(prod.v, tokens->back(), gr, now_ms * ns_per_ms, prod.entropy, child);
      if (!res.ok()) {
        ++n.delegation_refused;
        if (must) {
          FAIL_CHECK(where() << "delegate refused a narrowing the model must accept: " << name_of(res.error().code)
                             << " (" << res.error().field << "), child '" << c.resource << "' methods "
                             << (c.all_methods ? std::string{"all"} : std::to_string(c.methods)) << " ttl " << c.ttl_ms
                             << " at +" << now_ms - t0_ms << " ms");
          return false;
        }
        continue;
      }
      std::vector<std::string> probe;
      for (int k = 0; k < 24; ++k) probe.push_back(path ? g.path() : g.name());
      for (int k = 0; k < 8; ++k) probe.push_back(g.instance(c.resource, path));
      if (const char* why = cap_model::widening(links, c, now_ms, rev, probe)) {
        FAIL_CHECK(where() << "delegate accepted a widening (" << why << "): child '" << c.resource << "' methods "
                           << (c.all_methods ? std::string{"all"} : std::to_string(c.methods)) << " ttl " << c.ttl_ms
                           << " at +" << now_ms - t0_ms << " ms");
        return false;
      }
      ++n.delegated;
      if (child.depth() != links.size()) {
        FAIL_CHECK(where() << "the child's depth is " << child.depth() << ", not parent + 1");
        return false;
      }
      tokens->push_back(child);
      cap_model::link l;
      l.name = name_of_id(child.token_id);
      l.type = c.type;
      l.path_syntax = path;
      l.patterns = {c.resource};
      l.all_methods = c.all_methods;
      l.methods = c.methods;
      l.issued_ms = now_ms;
      l.expires_ms = now_ms + c.ttl_ms;
      if (!cap_model::is_none(c.run)) l.runs.push_back(c.run);
      l.r = c.r;
      links.push_back(l);
    }
  }
  n.deepest = std::max<std::uint64_t>(n.deepest, links.size() - 1);

  // ---- requests, all at one instant ----
  static const std::int64_t offsets[] = {-10'000, 0, 500, 5'000, 30'000, 59'999, 60'000, 100'000, 200'000, 4'000'000};
  const std::uint64_t at_ms = static_cast<std::uint64_t>(static_cast<std::int64_t>(t0_ms) + g.pick(offsets) +
                                                          static_cast<std::int64_t>(g.below(3)) - 1);
  cap_model::buckets model_buckets;
  byte wires[max_depth + 1][max_token_size];
  std::size_t sizes[max_depth + 1]{};
  for (std::size_t i = 0; i < tokens->size(); ++i) {
    auto enc = encode((*tokens)[i], wires[i]);
    REQUIRE(enc.ok());
    sizes[i] = enc->size();
  }
  token_view view;
  for (int k = 0; k < 12; ++k) {
    const std::size_t i = g.below(tokens->size());
    cap_model::request q;
    q.type = g.chance(95) ? links[i].type : static_cast<int>(path ? cap_type::heap : cap_type::fs);
    q.target = g.target(path, links[g.below(i + 1)]);
    q.method = static_cast<unsigned>(g.below(method_count(static_cast<cap_type>(q.type))));
    const id128 run = g.chance(50) && !links[i].runs.empty()
                          ? [&] {
                              id128 r{};
                              for (std::size_t b = 0; b < 16; ++b) r[b] = links[i].runs[0][b];
                              return r;
                            }()
                          : pick_run(g);
    q.run = to_model(run);
    q.now_ms = at_ms;
    const access_request a{static_cast<cap_type>(q.type), q.target, static_cast<std::uint8_t>(q.method), run};
    const auto got = prod.v.verify(bytes_view{wires[i], sizes[i]}, a, at_ms * ns_per_ms, view);
    const bool scope = cap_model::allows(links, i, q, rev);
    const bool want = scope && model_buckets.take(links, i);
    ++n.requests;
    if (got.ok() != want) {
      FAIL_CHECK(where() << "request " << k << " presents link " << i << ": type " << q.type << " target '" << q.target
                         << "' method " << q.method << " run " << (is_zero(run) ? "none" : run == run_a ? "A" : "B")
                         << " at +" << static_cast<std::int64_t>(at_ms - t0_ms) << " ms\n  production: "
                         << (got.ok() ? std::string{"allow"} : std::string{name_of(got.error().code)} + " (" +
                                                                    std::string{got.error().field} + ")")
                         << "\n  model:      " << (want ? "allow" : scope ? "deny (rate)" : "deny"));
      return false;
    }
    if (got.ok()) ++n.allowed;
    else ++n.denied;
    if (scope && !want) ++n.rate_denied;
  }
  ++n.cases;
  return true;
}

void run_differential(std::uint64_t cases, std::uint64_t seed) {
  generator g{seed};
  auto prod = std::make_unique<production>();
  counters n;
  const auto start = std::chrono::steady_clock::now();
  for (std::uint64_t c = 0; c < cases; ++c)
    if (!run_case(g, *prod, n, c, seed)) return;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("capability differential: %llu cases (seed %llu) agree in %.1f s: %llu requests (%llu allowed, %llu denied, "
              "%llu of them by rate), %llu delegations accepted, %llu refused, %llu caveats, %llu revocations, depth up to %llu\n",
              static_cast<unsigned long long>(n.cases), static_cast<unsigned long long>(seed), seconds,
              static_cast<unsigned long long>(n.requests), static_cast<unsigned long long>(n.allowed),
              static_cast<unsigned long long>(n.denied), static_cast<unsigned long long>(n.rate_denied),
              static_cast<unsigned long long>(n.delegated), static_cast<unsigned long long>(n.delegation_refused),
              static_cast<unsigned long long>(n.caveats), static_cast<unsigned long long>(n.revocations),
              static_cast<unsigned long long>(n.deepest));
  std::fflush(stdout);
  CHECK(n.cases == cases);
  // The generator must reach every outcome, or agreement proves little.
  CHECK(n.allowed > n.requests / 20);
  CHECK(n.denied > n.requests / 20);
  CHECK(n.rate_denied > n.requests / 1000);
  CHECK(n.delegated > cases / 4);
  CHECK(n.delegation_refused > cases / 20);
  if (cases >= 10'000) CHECK(n.deepest == max_depth);
}

}  // namespace

TEST_CASE("capability differential: attenuation agrees with the reference model on 200,000 cases",
          "[capability][differential]") {
  run_differential(env_or("AUTHORITY_CAP_DIFF_CASES", 200'000), env_or("AUTHORITY_CAP_DIFF_SEED", 20240611));
}

TEST_CASE("capability differential: long run, 10,000,000 cases", "[.long][capability][differential]") {
  run_differential(env_or("AUTHORITY_CAP_DIFF_CASES", 10'000'000), env_or("AUTHORITY_CAP_DIFF_SEED", 11));
}

// The model is only worth comparing against if it is right on its own: documented examples.
TEST_CASE("capability reference model: globs as documented", "[capability][differential]") {
  using cap_model::glob_matches;
  CHECK(glob_matches("/tmp/**", "/tmp", true));
  CHECK(glob_matches("/tmp/**", "/tmp/a/b", true));
  CHECK_FALSE(glob_matches("/tmp/**", "/tmpfoo", true));
  CHECK_FALSE(glob_matches("/a/**/b", "/a/b", true));
  CHECK(glob_matches("/a/**/b", "/a/x/b", true));
  CHECK(glob_matches("**/secret", "/x/y/secret", true));
  CHECK(glob_matches("/a*", "/a", true));
  CHECK_FALSE(glob_matches("/a*", "/a/b", true));
  CHECK_FALSE(glob_matches("/?", "/", true));
  CHECK(glob_matches("/", "/", true));
  CHECK_FALSE(glob_matches("/", "/a", true));
  CHECK(glob_matches("claude-*", "claude-3-opus", false));
  CHECK(glob_matches("a*", "a/b.c", false));
  CHECK(cap_model::valid_target("/a/b", true));
  CHECK_FALSE(cap_model::valid_target("/a//b", true));
  CHECK_FALSE(cap_model::valid_target("/a/", true));
  CHECK_FALSE(cap_model::valid_target("/a/../b", true));
  CHECK(cap_model::rate_within({true, 1, 2000}, {true, 2, 1000}));
  CHECK_FALSE(cap_model::rate_within({true, 3, 2000}, {true, 2, 1000}));  // larger burst
  CHECK_FALSE(cap_model::rate_within({true, 2, 500}, {true, 2, 1000}));   // faster
  CHECK_FALSE(cap_model::rate_within({false, 0, 0}, {true, 2, 1000}));
}

// Found by the differential test: a bind_run caveat with the zero id (only requests from
// no run) was dropped by delegation, so the child served requests from any run.
TEST_CASE("delegation from a token bound to no run by a caveat is refused", "[capability][differential]") {
  auto w = std::make_unique<world>();
  token parent, child;
  REQUIRE(mint(w->keys, w->fs_grant("/a/**", bit(fs_read)), t0, w->entropy, parent).ok());
  caveat c;
  c.kind = caveat_kind::bind_run;
  c.run = id128{};
  REQUIRE(add_caveat(parent, c).ok());
  byte buf[max_token_size];
  auto wire = encode(parent, buf);
  REQUIRE(wire.ok());
  token seen;
  CHECK(w->v.verify(*wire, fs_access("/a/b", fs_read), t0, seen).ok());
  CHECK(w->v.verify(*wire, fs_access("/a/b", fs_read, id_of(5)), t0, seen).code() == errc::run_mismatch);
  const auto r = delegate(w->v, parent, w->fs_grant("/a/**", bit(fs_read)), t0, w->entropy, child);
  CHECK(r.code() == errc::widens_run);
}
