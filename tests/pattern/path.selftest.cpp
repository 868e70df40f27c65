// pattern/path: lexical canonicalization checks the path that would be opened: ".." is
// not clamped at the working directory, a NUL is an error (never a truncation), percent
// escapes stay literal, and the 4,096-byte limit holds in and out.
#include "authority/pattern/path.hpp"
#include "selftest/selftest.hpp"

using namespace authority;
using namespace authority::pattern;

namespace {
// Storage outside the stack: these tests also run in the kernel.
char out[max_path_length];
char text[2 * max_path_length];
char cwd_text[max_path_length + 2];

bool canonical_is(std::string_view path, std::string_view expected, std::string_view cwd = {}) {
  auto r = canonicalize_path(path, out, cwd);
  return r.ok() && *r == expected;
}

bool fails_with(std::string_view path, errc code, std::string_view field, std::uint32_t offset,
                std::string_view cwd = {}) {
  auto r = canonicalize_path(path, out, cwd);
  return !r.ok() && r.error() == make_error(code, field, offset);
}

// "/" followed by n-1 copies of c.
std::string_view absolute_run(char* buf, std::size_t n, char c) {
  buf[0] = '/';
  for (std::size_t i = 1; i < n; ++i) buf[i] = c;
  return {buf, n};
}
}  // namespace

SELFTEST("pattern/path traversal is resolved, not clamped") {
  ST_CHECK(canonical_is("/app/../etc/passwd", "/etc/passwd"));
  ST_CHECK(canonical_is("/home/../etc/passwd", "/etc/passwd"));
  // Relative ".." walks out of the working directory, as the kernel would.
  ST_CHECK(canonical_is("../../../etc/passwd", "/etc/passwd", "/app"));
  ST_CHECK(canonical_is("../x", "/srv/x", "/srv/app/"));
  ST_CHECK(canonical_is("/a/b/c/d/../../../..", "/"));
  ST_CHECK(canonical_is("/a/./b/../c/./d/../e", "/a/c/e"));
  // At the root ".." stays at the root (POSIX "/.." is "/").
  ST_CHECK(canonical_is("/..", "/"));
  ST_CHECK(canonical_is("/../../../x", "/x"));
  ST_CHECK(canonical_is("/a/../../b", "/b"));
}

SELFTEST("pattern/path slashes, dots and trailing slash collapse") {
  ST_CHECK(canonical_is("/", "/"));
  ST_CHECK(canonical_is("/.", "/"));
  ST_CHECK(canonical_is("//", "/"));
  ST_CHECK(canonical_is("/path//double//slash", "/path/double/slash"));
  ST_CHECK(canonical_is("////a///b//", "/a/b"));
  ST_CHECK(canonical_is("/path/to/dir/", "/path/to/dir"));
  ST_CHECK(canonical_is("/home/user/./file", "/home/user/file"));
  ST_CHECK(canonical_is("/a/.", "/a"));
  ST_CHECK(canonical_is("/a/..", "/"));
  // Names that merely start with dots are names.
  ST_CHECK(canonical_is("/a/.../b", "/a/.../b"));
  ST_CHECK(canonical_is("/a/..b/.c", "/a/..b/.c"));
}

SELFTEST("pattern/path percent escapes stay literal") {
  ST_CHECK(canonical_is("/app/..%2F..%2Fetc/passwd", "/app/..%2F..%2Fetc/passwd"));
  ST_CHECK(canonical_is("/a/..%2f", "/a/..%2f"));
  ST_CHECK(canonical_is("/a/%2e%2e/b", "/a/%2e%2e/b"));
}

SELFTEST("pattern/path embedded NUL is an error at its offset") {
  using namespace std::string_view_literals;
  ST_CHECK(fails_with("/etc/passwd\0.txt"sv, errc::invalid_path, "path", 11));
  ST_CHECK(fails_with("\0/etc"sv, errc::invalid_path, "path", 0));
  ST_CHECK(fails_with("x"sv, errc::invalid_path, "cwd", 4, "/app\0/b"sv));
  // The NUL is found even when a ".." would have removed it.
  ST_CHECK(fails_with("/a\0b/../c"sv, errc::invalid_path, "path", 2));
}

SELFTEST("pattern/path relative paths need an absolute cwd") {
  ST_CHECK(fails_with("foo/bar/baz", errc::invalid_path, "path", 0));
  ST_CHECK(canonical_is("foo/bar/baz", "/home/u/foo/bar/baz", "/home/u"));
  ST_CHECK(canonical_is("./foo", "/foo", "/"));
  ST_CHECK(fails_with("foo", errc::invalid_path, "cwd", 0, "home/u"));
  ST_CHECK(fails_with("", errc::invalid_path, "path", 0));
  ST_CHECK(fails_with("", errc::invalid_path, "path", 0, "/home"));
  // An absolute path ignores the working directory, even a bad one.
  ST_CHECK(canonical_is("/etc/hosts", "/etc/hosts", "not-absolute"));
  // The cwd is canonicalized too.
  ST_CHECK(canonical_is("x", "/b/x", "/a/../b/./"));
}

SELFTEST("pattern/path buffer edges 4095, 4096, 4097") {
  for (std::size_t n : {max_path_length - 1, max_path_length}) {
    auto path = absolute_run(text, n, 'a');
    auto r = canonicalize_path(path, out);
    ST_CHECK(r.ok() && *r == path);
  }
  ST_CHECK(fails_with(absolute_run(text, max_path_length + 1, 'a'), errc::too_long, "path", 4096));
  // 4,097 bytes that canonicalize to a short path are still refused: the input is over.
  auto slashes = absolute_run(text, max_path_length + 1, '/');
  ST_CHECK(fails_with(slashes, errc::too_long, "path", 4096));
  // A buffer smaller than the result is the caller's problem.
  char small[8];
  auto r = canonicalize_path("/abc/defgh", small);
  ST_CHECK(r.code() == errc::capacity_exceeded && r.error().offset == 5);
  ST_CHECK(canonicalize_path("/abc/def", small).ok());
  ST_CHECK(canonicalize_path("/", std::span<char>{}).code() == errc::capacity_exceeded);
}

SELFTEST("pattern/path output limit with a working directory") {
  // cwd (4,096 bytes) + "/b" is over the limit...
  auto cwd = absolute_run(cwd_text, max_path_length, 'a');
  ST_CHECK(fails_with("b", errc::too_long, "path", 0, cwd));
  // ...unless a later ".." takes it back out.
  ST_CHECK(canonical_is("b/../../c", "/c", cwd));
  ST_CHECK(canonical_is("b/c/../..", cwd, cwd));
  ST_CHECK(canonical_is("..", "/", cwd));
}

SELFTEST("pattern/path very long inputs with many segments") {
  // "/a/./b/../.." repeated: nearly 4,096 bytes that all cancel out, then one name.
  constexpr std::string_view cancelling = "/a/./b/../..";
  std::size_t n = 0;
  while (n + cancelling.size() <= max_path_length - 4)
    for (char c : cancelling) text[n++] = c;
  for (char c : std::string_view{"/end"}) text[n++] = c;
  ST_CHECK(n > max_path_length - cancelling.size());
  ST_CHECK(canonical_is({text, n}, "/end"));
  // 2,048 segments of one letter each: exactly 4,096 bytes out.
  for (std::size_t i = 0; i < max_path_length; i += 2) {
    text[i] = '/';
    text[i + 1] = 'x';
  }
  auto r = canonicalize_path({text, max_path_length}, out);
  ST_CHECK(r.ok() && r->size() == max_path_length);
}

SELFTEST("pattern/path canonical form is idempotent and recognised") {
  const std::string_view inputs[] = {"/etc/passwd", "/home/user/./file", "/a/b/c/d/../../../..",
                                     "//x//y/", "/a/./b/../c/./d/../e", "/..%2F"};
  for (auto in : inputs) {
    auto once = canonicalize_path(in, out);
    ST_REQUIRE(once.ok());
    ST_CHECK(is_canonical_path(*once));
    char again[64];
    auto twice = canonicalize_path(*once, again);
    ST_CHECK(twice.ok() && *twice == *once);
  }
  ST_CHECK(is_canonical_path("/"));
  ST_CHECK(is_canonical_path("/a/..b"));
  for (std::string_view bad : {"", "a", "/a/", "//a", "/a//b", "/./a", "/a/.", "/a/../b", "/..", "/a/.."})
    ST_CHECK(!is_canonical_path(bad));
  using namespace std::string_view_literals;
  ST_CHECK(!is_canonical_path("/a\0b"sv));
}

SELFTEST("pattern/path segment cursor") {
  path_segment parts[4];
  std::size_t n = 0;
  for_each_segment("//usr/lib//x/", [&](path_segment s) {
    if (n < 4) parts[n] = s;
    ++n;
  });
  ST_REQUIRE(n == 3);
  ST_CHECK(parts[0].text == "usr" && parts[0].offset == 2);
  ST_CHECK(parts[1].text == "lib" && parts[1].offset == 6);
  ST_CHECK(parts[2].text == "x" && parts[2].offset == 11);
  segment_cursor root{"/"};
  path_segment s;
  ST_CHECK(!root.next(s));
}

namespace {
constexpr bool constexpr_canonicalization() {
  char buf[32]{};
  auto r = canonicalize_path("/app/../etc//passwd/", buf);
  return r.ok() && *r == "/etc/passwd";
}
static_assert(constexpr_canonicalization());
}  // namespace
