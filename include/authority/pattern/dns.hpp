// Host names and host patterns.
//
// A host name is 1 to 253 characters (one trailing dot is allowed and ignored) of
// dot-separated labels, each 1 to 63 letters, digits or hyphens, not starting or ending
// with a hyphen; ASCII only ("xn--" punycode labels are ordinary labels). Comparison
// ignores ASCII case. The last label may not look like a number ("10.0.0.1", "127.1",
// "0x7f000001"): resolvers read such names as IP addresses, which would let a `dns:`
// target slip past `ip:` rules.
//
// Host patterns: an exact name; "*.suffix", where `*` is exactly ONE label
// ("*.example.com" matches "a.example.com", not "example.com", "a.b.example.com" or
// "evilexample.com"); or a bare "*", any host. The bare "*" is accepted because
// "dns:*:443" is a legitimate rule, but it is over-broad and the policy linter flags it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "authority/core/result.hpp"
#include "authority/pattern/path.hpp"

namespace authority::pattern {

inline constexpr std::size_t max_hostname_length = 253;
inline constexpr std::size_t max_label_length = 63;

constexpr char ascii_lower(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

constexpr bool ascii_iequal(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}

constexpr std::string_view without_trailing_dot(std::string_view name) noexcept {
  return !name.empty() && name.back() == '.' ? detail::slice(name, 0, name.size() - 1) : name;
}

// Calls f(std::string_view label) for each label, left to right ("a.b.c": a, b, c). The
// trailing dot is ignored. Meant for validated names.
template <class F>
constexpr void for_each_label(std::string_view name, F&& f) {
  name = without_trailing_dot(name);
  std::size_t start = 0;
  for (std::size_t i = 0; i <= name.size(); ++i)
    if (i == name.size() || name[i] == '.') {
      f(detail::slice(name, start, i));
      start = i + 1;
    }
}

// The same, right to left ("a.b.c": c, b, a): the order of a suffix trie.
template <class F>
constexpr void for_each_label_reversed(std::string_view name, F&& f) {
  name = without_trailing_dot(name);
  std::size_t end = name.size();
  for (std::size_t i = name.size(); i-- > 0;)
    if (name[i] == '.') {
      f(detail::slice(name, i + 1, end));
      end = i;
    }
  f(detail::slice(name, 0, end));
}

constexpr std::size_t label_count(std::string_view name) noexcept {
  std::size_t n = 0;
  for_each_label(name, [&](std::string_view) { ++n; });
  return n;
}

namespace dns_detail {
constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
constexpr bool is_hex(char c) noexcept {
  return is_digit(c) || (ascii_lower(c) >= 'a' && ascii_lower(c) <= 'f');
}
constexpr bool is_ldh(char c) noexcept { return is_digit(c) || c == '-' || (ascii_lower(c) >= 'a' && ascii_lower(c) <= 'z'); }

// What inet_aton would read as a number: decimal/octal digits, or 0x and hex digits.
constexpr bool looks_numeric(std::string_view label) noexcept {
  std::size_t i = 0;
  bool hex = label.size() >= 2 && label[0] == '0' && ascii_lower(label[1]) == 'x';
  if (hex) i = 2;
  for (; i < label.size(); ++i)
    if (!(hex ? is_hex(label[i]) : is_digit(label[i]))) return false;
  return true;
}
}  // namespace dns_detail

// Errors: invalid_argument (field "host", offset of the bad character or label) or
// too_long (name over 253 or a label over 63 characters).
constexpr result<void> validate_hostname(std::string_view name) noexcept {
  using detail::at;
  const auto n = without_trailing_dot(name);
  if (n.empty()) return at(errc::invalid_argument, "host", 0);
  if (n.size() > max_hostname_length) return at(errc::too_long, "host", max_hostname_length);
  std::size_t start = 0;
  for (std::size_t i = 0; i <= n.size(); ++i) {
    if (i < n.size() && n[i] != '.') {
      if (!dns_detail::is_ldh(n[i])) return at(errc::invalid_argument, "host", i);
      continue;
    }
    if (i == start) return at(errc::invalid_argument, "host", i);  // empty label
    if (i - start > max_label_length) return at(errc::too_long, "host", start + max_label_length);
    if (n[start] == '-') return at(errc::invalid_argument, "host", start);
    if (n[i - 1] == '-') return at(errc::invalid_argument, "host", i - 1);
    if (i == n.size() && dns_detail::looks_numeric(detail::slice(n, start, i)))
      return at(errc::invalid_argument, "host", start);
    start = i + 1;
  }
  return success();
}

// Equal as host names: ASCII case and one trailing dot ignored.
constexpr bool hostname_equal(std::string_view a, std::string_view b) noexcept {
  return ascii_iequal(without_trailing_dot(a), without_trailing_dot(b));
}

enum class host_kind : std::uint8_t {
  exact,     // name: the host name
  wildcard,  // name: the suffix after "*."; matches exactly one more label
  any,       // "*"
};

// Views into the pattern text, without its trailing dot.
struct host_pattern {
  host_kind kind = host_kind::exact;
  std::string_view name{};
  constexpr bool operator==(const host_pattern& o) const noexcept {
    return kind == o.kind && ascii_iequal(name, o.name);
  }
};

namespace detail {
// An error from a sub-parser, moved to its place in the enclosing text and reported as a
// malformed pattern.
constexpr error as_pattern_error(error e, std::size_t base) noexcept {
  if (e.code == errc::invalid_argument) e.code = errc::invalid_pattern;
  return relocated(e, base);
}
}  // namespace detail

// Errors: invalid_pattern or too_long, field "host", offset into `pattern`.
constexpr result<host_pattern> parse_host_pattern(std::string_view pattern) noexcept {
  if (pattern == "*") return host_pattern{host_kind::any, {}};
  const bool wildcard = pattern.starts_with("*.");
  const std::size_t base = wildcard ? 2 : 0;
  const auto name = detail::slice(pattern, base, pattern.size());
  if (auto ok = validate_hostname(name); !ok) return detail::as_pattern_error(ok.error(), base);
  return host_pattern{wildcard ? host_kind::wildcard : host_kind::exact, without_trailing_dot(name)};
}

// False when `host` is not a valid host name.
constexpr bool host_matches(const host_pattern& pattern, std::string_view host) noexcept {
  if (!validate_hostname(host).ok()) return false;
  const auto h = without_trailing_dot(host);
  switch (pattern.kind) {
    case host_kind::any: return true;
    case host_kind::exact: return ascii_iequal(h, pattern.name);
    case host_kind::wildcard: {
      const auto& suffix = pattern.name;
      // One label, a dot, then the suffix: the label has no dot and is not empty.
      if (h.size() < suffix.size() + 2) return false;
      const std::size_t dot = h.size() - suffix.size() - 1;
      if (h[dot] != '.' || !ascii_iequal(detail::slice(h, dot + 1, h.size()), suffix)) return false;
      for (std::size_t i = 0; i < dot; ++i)
        if (h[i] == '.') return false;
      return true;
    }
  }
  return false;
}

// Exact: true when every host `child` matches, `parent` matches.
constexpr bool host_contains(const host_pattern& parent, const host_pattern& child) noexcept {
  switch (parent.kind) {
    case host_kind::any: return true;
    case host_kind::exact: return child.kind == host_kind::exact && ascii_iequal(parent.name, child.name);
    case host_kind::wildcard:
      if (child.kind == host_kind::exact) return host_matches(parent, child.name);
      return child.kind == host_kind::wildcard && ascii_iequal(parent.name, child.name);
  }
  return false;
}

}  // namespace authority::pattern
