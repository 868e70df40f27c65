// Policy text: parse JSON or TOML policies into the one AST (policy_ast.hpp), with
// diagnostics that say file:line:column, show the line with a caret, and say what was
// expected; print the AST back in canonical JSON or TOML. Hosted-only. Never throws.
//
// Syntax is parsed by Boost.Spirit X3 grammars (src/policy_json.cpp, src/policy_toml.cpp)
// into a value tree; a schema walk (src/policy_schema.cpp) then checks every key, type,
// range, pattern, profile, effect and label and builds the AST, reporting every error it
// finds (up to parse_options::max_errors), not only the first.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "authority/core/result.hpp"
#include "authority/hosted/policy_ast.hpp"

namespace authority::policy_text {

struct diagnostic {
  errc code = errc::policy_syntax;  // policy_syntax, policy_unknown_key, policy_type, ...
  source_location loc;
  std::string message;      // e.g. unknown key "raed" in "fs"; did you mean "read"?
  std::string source_line;  // line loc.line without its newline; a very long line is cut
                            // to a window around the spot, marked with "..."
  std::uint32_t caret_column = 0;  // loc's column within source_line (1-based)

  // file:line:column: error: message
  //     <the source line>
  //     <caret under the column>
  std::string to_string() const;
};

struct parse_options {
  std::size_t max_input_bytes = 16u << 20;   // 16 MiB
  std::size_t max_depth = 64;                // nesting of arrays and objects/tables; checked by a
                                             // scan before the recursive grammar runs (each level
                                             // costs stack, so keep it in the hundreds at most)
  std::size_t max_string_bytes = 4096;       // decoded length of any one string
  std::size_t max_array_items = 65536;       // items in one array, members in one object
  std::size_t max_errors = 50;               // stop collecting after this many
};

struct parse_result {
  std::optional<policy> ast;             // set exactly when there are no diagnostics
  std::vector<diagnostic> diagnostics;   // in the order found (syntax first, then schema)

  bool ok() const noexcept { return ast.has_value(); }
  // The first diagnostic as a core error (code; offset = its byte offset), or the policy.
  result<policy> to_result() const;
};

// `file_name` only labels locations and diagnostics; nothing is read from disk.
parse_result parse_json(std::string_view text, std::string_view file_name = "<json>",
                        const parse_options& options = {});
parse_result parse_toml(std::string_view text, std::string_view file_name = "<toml>",
                        const parse_options& options = {});
parse_result parse(std::string_view text, format f, std::string_view file_name,
                   const parse_options& options = {});

// ".json" → json, ".toml" → toml, otherwise empty.
std::optional<format> format_from_path(std::string_view path) noexcept;
std::optional<format> format_from_name(std::string_view name) noexcept;  // "json" / "toml"
std::string_view format_name(format f) noexcept;

// Canonical text: fixed key order, canonical spellings (cpu_ns → cpu_time_ns, "1" → "1.0",
// "tools": [...] → "tools": {"allow": [...]}), empty sections left out, entries in file
// order, a final newline. parse(print(p)) has the same meaning as p. The language, both
// layouts and their correspondence: docs/policy-language.md.
std::string print_json(const policy& p);
std::string print_toml(const policy& p);
std::string print(const policy& p, format f);

}  // namespace authority::policy_text
