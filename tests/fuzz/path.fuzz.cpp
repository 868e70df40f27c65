// Fuzzes canonicalize_path. Input: a path, or "cwd\npath". Checks, besides not crashing:
// a result is canonical (no "//", "/./", "/../", no trailing slash), canonicalizing it
// again changes nothing, a NUL always fails, and a relative path resolves exactly as the
// path "cwd/path" would.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "authority/pattern/path.hpp"

using namespace authority;
using namespace authority::pattern;

namespace {
void require(bool ok) {
  if (!ok) std::abort();
}

bool has(std::string_view s, std::string_view needle) { return s.find(needle) != std::string_view::npos; }

void check(std::string_view path, std::string_view cwd) {
  static char out[max_path_length];
  static char again[max_path_length];
  auto r = canonicalize_path(path, out, cwd);
  const bool relative = !path.empty() && path[0] != '/';
  if (!r) {
    require(r.code() == errc::invalid_path || r.code() == errc::too_long);
    require(r.error().offset <= max_path_length);
    return;
  }
  const std::string_view c = *r;
  require(!has(path, std::string_view{"\0", 1}));
  require(!relative || !has(cwd, std::string_view{"\0", 1}));
  require(is_canonical_path(c));
  require(c.size() <= max_path_length && c[0] == '/');
  require(!has(c, "//") && !has(c, "/./") && !has(c, "/../"));
  require(c == "/" || (c.back() != '/' && !c.ends_with("/.") && !c.ends_with("/..")));
  auto twice = canonicalize_path(c, again);
  require(twice.ok() && *twice == c);
  if (relative) {
    // Joining first must give the same path, whenever the joined text is not too long.
    const std::string joined = std::string(cwd) + "/" + std::string(path);
    if (joined.size() <= max_path_length) {
      auto j = canonicalize_path(joined, again);
      require(j.ok() && *j == c);
    }
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in{reinterpret_cast<const char*>(data), size};
  check(in, {});
  check(in, "/work/dir");
  if (auto nl = in.find('\n'); nl != std::string_view::npos)
    check(std::string_view{in.data() + nl + 1, in.size() - nl - 1}, std::string_view{in.data(), nl});
  return 0;
}
