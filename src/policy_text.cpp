// The public entry points of policy text, and what both grammars share: input checks
// (size, UTF-8), line/column mapping, diagnostics and their formatting.
#include "authority/hosted/policy_text.hpp"

#include <algorithm>
#include <exception>
#include <new>
#include <utility>

#include "policy_tree.hpp"
#include "authority/hosted/json_escape.hpp"

namespace authority::policy_text {

std::string source_location::to_string() const {
  std::string s{file_name()};
  s += ':' + std::to_string(line) + ':' + std::to_string(column);
  return s;
}

std::string diagnostic::to_string() const {
  std::string s = loc.to_string() + ": error: " + message + "\n";
  if (loc.line == 0) return s;
  s += "    " + source_line + "\n    ";
  // The caret lines up under the column: copy tabs so the terminal aligns them the same.
  std::uint32_t column = 1;
  const std::uint32_t caret = caret_column != 0 ? caret_column : loc.column;
  for (std::size_t i = 0; i < source_line.size() && column < caret; ++i) {
    const auto c = static_cast<unsigned char>(source_line[i]);
    if ((c & 0xC0) == 0x80) continue;
    s += c == '\t' ? '\t' : ' ';
    ++column;
  }
  s += "^\n";
  return s;
}

result<policy> parse_result::to_result() const {
  if (ast) return *ast;
  if (diagnostics.empty()) return make_error(errc::internal, "policy");
  return make_error(diagnostics.front().code, "policy", diagnostics.front().loc.offset);
}

namespace detail {

namespace {
constexpr std::size_t index_from = 16;  // members; below this a scan is cheaper
}

const member* node::find_member(std::string_view key) const {
  if (!key_index.empty()) {
    const auto it = key_index.find(std::string{key});
    return it == key_index.end() ? nullptr : &members[it->second];
  }
  for (const auto& m : members)
    if (m.key == key) return &m;
  return nullptr;
}

const node* node::find(std::string_view key) const {
  const member* m = find_member(key);
  return m ? &m->value : nullptr;
}

node* node::find(std::string_view key) { return const_cast<node*>(std::as_const(*this).find(key)); }

member& node::add_member(member m) {
  members.push_back(std::move(m));
  if (members.size() == index_from) {
    for (std::size_t i = 0; i < members.size(); ++i)
      key_index.emplace(members[i].key, static_cast<std::uint32_t>(i));
  } else if (members.size() > index_from) {
    key_index.emplace(members.back().key, static_cast<std::uint32_t>(members.size() - 1));
  }
  return members.back();
}

std::string_view kind_name(node::kind k) noexcept {
  switch (k) {
    case node::kind::null: return "null";
    case node::kind::boolean: return "a boolean";
    case node::kind::integer: return "an integer";
    case node::kind::floating: return "a fractional number";
    case node::kind::string: return "a string";
    case node::kind::array: return "an array";
    case node::kind::table: return "an object";
  }
  return "a value";
}

source_map::source_map(std::string_view text, std::string_view file_name)
    : text_(text), file_(std::make_shared<const std::string>(file_name)) {
  line_starts_.push_back(0);
  for (std::size_t i = 0; i < text.size(); ++i)
    if (text[i] == '\n') line_starts_.push_back(static_cast<std::uint32_t>(i + 1));
}

source_location source_map::locate(std::uint32_t offset) const {
  offset = std::min<std::uint32_t>(offset, static_cast<std::uint32_t>(text_.size()));
  const auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
  const auto line = static_cast<std::uint32_t>(it - line_starts_.begin());
  std::uint32_t column = 1;
  std::uint32_t from = line_starts_[line - 1];
  if (last_.line == line && last_.offset <= offset) column = last_.column, from = last_.offset;
  for (std::uint32_t i = from; i < offset; ++i)
    if ((static_cast<unsigned char>(text_[i]) & 0xC0) != 0x80) ++column;
  last_ = source_location{file_, line, column, offset};
  return last_;
}

std::string_view source_map::line_text(std::uint32_t line) const {
  if (line == 0 || line > line_starts_.size()) return {};
  const std::size_t begin = line_starts_[line - 1];
  std::size_t end = line < line_starts_.size() ? line_starts_[line] - 1 : text_.size();
  if (end > begin && text_[end - 1] == '\r') --end;
  return text_.substr(begin, end - begin);
}

void diagnostics::error(errc code, std::uint32_t offset, std::string message) {
  if (full()) return;
  diagnostic d;
  d.code = code;
  d.loc = map_.locate(offset);
  d.message = std::move(message);
  // Show at most a window of a long line (minified JSON is one line of megabytes).
  constexpr std::size_t before = 60, width = 160;
  const std::string_view line = map_.line_text(d.loc.line);
  const auto at = std::min<std::size_t>(d.loc.offset - static_cast<std::size_t>(line.data() - map_.text().data()), line.size());
  auto is_continuation = [&](std::size_t i) { return i < line.size() && (static_cast<unsigned char>(line[i]) & 0xC0) == 0x80; };
  std::size_t start = line.size() > width && at > before ? at - before : 0;
  while (start > 0 && is_continuation(start)) --start;
  std::size_t end = std::min(line.size(), start + width);
  while (end < line.size() && is_continuation(end)) --end;
  if (start > 0) d.source_line = "...";
  d.source_line.append(line.substr(start, end - start));
  if (end < line.size()) d.source_line += "...";
  d.caret_column = (start > 0 ? 3u : 0u) + 1u;
  for (std::size_t i = start; i < at; ++i)
    if (!is_continuation(i)) ++d.caret_column;
  list_.push_back(std::move(d));
}

namespace {

// Length of the UTF-8 sequence at text[i], or 0 when it is not valid UTF-8 (overlong
// forms, surrogates U+D800-DFFF and code points above U+10FFFF are invalid).
std::size_t utf8_sequence_length(std::string_view text, std::size_t i) {
  const auto b0 = static_cast<unsigned char>(text[i]);
  if (b0 < 0x80) return 1;
  std::size_t n;
  unsigned char lo = 0x80, hi = 0xBF;  // range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) n = 2;
  else if (b0 == 0xE0) n = 3, lo = 0xA0;
  else if (b0 >= 0xE1 && b0 <= 0xEC) n = 3;
  else if (b0 == 0xED) n = 3, hi = 0x9F;
  else if (b0 >= 0xEE && b0 <= 0xEF) n = 3;
  else if (b0 == 0xF0) n = 4, lo = 0x90;
  else if (b0 >= 0xF1 && b0 <= 0xF3) n = 4;
  else if (b0 == 0xF4) n = 4, hi = 0x8F;
  else return 0;
  if (i + n > text.size()) return 0;
  const auto b1 = static_cast<unsigned char>(text[i + 1]);
  if (b1 < lo || b1 > hi) return 0;
  for (std::size_t k = 2; k < n; ++k)
    if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) return 0;
  return n;
}

}  // namespace

bool check_input(std::string_view text, const parse_options& options, diagnostics& out) {
  if (text.size() > options.max_input_bytes) {
    out.error(errc::too_long, 0,
              "input is " + std::to_string(text.size()) + " bytes; the limit is " +
                  std::to_string(options.max_input_bytes));
    return false;
  }
  if (text.size() >= 0xFFFF'FFFFu) {  // offsets are 32-bit
    out.error(errc::too_long, 0, "input is larger than 4 GiB");
    return false;
  }
  if (text.starts_with("\xEF\xBB\xBF")) {
    out.error(errc::invalid_encoding, 0, "the file starts with a byte order mark; save it as UTF-8 without one");
    return false;
  }
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = utf8_sequence_length(text, i);
    if (n == 0) {
      static const char digits[] = "0123456789ABCDEF";
      const auto b = static_cast<unsigned char>(text[i]);
      out.error(errc::invalid_encoding, static_cast<std::uint32_t>(i),
                std::string("invalid UTF-8 (byte 0x") + digits[b >> 4] + digits[b & 0xF] + ")");
      return false;
    }
    i += n;
  }
  return true;
}

std::string hex_escape(std::uint32_t v) {
  static const char digits[] = "0123456789ABCDEF";
  std::string s = "\\u";
  for (int shift = 12; shift >= 0; shift -= 4) s += digits[(v >> shift) & 0xF];
  return s;
}

std::string describe_char_at(std::string_view text, std::size_t at) {
  if (at >= text.size()) return "the end of the input";
  const auto c = static_cast<unsigned char>(text[at]);
  if (c >= 0x20 && c < 0x7f) return std::string("'") + static_cast<char>(c) + "'";
  if (c == '\n') return "a line break";
  if (c == '\t') return "a tab";
  if (c < 0x20 || c == 0x7f) return "control character U+00" + hex_escape(c).substr(4);
  return "a non-ASCII character";
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::string quote(std::string_view s) {
  constexpr std::size_t shown = 80;
  std::string out = "\"";
  hosted::append_json_escaped(out, s.substr(0, shown), true);
  if (s.size() > shown) out += "...";
  out += '"';
  return out;
}

std::string_view closest(std::string_view word, std::span<const std::string_view> candidates) {
  // Optimal string alignment distance: insertions, deletions, substitutions and
  // adjacent transpositions ("raed" → "read" is one edit).
  auto distance = [](std::string_view a, std::string_view b) {
    std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
    for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
    for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i)
      for (std::size_t j = 1; j <= b.size(); ++j) {
        const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
        d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
        if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
          d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    return d[a.size()][b.size()];
  };
  if (word.size() > 64) return {};
  std::string_view best;
  std::size_t best_distance = 0;
  for (auto c : candidates) {
    const std::size_t dist = distance(word, c);
    // Close enough to be a typo: at most 2 edits, and fewer than half the word.
    if (dist > 2 || dist * 2 >= std::max(word.size(), c.size())) continue;
    if (best.empty() || dist < best_distance) best = c, best_distance = dist;
  }
  return best;
}

}  // namespace detail

namespace {

template <class Tree, class Build>
parse_result parse_with(std::string_view text, std::string_view file_name, const parse_options& options,
                        Tree parse_tree, Build build) {
  parse_result result;
  detail::source_map map{text, file_name};
  detail::diagnostics out{map, std::max<std::size_t>(options.max_errors, 1)};
  try {
    if (detail::check_input(text, options, out)) {
      auto tree = parse_tree(text, options, out);
      if (tree) {
        policy p = build(*tree, out);
        if (out.empty()) result.ast = std::move(p);
      }
    }
  } catch (const std::bad_alloc&) {
    out.error(errc::capacity_exceeded, 0, "out of memory while parsing the policy");
  } catch (const std::exception& e) {
    out.error(errc::internal, 0, std::string("internal error while parsing the policy: ") + e.what());
  } catch (...) {
    out.error(errc::internal, 0, "internal error while parsing the policy");
  }
  result.diagnostics = out.take();
  if (!result.diagnostics.empty()) result.ast.reset();
  return result;
}

}  // namespace

parse_result parse_json(std::string_view text, std::string_view file_name, const parse_options& options) {
  return parse_with(text, file_name, options, detail::parse_json_tree, detail::build_from_json);
}

parse_result parse_toml(std::string_view text, std::string_view file_name, const parse_options& options) {
  return parse_with(text, file_name, options, detail::parse_toml_tree, detail::build_from_toml);
}

parse_result parse(std::string_view text, format f, std::string_view file_name, const parse_options& options) {
  return f == format::json ? parse_json(text, file_name, options) : parse_toml(text, file_name, options);
}

std::optional<format> format_from_path(std::string_view path) noexcept {
  if (path.ends_with(".json")) return format::json;
  if (path.ends_with(".toml")) return format::toml;
  return std::nullopt;
}

std::optional<format> format_from_name(std::string_view name) noexcept {
  if (name == "json") return format::json;
  if (name == "toml") return format::toml;
  return std::nullopt;
}

std::string_view format_name(format f) noexcept { return f == format::json ? "json" : "toml"; }

std::string print(const policy& p, format f) { return f == format::json ? print_json(p) : print_toml(p); }

}  // namespace authority::policy_text
