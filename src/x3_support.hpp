// Internal to src/: small Spirit X3 helpers shared by the two grammars.
#pragma once

#include <boost/spirit/home/x3.hpp>

#include <string>

#include "policy_tree.hpp"

namespace authority::policy_text::detail {

namespace x3 = boost::spirit::x3;
using iterator = const char*;

// What each grammar's parse state starts with. A grammar derives its own state from it
// and passes it with x3::with<state_tag>; the actions below reach it through the context.
struct grammar_state {
  iterator begin;
  iterator end;
  const parse_options* options;
};
struct state_tag;

template <class Context>
decltype(auto) state_of(const Context& ctx) {
  return x3::get<state_tag>(ctx);
}
template <class Context>
std::uint32_t offset_of(const Context& ctx, iterator it) {
  return static_cast<std::uint32_t>(it - state_of(ctx).begin);
}

// Semantic actions report errors by throwing; the grammar's entry point catches.
[[noreturn]] inline void fail(errc code, std::uint32_t offset, std::string message) {
  throw syntax_error{code, offset, std::move(message)};
}

// raw[...][open_node<kind>{}]: the rule's node becomes a `kind` starting at the match.
template <node::kind Kind>
struct open_node {
  template <class Context>
  void operator()(Context& ctx) const {
    node& n = x3::_val(ctx);
    n.type = Kind;
    n.offset = offset_of(ctx, x3::_attr(ctx).begin());
  }
};

template <bool Value>
struct set_boolean {
  template <class Context>
  void operator()(Context& ctx) const {
    open_node<node::kind::boolean>{}(ctx);
    x3::_val(ctx).boolean = Value;
  }
};

// value[on_item]: appends the parsed value to the rule's array, within the item limit.
inline constexpr auto on_item = [](auto& ctx) {
  node& array = x3::_val(ctx);
  node& item = x3::_attr(ctx);
  const auto limit = state_of(ctx).options->max_array_items;
  if (array.items.size() >= limit)
    fail(errc::capacity_exceeded, item.offset, "array has more than " + std::to_string(limit) + " items");
  array.items.push_back(std::move(item));
};

// named(text, p) parses exactly like p; when an expectation on it fails, the failure's
// which() is `text`, so a diagnostic can say "expected <text>" in words.
template <class Subject>
struct named_parser : x3::unary_parser<Subject, named_parser<Subject>> {
  using base_type = x3::unary_parser<Subject, named_parser<Subject>>;
  static bool const is_pass_through_unary = true;
  static bool const handles_container = Subject::handles_container;
  const char* text;
  constexpr named_parser(const Subject& subject, const char* t) : base_type(subject), text(t) {}
  template <class It, class Context, class RContext, class Attribute>
  bool parse(It& first, const It& last, const Context& ctx, RContext& rctx, Attribute& attr) const {
    return this->subject.parse(first, last, ctx, rctx, attr);
  }
};

template <class Subject>
constexpr auto named(const char* text, const Subject& subject) {
  return named_parser<typename x3::extension::as_parser<Subject>::value_type>{x3::as_parser(subject), text};
}

// One control character other than tab: U+0000-0008, U+000A-001F, U+007F.
struct control_char_parser : x3::char_parser<control_char_parser> {
  using attribute_type = char;
  static bool const has_attribute = true;
  template <class Char, class Context>
  bool test(Char ch, const Context&) const {
    const auto c = static_cast<unsigned char>(ch);
    return (c < 0x20 && c != '\t') || c == 0x7f;
  }
};
inline constexpr control_char_parser control_no_tab{};

// Appends a matched range. (Pointer and length: GCC 12 warns falsely, -Wrestrict, on the
// iterator-pair overload when it is inlined into X3's actions.)
template <class Range>
void append_range(std::string& out, const Range& range) {
  out.append(range.begin(), static_cast<std::size_t>(range.end() - range.begin()));
}

}  // namespace authority::policy_text::detail

template <class Subject>
struct boost::spirit::x3::get_info<authority::policy_text::detail::named_parser<Subject>> {
  using result_type = std::string;
  std::string operator()(const authority::policy_text::detail::named_parser<Subject>& p) const { return p.text; }
};
