// Small parsing and printing helpers shared by the CLI's command groups.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "authority/capability/token.hpp"
#include "authority/core/error.hpp"

namespace authority::cli {

// "1500ms", "30s", "5m", "1h", "7d" (a bare number is seconds).
std::optional<std::uint64_t> parse_duration_ms(std::string_view text);
// "10/1m", "5/s", "100/1h": count per window.
std::optional<capability::rate_limit> parse_rate(std::string_view text);
std::string format_duration_ms(std::uint64_t ms);
// 32 hex digits.
std::optional<capability::id128> parse_id128(std::string_view hex);
std::string hex_of(const unsigned char* data, std::size_t n);
template <std::size_t N>
std::string hex_of(const std::array<unsigned char, N>& a) {
  return hex_of(a.data(), N);
}
std::string json_escape(std::string_view s);
// A TOKEN argument: the text itself, or "-" for the first line of standard input.
std::string read_token_argument(const std::string& arg);
// "revoked (205): capability, its run or an ancestor is revoked [field token_id]"
std::string explain(const error& e);

// Exit statuses shared by all commands.
inline constexpr int exit_allow = 0;
inline constexpr int exit_deny = 1;
inline constexpr int exit_usage = 2;

}  // namespace authority::cli
