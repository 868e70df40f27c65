// printf-like formatting without libc: `format_to(out, "x={} at {:x}\n", n, addr)`.
// Type-checked by templates instead of a format string contract; `out` is any callable
// taking a std::string_view (the serial console, a fixed buffer, a test capture).
//
// Placeholders: {} decimal / text, {:x} hex (no prefix), {:p} 0x + 16 hex digits
// (addresses), {:016x}-style zero padding to a width for {:x}. "{{" prints "{".
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

namespace kernel {

template <class W>
concept text_writer = requires(W& w, std::string_view s) { w(s); };

namespace detail {

struct format_spec {
  bool hex = false;
  bool pointer = false;
  char fill = ' ';
  unsigned width = 0;
};

template <text_writer W>
void write_unsigned(W& out, std::uint64_t v, const format_spec& spec) {
  const unsigned base = spec.hex ? 16 : 10;
  char buf[24];
  std::size_t n = 0;
  do {
    buf[sizeof buf - 1 - n++] = "0123456789abcdef"[v % base];
    v /= base;
  } while (v != 0);
  const unsigned width = spec.pointer ? 16 : spec.width;
  const char fill = spec.pointer ? '0' : spec.fill;
  if (spec.pointer) out(std::string_view{"0x"});
  for (std::size_t pad = n; pad < width && pad < sizeof buf; ++pad) out(std::string_view{&fill, 1});
  out(std::string_view{buf + sizeof buf - n, n});
}

template <text_writer W, class T>
void write_arg(W& out, const T& v, const format_spec& spec) {
  if constexpr (std::is_same_v<T, bool>) {
    out(v ? std::string_view{"true"} : std::string_view{"false"});
  } else if constexpr (std::is_same_v<T, char>) {
    out(std::string_view{&v, 1});
  } else if constexpr (std::is_integral_v<T> && std::is_signed_v<T>) {
    if (v < 0 && !spec.hex) {
      out(std::string_view{"-"});
      write_unsigned(out, static_cast<std::uint64_t>(-(v + 1)) + 1, spec);
    } else {
      write_unsigned(out, static_cast<std::uint64_t>(v), spec);
    }
  } else if constexpr (std::is_integral_v<T> || std::is_enum_v<T>) {
    write_unsigned(out, static_cast<std::uint64_t>(v), spec);
  } else if constexpr (std::is_convertible_v<const T&, std::string_view>) {
    out(std::string_view{v});
  } else if constexpr (std::is_pointer_v<T>) {
    format_spec p = spec;
    p.hex = p.pointer = true;
    write_unsigned(out, reinterpret_cast<std::uintptr_t>(v), p);
  } else {
    static_assert(std::is_integral_v<T>, "format_to: unsupported argument type");
  }
}

// Parses the text between '{' and '}' (exclusive). Unknown specs print as decimal.
constexpr format_spec parse_spec(std::string_view s) {
  format_spec spec;
  if (s.empty() || s[0] != ':') return spec;
  s.remove_prefix(1);
  if (!s.empty() && s[0] == '0') {
    spec.fill = '0';
    s.remove_prefix(1);
  }
  while (!s.empty() && s[0] >= '0' && s[0] <= '9') {
    spec.width = spec.width * 10 + static_cast<unsigned>(s[0] - '0');
    s.remove_prefix(1);
  }
  if (s == "x") spec.hex = true;
  if (s == "p") spec.hex = spec.pointer = true;
  return spec;
}

// Writes fmt up to the next placeholder; returns the spec and consumes it from fmt.
// Returns false when fmt holds no further placeholder (the rest has been written).
template <text_writer W>
bool next_placeholder(W& out, std::string_view& fmt, format_spec& spec) {
  while (!fmt.empty()) {
    const std::size_t open = fmt.find('{');
    if (open == std::string_view::npos) break;
    if (open + 1 < fmt.size() && fmt[open + 1] == '{') {
      out(fmt.substr(0, open + 1));  // text and one '{'
      fmt.remove_prefix(open + 2);
      continue;
    }
    const std::size_t close = fmt.find('}', open);
    if (close == std::string_view::npos) break;  // an unterminated '{' prints as text
    out(fmt.substr(0, open));
    spec = parse_spec(fmt.substr(open + 1, close - open - 1));
    fmt.remove_prefix(close + 1);
    return true;
  }
  out(fmt);
  fmt = {};
  return false;
}

}  // namespace detail

template <text_writer W, class... Args>
void format_to(W&& out, std::string_view fmt, const Args&... args) {
  detail::format_spec spec;
  // Each argument consumes one placeholder; surplus arguments are dropped, surplus
  // placeholders print as "{?}" so a mismatch is visible rather than silent.
  (
      [&] {
        if (detail::next_placeholder(out, fmt, spec)) detail::write_arg(out, args, spec);
      }(),
      ...);
  while (detail::next_placeholder(out, fmt, spec)) out(std::string_view{"{?}"});
}

// A writer into a caller's fixed buffer; output past the end is dropped and counted.
class fixed_buffer_writer {
 public:
  constexpr fixed_buffer_writer(char* buf, std::size_t cap) noexcept : buf_(buf), cap_(cap) {}
  constexpr void operator()(std::string_view s) noexcept {
    for (char c : s) {
      if (size_ < cap_) buf_[size_] = c;
      ++size_;
    }
  }
  constexpr std::string_view view() const noexcept { return {buf_, size_ < cap_ ? size_ : cap_}; }
  constexpr bool truncated() const noexcept { return size_ > cap_; }

 private:
  char* buf_;
  std::size_t cap_;
  std::size_t size_ = 0;
};

}  // namespace kernel
