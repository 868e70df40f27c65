// The one entry point other layers use for resource patterns: validate, match, contain,
// and rank them. Which syntax a resource uses:
//   fs, spawn                                    -> path  (glob.hpp, path.hpp)
//   net                                          -> net   (net.hpp)
//   dns allow lists                              -> host  (dns.hpp)
//   tool, wasm, infer, secrets, ipc, heap, admin -> name  (name.hpp)
// Everything fails closed: an invalid pattern or target matches nothing, and containment
// that cannot be decided within fixed bounds is an error (callers deny).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "authority/core/result.hpp"
#include "authority/pattern/dns.hpp"
#include "authority/pattern/glob.hpp"
#include "authority/pattern/name.hpp"
#include "authority/pattern/net.hpp"
#include "authority/pattern/path.hpp"

namespace authority::pattern {

enum class syntax : std::uint8_t { path, net, host, name };

// Errors: invalid_pattern or too_long, with the field and the offset of the problem.
constexpr result<void> validate(syntax s, std::string_view pattern) noexcept {
  switch (s) {
    case syntax::path: return validate_path_glob(pattern);
    case syntax::name: return validate_name_pattern(pattern);
    case syntax::host: {
      auto p = parse_host_pattern(pattern);
      return p ? success() : result<void>{p.error()};
    }
    case syntax::net: {
      auto p = parse_net_pattern(pattern);
      return p ? success() : result<void>{p.error()};
    }
  }
  return detail::at(errc::invalid_argument, "syntax", 0);
}

// Whether `target` is something a request may name: a canonical path, a net target
// ("dns:host:port", "ip:addr:port"), a host name, a name. Errors: invalid_argument,
// invalid_path or too_long.
constexpr result<void> validate_target(syntax s, std::string_view target) noexcept {
  switch (s) {
    case syntax::path:
      return is_canonical_path(target) ? success() : result<void>{detail::at(errc::invalid_path, "path", 0)};
    case syntax::name: return validate_name(target);
    case syntax::host: return validate_hostname(target);
    case syntax::net: {
      auto t = parse_net_target(target);
      return t ? success() : result<void>{t.error()};
    }
  }
  return detail::at(errc::invalid_argument, "syntax", 0);
}

// `target` must already be canonical (paths: canonicalize_path). An invalid pattern or
// target matches nothing.
constexpr bool matches(syntax s, std::string_view pattern, std::string_view target) noexcept {
  switch (s) {
    case syntax::path:
      return validate_path_glob(pattern).ok() && is_canonical_path(target) &&
             glob_match(pattern, target, glob_flavor::path);
    case syntax::name: return name_matches(pattern, target);
    case syntax::host: {
      auto p = parse_host_pattern(pattern);
      return p.ok() && host_matches(*p, target);
    }
    case syntax::net: {
      auto p = parse_net_pattern(pattern);
      if (!p) return false;
      auto t = parse_net_target(target);
      return t.ok() && net_matches(*p, *t);
    }
  }
  return false;
}

// matches() for a pattern that validate() accepted and a target that validate_target()
// accepted, without checking path and name globs or targets again: for callers that
// validated once, such as the capability verifier (resource patterns are validated when
// a token is decoded). The answer for anything else is unspecified (but memory-safe).
// Whether the net pattern `pattern` covers looking up the host name `host`: a dns:
// pattern whose host part matches it, whatever its ports; an ip: pattern never does.
constexpr bool covers_lookup(std::string_view pattern, std::string_view host) noexcept {
  auto p = parse_net_pattern(pattern);
  return p.ok() && p->kind == net_kind::dns && host_matches(p->host, host);  // host_matches validates the host
}

constexpr bool matches_valid(syntax s, std::string_view pattern, std::string_view target) noexcept {
  switch (s) {
    case syntax::path: return glob_match(pattern, target, glob_flavor::path);
    case syntax::name: return glob_match(pattern, target, glob_flavor::name);
    case syntax::host:  // host and net patterns are parsed either way; that checks the target too
    case syntax::net: return matches(s, pattern, target);
  }
  return false;
}

// True only if every target `child` matches is also matched by `parent` (never true when
// that is false). Exact for host and net; for path and name globs exact within the
// limits in glob.hpp, beyond which it is too_complex. Errors: the first invalid pattern's
// error (field "pattern" etc.; the offset is into that pattern), or too_complex.
constexpr result<bool> contains(syntax s, std::string_view parent, std::string_view child) noexcept {
  AUTHORITY_TRY_VOID(validate(s, parent));
  AUTHORITY_TRY_VOID(validate(s, child));
  switch (s) {
    case syntax::path: return glob_contains(glob_flavor::path, parent, child);
    case syntax::name: return glob_contains(glob_flavor::name, parent, child);
    case syntax::host: return host_contains(*parse_host_pattern(parent), *parse_host_pattern(child));
    case syntax::net: return net_contains(*parse_net_pattern(parent), *parse_net_pattern(child));
  }
  return detail::at(errc::invalid_argument, "syntax", 0);
}

// "Most specific rule wins": a larger value is more specific. Values compare only within
// one syntax. An invalid pattern has specificity 0.
//   path, name: an exact pattern beats every glob; then more literal characters; then
//     fewer `**`, fewer `*`, fewer `?` (in that order).
//   host: exact beats "*.suffix" beats "*"; among those, longer names.
//   net: the address part first (a longer prefix beats a shorter one, any CIDR beats
//     "ip:*"; for dns: as for host), then fewer ports.
using specificity_t = std::uint64_t;

namespace detail {
inline constexpr specificity_t wildcard_room = max_pattern_length + 1;  // counts fit in 13 bits

constexpr specificity_t glob_specificity(std::string_view pattern, glob_flavor flavor) noexcept {
  const auto shape = shape_of(pattern, flavor);
  const specificity_t exact = shape.exact() ? 1 : 0;
  return exact << 63 | specificity_t{shape.literals} << 39 | (wildcard_room - shape.globstars) << 26 |
         (wildcard_room - shape.stars) << 13 | (wildcard_room - shape.any_ones);
}

constexpr specificity_t host_specificity(const host_pattern& p) noexcept {
  switch (p.kind) {
    case host_kind::exact: return specificity_t{2} << 16 | p.name.size();
    case host_kind::wildcard: return specificity_t{1} << 16 | p.name.size();
    case host_kind::any: return 0;
  }
  return 0;
}

constexpr specificity_t net_specificity(const net_pattern& p) noexcept {
  specificity_t address = 0;  // 0 for ip:*
  if (p.kind == net_kind::dns)
    address = host_specificity(p.host);
  else if (!p.any_address)  // IPv4 prefixes are ranked as the IPv6 prefixes they map to
    address = 1 + p.cidr.prefix + (p.cidr.network.family == ip_family::v4 ? 96u : 0u);
  return address << 17 | (specificity_t{65536} - p.ports.count());
}
}  // namespace detail

constexpr specificity_t specificity(syntax s, std::string_view pattern) noexcept {
  if (!validate(s, pattern)) return 0;
  switch (s) {
    case syntax::path: return detail::glob_specificity(pattern, glob_flavor::path);
    case syntax::name: return detail::glob_specificity(pattern, glob_flavor::name);
    case syntax::host: return detail::host_specificity(*parse_host_pattern(pattern));
    case syntax::net: return detail::net_specificity(*parse_net_pattern(pattern));
  }
  return 0;
}

}  // namespace authority::pattern
