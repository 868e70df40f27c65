// Inputs at the edges of the pattern layer: a syntax value outside the enumeration (a
// corrupt blob or a C caller), and globs in every size class of the NFA matcher up to
// and past max_pattern_length. Bad input must give an error or match nothing.
#include <catch2/catch.hpp>

#include <string>

#include "authority/pattern/pattern.hpp"

using namespace authority;
using namespace authority::pattern;

TEST_CASE("a syntax outside the enumeration is refused, matches nothing and ranks lowest", "[pattern]") {
  const auto bogus = static_cast<syntax>(9);
  const auto v = validate(bogus, "*");
  CHECK(v.code() == errc::invalid_argument);
  CHECK(v.error().field == std::string_view{"syntax"});
  CHECK(validate_target(bogus, "x").code() == errc::invalid_argument);
  CHECK_FALSE(matches(bogus, "*", "x"));
  CHECK_FALSE(matches(bogus, "x", "x"));
  CHECK_FALSE(matches_valid(bogus, "x", "x"));
  CHECK(contains(bogus, "*", "x").code() == errc::invalid_argument);
  CHECK(specificity(bogus, "x") == 0);
  // The same calls with a real syntax succeed (the refusals above are about the syntax).
  CHECK(validate(syntax::name, "*").ok());
  CHECK(matches(syntax::name, "x", "x"));
  CHECK(*contains(syntax::name, "*", "x"));
}

TEST_CASE("the NFA matcher agrees with glob_match in every size class and refuses over-long patterns",
          "[pattern][glob]") {
  // A general shape (wildcards around an inner "**"), so glob_match falls back to the NFA.
  for (const std::size_t filler : {std::size_t{10}, std::size_t{100}, std::size_t{300}, std::size_t{4000}}) {
    const std::string pattern = "/x?" + std::string(filler, 'y') + "*/**/z*";
    REQUIRE(pattern.size() <= max_pattern_length);
    const std::string hit = "/xq" + std::string(filler, 'y') + "abc/d/e/zz";
    const std::string miss = "/xq" + std::string(filler, 'y') + "abc/d/e/az";
    const std::string short_by_one = "/xq" + std::string(filler - 1, 'y');
    INFO("pattern length " << pattern.size());
    CHECK(glob_match_nfa(pattern, hit, glob_flavor::path));
    CHECK(glob_match(pattern, hit, glob_flavor::path));
    CHECK_FALSE(glob_match_nfa(pattern, miss, glob_flavor::path));
    CHECK_FALSE(glob_match(pattern, miss, glob_flavor::path));
    CHECK_FALSE(glob_match_nfa(pattern, short_by_one, glob_flavor::path));
    CHECK(matches(syntax::path, pattern, hit));
  }
  // At the limit a literal still matches itself; one byte over, nothing matches, not even
  // the identical text, and the pattern is refused as too long.
  const std::string at_limit = "/" + std::string(max_pattern_length - 1, 'a');
  CHECK(glob_match_nfa(at_limit, at_limit, glob_flavor::path));
  CHECK(glob_match(at_limit, at_limit, glob_flavor::path));
  const std::string over = at_limit + "a";
  CHECK_FALSE(glob_match_nfa(over, over, glob_flavor::path));
  CHECK_FALSE(glob_match(over, over, glob_flavor::path));
  CHECK_FALSE(glob_match_nfa(over + "*", over, glob_flavor::path));
  CHECK(validate(syntax::path, over).code() == errc::too_long);
}
