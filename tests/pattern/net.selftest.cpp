// pattern/net: strict IPv4, RFC 4291 IPv6, CIDR with zero host bits, port sets, and net
// patterns where dns: rules match dns: targets (the reference checked every connect as
// ip:, so its dns: rules never matched).
#include "authority/pattern/net.hpp"
#include "authority/pattern/pattern.hpp"
#include "selftest/selftest.hpp"

using namespace authority;
using namespace authority::pattern;

namespace {
bool net_match(std::string_view p, std::string_view t) { return matches(syntax::net, p, t); }

bool net_contained(std::string_view parent, std::string_view child) {
  auto r = contains(syntax::net, parent, child);
  return r.ok() && *r;
}

bool bytes_are(const ip_address& a, std::initializer_list<int> expected) {
  std::size_t i = 0;
  for (int b : expected)
    if (a.bytes[i++] != b) return false;
  for (; i < 16; ++i)
    if (a.bytes[i] != 0) return false;
  return true;
}

template <class R>
bool fails_at(const R& r, errc code, std::string_view field, std::uint32_t offset) {
  return !r.ok() && r.error() == make_error(code, field, offset);
}

ip_address v4(std::string_view s) { return *parse_ipv4(s); }
ip_address v6(std::string_view s) { return *parse_ipv6(s); }
}  // namespace

SELFTEST("pattern/net IPv4 is a strict dotted quad") {
  auto a = parse_ipv4("192.168.1.20");
  ST_REQUIRE(a.ok());
  ST_CHECK(a->family == ip_family::v4 && bytes_are(*a, {192, 168, 1, 20}));
  ST_CHECK(parse_ipv4("0.0.0.0").ok());
  ST_CHECK(parse_ipv4("255.255.255.255").ok());
  ST_CHECK(fails_at(parse_ipv4("010.0.0.1"), errc::invalid_argument, "address", 1));
  ST_CHECK(fails_at(parse_ipv4("1.2.3.04"), errc::invalid_argument, "address", 7));
  ST_CHECK(fails_at(parse_ipv4("1.2.3.256"), errc::invalid_argument, "address", 8));
  ST_CHECK(fails_at(parse_ipv4("1.2.3"), errc::invalid_argument, "address", 5));
  ST_CHECK(fails_at(parse_ipv4("1.2.3.4.5"), errc::invalid_argument, "address", 7));
  ST_CHECK(fails_at(parse_ipv4("1..2.3"), errc::invalid_argument, "address", 2));
  ST_CHECK(fails_at(parse_ipv4(""), errc::invalid_argument, "address", 0));
  for (std::string_view bad : {"-1.2.3.4", "+1.2.3.4", "1.2.3.4 ", "0x7f.0.0.1", "1.2.3.4/8", "1.2.3.", "1234.1.1.1"})
    ST_CHECK(!parse_ipv4(bad).ok());
}

SELFTEST("pattern/net IPv6 text forms") {
  ST_CHECK(bytes_are(v6("::"), {}) && v6("::").family == ip_family::v6);
  ST_CHECK(bytes_are(v6("::1"), {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}));
  ST_CHECK(bytes_are(v6("2001:db8::"), {0x20, 0x01, 0x0d, 0xb8}));
  ST_CHECK(v6("2001:DB8:0:0:0:0:0:1") == v6("2001:db8::1"));
  ST_CHECK(v6("2001:0db8:0000::0001") == v6("2001:db8::1"));
  ST_CHECK(bytes_are(v6("1:2:3:4:5:6:7:8"), {0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8}));
  ST_CHECK(v6("1:2:3:4:5:6:7::") == v6("1:2:3:4:5:6:7:0"));
  ST_CHECK(v6("::2:3:4:5:6:7:8") == v6("0:2:3:4:5:6:7:8"));
  ST_CHECK(bytes_are(v6("::ffff:1.2.3.4"), {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4}));
  ST_CHECK(v6("1:2:3:4:5:6:1.2.3.4") == v6("1:2:3:4:5:6:102:304"));
  ST_CHECK(v6("64:ff9b::192.0.2.33") == v6("64:ff9b::c000:221"));
  ST_CHECK(fails_at(parse_ipv6(":::"), errc::invalid_argument, "address", 2));
  ST_CHECK(fails_at(parse_ipv6("1:2:3:4:5:6:7:8:9"), errc::invalid_argument, "address", 16));
  ST_CHECK(fails_at(parse_ipv6("1:2:3:4:5:6:7"), errc::invalid_argument, "address", 13));
  ST_CHECK(fails_at(parse_ipv6("1::2::3"), errc::invalid_argument, "address", 5));
  for (std::string_view bad : {"", ":", "1:", ":1::", "1:::2", "12345::", "g::", "fe80::1%eth0", "::ffff:1.2.3",
                               "::ffff:1.2.3.256", "1:2:3:4:5:6:7:8::", "::1:2:3:4:5:6:7:8",
                               "1:2:3:4:5:6:7:1.2.3.4", "::1.2.3.4:5", "[::1]", "::1/128"})
    ST_CHECK(!parse_ipv6(bad).ok());
  ST_CHECK(parse_ip_address("::1")->family == ip_family::v6);
  ST_CHECK(parse_ip_address("127.0.0.1")->family == ip_family::v4);
  ST_CHECK(unmap_ipv4(v6("::ffff:10.1.2.3")) == v4("10.1.2.3"));
  ST_CHECK(unmap_ipv4(v6("::10.1.2.3")) == v6("::10.1.2.3"));  // IPv4-compatible is not mapped
}

SELFTEST("pattern/net CIDR prefixes and host bits") {
  auto all = parse_cidr("0.0.0.0/0");
  ST_REQUIRE(all.ok());
  ST_CHECK(all->prefix == 0 && all->contains(v4("255.1.2.3")) && !all->contains(v6("::1")));
  auto ten = parse_cidr("10.0.0.0/8");
  ST_REQUIRE(ten.ok());
  ST_CHECK(ten->contains(v4("10.255.0.1")) && !ten->contains(v4("11.0.0.0")) && !ten->contains(v4("9.255.255.255")));
  auto host = parse_cidr("10.1.2.3/32");
  ST_CHECK(host.ok() && host->contains(v4("10.1.2.3")) && !host->contains(v4("10.1.2.4")));
  ST_CHECK(parse_cidr("10.1.2.3")->prefix == 32);
  ST_CHECK(fails_at(parse_cidr("10.0.0.1/8"), errc::invalid_pattern, "prefix", 9));
  ST_CHECK(fails_at(parse_cidr("10.0.0.0/33"), errc::invalid_pattern, "prefix", 10));
  ST_CHECK(fails_at(parse_cidr("10.0.0.0/08"), errc::invalid_pattern, "prefix", 10));
  ST_CHECK(fails_at(parse_cidr("10.0.0.0/"), errc::invalid_pattern, "prefix", 9));
  ST_CHECK(fails_at(parse_cidr("10.0.0.0/8x"), errc::invalid_pattern, "prefix", 10));
  ST_CHECK(fails_at(parse_cidr("1.2.3.256/32"), errc::invalid_pattern, "address", 8));
  auto doc = parse_cidr("2001:db8::/32");
  ST_REQUIRE(doc.ok());
  ST_CHECK(doc->contains(v6("2001:db8:1::1")) && !doc->contains(v6("2001:db9::")) && !doc->contains(v4("32.1.13.184")));
  ST_CHECK(parse_cidr("::/0").ok() && parse_cidr("::/0")->contains(v6("ffff::")));
  ST_CHECK(parse_cidr("::1/128").ok());
  ST_CHECK(!parse_cidr("2001:db8::/129").ok());
  ST_CHECK(fails_at(parse_cidr("2001:db8::1/32"), errc::invalid_pattern, "prefix", 12));
  ST_CHECK(!parse_cidr(":::/0").ok());
  // A prefix inside ::ffff:0:0/96 is the IPv4 prefix it maps.
  auto mapped = parse_cidr("::ffff:10.0.0.0/104");
  ST_CHECK(mapped.ok() && *mapped == *parse_cidr("10.0.0.0/8"));
  ST_CHECK(parse_cidr("10.0.0.0/8")->contains(*parse_cidr("10.1.0.0/16")));
  ST_CHECK(!parse_cidr("10.1.0.0/16")->contains(*parse_cidr("10.0.0.0/8")));
}

SELFTEST("pattern/net port sets") {
  ST_CHECK(parse_ports("*")->count() == 65535);
  ST_CHECK(*parse_ports("1-65535") == *parse_ports("*"));
  auto list = parse_ports("80,443,8000-8080");
  ST_REQUIRE(list.ok());
  ST_CHECK(list->count() == 83 && list->contains(443) && list->contains(8080) && !list->contains(8081));
  ST_CHECK(parse_ports("80,81,82")->ranges().size() == 1);
  ST_CHECK(*parse_ports("443,80") == *parse_ports("80,443"));
  ST_CHECK(parse_ports("65535").ok() && parse_ports("1").ok() && parse_ports("7-7").ok());
  ST_CHECK(fails_at(parse_ports("0"), errc::invalid_pattern, "ports", 0));
  ST_CHECK(fails_at(parse_ports("65536"), errc::invalid_pattern, "ports", 4));
  ST_CHECK(fails_at(parse_ports("443-80"), errc::invalid_pattern, "ports", 0));
  ST_CHECK(fails_at(parse_ports("80,0-5"), errc::invalid_pattern, "ports", 3));
  ST_CHECK(fails_at(parse_ports("080"), errc::invalid_pattern, "ports", 1));
  for (std::string_view bad : {"", "80,", ",80", "80,,443", "80-", "-80", "*,80", "80,*", "80 ", "8o", "1-2-3"})
    ST_CHECK(!parse_ports(bad).ok());
  // 32 separate ranges fit, a 33rd does not.
  char list_text[128];
  std::size_t n = 0;
  for (int port = 1; port <= 65; port += 2) {
    if (n) list_text[n++] = ',';
    if (port >= 10) list_text[n++] = static_cast<char>('0' + port / 10);
    list_text[n++] = static_cast<char>('0' + port % 10);
  }
  ST_CHECK(parse_ports({list_text, n}).code() == errc::too_long);
  ST_CHECK(parse_ports({list_text, n - 3}).ok());
  ST_CHECK(parse_ports("1-1000")->contains(*parse_ports("80,443")));
  ST_CHECK(!parse_ports("80,443")->contains(*parse_ports("80-443")));
  ST_CHECK(parse_ports("1-10,11-20")->contains(*parse_ports("5-15")));
}

SELFTEST("pattern/net dns patterns match dns targets") {
  ST_CHECK(net_match("dns:api.example.com:443", "dns:api.example.com:443"));
  ST_CHECK(net_match("dns:api.example.com:443", "dns:API.example.com.:443"));
  ST_CHECK(!net_match("dns:api.example.com:443", "dns:api.example.com:80"));
  ST_CHECK(!net_match("dns:api.example.com:443", "ip:93.184.216.34:443"));
  ST_CHECK(net_match("dns:*.example.com:443", "dns:a.example.com:443"));
  ST_CHECK(!net_match("dns:*.example.com:443", "dns:example.com:443"));
  ST_CHECK(!net_match("dns:*.example.com:443", "dns:evilexample.com:443"));
  ST_CHECK(net_match("dns:*:443", "dns:anything.example:443"));
  ST_CHECK(net_match("dns:api.example.com:80,443", "dns:api.example.com:80"));
}

SELFTEST("pattern/net ip patterns match ip targets") {
  ST_CHECK(net_match("ip:10.0.0.0/8:5432", "ip:10.1.2.3:5432"));
  ST_CHECK(!net_match("ip:10.0.0.0/8:5432", "ip:11.1.2.3:5432"));
  ST_CHECK(net_match("ip:10.1.2.3:5432", "ip:10.1.2.3:5432"));
  ST_CHECK(net_match("ip:*:443", "ip:1.2.3.4:443") && net_match("ip:*:443", "ip:[::1]:443"));
  ST_CHECK(!net_match("ip:*:443", "dns:a.example.com:443"));
  ST_CHECK(net_match("ip:[2001:db8::/32]:443", "ip:[2001:db8::5]:443"));
  ST_CHECK(!net_match("ip:[2001:db8::/32]:443", "ip:[2001:db9::]:443"));
  ST_CHECK(net_match("ip:[::1]:8080", "ip:[0:0::1]:8080"));
  // IPv4 prefixes never match IPv6 addresses, except the IPv4-mapped ones, which are IPv4.
  ST_CHECK(!net_match("ip:0.0.0.0/0:*", "ip:[::1]:80"));
  ST_CHECK(net_match("ip:10.0.0.0/8:*", "ip:[::ffff:10.1.2.3]:80"));
  ST_CHECK(!net_match("ip:[::/0]:*", "ip:[::ffff:1.2.3.4]:80"));
  ST_CHECK(!net_match("ip:[::/0]:*", "ip:1.2.3.4:80"));
  ST_CHECK(net_match("ip:[::/0]:*", "ip:[2001::1]:80"));
  ST_CHECK(net_match("ip:[::ffff:10.0.0.0/104]:*", "ip:10.1.1.1:1"));
}

SELFTEST("pattern/net malformed patterns and targets") {
  for (std::string_view bad : {"tcp:1.2.3.4:80", "ip:1.2.3.4", "ip:[::1:80", "ip:::1:80", "ip:[10.0.0.1]:80",
                               "dns:a.com", "dns:a.com:0", "ip:10.0.0.1/8:443", "ip:[::1]80", "ip:*:",
                               "dns::443", "ip::443", "IP:1.2.3.4:80", "dns:a.com:443:1"})
    ST_CHECK(validate(syntax::net, bad).code() == errc::invalid_pattern);
  ST_CHECK(fails_at(validate(syntax::net, "ip:10.0.0.1/8:443"), errc::invalid_pattern, "prefix", 12));
  ST_CHECK(fails_at(validate(syntax::net, "dns:a..com:443"), errc::invalid_pattern, "host", 6));
  ST_CHECK(fails_at(validate(syntax::net, "ip:1.2.3.4:0"), errc::invalid_pattern, "ports", 11));
  ST_CHECK(fails_at(validate(syntax::net, "ftp:x"), errc::invalid_pattern, "scheme", 0));
  for (std::string_view bad : {"dns:*.example.com:443", "ip:10.0.0.0/8:443", "ip:1.2.3.4:*", "ip:1.2.3.4:80-81",
                               "ip:1.2.3.4:80,81", "dns:a.com:65536", "ip:*:80", "ip:[::1]:0", "dns:10.0.0.1:80"})
    ST_CHECK(!validate_target(syntax::net, bad).ok());
  ST_CHECK(validate_target(syntax::net, "dns:a.com:443").ok());
  auto t = parse_net_target("ip:[::ffff:10.1.2.3]:80");
  ST_CHECK(t.ok() && t->address == v4("10.1.2.3") && t->port == 80);
}

SELFTEST("pattern/net containment") {
  ST_CHECK(net_contained("ip:10.0.0.0/8:*", "ip:10.1.0.0/16:443"));
  ST_CHECK(!net_contained("ip:10.1.0.0/16:443", "ip:10.0.0.0/8:*"));
  ST_CHECK(!net_contained("ip:10.0.0.0/16:*", "ip:10.0.0.0/8:*"));
  ST_CHECK(!net_contained("ip:10.0.0.0/8:443", "ip:10.0.0.0/8:*"));
  ST_CHECK(net_contained("ip:*:*", "ip:[::1]:80"));
  ST_CHECK(net_contained("ip:*:*", "ip:*:80"));
  ST_CHECK(!net_contained("ip:0.0.0.0/0:*", "ip:*:*"));
  ST_CHECK(!net_contained("ip:0.0.0.0/0:*", "ip:[::1]:80"));
  ST_CHECK(net_contained("ip:[2001:db8::/32]:1-1000", "ip:[2001:db8:5::/48]:80,443"));
  ST_CHECK(net_contained("dns:*.example.com:1-1000", "dns:api.example.com:80,443"));
  ST_CHECK(!net_contained("dns:*.example.com:1-1000", "dns:api.example.com:1001"));
  ST_CHECK(!net_contained("dns:*:*", "ip:1.2.3.4:80"));
  ST_CHECK(!net_contained("ip:*:*", "dns:a.com:80"));
  ST_CHECK(contains(syntax::net, "ip:*:*", "ip:1.2.3.4").code() == errc::invalid_pattern);
}
