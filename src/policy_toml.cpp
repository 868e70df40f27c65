// The TOML grammar in Boost.Spirit X3, producing the value tree. All X3 templates for
// TOML live in this one translation unit.
//
// Supported (TOML 1.0): comments; key = value with bare, quoted and dotted keys;
// [table] and [[array of tables]] headers, dotted; basic, literal and multi-line strings
// with every escape; decimal, hex, octal and binary integers with '_' separators;
// floats (read so the schema can say "must be a whole number"); booleans; arrays over
// several lines with comments and a trailing comma; inline tables. Dates and times are
// rejected with a message saying so. Table rules: no key or table is defined twice,
// inline tables and static arrays are closed, [[x]] appends only to arrays of tables.
#include <cstring>

#include "policy_tree.hpp"
#include "x3_support.hpp"

namespace authority::policy_text::detail {
namespace {

struct key_part {
  std::string text;
  std::uint32_t offset = 0;
};
using toml_key = std::vector<key_part>;

struct keyval {
  toml_key key;
  node value;
};

struct header {
  toml_key key;
  std::uint32_t offset = 0;
};

struct parse_state : grammar_state {
  diagnostics* out;
  node root;
  node* current;  // the table that key = value lines go into
  node scratch;   // receives the lines under a header that failed
  // The string being read (strings do not nest).
  std::string text;
  std::uint32_t text_start = 0;
  bool verbatim = true;
  std::uint8_t quote_width = 1;
};
std::string key_text(const toml_key& key, std::size_t count) {
  std::string s;
  for (std::size_t i = 0; i < count && i < key.size(); ++i) {
    if (i > 0) s += '.';
    s += key[i].text;
  }
  return s;
}

// ---- building the tree (TOML's table rules) --------------------------------------------

node make_table(std::uint32_t offset) {
  node t;
  t.type = node::kind::table;
  t.offset = offset;
  return t;
}

std::string line_column(const parse_state& st, std::uint32_t offset) {
  const auto l = st.out->map().locate(offset);
  return std::to_string(l.line) + ":" + std::to_string(l.column);
}

std::string what_it_is(const node& n) {
  if (n.type == node::kind::array) return n.toml_array_of_tables ? "an array of tables" : "an array value";
  if (n.type == node::kind::table) return n.toml_inline ? "an inline table" : "a table";
  return std::string{kind_name(n.type)};
}

// Walks the first `count` parts of a header's key from the root, creating implicit
// tables; an array of tables stands for its last element. nullptr after an error.
node* walk_header_prefix(parse_state& st, const toml_key& key, std::size_t count) {
  node* t = &st.root;
  for (std::size_t i = 0; i < count; ++i) {
    node* child = t->find(key[i].text);
    if (child == nullptr) {
      child = &t->add_member({key[i].text, key[i].offset, make_table(key[i].offset)}).value;
    } else if (child->type == node::kind::array && child->toml_array_of_tables) {
      child = &child->items.back();
    } else if (child->type != node::kind::table || child->toml_inline) {
      st.out->error(errc::policy_duplicate_key, key[i].offset,
                    "cannot define a table under " + quote(key_text(key, i + 1)) + ": it is already " +
                        what_it_is(*child) + " (at " + line_column(st, child->offset) + ")");
      return nullptr;
    }
    t = child;
  }
  return t;
}

void on_table_header(parse_state& st, const header& h) {
  st.current = &st.scratch;
  st.scratch = make_table(h.offset);
  node* parent = walk_header_prefix(st, h.key, h.key.size() - 1);
  if (parent == nullptr) return;
  const key_part& last = h.key.back();
  node* t = parent->find(last.text);
  if (t == nullptr) {
    t = &parent->add_member({last.text, last.offset, make_table(h.offset)}).value;
  } else if (t->type != node::kind::table || t->toml_inline || t->toml_explicit || t->toml_dotted) {
    st.out->error(errc::policy_duplicate_key, last.offset,
                  "table [" + key_text(h.key, h.key.size()) + "] is defined twice: it is already " + what_it_is(*t) +
                      " (at " + line_column(st, t->offset) + ")");
    return;
  }
  t->toml_explicit = true;
  t->offset = h.offset;
  st.current = t;
}

void on_array_header(parse_state& st, const header& h) {
  st.current = &st.scratch;
  st.scratch = make_table(h.offset);
  node* parent = walk_header_prefix(st, h.key, h.key.size() - 1);
  if (parent == nullptr) return;
  const key_part& last = h.key.back();
  node* array = parent->find(last.text);
  if (array == nullptr) {
    node a;
    a.type = node::kind::array;
    a.offset = h.offset;
    a.toml_array_of_tables = true;
    array = &parent->add_member({last.text, last.offset, std::move(a)}).value;
  } else if (array->type != node::kind::array || !array->toml_array_of_tables) {
    st.out->error(errc::policy_duplicate_key, last.offset,
                  "cannot append [[" + key_text(h.key, h.key.size()) + "]]: it is already " + what_it_is(*array) +
                      " (at " + line_column(st, array->offset) + ")");
    return;
  }
  if (array->items.size() >= st.options->max_array_items) {
    st.out->error(errc::capacity_exceeded, h.offset,
                  "array of tables has more than " + std::to_string(st.options->max_array_items) + " tables");
    return;
  }
  node t = make_table(h.offset);
  t.toml_explicit = true;
  array->items.push_back(std::move(t));
  st.current = &array->items.back();
}

// key = value into `table`: dotted keys create (or extend) tables made by dotted keys.
// Returns the problem instead of reporting it: a line reports and goes on, an inline
// table (one value) fails as a whole.
std::optional<syntax_error> insert(parse_state& st, node& table, keyval kv) {
  node* t = &table;
  for (std::size_t i = 0; i + 1 < kv.key.size(); ++i) {
    node* child = t->find(kv.key[i].text);
    if (child == nullptr) {
      node sub = make_table(kv.key[i].offset);
      sub.toml_dotted = true;
      child = &t->add_member({kv.key[i].text, kv.key[i].offset, std::move(sub)}).value;
    } else if (child->type != node::kind::table || !child->toml_dotted || child->toml_inline) {
      return syntax_error{errc::policy_duplicate_key, kv.key[i].offset,
                          "cannot add keys to " + quote(key_text(kv.key, i + 1)) + " here: it is already " +
                              what_it_is(*child) + " (at " + line_column(st, child->offset) + ")"};
    }
    t = child;
  }
  const key_part& last = kv.key.back();
  if (const member* m = t->find_member(last.text))
    return syntax_error{errc::policy_duplicate_key, last.offset,
                        "duplicate key " + quote(key_text(kv.key, kv.key.size())) + " (first at " +
                            line_column(st, m->key_offset) + ")"};
  if (t->members.size() >= st.options->max_array_items)
    return syntax_error{errc::capacity_exceeded, last.offset,
                        "table has more than " + std::to_string(st.options->max_array_items) + " keys"};
  t->add_member({last.text, last.offset, std::move(kv.value)});
  return std::nullopt;
}

// ---- semantic actions -----------------------------------------------------------------

struct open_string {
  std::uint8_t width;
  bool verbatim;
  template <class Context>
  void operator()(Context& ctx) const {
    auto& st = state_of(ctx);
    st.text.clear();
    st.text_start = offset_of(ctx, x3::_attr(ctx).begin());
    st.quote_width = width;
    st.verbatim = verbatim;
  }
};

template <class Context>
void check_string_length(const Context& ctx) {
  auto& st = state_of(ctx);
  if (st.text.size() > st.options->max_string_bytes)
    fail(errc::too_long, st.text_start,
         "string is longer than " + std::to_string(st.options->max_string_bytes) + " bytes");
}

auto const on_text = [](auto& ctx) {
  const auto& range = x3::_attr(ctx);
  append_range(state_of(ctx).text, range);
  check_string_length(ctx);
};

auto const on_newline_in_string = [](auto& ctx) {
  state_of(ctx).text += '\n';
  state_of(ctx).verbatim = false;  // \r\n becomes \n
  check_string_length(ctx);
};

auto const on_simple_escape = [](auto& ctx) {
  char c = x3::_attr(ctx);
  switch (c) {
    case 'b': c = '\b'; break;
    case 'f': c = '\f'; break;
    case 'n': c = '\n'; break;
    case 'r': c = '\r'; break;
    case 't': c = '\t'; break;
    default: break;  // " and \ stand for themselves
  }
  state_of(ctx).text += c;
  state_of(ctx).verbatim = false;
  check_string_length(ctx);
};

template <int Digits>
struct on_unicode_escape {
  template <class Context>
  void operator()(Context& ctx) const {
    const std::uint32_t cp = x3::_attr(ctx);
    const std::uint32_t at = offset_of(ctx, x3::_where(ctx).begin()) - Digits - 2;
    if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
      fail(errc::invalid_encoding, at, "escape is not a Unicode scalar value (surrogates and values above 10FFFF are not)");
    append_utf8(state_of(ctx).text, cp);
    state_of(ctx).verbatim = false;
    check_string_length(ctx);
  }
};

auto const on_control = [](auto& ctx) {
  const auto c = static_cast<unsigned char>(x3::_attr(ctx));
  const std::uint32_t at = offset_of(ctx, x3::_where(ctx).begin()) - 1;
  if (c == '\n' || c == '\r')
    fail(errc::policy_syntax, at, "line break inside a one-line string; write \\n or use a \"\"\" multi-line string");
  fail(errc::policy_syntax, at, "control character U+00" + hex_escape(c).substr(4) + " must be escaped");
};

// Quotes right before a closing """ (or ''') belong to the string: """a"""" is `a"`.
auto const on_extra_quotes = [](auto& ctx) {
  const auto& range = x3::_attr(ctx);
  append_range(state_of(ctx).text, range);
  check_string_length(ctx);
};

auto const on_string_value = [](auto& ctx) {
  auto& st = state_of(ctx);
  node& n = x3::_val(ctx);
  n.type = node::kind::string;
  n.offset = st.text_start;
  n.text = std::move(st.text);
  n.verbatim = st.verbatim;
  n.quote_width = st.quote_width;
};

template <class Context>
void push_key(const Context& ctx, std::string text, std::uint32_t offset) {
  toml_key& key = x3::_val(ctx);
  if (key.size() >= state_of(ctx).options->max_depth)
    fail(errc::too_complex, offset, "dotted key has more than " + std::to_string(state_of(ctx).options->max_depth) + " parts");
  key.push_back({std::move(text), offset});
}
auto const on_bare_key = [](auto& ctx) {
  const auto& range = x3::_attr(ctx);
  push_key(ctx, std::string(range.begin(), range.end()), offset_of(ctx, range.begin()));
};
auto const on_quoted_key = [](auto& ctx) {
  auto& st = state_of(ctx);
  push_key(ctx, std::move(st.text), st.text_start);
};

auto const on_float = [](auto& ctx) {
  const auto& range = x3::_attr(ctx);
  node& n = x3::_val(ctx);
  n.type = node::kind::floating;
  n.offset = offset_of(ctx, range.begin());
  n.text.assign(range.begin(), range.end());
};

auto const on_integer = [](auto& ctx) {
  const auto& range = x3::_attr(ctx);
  node& n = x3::_val(ctx);
  n.type = node::kind::integer;
  n.offset = offset_of(ctx, range.begin());
  n.text.assign(range.begin(), range.end());
  std::string_view digits = n.text;
  unsigned base = 10;
  if (digits.starts_with("0x")) base = 16, digits.remove_prefix(2);
  else if (digits.starts_with("0o")) base = 8, digits.remove_prefix(2);
  else if (digits.starts_with("0b")) base = 2, digits.remove_prefix(2);
  else if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) n.negative = digits[0] == '-', digits.remove_prefix(1);
  if (base == 10 && digits.size() > 1 && digits[0] == '0')
    fail(errc::policy_syntax, n.offset, "integers must not have leading zeros");
  for (const char c : digits) {
    if (c == '_') continue;
    const unsigned d = c <= '9' ? static_cast<unsigned>(c - '0') : static_cast<unsigned>((c | 0x20) - 'a' + 10);
    if (n.magnitude > (UINT64_MAX - d) / base) n.overflow = true;
    n.magnitude = n.magnitude * base + d;
  }
  // TOML integers are 64-bit signed.
  if (n.magnitude > (n.negative ? 0x8000'0000'0000'0000ULL : 0x7fff'ffff'ffff'ffffULL)) n.overflow = true;
};

auto const on_datetime = [](auto& ctx) {
  fail(errc::policy_type, offset_of(ctx, x3::_where(ctx).begin()),
       "dates and times are not supported in policies; write the value as a string");
};

// An array written as a value is closed: [[header]] cannot append to it.
auto const on_open_array = [](auto& ctx) {
  open_node<node::kind::array>{}(ctx);
  x3::_val(ctx).toml_inline = true;
};

auto const on_open_inline = [](auto& ctx) {
  node& n = x3::_val(ctx);
  n = make_table(offset_of(ctx, x3::_attr(ctx).begin()));
  n.toml_explicit = true;
};
auto const on_inline_keyval = [](auto& ctx) {
  if (auto problem = insert(state_of(ctx), x3::_val(ctx), std::move(x3::_attr(ctx)))) throw *problem;
};
auto const on_close_inline = [](auto& ctx) { x3::_val(ctx).toml_inline = true; };

auto const on_keyval_key = [](auto& ctx) { x3::_val(ctx).key = std::move(x3::_attr(ctx)); };
auto const on_keyval_value = [](auto& ctx) { x3::_val(ctx).value = std::move(x3::_attr(ctx)); };
auto const on_line_keyval = [](auto& ctx) {
  auto& st = state_of(ctx);
  if (auto problem = insert(st, *st.current, std::move(x3::_attr(ctx))))
    st.out->error(problem->code, problem->offset, problem->message);
};

auto const on_header_open = [](auto& ctx) { x3::_val(ctx).offset = offset_of(ctx, x3::_attr(ctx).begin()); };
auto const on_header_key = [](auto& ctx) { x3::_val(ctx).key = std::move(x3::_attr(ctx)); };
auto const on_table_line = [](auto& ctx) { on_table_header(state_of(ctx), x3::_attr(ctx)); };
auto const on_array_line = [](auto& ctx) { on_array_header(state_of(ctx), x3::_attr(ctx)); };

// ---- the grammar ------------------------------------------------------------------------

x3::rule<class value_r, node> const value = "a value";
x3::rule<class array_r, node> const array = "an array";
x3::rule<class inline_table_r, node> const inline_table = "an inline table";
x3::rule<class string_value_r, node> const string_value = "a string";
x3::rule<class scalar_r, node> const scalar = "a value";
x3::rule<class key_r, toml_key> const key = "a key";
x3::rule<class keyval_r, keyval> const keyval_rule = "key = value";
x3::rule<class table_header_r, header> const table_header = "a [table] header";
x3::rule<class array_header_r, header> const array_header = "an [[array of tables]] header";
x3::rule<class basic_string_r> const basic_string = "a string";
x3::rule<class literal_string_r> const literal_string = "a string";
x3::rule<class ml_basic_string_r> const ml_basic_string = "a string";
x3::rule<class ml_literal_string_r> const ml_literal_string = "a string";
x3::rule<class comment_r> const comment = "a comment";

auto const blank = x3::char_(" \t");
auto const newline = x3::lit("\r\n") | x3::lit('\n');
auto const digit = x3::char_('0', '9');

// A control character ends a comment, and the line then fails to end where it should.
auto const comment_def = x3::lexeme['#' >> *(x3::char_ - x3::char_("\r\n") - control_no_tab)];

// Strings.
auto const escape = named("an escape (\\b \\t \\n \\f \\r \\\" \\\\ \\uXXXX or \\UXXXXXXXX)",
                          x3::char_("btnfr\"\\")[on_simple_escape] |
                              (x3::lit('u') > named("four hex digits", x3::uint_parser<std::uint32_t, 16, 4, 4>()))[on_unicode_escape<4>{}] |
                              (x3::lit('U') > named("eight hex digits", x3::uint_parser<std::uint32_t, 16, 8, 8>()))[on_unicode_escape<8>{}]);

auto const basic_string_def =
    x3::lexeme[x3::raw[x3::lit('"')][open_string{1, true}] >
               *((x3::lit('\\') > escape) | x3::raw[+(x3::char_ - x3::char_("\"\\") - control_no_tab)][on_text] |
                 control_no_tab[on_control]) >
               named("'\"' to end the string", x3::lit('"'))];

auto const literal_string_def =
    x3::lexeme[x3::raw[x3::lit('\'')][open_string{1, true}] >
               *(x3::raw[+(x3::char_ - x3::char_('\'') - control_no_tab)][on_text] | control_no_tab[on_control]) >
               named("\"'\" to end the string", x3::lit('\''))];

// Multi-line: a line break right after the opening quotes is dropped; in basic strings
// a backslash at the end of a line drops the line break and the white space after it.
auto const line_continuation = x3::lit('\\') >> *blank >> newline >> *(blank | newline);
auto const ml_basic_string_def =
    x3::lexeme[((x3::raw[x3::lit("\"\"\"")][open_string{3, false}] >> -newline >>
                 *(!x3::lit("\"\"\"") >>
                   (line_continuation | (x3::lit('\\') > escape) | newline[on_newline_in_string] |
                    x3::raw[+(x3::char_ - x3::char_("\"\\\r\n") - control_no_tab)][on_text] |
                    x3::raw[x3::char_('"')][on_text] | control_no_tab[on_control]))) >
                named("'\"\"\"' to end the string", x3::lit("\"\"\""))) >>
               -x3::raw[x3::lit("\"\"") | x3::lit('"')][on_extra_quotes]];

auto const ml_literal_string_def =
    x3::lexeme[((x3::raw[x3::lit("'''")][open_string{3, false}] >> -newline >>
                 *(!x3::lit("'''") >> (newline[on_newline_in_string] |
                                       x3::raw[+(x3::char_ - x3::char_("'\r\n") - control_no_tab)][on_text] |
                                       x3::raw[x3::char_('\'')][on_text] | control_no_tab[on_control]))) >
                named("\"'''\" to end the string", x3::lit("'''"))) >>
               -x3::raw[x3::lit("''") | x3::lit('\'')][on_extra_quotes]];

auto const any_string = ml_basic_string | basic_string | ml_literal_string | literal_string;
auto const string_value_def = any_string[on_string_value];

// Keys: bare, or quoted (one-line strings), joined by dots.
auto const bare_key = x3::raw[x3::lexeme[+(x3::char_('A', 'Z') | x3::char_('a', 'z') | digit | x3::char_("_-"))]];
auto const simple_key = bare_key[on_bare_key] | (basic_string | literal_string)[on_quoted_key];
auto const key_def = simple_key >> *(x3::lit('.') > named("a key after '.'", simple_key));

// Numbers.
auto const digits_us = x3::lexeme[digit >> *(-x3::lit('_') >> digit)];
auto const hex_digit = x3::char_("0-9a-fA-F");
auto const dec_int = x3::lexeme[-x3::char_("+-") >> (x3::char_('1', '9') >> *(-x3::lit('_') >> digit) | x3::char_('0'))];
auto const exponent = x3::lexeme[x3::char_("eE") >> -x3::char_("+-") >> digits_us];
auto const float_def = x3::raw[x3::lexeme[(-x3::char_("+-") >> (x3::lit("inf") | x3::lit("nan"))) |
                                          (dec_int >> ((x3::lit('.') >> digits_us >> -exponent) | exponent))]];
auto const integer_def =
    x3::raw[x3::lexeme[(x3::lit("0x") > named("hex digits", hex_digit >> *(-x3::lit('_') >> hex_digit))) |
                       (x3::lit("0o") > named("octal digits", x3::char_('0', '7') >> *(-x3::lit('_') >> x3::char_('0', '7')))) |
                       (x3::lit("0b") > named("binary digits", x3::char_("01") >> *(-x3::lit('_') >> x3::char_("01")))) |
                       (-x3::char_("+-") >> digit >> *(-x3::lit('_') >> digit))]];
auto const datetime = x3::raw[x3::lexeme[&((x3::repeat(4)[digit] >> '-' >> digit) | (x3::repeat(2)[digit] >> ':'))]];

auto const scalar_def = x3::raw[x3::lit("true")][set_boolean<true>{}] | x3::raw[x3::lit("false")][set_boolean<false>{}] |
                        datetime[on_datetime] | float_def[on_float] | integer_def[on_integer];

// Inside arrays, line breaks and comments are white space. They are consumed explicitly
// rather than by switching skippers: x3::skip inside a recursive rule would give every
// nesting level a new context type, and the compiler would instantiate without end.
auto const array_space = *(newline | comment);
auto const array_def =
    x3::raw[x3::lit('[')][on_open_array] > array_space >
    named("a value or ']'",
          x3::lit(']') | ((value[on_item] >> array_space >> *(x3::lit(',') >> array_space >> value[on_item] >> array_space) >>
                           -(x3::lit(',') >> array_space)) > named("',' or ']'", x3::lit(']'))));

auto const inline_table_def =
    (x3::raw[x3::lit('{')][on_open_inline] >
     named("key = value or '}'",
           x3::lit('}') | ((keyval_rule[on_inline_keyval] >>
                            *(x3::lit(',') > named("key = value", keyval_rule[on_inline_keyval]))) >
                           named("',' or '}' (inline tables are one line)", x3::lit('}'))))) >>
    x3::eps[on_close_inline];

auto const value_def = string_value | array | inline_table | scalar;

auto const keyval_rule_def = key[on_keyval_key] > named("'=' after the key", x3::lit('=')) >
                             named("a value", value[on_keyval_value]);

auto const table_header_def = x3::raw[x3::lit('[')][on_header_open] > key[on_header_key] > named("']' to end the header", x3::lit(']'));
auto const array_header_def =
    x3::raw[x3::lit("[[")][on_header_open] > key[on_header_key] > named("']]' to end the header", x3::lit("]]"));

BOOST_SPIRIT_DEFINE(value, array, inline_table, string_value, scalar, key, keyval_rule, table_header, array_header,
                    basic_string, literal_string, ml_basic_string, ml_literal_string, comment)

auto const line_end = named("the end of the line", -comment >> (newline | x3::eoi));
auto const statement = array_header[on_array_line] | table_header[on_table_line] | keyval_rule[on_line_keyval];
// Every item consumes something, so the loop ends; the first line that is none of these
// is the error.
auto const document =
    *(!x3::eoi >> (newline | (comment > named("the end of the line", newline | x3::eoi)) | (statement > line_end))) >
    named("key = value, a [table] header or an [[array of tables]] header", x3::eoi);

// ---- depth ----------------------------------------------------------------------------

// Brackets outside strings and comments, so that X3's recursion is bounded before it
// starts. Headers count too ([[a]] is depth 2), which only makes the bound stricter.
bool check_depth(std::string_view text, std::size_t max_depth, diagnostics& out) {
  std::size_t depth = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto rest = text.substr(i);
    if (rest.starts_with("\"\"\"") || rest.starts_with("'''")) {
      const auto close = rest.substr(0, 3);
      i += 3;
      while (i < text.size() && !text.substr(i).starts_with(close)) i += (close[0] == '"' && text[i] == '\\') ? 2 : 1;
      i += 2;
    } else if (rest[0] == '"' || rest[0] == '\'') {
      const char q = rest[0];
      for (++i; i < text.size() && text[i] != q && text[i] != '\n'; ++i)
        if (q == '"' && text[i] == '\\') ++i;
    } else if (rest[0] == '#') {
      while (i < text.size() && text[i] != '\n') ++i;
    } else if (rest[0] == '[' || rest[0] == '{') {
      if (++depth > max_depth) {
        out.error(errc::too_complex, static_cast<std::uint32_t>(i),
                  "nesting is deeper than " + std::to_string(max_depth) + " levels");
        return false;
      }
    } else if ((rest[0] == ']' || rest[0] == '}') && depth > 0) {
      --depth;
    }
  }
  return true;
}

}  // namespace

std::optional<node> parse_toml_tree(std::string_view text, const parse_options& options, diagnostics& out) {
  if (!check_depth(text, options.max_depth, out)) return std::nullopt;
  parse_state st{{text.data(), text.data() + text.size(), &options}, &out, make_table(0), nullptr, make_table(0), {}, 0, true, 1};
  st.root.toml_explicit = true;
  st.current = &st.root;
  iterator first = st.begin;
  try {
    x3::phrase_parse(first, st.end, x3::with<state_tag>(st)[document], blank);
  } catch (const x3::expectation_failure<iterator>& e) {
    // X3 may report the spot before the blanks that its skipper would have passed.
    auto at = static_cast<std::size_t>(e.where() - st.begin);
    while (at < text.size() && (text[at] == ' ' || text[at] == '\t')) ++at;
    out.error(errc::policy_syntax, static_cast<std::uint32_t>(at), "expected " + e.which() + ", found " + describe_char_at(text, at));
    return std::nullopt;
  } catch (const syntax_error& e) {
    out.error(e.code, e.offset, e.message);
    return std::nullopt;
  }
  // Errors in table definitions were reported as found; the rest of the tree is sound,
  // so the schema walk still runs and reports what else is wrong.
  return std::move(st.root);
}

}  // namespace authority::policy_text::detail
