// Internal to src/: the value tree that both grammars produce and the schema walk reads,
// and the diagnostics collector. JSON objects and TOML tables are both `node::kind::table`.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "authority/hosted/policy_text.hpp"

namespace authority::policy_text::detail {

struct member;

struct node {
  enum class kind : std::uint8_t { null, boolean, integer, floating, string, array, table };
  kind type = kind::null;
  std::uint32_t offset = 0;  // where the value starts in the input

  bool boolean = false;
  // integer: sign and magnitude; `overflow` when the magnitude does not fit 64 bits.
  bool negative = false;
  bool overflow = false;
  std::uint64_t magnitude = 0;
  // string: decoded UTF-8. `verbatim`: the source bytes after offset+quote_width equal
  // `text` (no escapes), so an offset inside the string maps to a column exactly.
  std::string text;
  bool verbatim = false;
  std::uint8_t quote_width = 1;

  std::vector<node> items;      // array
  std::vector<member> members;  // table, in file order: add with add_member
  // key → first index in members, built once a table is large, so that looking keys
  // up while building stays linear overall (tables may have thousands of keys).
  std::unordered_map<std::string, std::uint32_t> key_index;

  // TOML bookkeeping (see src/policy_toml.cpp): how a table came to exist.
  bool toml_inline = false;          // inline table or static array: closed for additions
  bool toml_explicit = false;        // defined by a [header] or key = value
  bool toml_array_of_tables = false; // array created by [[header]]
  bool toml_dotted = false;          // table created by a dotted key

  const member* find_member(std::string_view key) const;
  const node* find(std::string_view key) const;
  node* find(std::string_view key);
  member& add_member(member m);
};

struct member {
  std::string key;
  std::uint32_t key_offset = 0;
  node value;
};

std::string_view kind_name(node::kind k) noexcept;

// Maps byte offsets to line/column and keeps the shared file name.
class source_map {
 public:
  source_map(std::string_view text, std::string_view file_name);
  source_location locate(std::uint32_t offset) const;
  std::string_view line_text(std::uint32_t line) const;  // 1-based, no newline
  std::string_view text() const noexcept { return text_; }

 private:
  std::string_view text_;
  std::shared_ptr<const std::string> file_;
  std::vector<std::uint32_t> line_starts_;
  // The last answer: the schema walk asks in file order, so counting columns can go on
  // from there instead of from the line start (one long minified line stays linear).
  mutable source_location last_{};
};

class diagnostics {
 public:
  diagnostics(const source_map& map, std::size_t cap) : map_(map), cap_(cap) {}
  void error(errc code, std::uint32_t offset, std::string message);
  bool full() const noexcept { return list_.size() >= cap_; }
  bool empty() const noexcept { return list_.empty(); }
  std::vector<diagnostic> take() { return std::move(list_); }
  const source_map& map() const noexcept { return map_; }

 private:
  const source_map& map_;
  std::size_t cap_;
  std::vector<diagnostic> list_;
};

// Thrown inside the grammars' semantic actions and caught at the parse entry point;
// never crosses the public API.
struct syntax_error {
  errc code;
  std::uint32_t offset;
  std::string message;
};

// Checks run before any grammar: size limit, UTF-8 validity. Returns false after
// reporting when the input must not be parsed.
bool check_input(std::string_view text, const parse_options& options, diagnostics& out);

// What is at text[at], in words for "expected X, found Y": 'c', "a line break", ...
std::string describe_char_at(std::string_view text, std::size_t at);

// "\uXXXX" for a UTF-16 unit or code point below 0x10000.
std::string hex_escape(std::uint32_t v);

// Appends code point cp as UTF-8.
void append_utf8(std::string& out, std::uint32_t cp);

// Quoted for messages: "key" with control characters escaped and long text shortened.
std::string quote(std::string_view s);

// The closest candidate within a small edit distance (Damerau-Levenshtein), or empty.
std::string_view closest(std::string_view word, std::span<const std::string_view> candidates);

// Grammars produce a root table; syntax errors are reported into `out`.
std::optional<node> parse_json_tree(std::string_view text, const parse_options& options, diagnostics& out);
std::optional<node> parse_toml_tree(std::string_view text, const parse_options& options, diagnostics& out);

// Schema walks: build the AST from a tree, reporting every problem into `out`.
policy build_from_json(const node& root, diagnostics& out);
policy build_from_toml(const node& root, diagnostics& out);

}  // namespace authority::policy_text::detail
