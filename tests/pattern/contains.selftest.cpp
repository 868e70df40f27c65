// pattern/contains: delegation may only narrow, so containment must be sound (never true
// when some target of the child escapes the parent) and, within its bounds, exact. Also
// the "most specific rule" order.
#include "authority/pattern/pattern.hpp"
#include "selftest/selftest.hpp"

using namespace authority;
using namespace authority::pattern;

namespace {
bool contained(syntax s, std::string_view parent, std::string_view child) {
  auto r = contains(s, parent, child);
  return r.ok() && *r;
}
bool not_contained(syntax s, std::string_view parent, std::string_view child) {
  auto r = contains(s, parent, child);
  return r.ok() && !*r;
}
bool more_specific(syntax s, std::string_view a, std::string_view b) { return specificity(s, a) > specificity(s, b); }
}  // namespace

SELFTEST("pattern/contains path pairs known to be contained") {
  ST_CHECK(contained(syntax::path, "/a/**", "/a/b/*.txt"));
  ST_CHECK(contained(syntax::path, "/a/*", "/a/x?"));
  ST_CHECK(contained(syntax::path, "/a/*", "/a/*.txt"));
  ST_CHECK(contained(syntax::path, "/a/*/c", "/a/b/c"));
  ST_CHECK(contained(syntax::path, "/tmp/**", "/tmp"));
  ST_CHECK(contained(syntax::path, "/tmp/**", "/tmp/**"));
  ST_CHECK(contained(syntax::path, "/tmp/**", "/tmp/***"));
  ST_CHECK(contained(syntax::path, "/tmp/**", "/tmp/x/**"));
  ST_CHECK(contained(syntax::path, "/tmp/**", "/tmp/**x"));
  ST_CHECK(contained(syntax::path, "/**", "/tmp/**"));
  ST_CHECK(contained(syntax::path, "**", "/x/**"));
  ST_CHECK(contained(syntax::path, "/a/**", "/a/*/b/**"));
  ST_CHECK(contained(syntax::path, "/**/*.c", "/src/**/*.c"));
  ST_CHECK(contained(syntax::path, "/*/*", "/?/?"));
  ST_CHECK(contained(syntax::path, "/a*", "/a?*"));
  ST_CHECK(contained(syntax::path, "/x/**", "/x/**/y/*"));
}

SELFTEST("pattern/contains path pairs known not to be contained") {
  ST_CHECK(not_contained(syntax::path, "/a/*", "/a/**"));
  ST_CHECK(not_contained(syntax::path, "/tmp/*", "/tmp/*/x"));
  ST_CHECK(not_contained(syntax::path, "/tmp/*", "/tmp/**"));
  ST_CHECK(not_contained(syntax::path, "/tmp/**", "/tmpfoo"));
  ST_CHECK(not_contained(syntax::path, "/tmp/**", "/tmp*"));
  ST_CHECK(not_contained(syntax::path, "/a/**/b", "/a/b"));
  ST_CHECK(not_contained(syntax::path, "/a/?", "/a/*"));
  ST_CHECK(not_contained(syntax::path, "/a/*.txt", "/a/*"));
  ST_CHECK(not_contained(syntax::path, "/a/b/**", "/a/**"));
  ST_CHECK(not_contained(syntax::path, "/a/x/**", "/a/*/**"));
  ST_CHECK(not_contained(syntax::path, "/tmp/x/**", "/tmp/**"));  // "/tmp" itself escapes
  ST_CHECK(not_contained(syntax::path, "/tmp/?**", "/tmp/**"));    // ...and only "/tmp"
  ST_CHECK(contained(syntax::path, "/tmp/?**", "/tmp/*/**"));
  ST_CHECK(not_contained(syntax::path, "/*/*", "/**"));
  ST_CHECK(not_contained(syntax::path, "/a*b", "/a**b"));
}

SELFTEST("pattern/contains name pairs") {
  ST_CHECK(contained(syntax::name, "claude-*", "claude-3-*"));
  ST_CHECK(contained(syntax::name, "claude-*", "claude-3-opus"));
  ST_CHECK(contained(syntax::name, "*", "?"));
  ST_CHECK(contained(syntax::name, "*", "**"));
  ST_CHECK(contained(syntax::name, "a*", "a?*"));
  ST_CHECK(contained(syntax::name, "*a*", "*a*a*"));
  ST_CHECK(contained(syntax::name, "*", "a/b*"));
  ST_CHECK(not_contained(syntax::name, "claude-3-*", "claude-*"));
  ST_CHECK(not_contained(syntax::name, "a?", "a*"));
  ST_CHECK(not_contained(syntax::name, "*a*a*", "*a*"));
  ST_CHECK(not_contained(syntax::name, "claude-*", "Claude-*"));
  ST_CHECK(not_contained(syntax::name, "gpt-4", "gpt-?"));
}

SELFTEST("pattern/contains invalid patterns are errors") {
  ST_CHECK(contains(syntax::path, "/a/**", "relative").code() == errc::invalid_pattern);
  ST_CHECK(contains(syntax::path, "", "/a").code() == errc::invalid_pattern);
  ST_CHECK(contains(syntax::name, "tool", "").code() == errc::invalid_pattern);
}

SELFTEST("pattern/contains refuses rather than guesses past its bounds") {
  // The classic subset blow-up ("an 'a' ten from the end") is decided exactly: only
  // minimal parent state sets are kept.
  ST_CHECK(not_contained(syntax::name, "*a??????????", "*"));
  // "?*" contains "*b" but needs two parent state sets at once; allowed one, it refuses.
  ST_CHECK(contained(syntax::name, "?*", "*b"));
  auto capped = glob_contains(glob_flavor::name, "?*", "*b", {1, max_contains_steps});
  ST_CHECK(capped.code() == errc::too_complex && capped.error().field == "contains");
  // The work limit, likewise.
  ST_CHECK(glob_contains(glob_flavor::path, "/a/**", "/a/b/*.txt", {max_contains_frontier, 10}).code() ==
           errc::too_complex);
  // A parent over the length bound with a wildcard child.
  static char long_parent[max_contains_parent_length + 8];
  long_parent[0] = '/';
  for (std::size_t i = 1; i < sizeof long_parent; ++i) long_parent[i] = 'p';
  long_parent[sizeof long_parent - 1] = '*';
  const std::string_view parent{long_parent, sizeof long_parent};
  ST_CHECK(contains(syntax::path, parent, "/p*").code() == errc::too_complex);
  // ...but a literal child is simply matched, however long the parent.
  long_parent[sizeof long_parent - 1] = 'q';
  ST_CHECK(not_contained(syntax::path, parent, "/p"));
  ST_CHECK(contained(syntax::path, parent, parent));
}

SELFTEST("pattern/contains specificity orders rules") {
  ST_CHECK(more_specific(syntax::path, "/etc/passwd", "/etc/passwd/**"));
  ST_CHECK(more_specific(syntax::path, "/etc/passwd", "/etc/*"));
  ST_CHECK(more_specific(syntax::path, "/etc/*", "/etc/**"));
  ST_CHECK(more_specific(syntax::path, "/a/b/**", "/a/**"));
  ST_CHECK(more_specific(syntax::path, "/a/?", "/a/*"));
  ST_CHECK(more_specific(syntax::path, "/a/*/*", "/a/**"));
  ST_CHECK(more_specific(syntax::path, "/**", "**"));
  ST_CHECK(more_specific(syntax::name, "claude-3-opus", "claude-3-*"));
  ST_CHECK(more_specific(syntax::name, "claude-3-*", "claude-*"));
  ST_CHECK(more_specific(syntax::name, "claude-*", "*"));
  ST_CHECK(more_specific(syntax::host, "api.example.com", "*.example.com"));
  ST_CHECK(more_specific(syntax::host, "*.example.com", "*"));
  ST_CHECK(more_specific(syntax::host, "*.a.example.com", "*.example.com"));
  ST_CHECK(more_specific(syntax::net, "ip:10.1.2.3:443", "ip:10.0.0.0/8:443"));
  ST_CHECK(more_specific(syntax::net, "ip:10.0.0.0/8:443", "ip:10.0.0.0/8:*"));
  ST_CHECK(more_specific(syntax::net, "ip:10.0.0.0/8:*", "ip:10.0.0.0/7:443"));
  ST_CHECK(more_specific(syntax::net, "ip:0.0.0.0/0:*", "ip:*:*"));
  ST_CHECK(more_specific(syntax::net, "ip:[::1]:443", "ip:[::/64]:443"));
  ST_CHECK(more_specific(syntax::net, "dns:api.example.com:443", "dns:*.example.com:443"));
  ST_CHECK(more_specific(syntax::net, "dns:api.example.com:443", "dns:api.example.com:443,8443"));
  ST_CHECK(specificity(syntax::path, "relative") == 0);
  ST_CHECK(specificity(syntax::net, "ip:1.2.3.4") == 0);
  // Equal patterns, equal rank; a total order means ties are possible, not ambiguity.
  ST_CHECK(specificity(syntax::path, "/a/*") == specificity(syntax::path, "/b/*"));
}

static_assert(*contains(syntax::path, "/a/**", "/a/b/*.txt"));
static_assert(!*contains(syntax::path, "/a/*", "/a/**"));
static_assert(*contains(syntax::net, "ip:10.0.0.0/8:*", "ip:10.1.0.0/16:443"));
