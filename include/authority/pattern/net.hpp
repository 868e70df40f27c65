// IP addresses, CIDR prefixes, port sets, and network patterns and targets.
//
// IPv4: strict dotted quad, exactly four decimal parts 0-255 without leading zeros
// ("010.0.0.1", "1.2.3.256", "1.2.3" are errors). IPv6: the RFC 4291 text forms, with
// one "::" standing for one or more zero groups and an IPv4 dotted quad as the last 32
// bits; no zone ids. Addresses are held and compared in binary.
//
// CIDR: "addr/len", len 0-32 or 0-128 in decimal without leading zeros; an address alone
// is a full-length prefix. Host bits beyond the prefix must be zero: "10.0.0.1/8" is an
// error, not silently "10.0.0.0/8", so a typo cannot widen a rule.
//
// IPv4-mapped IPv6 (::ffff:a.b.c.d) is IPv4: the kernel connects to that IPv4 host. A
// target in that block is the IPv4 address it maps, and a pattern prefix inside the block
// (length 96 or more) is the IPv4 prefix it maps. So "ip:10.0.0.0/8:*" matches
// "ip:[::ffff:10.1.2.3]:80"; IPv6 patterns match only the other IPv6 addresses, and
// "ip:[::/0]:443" means "any IPv6 host", not IPv4 hosts.
//
// Ports: `*` (1-65535), `N`, `N-M`, and comma lists of those ("80,443,8000-8080");
// 1-65535, no leading zeros, no reversed ranges.
//
// Patterns: "dns:HOSTPATTERN:PORTS", "ip:ADDR:PORTS", "ip:CIDR:PORTS", "ip:*:PORTS",
// IPv6 in brackets ("ip:[2001:db8::/32]:443", "ip:[::1]:8080"). Targets, what a request
// carries, have one host or address and one port: "dns:api.example.com:443",
// "ip:10.1.2.3:5432", "ip:[::1]:443". A dns: pattern matches dns: targets by name, an ip:
// pattern matches ip: targets; resolving names is the executor's business.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "authority/core/result.hpp"
#include "authority/core/static_vector.hpp"
#include "authority/pattern/dns.hpp"
#include "authority/pattern/path.hpp"

namespace authority::pattern {

enum class ip_family : std::uint8_t { v4 = 4, v6 = 6 };

struct ip_address {
  ip_family family = ip_family::v4;
  std::array<std::uint8_t, 16> bytes{};  // IPv4 uses bytes[0..3]; the rest stay zero

  constexpr std::uint8_t bit_length() const noexcept { return family == ip_family::v4 ? 32 : 128; }
  constexpr bool bit(std::size_t i) const noexcept { return ((bytes[i / 8] >> (7 - i % 8)) & 1u) != 0; }
  constexpr bool operator==(const ip_address&) const = default;
};

namespace net_detail {
constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
constexpr int hex_value(char c) noexcept {
  if (is_digit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A decimal number without leading zeros, at most `max`, starting at s[i]; advances i.
// Returns -1 (i at the problem) when there is none or it is out of range.
constexpr long decimal(std::string_view s, std::size_t& i, long max) noexcept {
  const std::size_t start = i;
  long value = 0;
  while (i < s.size() && is_digit(s[i])) {
    if (i > start && s[start] == '0') return -1;  // leading zero
    value = value * 10 + (s[i] - '0');
    if (value > max) return -1;
    ++i;
  }
  return i == start ? -1 : value;
}
}  // namespace net_detail

// Errors: invalid_argument, field "address", offset of the problem.
constexpr result<ip_address> parse_ipv4(std::string_view s) noexcept {
  ip_address a;
  std::size_t i = 0;
  for (std::size_t part = 0; part < 4; ++part) {
    const std::size_t start = i;
    const long v = net_detail::decimal(s, i, 255);
    if (v < 0) return detail::at(errc::invalid_argument, "address", i == start ? start : i);
    a.bytes[part] = static_cast<std::uint8_t>(v);
    if (part < 3) {
      if (i == s.size() || s[i] != '.') return detail::at(errc::invalid_argument, "address", i);
      ++i;
    }
  }
  if (i != s.size()) return detail::at(errc::invalid_argument, "address", i);
  return a;
}

// Errors: invalid_argument, field "address", offset of the problem.
constexpr result<ip_address> parse_ipv6(std::string_view s) noexcept {
  using detail::at;
  std::array<std::uint16_t, 8> groups{};
  std::size_t count = 0;
  constexpr std::size_t no_gap = 9;
  std::size_t gap = no_gap;  // the group index where "::" stands
  std::size_t i = 0;
  if (s.starts_with("::")) {
    gap = 0;
    i = 2;
  } else if (s.starts_with(":")) {
    return at(errc::invalid_argument, "address", 0);
  }
  while (i < s.size()) {
    const std::size_t start = i;
    unsigned value = 0;
    while (i < s.size() && net_detail::hex_value(s[i]) >= 0 && i - start < 4)
      value = value * 16 + static_cast<unsigned>(net_detail::hex_value(s[i++]));
    if (i < s.size() && s[i] == '.') {  // a dotted quad ends the address
      auto v4 = parse_ipv4(detail::slice(s, start, s.size()));
      if (!v4) return at(errc::invalid_argument, "address", start + v4.error().offset);
      if (count + 2 > 8) return at(errc::invalid_argument, "address", start);
      for (std::size_t k = 0; k < 4; k += 2)
        groups[count++] = static_cast<std::uint16_t>((v4->bytes[k] << 8) | v4->bytes[k + 1]);
      i = s.size();
      break;
    }
    if (i == start || count == 8) return at(errc::invalid_argument, "address", start);
    groups[count++] = static_cast<std::uint16_t>(value);
    if (i == s.size()) break;
    if (s[i] != ':') return at(errc::invalid_argument, "address", i);
    if (++i == s.size()) return at(errc::invalid_argument, "address", i - 1);  // trailing ':'
    if (s[i] == ':') {
      if (gap != no_gap) return at(errc::invalid_argument, "address", i);  // a second "::"
      gap = count;
      ++i;
    }
  }
  if (gap == no_gap && count != 8) return at(errc::invalid_argument, "address", s.size());
  if (gap != no_gap && count >= 8) return at(errc::invalid_argument, "address", 0);  // "::" must stand for a group
  ip_address a;
  a.family = ip_family::v6;
  const std::size_t zeros = 8 - count;
  for (std::size_t g = 0, out = 0; g < count; ++g, ++out) {
    if (g == gap) out += zeros;
    a.bytes[2 * out] = static_cast<std::uint8_t>(groups[g] >> 8);
    a.bytes[2 * out + 1] = static_cast<std::uint8_t>(groups[g]);
  }
  return a;
}

// IPv6 when the text has a ':', IPv4 otherwise. No v4-mapped conversion (see unmap_ipv4).
constexpr result<ip_address> parse_ip_address(std::string_view s) noexcept {
  return s.find(':') != std::string_view::npos ? parse_ipv6(s) : parse_ipv4(s);
}

constexpr bool is_ipv4_mapped(const ip_address& a) noexcept {
  if (a.family != ip_family::v6) return false;
  for (std::size_t i = 0; i < 10; ++i)
    if (a.bytes[i] != 0) return false;
  return a.bytes[10] == 0xff && a.bytes[11] == 0xff;
}

// ::ffff:a.b.c.d is a.b.c.d; any other address is returned as it is.
constexpr ip_address unmap_ipv4(const ip_address& a) noexcept {
  if (!is_ipv4_mapped(a)) return a;
  ip_address v4;
  for (std::size_t i = 0; i < 4; ++i) v4.bytes[i] = a.bytes[12 + i];
  return v4;
}

struct ip_cidr {
  ip_address network{};
  std::uint8_t prefix = 0;

  constexpr bool contains(const ip_address& a) const noexcept {
    if (a.family != network.family) return false;
    for (std::size_t i = 0; i < prefix; ++i)
      if (a.bit(i) != network.bit(i)) return false;
    return true;
  }
  constexpr bool contains(const ip_cidr& c) const noexcept { return prefix <= c.prefix && contains(c.network); }
  constexpr bool operator==(const ip_cidr&) const = default;
};

// "10.0.0.0/8", "2001:db8::/32", or an address alone (a full-length prefix). A prefix
// inside ::ffff:0:0/96 becomes the IPv4 prefix it maps. Errors: invalid_pattern, field
// "address" or "prefix", offset of the problem.
constexpr result<ip_cidr> parse_cidr(std::string_view s) noexcept {
  const std::size_t slash = s.find('/');
  const std::size_t address_end = slash == std::string_view::npos ? s.size() : slash;
  auto address = parse_ip_address(detail::slice(s, 0, address_end));
  if (!address) return detail::as_pattern_error(address.error(), 0);
  ip_cidr c{*address, address->bit_length()};
  if (slash != std::string_view::npos) {
    std::size_t i = slash + 1;
    const long len = net_detail::decimal(s, i, c.network.bit_length());
    if (len < 0 || i != s.size()) return detail::at(errc::invalid_pattern, "prefix", i);
    c.prefix = static_cast<std::uint8_t>(len);
  }
  for (std::size_t b = c.prefix; b < c.network.bit_length(); ++b)
    if (c.network.bit(b)) return detail::at(errc::invalid_pattern, "prefix", slash + 1);  // host bits set
  if (is_ipv4_mapped(c.network) && c.prefix >= 96)
    c = ip_cidr{unmap_ipv4(c.network), static_cast<std::uint8_t>(c.prefix - 96)};
  return c;
}

struct port_range {
  std::uint16_t first = 1;
  std::uint16_t last = 65535;
  constexpr bool operator==(const port_range&) const = default;
};

inline constexpr std::size_t max_port_ranges = 32;

// A set of ports held as sorted, disjoint, non-adjacent ranges: one spelling per set.
class port_set {
 public:
  static constexpr port_set any() noexcept {
    port_set s;
    (void)s.ranges_.push_back({1, 65535});
    return s;
  }

  // Adds a range, merging it with those it overlaps or touches; false when that would
  // need more than max_port_ranges ranges.
  constexpr bool add(port_range r) noexcept {
    static_vector<port_range, max_port_ranges> merged;
    bool placed = false;
    for (const auto& x : ranges_) {
      if (x.last + 1 < r.first) {
        if (!merged.push_back(x)) return false;
      } else if (r.last + 1 < x.first) {
        if (!placed && !merged.push_back(r)) return false;
        placed = true;
        if (!merged.push_back(x)) return false;
      } else {  // overlapping or adjacent: grow r
        r = {x.first < r.first ? x.first : r.first, x.last > r.last ? x.last : r.last};
      }
    }
    if (!placed && !merged.push_back(r)) return false;
    ranges_ = merged;
    return true;
  }

  constexpr bool contains(std::uint16_t port) const noexcept {
    for (const auto& r : ranges_)
      if (r.first <= port && port <= r.last) return true;
    return false;
  }
  // Ranges are merged, so each of the other's ranges must lie inside one of ours.
  constexpr bool contains(const port_set& other) const noexcept {
    for (const auto& o : other.ranges_) {
      bool inside = false;
      for (const auto& r : ranges_) inside = inside || (r.first <= o.first && o.last <= r.last);
      if (!inside) return false;
    }
    return true;
  }
  constexpr std::uint32_t count() const noexcept {
    std::uint32_t n = 0;
    for (const auto& r : ranges_) n += static_cast<std::uint32_t>(r.last - r.first + 1);
    return n;
  }
  constexpr std::span<const port_range> ranges() const noexcept { return ranges_.span(); }
  constexpr bool operator==(const port_set&) const = default;

 private:
  static_vector<port_range, max_port_ranges> ranges_;
};

// One port, 1-65535. Errors: invalid_argument, field "port".
constexpr result<std::uint16_t> parse_port(std::string_view s) noexcept {
  std::size_t i = 0;
  const long v = net_detail::decimal(s, i, 65535);
  if (v < 1 || i != s.size()) return detail::at(errc::invalid_argument, "port", v < 0 ? i : 0);
  return static_cast<std::uint16_t>(v);
}

// "*", "N", "N-M" or a comma list of N and N-M. Errors: invalid_pattern (field "ports",
// offset of the problem), too_long (more than max_port_ranges separate ranges).
constexpr result<port_set> parse_ports(std::string_view s) noexcept {
  using detail::at;
  if (s == "*") return port_set::any();
  port_set set;
  std::size_t i = 0;
  while (true) {
    const std::size_t start = i;
    const long first = net_detail::decimal(s, i, 65535);
    if (first < 1) return at(errc::invalid_pattern, "ports", first < 0 ? i : start);
    long last = first;
    if (i < s.size() && s[i] == '-') {
      const std::size_t second = ++i;
      last = net_detail::decimal(s, i, 65535);
      if (last < 1) return at(errc::invalid_pattern, "ports", last < 0 ? i : second);
      if (last < first) return at(errc::invalid_pattern, "ports", start);  // reversed range
    }
    if (!set.add({static_cast<std::uint16_t>(first), static_cast<std::uint16_t>(last)}))
      return at(errc::too_long, "ports", start);
    if (i == s.size()) return set;
    if (s[i] != ',') return at(errc::invalid_pattern, "ports", i);
    ++i;
  }
}

enum class net_kind : std::uint8_t { dns, ip };

struct net_pattern {
  net_kind kind = net_kind::ip;
  host_pattern host{};       // dns
  bool any_address = false;  // ip:*
  ip_cidr cidr{};            // ip, unless any_address
  port_set ports{};
};

struct net_target {
  net_kind kind = net_kind::ip;
  std::string_view host{};  // dns, without its trailing dot
  ip_address address{};     // ip; an IPv4-mapped IPv6 address is held as IPv4
  std::uint16_t port = 0;
};

namespace net_detail {
// The parts of "scheme:ADDRESS:PORTS", with ADDRESS bracketed for IPv6 ("[...]").
struct net_parts {
  net_kind kind = net_kind::ip;
  std::string_view address{};
  std::size_t address_offset = 0;
  bool bracketed = false;
  std::string_view ports{};
  std::size_t ports_offset = 0;
};

constexpr result<net_parts> split(std::string_view s, errc invalid) noexcept {
  using detail::at;
  net_parts parts;
  std::size_t i = 0;
  if (s.starts_with("dns:")) {
    parts.kind = net_kind::dns;
    i = 4;
  } else if (s.starts_with("ip:")) {
    i = 3;
  } else {
    return at(invalid, "scheme", 0);
  }
  std::size_t colon = 0;  // the one before the ports
  if (parts.kind == net_kind::ip && i < s.size() && s[i] == '[') {
    const std::size_t close = s.find(']', i);
    if (close == std::string_view::npos) return at(invalid, "address", i);
    if (close + 1 >= s.size() || s[close + 1] != ':') return at(invalid, "ports", close + 1);
    parts.bracketed = true;
    parts.address = detail::slice(s, i + 1, close);
    parts.address_offset = i + 1;
    colon = close + 1;
  } else {
    // Host names and IPv4 have no ':', so the first one ends the address.
    colon = s.find(':', i);
    if (colon == std::string_view::npos) return at(invalid, "ports", s.size());
    parts.address = detail::slice(s, i, colon);
    parts.address_offset = i;
  }
  parts.ports = detail::slice(s, colon + 1, s.size());
  parts.ports_offset = colon + 1;
  return parts;
}

// Brackets hold IPv6 and only IPv6; IPv4 goes without.
constexpr result<void> check_brackets(const net_parts& p, errc invalid) noexcept {
  const bool has_colon = p.address.find(':') != std::string_view::npos;
  if (has_colon != p.bracketed) return detail::at(invalid, "address", p.address_offset);
  return success();
}
}  // namespace net_detail

// Errors: invalid_pattern or too_long, with the field ("scheme", "host", "address",
// "prefix", "ports") and the offset into `s`.
constexpr result<net_pattern> parse_net_pattern(std::string_view s) noexcept {
  using detail::relocated;
  AUTHORITY_TRY_ASSIGN(const auto parts, net_detail::split(s, errc::invalid_pattern));
  net_pattern p;
  p.kind = parts.kind;
  if (parts.kind == net_kind::dns) {
    auto host = parse_host_pattern(parts.address);
    if (!host) return relocated(host.error(), parts.address_offset);
    p.host = *host;
  } else if (parts.address == "*") {
    p.any_address = true;
  } else {
    AUTHORITY_TRY_VOID(net_detail::check_brackets(parts, errc::invalid_pattern));
    auto cidr = parse_cidr(parts.address);
    if (!cidr) return relocated(cidr.error(), parts.address_offset);
    p.cidr = *cidr;
  }
  auto ports = parse_ports(parts.ports);
  if (!ports) return relocated(ports.error(), parts.ports_offset);
  p.ports = *ports;
  return p;
}

// Errors: invalid_argument or too_long, with the field ("scheme", "host", "address",
// "port") and the offset into `s`.
constexpr result<net_target> parse_net_target(std::string_view s) noexcept {
  using detail::relocated;
  AUTHORITY_TRY_ASSIGN(const auto parts, net_detail::split(s, errc::invalid_argument));
  net_target t;
  t.kind = parts.kind;
  if (parts.kind == net_kind::dns) {
    auto ok = validate_hostname(parts.address);
    if (!ok) return relocated(ok.error(), parts.address_offset);
    t.host = without_trailing_dot(parts.address);
  } else {
    AUTHORITY_TRY_VOID(net_detail::check_brackets(parts, errc::invalid_argument));
    auto address = parse_ip_address(parts.address);
    if (!address) return relocated(address.error(), parts.address_offset);
    t.address = unmap_ipv4(*address);
  }
  auto port = parse_port(parts.ports);
  if (!port) return relocated(port.error(), parts.ports_offset);
  t.port = *port;
  return t;
}

constexpr bool net_matches(const net_pattern& p, const net_target& t) noexcept {
  if (p.kind != t.kind || !p.ports.contains(t.port)) return false;
  if (p.kind == net_kind::dns) return host_matches(p.host, t.host);
  return p.any_address || p.cidr.contains(t.address);
}

// Exact: true when every target `child` matches, `parent` matches.
constexpr bool net_contains(const net_pattern& parent, const net_pattern& child) noexcept {
  if (parent.kind != child.kind || !parent.ports.contains(child.ports)) return false;
  if (parent.kind == net_kind::dns) return host_contains(parent.host, child.host);
  if (parent.any_address) return true;
  return !child.any_address && parent.cidr.contains(child.cidr);
}

}  // namespace authority::pattern
