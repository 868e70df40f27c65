// Tool versions and version constraints (policy "tools" entries with a "version").
//
// A version is 1 to 3 dot-separated decimal numbers ("2", "1.4", "1.4.2"), each at most 9
// digits; a missing part counts as 0 when versions are ordered. Anything else
// ("1.2.3-beta", "v2") is not a version: rules with a constraint never allow a tool whose
// version is unknown, and deny rules with one still deny it (fail closed).
//
// A constraint is one or more comma-separated terms, all of which must hold:
//   N[.N[.N]] or =V or ==V   the written parts are equal ("=1.2" holds for 1.2.0 and 1.2.9)
//   !=V                      not =V
//   >V >=V <V <=V            ordering with missing parts 0
//   ^V                       >=V and below the next bump of V's first non-zero written part
//                            (^1.2.3 <2.0.0; ^0.2.3 <0.3.0; ^0.0.3 <0.0.4; ^0 <1)
//   ~V                       >=V and below the next minor if V has one, else the next major
//                            (~1.2.3 <1.3.0; ~1.2 <1.3.0; ~1 <2.0.0)
// Spaces around operators and commas are allowed.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "authority/core/result.hpp"

namespace authority::policy {

inline constexpr std::uint32_t max_version_part = 999'999'999;
inline constexpr std::size_t max_version_terms = 16;

struct version {
  std::array<std::uint32_t, 3> part{};
  std::uint8_t parts = 0;  // 1..3 written
  constexpr bool operator==(const version&) const = default;
};

enum class version_op : std::uint8_t { eq, ne, ge, le, gt, lt, caret, tilde };
inline constexpr std::uint8_t version_op_count = 8;

struct version_term {
  version_op op = version_op::eq;
  version v{};
  constexpr bool operator==(const version_term&) const = default;
};

namespace version_detail {
constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

// Up to three dot-separated numbers from s[i]; advances i past them.
constexpr result<version> parse_parts(std::string_view s, std::size_t& i, std::string_view field) noexcept {
  version v;
  for (std::uint8_t part = 0; part < 3; ++part) {
    const std::size_t start = i;
    std::uint32_t value = 0;
    while (i < s.size() && is_digit(s[i]) && i - start < 9) value = value * 10 + static_cast<std::uint32_t>(s[i++] - '0');
    if (i == start || (i < s.size() && is_digit(s[i])))
      return make_error(errc::invalid_argument, field, static_cast<std::uint32_t>(i));
    v.part[part] = value;
    v.parts = static_cast<std::uint8_t>(part + 1);
    if (part == 2 || i + 1 >= s.size() || s[i] != '.' || !is_digit(s[i + 1])) break;
    ++i;
  }
  return v;
}

// -1, 0, 1: three-part ordering with missing parts 0.
constexpr int compare(const version& a, const version& b) noexcept {
  for (std::size_t k = 0; k < 3; ++k) {
    const std::uint32_t x = k < a.parts ? a.part[k] : 0, y = k < b.parts ? b.part[k] : 0;
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

constexpr version bumped(const version& v, std::size_t at) noexcept {
  version u;
  u.parts = 3;
  for (std::size_t k = 0; k < at; ++k) u.part[k] = v.part[k];
  u.part[at] = v.part[at] + 1;
  return u;
}
}  // namespace version_detail

// A request's version. Errors: invalid_argument, field "version", offset of the problem.
constexpr result<version> parse_version(std::string_view s) noexcept {
  std::size_t i = 0;
  AUTHORITY_TRY_ASSIGN(auto v, version_detail::parse_parts(s, i, "version"));
  if (i != s.size()) return make_error(errc::invalid_argument, "version", static_cast<std::uint32_t>(i));
  return v;
}

// Parses a constraint into `out`; returns the number of terms. Errors: invalid_argument
// (field "version", offset of the problem), capacity_exceeded (more terms than `out`).
constexpr result<std::size_t> parse_version_constraint(std::string_view s, std::span<version_term> out) noexcept {
  constexpr struct {
    std::string_view text;
    version_op op;
  } ops[] = {{"==", version_op::eq}, {"!=", version_op::ne}, {">=", version_op::ge}, {"<=", version_op::le},
             {"=", version_op::eq},  {">", version_op::gt},  {"<", version_op::lt},  {"^", version_op::caret},
             {"~", version_op::tilde}};
  std::size_t i = 0, count = 0;
  auto skip_spaces = [&] {
    while (i < s.size() && s[i] == ' ') ++i;
  };
  while (true) {
    skip_spaces();
    version_term term;
    for (const auto& o : ops)
      if (std::string_view{s.data() + i, s.size() - i}.starts_with(o.text)) {
        term.op = o.op;
        i += o.text.size();
        break;
      }
    skip_spaces();
    AUTHORITY_TRY_ASSIGN(term.v, version_detail::parse_parts(s, i, "version"));
    if (count == out.size()) return make_error(errc::capacity_exceeded, "version", static_cast<std::uint32_t>(i));
    out[count++] = term;
    skip_spaces();
    if (i == s.size()) return count;
    if (s[i] != ',') return make_error(errc::invalid_argument, "version", static_cast<std::uint32_t>(i));
    ++i;
  }
}

constexpr bool satisfies(const version& v, const version_term& t) noexcept {
  using namespace version_detail;
  const int c = compare(v, t.v);
  switch (t.op) {
    case version_op::eq:
    case version_op::ne: {
      bool equal = true;
      for (std::size_t k = 0; k < t.v.parts; ++k) equal = equal && (k < v.parts ? v.part[k] : 0) == t.v.part[k];
      return t.op == version_op::eq ? equal : !equal;
    }
    case version_op::ge: return c >= 0;
    case version_op::le: return c <= 0;
    case version_op::gt: return c > 0;
    case version_op::lt: return c < 0;
    case version_op::caret: {
      std::size_t at = t.v.parts - 1u;
      for (std::size_t k = 0; k < t.v.parts; ++k)
        if (t.v.part[k] != 0) {
          at = k;
          break;
        }
      return c >= 0 && compare(v, bumped(t.v, at)) < 0;
    }
    case version_op::tilde: return c >= 0 && compare(v, bumped(t.v, t.v.parts >= 2 ? 1 : 0)) < 0;
  }
  return false;
}

constexpr bool satisfies_all(const version& v, std::span<const version_term> terms) noexcept {
  for (const auto& t : terms)
    if (!satisfies(v, t)) return false;
  return true;
}

}  // namespace authority::policy
