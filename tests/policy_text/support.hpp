// Helpers for the policy text tests: reading the shared reference files, and checking
// that a parse failed with a given diagnostic at an exact line:column.
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "authority/hosted/policy_text.hpp"

namespace policy_test {

namespace pt = authority::policy_text;

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline std::filesystem::path shared_dir() { return std::filesystem::path{AUTHORITY_SHARED_DIR}; }

// Files with the given extension in ../shared/<relative>, sorted; empty when absent.
inline std::vector<std::filesystem::path> shared_files(const std::string& relative, const std::string& ext) {
  std::vector<std::filesystem::path> files;
  const auto dir = shared_dir() / relative;
  if (!std::filesystem::is_directory(dir)) return files;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ext) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

inline std::string all_diagnostics(const pt::parse_result& r) {
  std::string s;
  for (const auto& d : r.diagnostics) s += d.to_string();
  return s;
}

inline pt::policy parse_ok(std::string_view text, pt::format f = pt::format::json) {
  auto r = pt::parse(text, f, f == pt::format::json ? "test.json" : "test.toml");
  INFO(all_diagnostics(r));
  REQUIRE(r.ok());
  REQUIRE(r.diagnostics.empty());
  return *r.ast;
}

struct expected_error {
  authority::errc code;
  std::uint32_t line;
  std::uint32_t column;
  std::string message_part;  // must appear in the message
};

// The parse fails, and one of its diagnostics is exactly `e`.
inline void require_error(std::string_view text, pt::format f, const expected_error& e) {
  auto r = pt::parse(text, f, f == pt::format::json ? "test.json" : "test.toml");
  INFO("input: " << text);
  INFO("diagnostics:\n" << all_diagnostics(r));
  REQUIRE_FALSE(r.ok());
  bool found = false;
  for (const auto& d : r.diagnostics)
    found = found || (d.code == e.code && d.loc.line == e.line && d.loc.column == e.column &&
                      d.message.find(e.message_part) != std::string::npos);
  CHECK(found);
}

inline void json_error(std::string_view text, const expected_error& e) { require_error(text, pt::format::json, e); }
inline void toml_error(std::string_view text, const expected_error& e) { require_error(text, pt::format::toml, e); }

}  // namespace policy_test
