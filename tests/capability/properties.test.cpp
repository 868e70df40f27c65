// Randomized properties of INV-2 through the public API: delegation and caveats are
// monotonic (whatever a narrowed token allows, its parent allows), no single bit flip
// of a token verifies, and the text form round-trips.
#include <catch2/catch.hpp>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "authority/capability/issue.hpp"
#include "authority/capability/verify.hpp"
#include "capability/fixture.hpp"

using namespace authority;
using namespace authority::capability;
using namespace authority::capability::testing;

namespace {

// A small alphabet, so that random paths often match random patterns.
std::string random_glob(std::mt19937_64& rng) {
  static const char* parts[] = {"a", "b", "ab", "*", "?", "a*", "**"};
  std::string p;
  const int n = 1 + static_cast<int>(rng() % 3);
  for (int i = 0; i < n; ++i) {
    p += '/';
    p += parts[rng() % std::size(parts)];
  }
  return p;
}
// Often a refinement of `parent` (one wildcard made narrower), sometimes unrelated.
std::string random_child_glob(std::mt19937_64& rng, const std::string& parent) {
  if (rng() % 4 == 0) return random_glob(rng);
  struct rewrite {
    const char *from, *to;
  };
  static const rewrite rewrites[] = {{"**", "a/**"}, {"**", "*"}, {"*", "a*"}, {"a*", "ab"}, {"?", "a"}, {"*", "?"}};
  std::string child = parent;
  const auto& r = rewrites[rng() % std::size(rewrites)];
  const auto at = child.find(r.from);
  if (at != std::string::npos) child.replace(at, std::string(r.from).size(), r.to);
  return child;
}
std::string random_path(std::mt19937_64& rng) {
  static const char* parts[] = {"a", "b", "ab", "abc", "b.txt"};
  std::string p;
  const int n = 1 + static_cast<int>(rng() % 4);
  for (int i = 0; i < n; ++i) {
    p += '/';
    p += parts[rng() % std::size(parts)];
  }
  return p;
}

struct verifier_without_rates {
  std::unique_ptr<world> w = std::make_unique<world>();
  verifier v{w->keys, w->revoked};
  bool allows(const token& t, const access_request& a, time_ns now) {
    byte buf[max_token_size];
    auto enc = encode(t, buf);
    auto scratch = std::make_unique<token>();
    return enc && v.verify(*enc, a, now, *scratch).ok();
  }
};

}  // namespace

TEST_CASE("delegation is monotonic on random patterns, methods and times", "[capability][property]") {
  const auto seed = std::random_device{}();
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  verifier_without_rates fx;
  auto parent = std::make_unique<token>();
  auto child = std::make_unique<token>();
  int delegated = 0, refused = 0, checked = 0;
  for (int round = 0; round < 400; ++round) {
    const auto parent_pattern = random_glob(rng);
    const auto parent_methods = static_cast<std::uint32_t>(1 + rng() % 7);
    const std::uint64_t parent_ttl = 10'000 + rng() % 50'000;
    grant pg = fx.w->fs_grant(parent_pattern, parent_methods, parent_ttl);
    REQUIRE(mint(fx.w->keys, pg, t0, fx.w->entropy, *parent).ok());
    const auto child_pattern = random_child_glob(rng, parent_pattern);
    // Mostly within the parent's methods and lifetime; sometimes not (then refused).
    const auto child_methods = static_cast<std::uint32_t>(rng() % 3 == 0 ? rng() % 8 : parent_methods & rng());
    const std::uint64_t child_ttl = rng() % 3 == 0 ? 1 + rng() % 60'000 : 1 + rng() % parent_ttl;
    grant cg = fx.w->fs_grant(child_pattern, child_methods, child_ttl);
    auto r = delegate(fx.v, *parent, cg, t0, fx.w->entropy, *child);
    if (!r) {
      ++refused;
      continue;
    }
    ++delegated;
    for (int k = 0; k < 200; ++k) {
      const auto path = random_path(rng);
      const auto method = static_cast<std::uint8_t>(rng() % 3);
      const time_ns now = t0 + (rng() % 70'000) * ns_per_ms;
      const auto a = fs_access(path, method);
      if (fx.allows(*child, a, now)) {
        ++checked;
        INFO("parent " << parent_pattern << " child " << child_pattern << " target " << path);
        CHECK(fx.allows(*parent, a, now));
      }
    }
  }
  INFO(delegated << " delegated, " << refused << " refused, " << checked << " child allows checked");
  CHECK(delegated > 20);
  CHECK(refused > 20);
  CHECK(checked > 100);
}

TEST_CASE("holder caveats are monotonic", "[capability][property]") {
  const auto seed = std::random_device{}();
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  verifier_without_rates fx;
  auto parent = std::make_unique<token>();
  auto child = std::make_unique<token>();
  int checked = 0;
  for (int round = 0; round < 200; ++round) {
    const auto parent_pattern = random_glob(rng);
    REQUIRE(mint(fx.w->keys, fx.w->fs_grant(parent_pattern, 0b111, 60'000), t0, fx.w->entropy, *parent).ok());
    *child = *parent;
    const int n = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < n; ++i) {
      caveat c;
      switch (rng() % 4) {
        case 0:
          c.kind = caveat_kind::resource;
          c.pattern = static_string<max_resource_size>::from(random_child_glob(rng, parent_pattern)).value();
          break;
        case 1:
          c.kind = caveat_kind::methods;
          c.value = 1 + rng() % 7;
          break;
        case 2:
          c.kind = caveat_kind::expires_before;
          c.value = t0 / ns_per_ms + rng() % 60'000;
          break;
        default:
          c.kind = caveat_kind::bind_run;
          c.run = id_of(static_cast<byte>(rng() % 2));
      }
      REQUIRE(add_caveat(*child, c).ok());
    }
    for (int k = 0; k < 40; ++k) {
      const auto path = random_path(rng);  // the access views it
      const auto a = fs_access(path, static_cast<std::uint8_t>(rng() % 3), id_of(static_cast<byte>(rng() % 2)));
      const time_ns now = t0 + (rng() % 60'000) * ns_per_ms;
      if (fx.allows(*child, a, now)) {
        ++checked;
        CHECK(fx.allows(*parent, a, now));
      }
    }
  }
  CHECK(checked > 50);
}

TEST_CASE("no single bit flip of a token verifies", "[capability][property]") {
  world w;
  auto t = std::make_unique<token>();
  grant g = w.fs_grant("/data/**", 0b11, 60'000);
  g.rate = rate_limit::per(1000, 1000);
  g.run_id = id_of(7);
  REQUIRE(mint(w.keys, g, t0, w.entropy, *t).ok());
  caveat c;
  c.kind = caveat_kind::resource;
  c.pattern = static_string<max_resource_size>::from("/data/x/**").value();
  REQUIRE(add_caveat(*t, c).ok());
  byte buf[max_token_size];
  auto enc = encode(*t, buf);
  REQUIRE(enc.ok());
  std::vector<byte> original(enc->begin(), enc->end());
  verifier v{w.keys, w.revoked};
  auto scratch = std::make_unique<token>();
  const auto a = fs_access("/data/x/y", 0, id_of(7));
  REQUIRE(v.verify(original, a, t0, *scratch).ok());
  int refused = 0;
  for (std::size_t bit = 0; bit < original.size() * 8; ++bit) {
    auto copy = original;
    copy[bit / 8] ^= static_cast<byte>(1u << (bit % 8));
    auto r = v.verify(copy, a, t0, *scratch);
    INFO("bit " << bit);
    CHECK(!r.ok());
    refused += !r.ok();
  }
  CHECK(refused == static_cast<int>(original.size() * 8));
}

TEST_CASE("text form round-trips and rejects malformed text", "[capability]") {
  world w;
  auto t = std::make_unique<token>();
  auto back = std::make_unique<token>();
  REQUIRE(mint(w.keys, w.fs_grant("/a/*", 1, 1000), t0, w.entropy, *t).ok());
  std::string text(max_text_size, '\0');
  auto s = encode_text(*t, std::span<char>(text.data(), text.size()));
  REQUIRE(s.ok());
  const std::string good(*s);
  REQUIRE(decode_text(good, *back).ok());
  CHECK(*back == *t);
  std::string other_prefix = good;
  other_prefix[3] = '2';  // "cap2_…"
  CHECK(decode_text(other_prefix, *back).code() == errc::bad_magic);
  CHECK(decode_text(good + "=", *back).code() == errc::invalid_encoding);
  CHECK(decode_text(good.substr(0, good.size() - 1), *back).code() != errc::ok);
  auto bad = good;
  bad[10] = '+';  // base64, not base64url
  auto e = decode_text(bad, *back);
  CHECK(e.code() == errc::invalid_encoding);
  CHECK(e.error().offset == 10);
  CHECK(decode_text(std::string(max_text_size + 1, 'A'), *back).code() == errc::too_long);
}

TEST_CASE("revocation lists save, load, and refuse tampering", "[capability]") {
  std::vector<revocation_slot> storage(64), storage2(64), storage3(64);
  revocation_list list(storage);
  REQUIRE(list.revoke_token(id_of(1)).ok());
  REQUIRE(list.revoke_run(id_of(2)).ok());
  const crypto::hmac_sha256_key key{std::string_view{"state key"}};
  std::vector<byte> out(revocation_list::saved_size_bound(list.size()));
  auto saved = list.save(key, out);
  REQUIRE(saved.ok());
  std::vector<byte> bytes(saved->begin(), saved->end());

  revocation_list loaded(storage2);
  REQUIRE(loaded.load(key, bytes).ok());
  CHECK(loaded.contains(revocation_kind::token, id_of(1)));
  CHECK(loaded.contains(revocation_kind::run, id_of(2)));
  CHECK(!loaded.contains(revocation_kind::token, id_of(2)));
  CHECK(loaded.size() == 2);

  // Dropping an entry (to un-revoke) or using another key fails the MAC.
  revocation_list other(storage3);
  auto tampered = bytes;
  tampered[5] ^= 1;
  CHECK(other.load(key, tampered).code() == errc::bad_mac);
  CHECK(other.load(crypto::hmac_sha256_key{std::string_view{"other key"}}, bytes).code() == errc::bad_mac);
  CHECK(other.load(key, std::vector<byte>(bytes.begin(), bytes.begin() + 20)).code() == errc::truncated);
  auto dropped = bytes;  // remove the second entry (17 bytes) before the MAC
  dropped.erase(dropped.end() - 32 - 17, dropped.end() - 32);
  CHECK(other.load(key, dropped).code() == errc::bad_mac);
  CHECK(other.size() == 0);
}

TEST_CASE("a full revocation table refuses instead of forgetting", "[capability]") {
  std::vector<revocation_slot> storage(8);  // holds 6
  revocation_list list(storage);
  for (byte i = 0; i < 6; ++i) REQUIRE(list.revoke_token(id_of(i)).ok());
  CHECK(list.revoke_token(id_of(100)).code() == errc::capacity_exceeded);
  for (byte i = 0; i < 6; ++i) CHECK(list.contains(revocation_kind::token, id_of(i)));
}

TEST_CASE("a rate table that is full of active buckets fails closed", "[capability]") {
  world w;
  std::vector<bucket_slot> storage(rate_limiter::group_size);  // one group
  rate_limiter rates(storage);
  auto t = std::make_unique<token>();
  grant g = w.fs_grant("/a/*", 1, 60'000);
  g.rate = rate_limit::per(2, 60'000);
  std::vector<std::unique_ptr<token>> tokens;
  for (std::size_t i = 0; i < rate_limiter::group_size; ++i) {
    tokens.push_back(std::make_unique<token>());
    REQUIRE(mint(w.keys, g, t0, w.entropy, *tokens.back()).ok());
    REQUIRE(rates.consume(*tokens.back(), t0).ok());  // each bucket now partly drained
  }
  REQUIRE(mint(w.keys, g, t0, w.entropy, *t).ok());
  auto r = rates.consume(*t, t0);
  CHECK(r.code() == errc::rate_limited);
  CHECK(r.error().field == "rate table");
  // Once the others have refilled, their slots can be reused.
  CHECK(rates.consume(*t, t0 + 60 * ns_per_s).ok());
}
