// pattern/glob: path globs (`*` stays in a segment, `**` and longer runs cross '/', `?`
// is one non-'/' character, a trailing "/**" also matches the directory) and name globs
// (no '/' semantics), matched without backtracking: the work is counted, not timed.
#include "authority/pattern/glob.hpp"
#include "authority/pattern/name.hpp"
#include "authority/pattern/pattern.hpp"
#include "selftest/selftest.hpp"

using namespace authority;
using namespace authority::pattern;

namespace {
bool path_match(std::string_view p, std::string_view t) { return matches(syntax::path, p, t); }
bool name_match(std::string_view p, std::string_view t) { return matches(syntax::name, p, t); }

bool invalid_at(syntax s, std::string_view p, errc code, std::uint32_t offset) {
  auto r = validate(s, p);
  return !r.ok() && r.code() == code && r.error().offset == offset;
}

char long_text[max_path_length];
char long_pattern[max_pattern_length + 1];
}  // namespace

SELFTEST("pattern/glob star does not cross a slash") {
  ST_CHECK(path_match("/tmp/*", "/tmp/a"));
  ST_CHECK(path_match("/tmp/*", "/tmp/.hidden"));
  ST_CHECK(!path_match("/tmp/*", "/tmp/a/b"));
  ST_CHECK(!path_match("/tmp/*", "/tmp"));
  ST_CHECK(path_match("/a/*/c", "/a/b/c"));
  ST_CHECK(!path_match("/a/*/c", "/a/b/x/c"));
  ST_CHECK(path_match("/a/*.txt", "/a/.txt"));  // `*` may be empty
  ST_CHECK(!path_match("/a*b", "/a/x/b"));
  ST_CHECK(path_match("/src/*.c", "/src/main.c"));
  ST_CHECK(!path_match("/src/*.c", "/src/main.cc"));
}

SELFTEST("pattern/glob double star crosses slashes; three or more stars are the same") {
  ST_CHECK(path_match("/home/**", "/home/user/file"));
  ST_CHECK(path_match("/a**b", "/a/x/b"));
  ST_CHECK(path_match("**/*.c", "/src/main.c"));
  ST_CHECK(path_match("**/*.c", "/main.c"));
  ST_CHECK(!path_match("**/*.c", "/src/main.h"));
  // `**` alone matches every canonical path, the root included.
  ST_CHECK(path_match("**", "/"));
  ST_CHECK(path_match("**", "/a/b/c"));
  ST_CHECK(path_match("/**", "/"));
  ST_CHECK(path_match("/**", "/x/y"));
  // `***` (and longer runs) behave like `**`.
  for (std::string_view p : {"/a/***", "/a/****", "/a/**"}) {
    ST_CHECK(path_match(p, "/a"));
    ST_CHECK(path_match(p, "/a/b/c"));
    ST_CHECK(!path_match(p, "/ab"));
  }
  ST_CHECK(path_match("/a***b", "/a/x/y/b"));
  ST_CHECK(path_match("***", "/anything/at/all"));
}

SELFTEST("pattern/glob trailing slash-star-star also matches the directory") {
  ST_CHECK(path_match("/tmp/**", "/tmp"));
  ST_CHECK(path_match("/tmp/**", "/tmp/a"));
  ST_CHECK(path_match("/tmp/**", "/tmp/a/b"));
  ST_CHECK(!path_match("/tmp/**", "/tmpfoo"));
  ST_CHECK(!path_match("/tmp/**", "/tmpfoo/a"));
  ST_CHECK(!path_match("/tmp/**", "/"));
  ST_CHECK(path_match("/proc/self/**", "/proc/self"));
  // Only a trailing "/**": in the middle it needs a segment, and "x**" is no directory.
  ST_CHECK(!path_match("/a/**/b", "/a/b"));
  ST_CHECK(path_match("/a/**/b", "/a/x/b"));
  ST_CHECK(!path_match("/tmp**", "/tmp/"));  // not canonical anyway
  ST_CHECK(path_match("/tmp**", "/tmpfoo/x"));
  ST_CHECK(!path_match("/tmp/*", "/tmp"));
}

SELFTEST("pattern/glob question mark is one non-slash character") {
  ST_CHECK(path_match("/tmp/?", "/tmp/a"));
  ST_CHECK(!path_match("/tmp/?", "/tmp/ab"));
  ST_CHECK(!path_match("/tmp/?", "/tmp"));
  ST_CHECK(!path_match("/a?b", "/a/b"));
  ST_CHECK(path_match("/a?c", "/abc"));
  ST_CHECK(name_match("a?c", "a/c"));  // names have no '/' semantics
}

SELFTEST("pattern/glob empty pattern and empty string") {
  // The raw engine: the empty glob matches exactly the empty text, `*` matches it too.
  ST_CHECK(glob_match("", "", glob_flavor::path));
  ST_CHECK(!glob_match("", "a", glob_flavor::path));
  ST_CHECK(glob_match("*", "", glob_flavor::name));
  ST_CHECK(glob_match("**", "", glob_flavor::path));
  ST_CHECK(!glob_match("?", "", glob_flavor::name));
  // Through the API an empty pattern is invalid and an empty target never matches.
  for (auto s : {syntax::path, syntax::name, syntax::host, syntax::net}) {
    auto empty = validate(s, "");
    ST_CHECK(!empty.ok() && empty.error().offset == 0);
    ST_CHECK(!matches(s, "", ""));
  }
  ST_CHECK(!matches(syntax::name, "*", ""));
  ST_CHECK(!matches(syntax::path, "**", ""));
}

SELFTEST("pattern/glob names: any star run is any run, case-sensitive") {
  ST_CHECK(name_match("claude-*", "claude-3-opus"));
  ST_CHECK(name_match("claude-*", "claude-"));
  ST_CHECK(!name_match("claude-*", "Claude-3"));
  ST_CHECK(!name_match("claude-*", "claude"));
  ST_CHECK(name_match("*", "a/b/c"));
  ST_CHECK(name_match("*****", "aaaa"));
  ST_CHECK(name_match("**", "x"));
  ST_CHECK(name_match("*.txt", "test.txt"));
  ST_CHECK(!name_match("*.txt", "test.json"));
  ST_CHECK(name_match("gpt-?", "gpt-4"));
  ST_CHECK(name_match("http_get", "http_get"));
  ST_CHECK(!name_match("http_get", "http_get2"));
  // Control characters (NUL included) make a name or pattern invalid.
  using namespace std::string_view_literals;
  ST_CHECK(!name_match("tool*", "tool\0x"sv));
  ST_CHECK(invalid_at(syntax::name, "a\tb", errc::invalid_pattern, 1));
}

SELFTEST("pattern/glob path pattern validation") {
  ST_CHECK(validate(syntax::path, "/").ok());
  ST_CHECK(validate(syntax::path, "/tmp/**").ok());
  ST_CHECK(validate(syntax::path, "**").ok());
  ST_CHECK(validate(syntax::path, "**/*.c").ok());
  ST_CHECK(validate(syntax::path, "/a/.*").ok());
  ST_CHECK(validate(syntax::path, "/a/..%2F").ok());
  ST_CHECK(invalid_at(syntax::path, "relative/*", errc::invalid_pattern, 0));
  ST_CHECK(invalid_at(syntax::path, "*.txt", errc::invalid_pattern, 0));
  ST_CHECK(invalid_at(syntax::path, "/a//b", errc::invalid_pattern, 3));
  ST_CHECK(invalid_at(syntax::path, "/a/./b", errc::invalid_pattern, 3));
  ST_CHECK(invalid_at(syntax::path, "/a/../b", errc::invalid_pattern, 3));
  ST_CHECK(invalid_at(syntax::path, "/a/..", errc::invalid_pattern, 3));
  ST_CHECK(invalid_at(syntax::path, "/tmp/", errc::invalid_pattern, 4));
  using namespace std::string_view_literals;
  ST_CHECK(invalid_at(syntax::path, "/a\0/**"sv, errc::invalid_pattern, 2));
  long_pattern[0] = '/';
  for (std::size_t i = 1; i <= max_pattern_length; ++i) long_pattern[i] = 'p';
  ST_CHECK(validate(syntax::path, {long_pattern, max_pattern_length}).ok());
  ST_CHECK(invalid_at(syntax::path, {long_pattern, max_pattern_length + 1}, errc::too_long, 4096));
  // A target must be canonical: the pattern is never tried against anything else.
  ST_CHECK(!path_match("/tmp/**", "/tmp/../etc/passwd"));
  ST_CHECK(!path_match("/tmp/*", "/tmp//x"));
  ST_CHECK(!path_match("**", "relative"));
}

SELFTEST("pattern/glob star-question runs against 4 KiB stay linear") {
  long_text[0] = '/';
  for (std::size_t i = 1; i < max_path_length; ++i) long_text[i] = 'a';
  const std::string_view text{long_text, max_path_length};
  const std::string_view patterns[] = {"/*?*?*?*?", "/*?*?*?*?b", "/*a*a*a*a*a*a*a*a*a*b", "**?**?**?**?c"};
  const bool expected[] = {true, false, false, false};
  for (std::size_t k = 0; k < 4; ++k) {
    glob_work work;
    ST_CHECK(glob_match(patterns[k], text, glob_flavor::path, &work) == expected[k]);
    // At most every state, twice (step and closure), per character: O(m*n).
    ST_CHECK(work.steps <= 2 * (patterns[k].size() + 1) * (text.size() + 1));
  }
  // Every character a different segment: `*` must not run across.
  for (std::size_t i = 0; i < max_path_length; i += 2) {
    long_text[i] = '/';
    long_text[i + 1] = 'a';
  }
  glob_work work;
  ST_CHECK(!glob_match("/*?*?*?*?", text, glob_flavor::path, &work));
  ST_CHECK(!glob_match("/**?*?*?*?", text, glob_flavor::path));  // the last segment has one character
  ST_CHECK(glob_match("/**/?*", text, glob_flavor::path));
  ST_CHECK(work.steps <= 2 * 10 * (text.size() + 1));
}

SELFTEST("pattern/glob a long pattern of stars against a 4 KiB text") {
  // Near the worst case for the simulation: most pattern states live on every character.
  // (The 4 KiB x 4 KiB case runs hosted, in glob_worst_case.test.cpp.)
  constexpr std::size_t m = 512;
  for (std::size_t i = 0; i < m; i += 2) {
    long_pattern[i] = '*';
    long_pattern[i + 1] = 'a';
  }
  long_pattern[m - 1] = 'b';
  for (std::size_t i = 0; i < max_path_length; ++i) long_text[i] = 'a';
  glob_work work;
  ST_CHECK(!glob_match({long_pattern, m}, {long_text, max_path_length}, glob_flavor::name, &work));
  ST_CHECK(work.steps <= 2 * (m + 1) * (max_path_length + 1));
}

SELFTEST("pattern/glob shape counts wildcards") {
  auto s = shape_of("/a/**/x?y/*.c", glob_flavor::path);
  ST_CHECK(s.literals == 9 && s.globstars == 1 && s.stars == 1 && s.any_ones == 1 && !s.exact());
  ST_CHECK(shape_of("/etc/passwd", glob_flavor::path).exact());
  ST_CHECK(shape_of("a*b**c", glob_flavor::name).globstars == 2);
}

static_assert(glob_match("/tmp/**", "/tmp", glob_flavor::path));
static_assert(!glob_match("/tmp/*", "/tmp/a/b", glob_flavor::path));
static_assert(glob_match("claude-*", "claude-3", glob_flavor::name));
