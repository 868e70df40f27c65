// Creating capabilities: minting (issuer, with the signing key), delegation (issuer,
// a new token that can only be narrower than its parent) and caveats (any holder,
// without a key, macaroon style). Delegation closes every hole the reference left
// open: the child's type is equal, its resource pattern is contained in the parent's
// (pattern containment, not string comparison), its methods are a subset, its TTL ends
// no later, its rate is no looser, its run binding is kept, the parent verifies and is
// unrevoked, and the chain is at most max_depth long.
#pragma once

#include <cstdint>
#include <string_view>

#include "authority/capability/mac.hpp"
#include "authority/capability/verify.hpp"
#include "authority/core/clock.hpp"

namespace authority::capability {

// What a new token grants.
struct grant {
  cap_type type = cap_type::fs;
  std::string_view resource{};
  method_set methods{};
  std::uint64_t ttl_ms = 0;
  rate_limit rate{};
  id128 run_id{};  // zero = unbound
};

namespace issue_detail {
inline result<void> fill_from_grant(const grant& g, token& out) noexcept {
  if (!find_type(g.type)) return make_error(errc::out_of_range, "type");
  AUTHORITY_TRY(pattern::validate(find_type(g.type)->resource_syntax, g.resource));
  auto res = static_string<max_resource_size>::from(g.resource);
  if (!res) return make_error(errc::too_long, "resource");
  if (!g.methods.all && (g.methods.bits & ~valid_method_bits(g.type)) != 0)
    return make_error(errc::out_of_range, "methods");
  if (g.rate.limited && (g.rate.count == 0 || g.rate.window_ms == 0)) return make_error(errc::out_of_range, "rate");
  out.type = g.type;
  out.resource = *res;
  out.methods = g.methods;
  out.ttl_ms = g.ttl_ms;
  out.rate = g.rate;
  out.run_id = g.run_id;
  return success();
}

template <entropy_source E>
result<void> sign_new(const key_ring& keys, E& entropy, time_ns now, token& out) noexcept {
  const key_slot* key = AUTHORITY_TRY(keys.signing_key());
  out.version = token_version;
  out.key_id = key->id;
  out.issued_at_ms = now / ns_per_ms;
  if (out.issued_at_ms + out.ttl_ms < out.issued_at_ms) return make_error(errc::out_of_range, "ttl");
  if (!entropy.fill(out.token_id.data(), out.token_id.size())) return make_error(errc::entropy_failure, "token_id");
  out.caveats.clear();
  out.mac = AUTHORITY_TRY(compute_mac(key->mac_key, out));
  return success();
}
}  // namespace issue_detail

template <entropy_source E>
result<void> mint(const key_ring& keys, const grant& g, time_ns now, E& entropy, token& out) noexcept {
  out = token{};
  AUTHORITY_TRY(issue_detail::fill_from_grant(g, out));
  return issue_detail::sign_new(keys, entropy, now, out);
}

// A narrower token derived from `parent`, signed by the issuer. `v` verifies the parent
// (key, MAC, TTL, revocation).
template <entropy_source E>
result<void> delegate(const verifier& v, const token& parent, const grant& child, time_ns now, E& entropy,
                      token& out) noexcept {
  AUTHORITY_TRY(v.check_authentic(parent, now));
  {
    token_view pv;
    view_of(parent, pv);
    AUTHORITY_TRY(v.check_live(pv, id128{}, now));
  }
  if (parent.depth() + 1 > max_depth) return make_error(errc::depth_exceeded, "lineage");
  if (child.type != parent.type) return make_error(errc::widens_type, "type");
  const auto syntax = find_type(parent.type)->resource_syntax;
  auto covered = pattern::contains(syntax, parent.resource.view(), child.resource);
  if (!covered) return covered.error();
  if (!*covered) return make_error(errc::widens_resource, "resource");
  method_set allowed = parent.methods;
  std::uint64_t expiry = parent.expires_at_ms();
  id128 run = parent.run_id;
  for (const auto& c : parent.caveats) {
    switch (c.kind) {
      case caveat_kind::resource: {
        auto in_caveat = pattern::contains(syntax, c.pattern.view(), child.resource);
        if (!in_caveat) return in_caveat.error();
        if (!*in_caveat) return make_error(errc::widens_resource, "caveat");
        break;
      }
      case caveat_kind::methods:
        allowed = allowed.intersect(method_set::of(static_cast<std::uint32_t>(c.value)));
        break;
      case caveat_kind::expires_before:
        if (c.value < expiry) expiry = c.value;
        break;
      case caveat_kind::bind_run:
        // A binding to the zero id admits only requests from no run; a child cannot carry
        // that (its zero run_id means unbound), so it would widen.
        if (is_zero(c.run)) return make_error(errc::widens_run, "caveat");
        if (!is_zero(run) && run != c.run) return make_error(errc::run_mismatch, "caveat");
        run = c.run;
        break;
    }
  }
  if (!child.methods.subset_of(allowed)) return make_error(errc::widens_methods, "methods");
  const std::uint64_t now_ms = now / ns_per_ms;
  if (child.ttl_ms == 0 || now_ms + child.ttl_ms < now_ms || now_ms + child.ttl_ms > expiry)
    return make_error(errc::widens_ttl, "ttl");
  if (!child.rate.no_looser_than(parent.rate)) return make_error(errc::widens_rate, "rate");
  if (!is_zero(run) && child.run_id != run) return make_error(errc::widens_run, "run_id");

  out = token{};
  AUTHORITY_TRY(issue_detail::fill_from_grant(child, out));
  out.lineage = parent.lineage;
  (void)out.lineage.push_back(ancestor{parent.token_id, parent.rate});
  return issue_detail::sign_new(v.keys(), entropy, now, out);
}

// Holder-side narrowing without any key: appends a caveat and extends the MAC chain.
inline result<void> add_caveat(token& t, const caveat& c) noexcept {
  if (t.caveats.full()) return make_error(errc::capacity_exceeded, "caveats");
  byte buf[2 + encoding::varint_max_size + max_resource_size + 16];
  byte_writer w{buf};
  switch (c.kind) {
    case caveat_kind::resource:
      AUTHORITY_TRY(pattern::validate(find_type(t.type)->resource_syntax, c.pattern.view()));
      break;
    case caveat_kind::methods:
      if ((c.value & ~std::uint64_t{valid_method_bits(t.type)}) != 0) return make_error(errc::out_of_range, "methods");
      break;
    case caveat_kind::expires_before:
    case caveat_kind::bind_run:
      break;
    default:
      return make_error(errc::out_of_range, "caveat");
  }
  encode_caveat(c, w);
  t.mac = extend_mac(t.mac, AUTHORITY_TRY(w.finish()));
  (void)t.caveats.push_back(c);
  return success();
}

}  // namespace authority::capability
