// The issuer's key ring beyond rotation (retire, no signing key), the text form of
// verification, the expiry a holder's caveats leave, and grants and caveats that must be
// refused.
#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "capability/fixture.hpp"

using namespace authority;
using namespace authority::capability;
using namespace authority::capability::testing;

namespace {
world& fresh_world() {
  static world w;
  w.reset();
  return w;
}
constexpr time_ns grace = 3600 * ns_per_s;  // world's grace period
}  // namespace

TEST_CASE("retiring the signing key: its tokens verify for the grace period, new tokens need a new key",
          "[capability][keys]") {
  auto& w = fresh_world();
  auto t = std::make_unique<token>();
  byte buf[max_token_size];
  const auto n = w.mint_wire(w.fs_grant("/d/*", bit(fs_read), 10 * 3600 * 1000ull), *t, buf);
  REQUIRE(n > 0);
  const bytes_view wire{buf, n};
  token_view scratch;
  // Verified (and cached) before the key is retired.
  REQUIRE(w.v.verify(wire, fs_access("/d/x", fs_read), t0, scratch).ok());
  const auto generation = w.keys.generation();
  const time_ns retired_at = t0 + 10 * ns_per_s;
  REQUIRE(w.keys.retire(1, retired_at).ok());
  CHECK(w.keys.generation() != generation);  // caches must look again
  CHECK(w.v.verify(wire, fs_access("/d/x", fs_read), retired_at + grace - 1, scratch).ok());
  CHECK(w.v.verify(wire, fs_access("/d/x", fs_read), retired_at + grace, scratch).code() == errc::key_expired);
  // No active key: nothing can be minted, and the error says why.
  auto t2 = std::make_unique<token>();
  auto minted = mint(w.keys, w.fs_grant("/d/*", bit(fs_read)), retired_at, w.entropy, *t2);
  CHECK(minted.code() == errc::key_unknown);
  CHECK(minted.error().field == std::string_view{"signing key"});
  // Only an active key can be retired.
  CHECK(w.keys.retire(1, retired_at).code() == errc::key_unknown);
  CHECK(w.keys.retire(99, retired_at).code() == errc::key_unknown);
  // A new key signs again; the retired one still verifies within its grace period.
  const auto s2 = secret_of(2);
  REQUIRE(w.keys.add_active(2, s2, retired_at).ok());
  byte buf2[max_token_size];
  REQUIRE(w.mint_wire(w.fs_grant("/d/*", bit(fs_read)), *t2, buf2, retired_at) > 0);
  CHECK(t2->key_id == 2);
  CHECK(w.v.verify(wire, fs_access("/d/x", fs_read), retired_at, scratch).code() == errc::ok);
}

TEST_CASE("verify_text: the text form verifies like the binary form, malformed text is refused",
          "[capability][keys]") {
  auto& w = fresh_world();
  auto t = std::make_unique<token>();
  auto out = std::make_unique<token>();
  REQUIRE(mint(w.keys, w.fs_grant("/d/*", bit(fs_read)), t0, w.entropy, *t).ok());
  std::string text(max_text_size, '\0');
  auto s = encode_text(*t, std::span<char>(text.data(), text.size()));
  REQUIRE(s.ok());
  const std::string good(*s);
  REQUIRE(w.v.verify_text(good, fs_access("/d/x", fs_read), t0, *out).ok());
  CHECK(*out == *t);
  CHECK(w.v.verify_text(good, fs_access("/e/x", fs_read), t0, *out).code() == errc::resource_not_covered);
  CHECK(w.v.verify_text(good, fs_access("/d/x", fs_write), t0, *out).code() == errc::method_not_allowed);
  CHECK(w.v.verify_text(good.substr(0, good.size() - 4), fs_access("/d/x", fs_read), t0, *out).code() != errc::ok);
  CHECK(w.v.verify_text("cap1_", fs_access("/d/x", fs_read), t0, *out).code() != errc::ok);
  CHECK(w.v.verify_text("", fs_access("/d/x", fs_read), t0, *out).code() != errc::ok);
  CHECK(w.v.verify_text(std::string(max_text_size + 1, 'A'), fs_access("/d/x", fs_read), t0, *out).code() ==
        errc::too_long);
  // A flipped character that still decodes is a different token: its MAC fails.
  auto tampered = good;
  tampered[tampered.size() / 2] = tampered[tampered.size() / 2] == 'A' ? 'B' : 'A';
  CHECK(w.v.verify_text(tampered, fs_access("/d/x", fs_read), t0, *out).code() != errc::ok);
}

TEST_CASE("the effective expiry is the earliest of the TTL and the expiry caveats, as verify enforces",
          "[capability][keys]") {
  auto& w = fresh_world();
  auto t = std::make_unique<token>();
  REQUIRE(mint(w.keys, w.fs_grant("/d/*", bit(fs_read), 60'000), t0, w.entropy, *t).ok());  // 60 s
  const std::uint64_t t0_ms = t0 / ns_per_ms;
  CHECK(t->effective_expiry_ms() == t0_ms + 60'000);
  caveat later;
  later.kind = caveat_kind::expires_before;
  later.value = t0_ms + 120'000;  // cannot extend the TTL
  REQUIRE(add_caveat(*t, later).ok());
  CHECK(t->effective_expiry_ms() == t0_ms + 60'000);
  caveat sooner = later;
  sooner.value = t0_ms + 20'000;
  REQUIRE(add_caveat(*t, sooner).ok());
  CHECK(t->effective_expiry_ms() == t0_ms + 20'000);
  CHECK(t->expires_at_ms() == t0_ms + 60'000);  // the TTL itself is unchanged
  byte buf[max_token_size];
  const auto wire = encode(*t, buf);
  REQUIRE(wire.ok());
  token_view v;
  const auto at = [&](std::uint64_t ms) { return w.v.verify(*wire, fs_access("/d/x", fs_read), ms * ns_per_ms, v); };
  CHECK(at(t->effective_expiry_ms() - 1).ok());
  CHECK(at(t->effective_expiry_ms()).code() == errc::token_expired);
}

TEST_CASE("grants and caveats outside a type's methods, and unknown caveats, are refused", "[capability][keys]") {
  auto& w = fresh_world();
  auto t = std::make_unique<token>();
  // Mint: a method bit the type does not have.
  auto g = w.fs_grant("/d/*", std::uint32_t{1} << 31);
  auto minted = mint(w.keys, g, t0, w.entropy, *t);
  CHECK(minted.code() == errc::out_of_range);
  CHECK(minted.error().field == std::string_view{"methods"});
  // Every method (the flag, not bits) is fine.
  g.methods = method_set::everything();
  REQUIRE(mint(w.keys, g, t0, w.entropy, *t).ok());
  const token before = *t;
  // Caveats: bits outside the type, and a kind that does not exist, change nothing.
  caveat bad_methods;
  bad_methods.kind = caveat_kind::methods;
  bad_methods.value = std::uint64_t{1} << 40;
  CHECK(add_caveat(*t, bad_methods).code() == errc::out_of_range);
  caveat unknown;
  unknown.kind = static_cast<caveat_kind>(caveat_kind_max + 1);
  auto added = add_caveat(*t, unknown);
  CHECK(added.code() == errc::out_of_range);
  CHECK(added.error().field == std::string_view{"caveat"});
  caveat bad_pattern;
  bad_pattern.kind = caveat_kind::resource;
  (void)bad_pattern.pattern.append("relative/*");
  CHECK_FALSE(add_caveat(*t, bad_pattern).ok());
  CHECK(*t == before);
  // The token still verifies as minted.
  byte buf[max_token_size];
  const auto wire = encode(*t, buf);
  REQUIRE(wire.ok());
  token_view v;
  CHECK(w.v.verify(*wire, fs_access("/d/x", fs_write), t0, v).ok());
}
