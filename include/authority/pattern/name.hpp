// Names of tools, models, WASM modules, host calls, secrets and the like: a simple,
// case-sensitive glob where any run of `*` matches any run of characters and `?` one
// character ("claude-*" matches "claude-3-opus"); '/' is an ordinary character.
#pragma once

#include <cstddef>
#include <string_view>

#include "authority/core/result.hpp"
#include "authority/pattern/glob.hpp"
#include "authority/pattern/path.hpp"

namespace authority::pattern {

inline constexpr std::size_t max_name_length = max_pattern_length;

namespace detail {
// Non-empty, at most max_name_length bytes, no control characters (NUL included).
constexpr result<void> check_name_text(std::string_view s, errc invalid, std::string_view field) noexcept {
  if (s.empty()) return at(invalid, field, 0);
  if (s.size() > max_name_length) return at(errc::too_long, field, max_name_length);
  for (std::size_t i = 0; i < s.size(); ++i)
    if (is_control(s[i])) return at(invalid, field, i);
  return success();
}
}  // namespace detail

// Errors: invalid_pattern or too_long, field "pattern", with the offset.
constexpr result<void> validate_name_pattern(std::string_view pattern) noexcept {
  return detail::check_name_text(pattern, errc::invalid_pattern, "pattern");
}

// A concrete name (what a request carries). Errors: invalid_argument or too_long, field "name".
constexpr result<void> validate_name(std::string_view name) noexcept {
  return detail::check_name_text(name, errc::invalid_argument, "name");
}

// False when either is invalid (fail closed).
constexpr bool name_matches(std::string_view pattern, std::string_view name) noexcept {
  return validate_name_pattern(pattern).ok() && validate_name(name).ok() &&
         glob_match(pattern, name, glob_flavor::name);
}

}  // namespace authority::pattern
