#include "util.hpp"

#include <charconv>
#include <iostream>

#include "authority/core/encoding.hpp"
#include "authority/hosted/json_escape.hpp"

namespace authority::cli {

namespace {
std::optional<std::uint64_t> parse_u64(std::string_view s) {
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}
}  // namespace

std::optional<std::uint64_t> parse_duration_ms(std::string_view text) {
  struct unit {
    std::string_view suffix;
    std::uint64_t ms;
  };
  static constexpr unit units[] = {{"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000}};
  for (const auto& u : units) {
    if (text.size() > u.suffix.size() && text.ends_with(u.suffix)) {
      const auto number = text.substr(0, text.size() - u.suffix.size());
      if (number.back() < '0' || number.back() > '9') continue;  // "5ms" must not parse as "5m" + "s"
      auto n = parse_u64(number);
      if (!n || *n > ~std::uint64_t{0} / u.ms) return std::nullopt;
      return *n * u.ms;
    }
  }
  auto n = parse_u64(text);
  if (!n || *n > ~std::uint64_t{0} / 1000) return std::nullopt;
  return *n * 1000;
}

std::optional<capability::rate_limit> parse_rate(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto count = parse_u64(text.substr(0, slash));
  auto window_text = std::string(text.substr(slash + 1));
  if (!window_text.empty() && (window_text[0] < '0' || window_text[0] > '9')) window_text = "1" + window_text;
  auto window = parse_duration_ms(window_text);
  if (!count || *count == 0 || *count > 0xffffffffu || !window || *window == 0) return std::nullopt;
  return capability::rate_limit::per(static_cast<std::uint32_t>(*count), *window);
}

std::string format_duration_ms(std::uint64_t ms) {
  if (ms % 86'400'000 == 0 && ms > 0) return std::to_string(ms / 86'400'000) + "d";
  if (ms % 3'600'000 == 0 && ms > 0) return std::to_string(ms / 3'600'000) + "h";
  if (ms % 60'000 == 0 && ms > 0) return std::to_string(ms / 60'000) + "m";
  if (ms % 1000 == 0 && ms > 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

std::optional<capability::id128> parse_id128(std::string_view hex) {
  auto r = encoding::hex_decode_exact<16>(hex);
  if (!r) return std::nullopt;
  return *r;
}

std::string hex_of(const unsigned char* data, std::size_t n) {
  std::string s(2 * n, '\0');
  (void)encoding::hex_encode(bytes_view(data, n), std::span<char>(s.data(), s.size()));
  return s;
}

std::string json_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  hosted::append_json_escaped(out, s);
  return out;
}

std::string read_token_argument(const std::string& arg) {
  if (arg != "-") return arg;
  std::string line;
  std::getline(std::cin, line);
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  return line;
}

std::string explain(const error& e) {
  std::string s = std::string(name_of(e.code)) + " (" + std::to_string(static_cast<unsigned>(e.code)) + "): " +
                  std::string(describe(e.code));
  if (!e.field.empty()) s += " [field " + std::string(e.field) + "]";
  return s;
}

}  // namespace authority::cli
