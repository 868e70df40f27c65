// The reference system's path and pattern seeds (../shared/reference/fuzz-corpus/): each
// known seed gives the answer it must, and every seed, known or added later, keeps the
// invariants (canonical output is canonical and stable; a match implies both sides are
// valid; matching a literal target equals containing it).
#include <catch2/catch.hpp>

#include <array>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>

#include "authority/pattern/pattern.hpp"

using namespace authority;
using namespace authority::pattern;
namespace fs = std::filesystem;

namespace {
const fs::path shared_dir{AUTHORITY_SHARED_DIR};

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  if (!s.empty() && s.back() == '\n') s.pop_back();  // an editor's final newline
  return s;
}

std::optional<std::string> canonical(std::string_view path, std::string_view cwd = {}) {
  std::array<char, max_path_length> out{};
  auto r = canonicalize_path(path, out, cwd);
  if (!r) return std::nullopt;
  return std::string(*r);
}

// The folder under ../shared/reference/fuzz-corpus, or nothing (with a warning) when the
// shared material is absent.
std::optional<fs::path> reference_seeds(std::string_view name) {
  const auto dir = shared_dir / "reference/fuzz-corpus" / name;
  if (fs::is_directory(dir)) return dir;
  WARN("skipped: " << dir << " does not exist (the shared reference material is absent)");
  return std::nullopt;
}

constexpr std::array all_syntaxes = {syntax::path, syntax::net, syntax::host, syntax::name};

bool has_wildcard(std::string_view s) { return s.find_first_of("*?") != std::string_view::npos; }
}  // namespace

TEST_CASE("reference path seeds canonicalize to the path that would be opened", "[pattern][reference]") {
  const auto dir = reference_seeds("path");
  if (!dir) return;
  // Without a cwd, relative seeds are errors; with cwd "/app/sub" they resolve, and ".."
  // is not clamped at the working directory.
  struct expectation {
    std::optional<std::string> alone, in_app;
  };
  const std::map<std::string, expectation> expected = {
      {"absolute.txt", {"/etc/passwd", "/etc/passwd"}},
      {"dot.txt", {"/home/user/file", "/home/user/file"}},
      {"dotdot.txt", {"/etc/passwd", "/etc/passwd"}},
      {"doubleslash.txt", {"/path/double/slash", "/path/double/slash"}},
      {"many_dotdot.txt", {"/", "/"}},
      {"mixed.txt", {"/a/c/e", "/a/c/e"}},
      {"relative.txt", {std::nullopt, "/app/sub/foo/bar/baz"}},
      {"root.txt", {"/", "/"}},
      {"trailing_slash.txt", {"/path/to/dir", "/path/to/dir"}},
      {"traversal.txt", {std::nullopt, "/etc/passwd"}},
  };
  std::size_t known = 0, seeds = 0;
  for (const auto& entry : fs::directory_iterator(*dir)) {
    const auto name = entry.path().filename().string();
    const auto text = read_file(entry.path());
    INFO("seed " << name << ": " << text);
    ++seeds;
    for (std::string_view cwd : {std::string_view{}, std::string_view{"/app/sub"}}) {
      const auto once = canonical(text, cwd);
      if (once) {
        CHECK(is_canonical_path(*once));
        CHECK(canonical(*once) == once);
      }
    }
    if (auto it = expected.find(name); it != expected.end()) {
      ++known;
      CHECK(canonical(text) == it->second.alone);
      CHECK(canonical(text, "/app/sub") == it->second.in_app);
      if (!it->second.alone) {
        std::array<char, max_path_length> out{};
        CHECK(canonicalize_path(text, out).code() == errc::invalid_path);
      }
    }
  }
  CHECK(seeds >= known);
  CHECK(known == expected.size());
}

TEST_CASE("reference pattern seeds match as they must", "[pattern][reference]") {
  const auto dir = reference_seeds("pattern");
  if (!dir) return;
  // The seeds do not say which syntax they are; these are the answers under ours.
  struct expectation {
    syntax s;
    bool matched;
  };
  const std::multimap<std::string, expectation> expected = {
      {"dns_wildcard.txt", {syntax::host, true}},   {"dns_wildcard.txt", {syntax::name, true}},
      {"doublestar.txt", {syntax::path, true}},     {"empty_string.txt", {syntax::name, false}},
      {"empty_string.txt", {syntax::path, false}},  {"exact_match.txt", {syntax::path, true}},
      {"exact_match.txt", {syntax::name, true}},    {"glob_txt.txt", {syntax::name, true}},
      {"glob_txt.txt", {syntax::path, false}},      {"many_stars.txt", {syntax::name, true}},
      {"no_match.txt", {syntax::name, false}},      {"question_mark.txt", {syntax::path, true}},
      {"recursive_glob.txt", {syntax::path, true}}, {"star_any.txt", {syntax::name, true}},
      {"star_any.txt", {syntax::host, true}},       {"star_any.txt", {syntax::path, false}},
  };
  std::size_t checked = 0;
  for (const auto& entry : fs::directory_iterator(*dir)) {
    const auto name = entry.path().filename().string();
    const auto text = read_file(entry.path());
    const auto newline = text.find('\n');
    const std::string pattern = text.substr(0, newline);
    const std::string target = newline == std::string::npos ? std::string{} : text.substr(newline + 1);
    INFO("seed " << name << ": pattern '" << pattern << "', target '" << target << "'");
    for (auto s : all_syntaxes) {
      INFO("syntax " << static_cast<int>(s));
      const bool m = matches(s, pattern, target);
      if (m) {
        CHECK(validate(s, pattern).ok());
        CHECK(validate_target(s, target).ok());
      }
      // A valid literal target is also a pattern matching only itself.
      if (validate_target(s, target).ok() && !has_wildcard(target) && validate(s, pattern).ok()) {
        auto c = contains(s, pattern, target);
        REQUIRE(c.ok());
        CHECK(*c == m);
      }
    }
    auto [first, last] = expected.equal_range(name);
    for (auto it = first; it != last; ++it) {
      INFO("expected under syntax " << static_cast<int>(it->second.s));
      CHECK(matches(it->second.s, pattern, target) == it->second.matched);
      ++checked;
    }
  }
  CHECK(checked == expected.size());
  // The empty-string seed: the raw glob `*` matches the empty text; no target is empty.
  CHECK(glob_match("*", "", glob_flavor::name));
}
