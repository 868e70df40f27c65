// pattern/dns: host names are validated strictly and compared without case; "*.suffix"
// is exactly one label (the reference let "*.example.com" match "example.com" and
// "evilexample.com").
#include "authority/pattern/dns.hpp"
#include "authority/pattern/pattern.hpp"
#include "selftest/selftest.hpp"

using namespace authority;
using namespace authority::pattern;

namespace {
bool host_match(std::string_view p, std::string_view h) { return matches(syntax::host, p, h); }

bool hostname_fails(std::string_view name, errc code, std::uint32_t offset) {
  auto r = validate_hostname(name);
  return !r.ok() && r.code() == code && r.error().offset == offset;
}

// Labels of `label` characters ('a'..), joined by dots, `total` characters in all.
char name_buf[300];
std::string_view long_name(std::size_t total, std::size_t label) {
  std::size_t since_dot = 0;
  for (std::size_t i = 0; i < total; ++i) {
    const bool dot = since_dot == label && i + 1 < total;
    name_buf[i] = dot ? '.' : 'a';
    since_dot = dot ? 0 : since_dot + 1;
  }
  return {name_buf, total};
}
}  // namespace

SELFTEST("pattern/dns wildcard is exactly one label") {
  ST_CHECK(host_match("*.example.com", "a.example.com"));
  ST_CHECK(host_match("*.example.com", "sub.example.com"));
  ST_CHECK(!host_match("*.example.com", "example.com"));
  ST_CHECK(!host_match("*.example.com", "a.b.example.com"));
  ST_CHECK(!host_match("*.example.com", "evilexample.com"));
  ST_CHECK(!host_match("*.example.com", "a.evilexample.com"));
  ST_CHECK(!host_match("*.example.com", ".example.com"));
  ST_CHECK(!host_match("*.example.com", "a.example.com.evil.net"));
}

SELFTEST("pattern/dns comparison ignores case and one trailing dot") {
  ST_CHECK(host_match("*.example.com", "A.EXAMPLE.COM"));
  ST_CHECK(host_match("*.EXAMPLE.com", "x.example.COM"));
  ST_CHECK(host_match("api.example.com", "API.Example.Com"));
  ST_CHECK(host_match("api.example.com", "api.example.com."));
  ST_CHECK(host_match("api.example.com.", "api.example.com"));
  ST_CHECK(host_match("*.example.com", "a.example.com."));
  ST_CHECK(!host_match("api.example.com", "api.example.com.."));
  ST_CHECK(!host_match("api.example.com", "api2.example.com"));
  ST_CHECK(hostname_equal("A.b.", "a.B"));
}

SELFTEST("pattern/dns punycode labels are ordinary labels; non-ASCII is not") {
  ST_CHECK(validate_hostname("xn--bcher-kva.example").ok());
  ST_CHECK(host_match("*.xn--bcher-kva.example", "www.xn--bcher-kva.example"));
  ST_CHECK(host_match("xn--bcher-kva.example", "XN--BCHER-KVA.example"));
  ST_CHECK(!host_match("*.xn--bcher-kva.example", "www.bücher.example"));
  ST_CHECK(hostname_fails("b\xc3\xbc" "cher.example", errc::invalid_argument, 1));
}

SELFTEST("pattern/dns label and name length limits") {
  ST_CHECK(validate_hostname(long_name(63, 63)).ok());
  ST_CHECK(hostname_fails(long_name(64, 64), errc::too_long, 63));
  ST_CHECK(validate_hostname(long_name(70, 63)).ok());   // 63 + "." + 6
  auto name253 = long_name(253, 63);
  ST_CHECK(validate_hostname(name253).ok());
  ST_CHECK(hostname_fails(long_name(254, 63), errc::too_long, 253));
  // The trailing dot does not count.
  name_buf[253] = '.';
  ST_CHECK(validate_hostname({name_buf, 254}).ok());
  ST_CHECK(validate(syntax::host, {name_buf, 254}).ok());
  // A wildcard over a long suffix.
  ST_CHECK(validate(syntax::host, "*.example.com").ok());
  auto too_long = validate(syntax::host, long_name(64, 64));
  ST_CHECK(too_long.code() == errc::too_long && too_long.error().offset == 63);
}

SELFTEST("pattern/dns malformed names") {
  ST_CHECK(hostname_fails("", errc::invalid_argument, 0));
  ST_CHECK(hostname_fails(".", errc::invalid_argument, 0));
  ST_CHECK(hostname_fails("a..b", errc::invalid_argument, 2));
  ST_CHECK(hostname_fails(".a", errc::invalid_argument, 0));
  ST_CHECK(hostname_fails("-a.com", errc::invalid_argument, 0));
  ST_CHECK(hostname_fails("a-.com", errc::invalid_argument, 1));
  ST_CHECK(hostname_fails("a_b.com", errc::invalid_argument, 1));
  ST_CHECK(hostname_fails("a b.com", errc::invalid_argument, 1));
  ST_CHECK(hostname_fails("a.com:443", errc::invalid_argument, 5));
  ST_CHECK(validate_hostname("a--b.com").ok());
  ST_CHECK(validate_hostname("localhost").ok());
  ST_CHECK(validate_hostname("123.example.com").ok());
  ST_CHECK(validate_hostname("example.123a").ok());
}

SELFTEST("pattern/dns names a resolver would read as addresses are refused") {
  ST_CHECK(hostname_fails("10.0.0.1", errc::invalid_argument, 7));
  ST_CHECK(hostname_fails("127.1", errc::invalid_argument, 4));
  ST_CHECK(hostname_fails("2130706433", errc::invalid_argument, 0));
  ST_CHECK(hostname_fails("0x7f000001", errc::invalid_argument, 0));
  ST_CHECK(hostname_fails("1.2.3.0X4", errc::invalid_argument, 6));
  ST_CHECK(validate_hostname("0xfood").ok());
  ST_CHECK(!host_match("*", "10.0.0.1"));
}

SELFTEST("pattern/dns host pattern forms") {
  ST_CHECK(validate(syntax::host, "*").ok());
  ST_CHECK(host_match("*", "anything.example"));
  ST_CHECK(validate(syntax::host, "*.com").ok());
  for (std::string_view bad : {"**.example.com", "*.*.example.com", "a*.example.com", "*example.com",
                               "*.", "example.*", "*.-a.com", "* .example.com"}) {
    auto r = validate(syntax::host, bad);
    ST_CHECK(r.code() == errc::invalid_pattern);
  }
  // Offsets point into the pattern, past the "*.".
  ST_CHECK(validate(syntax::host, "*.a..b").error().offset == 4);
  auto p = parse_host_pattern("*.Example.COM.");
  ST_REQUIRE(p.ok());
  ST_CHECK(p->kind == host_kind::wildcard && p->name == "Example.COM");
}

SELFTEST("pattern/dns containment") {
  auto yes = [](std::string_view a, std::string_view b) {
    auto r = contains(syntax::host, a, b);
    return r.ok() && *r;
  };
  ST_CHECK(yes("*.example.com", "api.example.com"));
  ST_CHECK(yes("*.example.com", "*.EXAMPLE.com"));
  ST_CHECK(yes("*", "*.example.com"));
  ST_CHECK(yes("*", "example.com"));
  ST_CHECK(yes("api.example.com", "API.example.com."));
  ST_CHECK(!yes("*.example.com", "example.com"));
  ST_CHECK(!yes("*.example.com", "a.b.example.com"));
  ST_CHECK(!yes("*.example.com", "*.a.example.com"));
  ST_CHECK(!yes("*.example.com", "*"));
  ST_CHECK(!yes("api.example.com", "*.example.com"));
  ST_CHECK(!yes("*.example.com", "evilexample.com"));
  ST_CHECK(contains(syntax::host, "*.example.com", "a..b").code() == errc::invalid_pattern);
}

SELFTEST("pattern/dns label iteration") {
  std::string_view labels[4];
  std::size_t n = 0;
  for_each_label("api.Example.com.", [&](std::string_view l) {
    if (n < 4) labels[n] = l;
    ++n;
  });
  ST_REQUIRE(n == 3);
  ST_CHECK(labels[0] == "api" && labels[1] == "Example" && labels[2] == "com");
  n = 0;
  for_each_label_reversed("api.example.com", [&](std::string_view l) {
    if (n < 4) labels[n] = l;
    ++n;
  });
  ST_REQUIRE(n == 3);
  ST_CHECK(labels[0] == "com" && labels[1] == "example" && labels[2] == "api");
  ST_CHECK(label_count("localhost") == 1);
  ST_CHECK(label_count("a.b.c.d.") == 4);
}

static_assert(host_matches(*parse_host_pattern("*.example.com"), "a.example.com"));
static_assert(!host_matches(*parse_host_pattern("*.example.com"), "example.com"));
