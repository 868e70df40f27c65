// INV-2 through the public verifier: every "Capabilities" bad input of the reference,
// each rejected with its own error code, in the documented order.
#include "fixture.hpp"
#include "selftest/selftest.hpp"

using namespace authority;
using namespace authority::capability;
using namespace authority::capability::testing;

namespace {
world the_world;  // static: a world is a few KiB, too big for a kernel stack
world& fresh_world() {
  the_world.reset();
  return the_world;
}
token scratch, t1, t2;
byte buf[max_token_size], buf2[max_token_size];
}  // namespace

SELFTEST("capability/mint then verify allows exactly what is granted") {
  auto& w = fresh_world();
  const auto n = w.mint_wire(w.fs_grant("/data/**", bit(fs_read)), t1, buf);
  ST_REQUIRE(n > 0);
  const bytes_view wire{buf, n};
  ST_CHECK(w.v.verify(wire, fs_access("/data/a/b.txt", fs_read), t0, scratch).ok());
  ST_CHECK(scratch == t1);
  ST_CHECK(w.v.verify(wire, fs_access("/data", fs_read), t0, scratch).ok());  // trailing /** includes the dir
  ST_CHECK(w.v.verify(wire, fs_access("/etc/passwd", fs_read), t0, scratch).code() == errc::resource_not_covered);
  ST_CHECK(w.v.verify(wire, fs_access("/data/x", fs_write), t0, scratch).code() == errc::method_not_allowed);
  auto wrong = fs_access("/data/x", 0);
  wrong.type = cap_type::net;
  ST_CHECK(w.v.verify(wire, wrong, t0, scratch).code() == errc::wrong_type);
}

SELFTEST("capability/tampering with any signed byte breaks the MAC") {
  auto& w = fresh_world();
  const auto n = w.mint_wire(w.fs_grant("/data/*", bit(fs_read), 60'000), t1, buf);
  ST_REQUIRE(n > 0);
  // Re-encode with a changed field but the original MAC: resource, type, TTL, methods.
  struct change {
    void (*apply)(token&);
  };
  const change changes[] = {
      {[](token& t) { t.resource = static_string<max_resource_size>::from("/**").value(); }},
      {[](token& t) { t.ttl_ms = 3'600'000'000; }},
      {[](token& t) { t.methods = method_set::everything(); }},
      {[](token& t) { t.type = cap_type::spawn; }},
      {[](token& t) { t.run_id = id_of(9); }},
      {[](token& t) { t.rate = rate_limit::per(1000, 1); }},
      {[](token& t) { t.issued_at_ms += 1; }},
  };
  for (const auto& c : changes) {
    t2 = t1;
    c.apply(t2);
    auto enc = encode(t2, buf2);
    ST_REQUIRE(enc.ok());
    ST_CHECK(w.v.verify(*enc, fs_access("/data/x", fs_read), t0, scratch).code() == errc::bad_mac);
  }
  // A flipped MAC bit, and a random MAC.
  t2 = t1;
  t2.mac[7] ^= 0x01;
  ST_CHECK(w.v.verify(*encode(t2, buf2), fs_access("/data/x", fs_read), t0, scratch).code() == errc::bad_mac);
  for (std::size_t i = 0; i < t2.mac.size(); ++i) t2.mac[i] = static_cast<byte>(i * 37 + 11);
  ST_CHECK(w.v.verify(*encode(t2, buf2), fs_access("/data/x", fs_read), t0, scratch).code() == errc::bad_mac);
}

SELFTEST("capability/unknown key and key retired past its grace period") {
  auto& w = fresh_world();
  const auto n = w.mint_wire(w.fs_grant("/d/*", bit(fs_read), 10 * 3600 * 1000ull), t1, buf);
  ST_REQUIRE(n > 0);
  const bytes_view wire{buf, n};
  // Rotation: key 2 signs from now on; key 1 verifies for the grace period (1 h here).
  const auto s2 = secret_of(2);
  ST_REQUIRE(w.keys.add_active(2, s2, t0).ok());
  ST_CHECK(w.v.verify(wire, fs_access("/d/x", fs_read), t0 + 3599 * ns_per_s, scratch).ok());
  ST_CHECK(w.v.verify(wire, fs_access("/d/x", fs_read), t0 + 3600 * ns_per_s, scratch).code() == errc::key_expired);
  // A key id nobody knows.
  t2 = t1;
  t2.key_id = 77;
  ST_CHECK(w.v.verify(*encode(t2, buf2), fs_access("/d/x", fs_read), t0, scratch).code() == errc::key_unknown);
  // A removed key is unknown, and the verified-token cache does not remember it.
  ST_REQUIRE(w.keys.remove(1).ok());
  ST_CHECK(w.v.verify(wire, fs_access("/d/x", fs_read), t0, scratch).code() == errc::key_unknown);
  // New tokens are signed by key 2.
  ST_REQUIRE(w.mint_wire(w.fs_grant("/d/*", bit(fs_read)), t2, buf2) > 0);
  ST_CHECK(t2.key_id == 2);
}

SELFTEST("capability/TTL boundary, TTL 0 and tokens from the future") {
  auto& w = fresh_world();
  const auto n = w.mint_wire(w.fs_grant("/d/*", bit(fs_read), 1000), t1, buf);
  ST_REQUIRE(n > 0);
  const bytes_view wire{buf, n};
  ST_CHECK(w.v.verify(wire, fs_access("/d/x", fs_read), t0 + 999 * ns_per_ms, scratch).ok());
  ST_CHECK(w.v.verify(wire, fs_access("/d/x", fs_read), t0 + 1000 * ns_per_ms, scratch).code() == errc::token_expired);
  const auto m = w.mint_wire(w.fs_grant("/d/*", bit(fs_read), 0), t2, buf2);
  ST_REQUIRE(m > 0);
  ST_CHECK(w.v.verify({buf2, m}, fs_access("/d/x", fs_read), t0, scratch).code() == errc::token_expired);
  // Issued 10 s in the future (beyond the 5 s skew allowance); 4 s is within it.
  const auto f = w.mint_wire(w.fs_grant("/d/*", bit(fs_read)), t2, buf2, t0 + 10 * ns_per_s);
  ST_REQUIRE(f > 0);
  ST_CHECK(w.v.verify({buf2, f}, fs_access("/d/x", fs_read), t0, scratch).code() == errc::token_not_yet_valid);
  const auto g = w.mint_wire(w.fs_grant("/d/*", bit(fs_read)), t2, buf2, t0 + 4 * ns_per_s);
  ST_REQUIRE(g > 0);
  ST_CHECK(w.v.verify({buf2, g}, fs_access("/d/x", fs_read), t0, scratch).ok());
}

SELFTEST("capability/revocation by token id, replay, and others unaffected") {
  auto& w = fresh_world();
  const auto n1 = w.mint_wire(w.fs_grant("/d/*", bit(fs_read)), t1, buf);
  const auto n2 = w.mint_wire(w.fs_grant("/d/*", bit(fs_read)), t2, buf2);
  ST_REQUIRE(n1 > 0 && n2 > 0);
  ST_CHECK(w.v.verify({buf, n1}, fs_access("/d/x", fs_read), t0, scratch).ok());
  ST_REQUIRE(w.revoked.revoke_token(t1.token_id).ok());
  // Replaying the revoked token (same bytes, even after a cached MAC check) fails.
  ST_CHECK(w.v.verify({buf, n1}, fs_access("/d/x", fs_read), t0, scratch).code() == errc::revoked);
  ST_CHECK(w.v.verify({buf2, n2}, fs_access("/d/x", fs_read), t0, scratch).ok());
  // Ids differing only after byte 8 are different tokens (the reference keyed on 8 bytes).
  id128 near = t2.token_id;
  near[15] ^= 0xff;
  ST_REQUIRE(w.revoked.revoke_token(near).ok());
  ST_CHECK(w.v.verify({buf2, n2}, fs_access("/d/x", fs_read), t0, scratch).ok());
}

SELFTEST("capability/revoking a run invalidates tokens bound to it and requests from it") {
  auto& w = fresh_world();
  const id128 run_a = id_of(0xa), run_b = id_of(0xb);
  grant g = w.fs_grant("/d/*", bit(fs_read));
  g.run_id = run_a;
  const auto n1 = w.mint_wire(g, t1, buf);
  const auto n2 = w.mint_wire(w.fs_grant("/d/*", bit(fs_read)), t2, buf2);  // unbound
  ST_REQUIRE(n1 > 0 && n2 > 0);
  ST_CHECK(w.v.verify({buf, n1}, fs_access("/d/x", fs_read, run_a), t0, scratch).ok());
  ST_CHECK(w.v.verify({buf, n1}, fs_access("/d/x", fs_read, run_b), t0, scratch).code() == errc::run_mismatch);
  ST_REQUIRE(w.revoked.revoke_run(run_a).ok());
  ST_CHECK(w.v.verify({buf, n1}, fs_access("/d/x", fs_read, run_a), t0, scratch).code() == errc::revoked);
  ST_CHECK(w.v.verify({buf2, n2}, fs_access("/d/x", fs_read, run_a), t0, scratch).code() == errc::revoked);
  ST_CHECK(w.v.verify({buf2, n2}, fs_access("/d/x", fs_read, run_b), t0, scratch).ok());
}

SELFTEST("capability/token bucket: at, over and after the window, no edge burst") {
  auto& w = fresh_world();
  grant g = w.fs_grant("/d/*", bit(fs_read));
  g.rate = rate_limit::per(3, 1000);  // 3 per second
  const auto n = w.mint_wire(g, t1, buf);
  ST_REQUIRE(n > 0);
  const bytes_view wire{buf, n};
  const auto a = fs_access("/d/x", fs_read);
  // At the limit: three uses pass, the fourth fails.
  for (int i = 0; i < 3; ++i) ST_CHECK(w.v.verify(wire, a, t0 + 999 * ns_per_ms, scratch).ok());
  ST_CHECK(w.v.verify(wire, a, t0 + 999 * ns_per_ms, scratch).code() == errc::rate_limited);
  // Just past a fixed-window edge a fixed window would allow 3 more: the bucket allows
  // only what refilled in 2 ms (nothing).
  ST_CHECK(w.v.verify(wire, a, t0 + 1001 * ns_per_ms, scratch).code() == errc::rate_limited);
  // One use refills every 333.3 ms.
  ST_CHECK(w.v.verify(wire, a, t0 + 1333 * ns_per_ms, scratch).ok());
  ST_CHECK(w.v.verify(wire, a, t0 + 1334 * ns_per_ms, scratch).code() == errc::rate_limited);
  // After a full window it is full again, but never above its capacity.
  for (int i = 0; i < 3; ++i) ST_CHECK(w.v.verify(wire, a, t0 + 9000 * ns_per_ms, scratch).ok());
  ST_CHECK(w.v.verify(wire, a, t0 + 9000 * ns_per_ms, scratch).code() == errc::rate_limited);
}

SELFTEST("capability/checks run in the documented order") {
  auto& w = fresh_world();
  grant g = w.fs_grant("/d/*", bit(fs_read), 1000);
  g.run_id = id_of(1);
  const auto n = w.mint_wire(g, t1, buf);
  ST_REQUIRE(n > 0);
  const bytes_view wire{buf, n};
  auto wrong_everything = fs_access("/elsewhere", fs_write, id_of(2));
  wrong_everything.type = cap_type::tool;
  // Expired and everything else wrong: TTL comes first (after key and MAC).
  ST_CHECK(w.v.verify(wire, wrong_everything, t0 + 2 * ns_per_s, scratch).code() == errc::token_expired);
  ST_REQUIRE(w.revoked.revoke_token(t1.token_id).ok());
  ST_CHECK(w.v.verify(wire, wrong_everything, t0, scratch).code() == errc::revoked);
  // A forged MAC beats everything after it.
  t2 = t1;
  t2.mac[0] ^= 1;
  ST_CHECK(w.v.verify(*encode(t2, buf2), wrong_everything, t0 + 2 * ns_per_s, scratch).code() == errc::bad_mac);
  // Type before resource before method before run.
  const auto m = w.mint_wire(g, t2, buf2);
  ST_REQUIRE(m > 0);
  ST_CHECK(w.v.verify({buf2, m}, wrong_everything, t0, scratch).code() == errc::wrong_type);
  wrong_everything.type = cap_type::fs;
  ST_CHECK(w.v.verify({buf2, m}, wrong_everything, t0, scratch).code() == errc::resource_not_covered);
  wrong_everything.target = "/d/x";
  ST_CHECK(w.v.verify({buf2, m}, wrong_everything, t0, scratch).code() == errc::method_not_allowed);
  wrong_everything.method = fs_read;
  ST_CHECK(w.v.verify({buf2, m}, wrong_everything, t0, scratch).code() == errc::run_mismatch);
}

SELFTEST("capability/the verified cache never accepts different bytes") {
  auto& w = fresh_world();
  const auto n = w.mint_wire(w.fs_grant("/d/*", bit(fs_read)), t1, buf);
  ST_REQUIRE(n > 0);
  ST_CHECK(w.v.verify({buf, n}, fs_access("/d/x", fs_read), t0, scratch).ok());  // now cached
  // Same MAC (so the same cache slot), widened resource: must recompute and fail.
  t2 = t1;
  t2.resource = static_string<max_resource_size>::from("/**").value();
  auto forged = encode(t2, buf2);
  ST_REQUIRE(forged.ok());
  ST_CHECK(w.v.verify(*forged, fs_access("/etc/shadow", fs_read), t0, scratch).code() == errc::bad_mac);
}
