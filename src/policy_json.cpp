// The JSON grammar (RFC 8259, strict) in Boost.Spirit X3, producing the value tree.
// All X3 templates for JSON live in this one translation unit.
//
// Strictness that the grammar itself enforces: no trailing commas, comments, single
// quotes, leading zeros, NaN/Infinity, raw control characters in strings, invalid
// escapes, lone or reversed surrogates. Limits: nesting depth (checked by a linear scan
// before X3 runs, so the recursive rules never go deeper than options.max_depth),
// decoded string length and items per array/object (checked as they are built).
#include <cstring>

#include "policy_tree.hpp"
#include "x3_support.hpp"

namespace authority::policy_text::detail {
namespace {

// A string while it is decoded: escapes become UTF-8 as they are read, so a surrogate
// pair is checked the moment its second half arrives (or fails to).
struct string_builder {
  std::string text;
  std::uint32_t start = 0;         // offset of the opening quote
  std::uint32_t pending_high = 0;  // a high surrogate waiting for its low half
  std::uint32_t pending_offset = 0;
  bool verbatim = true;
};

struct parse_state : grammar_state {
  string_builder* str;  // the string being read (strings do not nest)
};

template <class Context>
string_builder& str_of(const Context& ctx) {
  return *state_of(ctx).str;
}

void require_no_pending(const string_builder& s) {
  if (s.pending_high != 0)
    fail(errc::invalid_encoding, s.pending_offset,
         "high surrogate " + hex_escape(s.pending_high) + " is not followed by a low surrogate (\\uDC00-\\uDFFF)");
}

template <class Context>
void check_length(const Context& ctx, const string_builder& s) {
  const auto limit = state_of(ctx).options->max_string_bytes;
  if (s.text.size() > limit)
    fail(errc::too_long, s.start, "string is longer than " + std::to_string(limit) + " bytes");
}

// ---- semantic actions -------------------------------------------------------------

auto const on_open_quote = [](auto& ctx) {
  auto& s = str_of(ctx);
  s = string_builder{};
  s.start = offset_of(ctx, x3::_attr(ctx).begin());
};

auto const on_plain = [](auto& ctx) {
  auto& s = str_of(ctx);
  require_no_pending(s);
  const auto& range = x3::_attr(ctx);
  append_range(s.text, range);
  check_length(ctx, s);
};

auto const on_simple_escape = [](auto& ctx) {
  auto& s = str_of(ctx);
  require_no_pending(s);
  char c = x3::_attr(ctx);
  switch (c) {
    case 'b': c = '\b'; break;
    case 'f': c = '\f'; break;
    case 'n': c = '\n'; break;
    case 'r': c = '\r'; break;
    case 't': c = '\t'; break;
    default: break;  // " \ / stand for themselves
  }
  s.text += c;
  s.verbatim = false;
  check_length(ctx, s);
};

auto const on_unicode_escape = [](auto& ctx) {
  auto& s = str_of(ctx);
  const std::uint32_t unit = x3::_attr(ctx);
  // _where begins after the match: backslash, 'u' and four hex digits.
  const std::uint32_t at = offset_of(ctx, x3::_where(ctx).begin()) - 6;
  s.verbatim = false;
  if (s.pending_high != 0) {
    if (unit < 0xDC00 || unit > 0xDFFF) require_no_pending(s);
    append_utf8(s.text, 0x10000 + ((s.pending_high - 0xD800) << 10) + (unit - 0xDC00));
    s.pending_high = 0;
  } else if (unit >= 0xD800 && unit <= 0xDBFF) {
    s.pending_high = unit;
    s.pending_offset = at;
  } else if (unit >= 0xDC00 && unit <= 0xDFFF) {
    fail(errc::invalid_encoding, at, "lone low surrogate " + hex_escape(unit) + " (it must follow a high surrogate \\uD800-\\uDBFF)");
  } else {
    append_utf8(s.text, unit);
  }
  check_length(ctx, s);
};

auto const on_control = [](auto& ctx) {
  const auto c = static_cast<unsigned char>(x3::_attr(ctx));
  fail(errc::policy_syntax, offset_of(ctx, x3::_where(ctx).begin()) - 1,
       "control character U+00" + hex_escape(c).substr(4) + " must be escaped inside a string");
};

auto const on_close_quote = [](auto& ctx) { require_no_pending(str_of(ctx)); };

auto const on_string = [](auto& ctx) {
  auto& s = str_of(ctx);
  node& n = x3::_val(ctx);
  n.type = node::kind::string;
  n.offset = s.start;
  n.text = std::move(s.text);
  n.verbatim = s.verbatim;
};

auto const on_number = [](auto& ctx) {
  const auto& range = x3::_attr(ctx);
  const auto& st = state_of(ctx);
  node& n = x3::_val(ctx);
  n.offset = offset_of(ctx, range.begin());
  if (range.end() != st.end && *range.end() >= '0' && *range.end() <= '9')
    fail(errc::policy_syntax, n.offset, "numbers must not have leading zeros");
  n.text.assign(range.begin(), range.end());
  iterator p = range.begin();
  n.negative = *p == '-';
  if (n.negative) ++p;
  if (std::strpbrk(n.text.c_str(), ".eE") != nullptr) {
    n.type = node::kind::floating;
    return;
  }
  n.type = node::kind::integer;
  for (; p != range.end(); ++p) {
    const auto digit = static_cast<std::uint64_t>(*p - '0');
    if (n.magnitude > (UINT64_MAX - digit) / 10) n.overflow = true;
    n.magnitude = n.magnitude * 10 + digit;
  }
};

auto const on_null = open_node<node::kind::null>{};
auto const on_open_array = open_node<node::kind::array>{};
auto const on_open_object = open_node<node::kind::table>{};

auto const on_member = [](auto& ctx) {
  node& object = x3::_val(ctx);
  member& m = x3::_attr(ctx);
  const auto limit = state_of(ctx).options->max_array_items;
  if (object.members.size() >= limit)
    fail(errc::capacity_exceeded, m.key_offset, "object has more than " + std::to_string(limit) + " members");
  object.add_member(std::move(m));
};

auto const on_key = [](auto& ctx) {
  member& m = x3::_val(ctx);
  auto& s = str_of(ctx);
  m.key = std::move(s.text);
  m.key_offset = s.start;
};
auto const on_member_value = [](auto& ctx) { x3::_val(ctx).value = std::move(x3::_attr(ctx)); };

// ---- the grammar ------------------------------------------------------------------
// Rules exist for the recursive parts and for values with their own node; everything
// an error can say was expected is wrapped in named(), whose text the message shows.

x3::rule<class value_r, node> const value = "a JSON value";
x3::rule<class object_r, node> const object = "an object";
x3::rule<class array_r, node> const array = "an array";
x3::rule<class member_r, member> const member_rule = "a string key";
x3::rule<class string_r> const string = "a string";
x3::rule<class string_value_r, node> const string_value = "a string";
x3::rule<class number_r, node> const number = "a number";
x3::rule<class literal_r, node> const literal = "true, false or null";

auto const digit = x3::char_('0', '9');
auto const control = x3::char_('\x00', '\x1f');
auto const digits = named("a digit", +digit);

auto const plain = x3::raw[+(x3::char_ - x3::char_("\"\\") - control)];
auto const escape =
    named("an escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX)",
          x3::char_("\"\\/bfnrt")[on_simple_escape] |
              (x3::lit('u') > named("four hex digits", x3::uint_parser<std::uint32_t, 16, 4, 4>()))[on_unicode_escape]);

auto const string_def =
    x3::lexeme[x3::raw[x3::lit('"')][on_open_quote] >
               *((x3::lit('\\') > escape) | plain[on_plain] | control[on_control]) >
               named("'\"' to end the string", x3::lit('"')[on_close_quote])];
auto const string_value_def = string[on_string];

auto const number_def =
    x3::raw[x3::lexeme[-x3::lit('-') >> (x3::lit('0') | (x3::char_('1', '9') >> *digit)) >>
                       -(x3::lit('.') > digits) >> -(x3::char_("eE") > -x3::char_("+-") > digits)]][on_number];

auto const literal_def = x3::raw[x3::lit("true")][set_boolean<true>{}] |
                         x3::raw[x3::lit("false")][set_boolean<false>{}] | x3::raw[x3::lit("null")][on_null];

auto const array_def =
    x3::raw[x3::lit('[')][on_open_array] >
    named("a JSON value or ']'", x3::lit(']') | ((value[on_item] >> *(x3::lit(',') > named("a JSON value", value[on_item]))) >
                                                 named("',' or ']'", x3::lit(']'))));

auto const member_rule_def =
    string[on_key] > named("':' after the key", x3::lit(':')) > named("a JSON value", value[on_member_value]);
auto const object_def =
    x3::raw[x3::lit('{')][on_open_object] >
    named("a string key or '}'",
          x3::lit('}') | ((member_rule[on_member] >> *(x3::lit(',') > named("a string key", member_rule[on_member]))) >
                          named("',' or '}'", x3::lit('}'))));

auto const value_def = object | array | string_value | number | literal;

BOOST_SPIRIT_DEFINE(value, object, array, member_rule, string, string_value, number, literal)

auto const json_space = x3::char_(" \t\r\n");

// ---- depth ------------------------------------------------------------------------

// Brackets outside strings, so that X3's recursion is bounded before it starts.
bool check_depth(std::string_view text, std::size_t max_depth, diagnostics& out) {
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) {
        out.error(errc::too_complex, static_cast<std::uint32_t>(i),
                  "nesting is deeper than " + std::to_string(max_depth) + " levels");
        return false;
      }
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return true;
}

// An expectation failure, explained: the common mistakes get their own message.
void report_expectation(std::string_view text, std::size_t at, const std::string& which, diagnostics& out) {
  // X3 may report the spot before the white space that its skipper would have passed.
  while (at < text.size() && (text[at] == ' ' || text[at] == '\t' || text[at] == '\r' || text[at] == '\n')) ++at;
  const auto rest = text.substr(std::min(at, text.size()));
  auto offset = static_cast<std::uint32_t>(at);
  if (!rest.empty() && (rest[0] == ']' || rest[0] == '}')) {
    std::size_t back = at;
    while (back > 0 && std::strchr(" \t\r\n", text[back - 1]) != nullptr) --back;
    if (back > 0 && text[back - 1] == ',') {
      out.error(errc::policy_syntax, static_cast<std::uint32_t>(back - 1),
                std::string("trailing comma before '") + rest[0] + "' is not allowed in JSON");
      return;
    }
  }
  if (rest.starts_with("//") || rest.starts_with("/*")) {
    out.error(errc::policy_syntax, offset, "comments are not allowed in JSON");
    return;
  }
  if (rest.starts_with("'")) {
    out.error(errc::policy_syntax, offset, "JSON strings use double quotes, not single quotes");
    return;
  }
  if (rest.starts_with("NaN") || rest.starts_with("Infinity") || rest.starts_with("-Infinity")) {
    out.error(errc::policy_syntax, offset, "NaN and Infinity are not JSON numbers");
    return;
  }
  out.error(errc::policy_syntax, offset, "expected " + which + ", found " + describe_char_at(text, at));
}

}  // namespace

std::optional<node> parse_json_tree(std::string_view text, const parse_options& options, diagnostics& out) {
  if (!check_depth(text, options.max_depth, out)) return std::nullopt;
  string_builder str;
  parse_state st{{text.data(), text.data() + text.size(), &options}, &str};
  iterator first = st.begin;
  node root;
  try {
    const bool parsed = x3::phrase_parse(first, st.end, x3::with<state_tag>(st)[value], json_space, root);
    if (!parsed) {
      report_expectation(text, static_cast<std::size_t>(first - st.begin), "a JSON value", out);
      return std::nullopt;
    }
    if (first != st.end) {
      out.error(errc::trailing_bytes, static_cast<std::uint32_t>(first - st.begin),
                "unexpected " + describe_char_at(text, static_cast<std::size_t>(first - st.begin)) +
                    " after the end of the JSON value");
      return std::nullopt;
    }
  } catch (const x3::expectation_failure<iterator>& e) {
    report_expectation(text, static_cast<std::size_t>(e.where() - st.begin), e.which(), out);
    return std::nullopt;
  } catch (const syntax_error& e) {
    out.error(e.code, e.offset, e.message);
    return std::nullopt;
  }
  return root;
}

}  // namespace authority::policy_text::detail
