// Delegation only narrows (every hole the reference left open is closed), caveats only
// narrow, and revoking a parent revokes its whole subtree.
#include "fixture.hpp"
#include "selftest/selftest.hpp"

using namespace authority;
using namespace authority::capability;
using namespace authority::capability::testing;

namespace {
world the_world;
world& fresh_world() {
  the_world.reset();
  return the_world;
}
token parent, child, grandchild, scratch;
byte buf[max_token_size];

errc verify_token(world& w, const token& t, const access_request& a, time_ns now = t0) {
  auto enc = encode(t, buf);
  if (!enc) return enc.code();
  return w.v.verify(*enc, a, now, scratch).code();
}
}  // namespace

SELFTEST("capability/delegation narrows: resource, methods, TTL, rate") {
  auto& w = fresh_world();
  grant pg = w.fs_grant("/data/**", bit(fs_read) | bit(fs_write), 60'000);
  pg.rate = rate_limit::per(10, 1000);
  ST_REQUIRE(mint(w.keys, pg, t0, w.entropy, parent).ok());

  grant cg = w.fs_grant("/data/reports/*.csv", bit(fs_read), 30'000);
  cg.rate = rate_limit::per(5, 1000);
  ST_REQUIRE(delegate(w.v, parent, cg, t0, w.entropy, child).ok());
  ST_CHECK(child.depth() == 1);
  ST_CHECK(child.lineage[0].token_id == parent.token_id);
  ST_CHECK(verify_token(w, child, fs_access("/data/reports/q1.csv", fs_read)) == errc::ok);
  ST_CHECK(verify_token(w, child, fs_access("/data/secrets.txt", fs_read)) == errc::resource_not_covered);
  ST_CHECK(verify_token(w, child, fs_access("/data/reports/q1.csv", fs_write)) == errc::method_not_allowed);

  // Each widening is refused with its own code.
  grant bad = cg;
  bad.resource = "/**";
  ST_CHECK(delegate(w.v, parent, bad, t0, w.entropy, child).code() == errc::widens_resource);
  bad = cg;
  bad.resource = "/database/x";  // a string prefix of nothing, but "/data" is a prefix of "/database"
  ST_CHECK(delegate(w.v, parent, bad, t0, w.entropy, child).code() == errc::widens_resource);
  bad = cg;
  bad.methods = method_set::of(bit(fs_read) | bit(fs_exec));
  ST_CHECK(delegate(w.v, parent, bad, t0, w.entropy, child).code() == errc::widens_methods);
  bad = cg;
  bad.methods = method_set::everything();  // "all" is not "none" and not a subset of {read, write}
  ST_CHECK(delegate(w.v, parent, bad, t0, w.entropy, child).code() == errc::widens_methods);
  bad = cg;
  bad.ttl_ms = 60'001;
  ST_CHECK(delegate(w.v, parent, bad, t0, w.entropy, child).code() == errc::widens_ttl);
  ST_CHECK(delegate(w.v, parent, cg, t0 + 40 * ns_per_s, w.entropy, child).code() == errc::widens_ttl);
  bad = cg;
  bad.rate = rate_limit::unlimited();  // dropping the limit (the reference's "0 = unlimited")
  ST_CHECK(delegate(w.v, parent, bad, t0, w.entropy, child).code() == errc::widens_rate);
  bad = cg;
  bad.rate = rate_limit::per(20, 2000);  // same average, bigger burst
  ST_CHECK(delegate(w.v, parent, bad, t0, w.entropy, child).code() == errc::widens_rate);
  bad = cg;
  bad.rate = rate_limit::per(6, 500);  // faster
  ST_CHECK(delegate(w.v, parent, bad, t0, w.entropy, child).code() == errc::widens_rate);
  bad = cg;
  bad.type = cap_type::spawn;
  ST_CHECK(delegate(w.v, parent, bad, t0, w.entropy, child).code() == errc::widens_type);
}

SELFTEST("capability/delegation keeps the run binding and the depth limit") {
  auto& w = fresh_world();
  grant pg = w.fs_grant("/d/**", bit(fs_read));
  pg.run_id = id_of(5);
  ST_REQUIRE(mint(w.keys, pg, t0, w.entropy, parent).ok());
  grant cg = w.fs_grant("/d/**", bit(fs_read), 1000);
  ST_CHECK(delegate(w.v, parent, cg, t0, w.entropy, child).code() == errc::widens_run);  // dropping
  cg.run_id = id_of(6);
  ST_CHECK(delegate(w.v, parent, cg, t0, w.entropy, child).code() == errc::widens_run);  // changing
  cg.run_id = id_of(5);
  ST_CHECK(delegate(w.v, parent, cg, t0, w.entropy, child).ok());

  // A chain of max_depth delegations works; one more is refused.
  ST_REQUIRE(mint(w.keys, w.fs_grant("/d/**", bit(fs_read)), t0, w.entropy, parent).ok());
  for (std::size_t i = 0; i < max_depth; ++i) {
    ST_REQUIRE(delegate(w.v, parent, w.fs_grant("/d/**", bit(fs_read), 1000), t0, w.entropy, child).ok());
    parent = child;
  }
  ST_CHECK(parent.depth() == max_depth);
  ST_CHECK(delegate(w.v, parent, w.fs_grant("/d/**", bit(fs_read), 1000), t0, w.entropy, child).code() ==
           errc::depth_exceeded);
}

SELFTEST("capability/revoked or forged parents cannot delegate; revoking a parent revokes descendants") {
  auto& w = fresh_world();
  ST_REQUIRE(mint(w.keys, w.fs_grant("/d/**", bit(fs_read)), t0, w.entropy, parent).ok());
  ST_REQUIRE(delegate(w.v, parent, w.fs_grant("/d/**", bit(fs_read), 1000), t0, w.entropy, child).ok());
  ST_REQUIRE(delegate(w.v, child, w.fs_grant("/d/x/*", bit(fs_read), 1000), t0, w.entropy, grandchild).ok());
  ST_CHECK(verify_token(w, grandchild, fs_access("/d/x/y", fs_read)) == errc::ok);

  token forged = parent;
  forged.resource = static_string<max_resource_size>::from("/**").value();
  ST_CHECK(delegate(w.v, forged, w.fs_grant("/etc/*", bit(fs_read), 1000), t0, w.entropy, scratch).code() ==
           errc::bad_mac);

  ST_REQUIRE(w.revoked.revoke_token(parent.token_id).ok());
  ST_CHECK(verify_token(w, parent, fs_access("/d/a", fs_read)) == errc::revoked);
  ST_CHECK(verify_token(w, child, fs_access("/d/a", fs_read)) == errc::revoked);
  ST_CHECK(verify_token(w, grandchild, fs_access("/d/x/y", fs_read)) == errc::revoked);
  ST_CHECK(delegate(w.v, child, w.fs_grant("/d/x/*", bit(fs_read), 1000), t0, w.entropy, scratch).code() ==
           errc::revoked);
}

SELFTEST("capability/a child's uses count against its ancestors' rate limits") {
  auto& w = fresh_world();
  grant pg = w.fs_grant("/d/**", bit(fs_read));
  pg.rate = rate_limit::per(2, 1000);
  ST_REQUIRE(mint(w.keys, pg, t0, w.entropy, parent).ok());
  grant cg = w.fs_grant("/d/**", bit(fs_read), 1000);
  cg.rate = rate_limit::per(2, 1000);
  ST_REQUIRE(delegate(w.v, parent, cg, t0, w.entropy, child).ok());
  ST_REQUIRE(delegate(w.v, parent, cg, t0, w.entropy, grandchild).ok());  // a sibling of child
  const auto a = fs_access("/d/f", fs_read);
  ST_CHECK(verify_token(w, child, a) == errc::ok);
  ST_CHECK(verify_token(w, grandchild, a) == errc::ok);
  // Parent's bucket (2/s) is empty although each child still has one use left.
  ST_CHECK(verify_token(w, child, a) == errc::rate_limited);
  ST_CHECK(verify_token(w, grandchild, a) == errc::rate_limited);
}

SELFTEST("capability/holder caveats narrow without a key and cannot be stripped") {
  auto& w = fresh_world();
  ST_REQUIRE(mint(w.keys, w.fs_grant("/d/**", bit(fs_read) | bit(fs_write), 60'000), t0, w.entropy, parent).ok());
  child = parent;
  caveat c;
  c.kind = caveat_kind::resource;
  c.pattern = static_string<max_resource_size>::from("/d/public/**").value();
  ST_REQUIRE(add_caveat(child, c).ok());
  c = caveat{};
  c.kind = caveat_kind::methods;
  c.value = bit(fs_read);
  ST_REQUIRE(add_caveat(child, c).ok());
  c = caveat{};
  c.kind = caveat_kind::expires_before;
  c.value = t0 / ns_per_ms + 1000;
  ST_REQUIRE(add_caveat(child, c).ok());
  c = caveat{};
  c.kind = caveat_kind::bind_run;
  c.run = id_of(3);
  ST_REQUIRE(add_caveat(child, c).ok());

  const auto ok_access = fs_access("/d/public/a", fs_read, id_of(3));
  ST_CHECK(verify_token(w, child, ok_access) == errc::ok);
  ST_CHECK(verify_token(w, child, fs_access("/d/private/a", fs_read, id_of(3))) == errc::resource_not_covered);
  ST_CHECK(verify_token(w, child, fs_access("/d/public/a", fs_write, id_of(3))) == errc::method_not_allowed);
  ST_CHECK(verify_token(w, child, fs_access("/d/public/a", fs_read, id_of(4))) == errc::run_mismatch);
  ST_CHECK(verify_token(w, child, ok_access, t0 + 1000 * ns_per_ms) == errc::token_expired);
  // The parent is still as wide as it was.
  ST_CHECK(verify_token(w, parent, fs_access("/d/private/a", fs_write)) == errc::ok);

  // Stripping the last caveat (keeping the final MAC) or editing one breaks the chain.
  grandchild = child;
  grandchild.caveats.pop_back();
  ST_CHECK(verify_token(w, grandchild, ok_access) == errc::bad_mac);
  grandchild = child;
  grandchild.caveats[0].pattern = static_string<max_resource_size>::from("/**").value();
  ST_CHECK(verify_token(w, grandchild, ok_access) == errc::bad_mac);

  // Caveats also bind what the issuer may delegate from this token.
  ST_CHECK(delegate(w.v, child, w.fs_grant("/d/private/*", bit(fs_read), 500), t0, w.entropy, scratch).code() ==
           errc::widens_resource);
  ST_CHECK(delegate(w.v, child, w.fs_grant("/d/public/*", bit(fs_write), 500), t0, w.entropy, scratch).code() ==
           errc::widens_methods);
  ST_CHECK(delegate(w.v, child, w.fs_grant("/d/public/*", bit(fs_read), 5000), t0, w.entropy, scratch).code() ==
           errc::widens_ttl);
  grant ok = w.fs_grant("/d/public/*", bit(fs_read), 500);
  ok.run_id = id_of(3);
  ST_CHECK(delegate(w.v, child, ok, t0, w.entropy, scratch).ok());
}
