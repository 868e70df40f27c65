// The worst cases of the glob engine, hosted (they are too slow for a self-test under
// emulation): 4 KiB patterns against 4 KiB paths stay within O(m*n) counted steps, and
// containment of long patterns ends, with an answer or too_complex.
#include <catch2/catch.hpp>

#include <string>

#include "authority/pattern/pattern.hpp"

using namespace authority;
using namespace authority::pattern;

TEST_CASE("a 4 KiB star pattern against a 4 KiB text stays O(m*n)", "[pattern][glob]") {
  std::string pattern;
  while (pattern.size() + 2 <= max_pattern_length) pattern += "*a";
  pattern.back() = 'b';
  const std::string text(max_path_length, 'a');
  for (auto flavor : {glob_flavor::name, glob_flavor::path}) {
    glob_work work;
    CHECK_FALSE(glob_match(pattern, text, flavor, &work));
    CHECK(work.steps <= 2 * (pattern.size() + 1) * (text.size() + 1));
  }
  // The same with a path: many segments, `*` must stop at each '/'.
  std::string path;
  while (path.size() + 2 <= max_path_length) path += "/a";
  std::string path_pattern = "/";
  while (path_pattern.size() + 3 <= max_pattern_length) path_pattern += "*?/";
  path_pattern.pop_back();
  glob_work work;
  const bool expected = (path_pattern.size() + 1) / 3 == path.size() / 2;  // one "*?" per segment
  CHECK(glob_match(path_pattern, path, glob_flavor::path, &work) == expected);
  CHECK(work.steps <= 2 * (path_pattern.size() + 1) * (path.size() + 1));
  CHECK(matches(syntax::path, "/**", path));
}

TEST_CASE("star-question runs against long inputs", "[pattern][glob]") {
  const std::string text = std::string(max_path_length, 'x').replace(0, 1, "/");
  for (std::string p : {"/*?*?*?*?", "/*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?y", "**?**?**?**?"}) {
    glob_work work;
    const bool m = glob_match(p, text, glob_flavor::path, &work);
    CHECK(m == (p.back() != 'y'));
    CHECK(work.steps <= 2 * (p.size() + 1) * (text.size() + 1));
  }
}

TEST_CASE("containment of long patterns ends, with an answer or too_complex", "[pattern][contains]") {
  // A 4 KiB child: the walk is linear in the child, times the parent states it keeps.
  std::string child = "/a";
  while (child.size() + 3 <= max_pattern_length) child += "/*?";
  std::string parent = "/a";
  for (int group = 0; group < 16; ++group) parent += "/**";
  // The child has ~1,365 segments, more than the parent's 16 "/**" need.
  auto r = contains(syntax::path, parent, child);
  REQUIRE(r.ok());
  CHECK(*r);
  // A literal end that the child does not have.
  r = contains(syntax::path, parent + "/z", child);
  REQUIRE(r.ok());
  CHECK_FALSE(*r);
  // 84 groups (a 256-byte parent) need about three times the work limit: refused.
  while (parent.size() + 3 <= max_contains_parent_length) parent += "/**";
  CHECK(contains(syntax::path, parent, child).code() == errc::too_complex);
  // With a larger budget the same pair is decided.
  r = glob_contains(glob_flavor::path, parent, child, {max_contains_frontier, 16 * max_contains_steps});
  REQUIRE(r.ok());
  CHECK(*r);
}
