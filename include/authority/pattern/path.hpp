// Lexical path canonicalization: the path a rule is checked against is the path the
// kernel would open. `//` and `.` collapse, `..` removes the previous segment and stops
// at the root (POSIX: "/.." is "/"), never at the working directory, so
// "/app/../etc/passwd" is "/etc/passwd". Nothing is decoded: "..%2F" is a file name.
// Lexical only: symlinks are the executor's business (it opens with the canonical path).
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <type_traits>

#include "authority/core/result.hpp"

namespace authority::pattern {

// Longest path accepted, in or out (Linux PATH_MAX without its NUL).
inline constexpr std::size_t max_path_length = 4096;

namespace detail {
// string_view::substr may throw; the core has no exceptions.
constexpr std::string_view slice(std::string_view s, std::size_t from, std::size_t to) noexcept {
  return {s.data() + from, to - from};
}
constexpr std::uint32_t offset32(std::size_t n) noexcept { return static_cast<std::uint32_t>(n); }
constexpr error at(errc code, std::string_view field, std::size_t offset) noexcept {
  return make_error(code, field, offset32(offset));
}
constexpr bool is_control(char c) noexcept { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }
// s[i, i + 8) as one little-endian word (the scans below look at eight bytes at once).
constexpr std::uint64_t load_word(std::string_view s, std::size_t i) noexcept {
  if (std::is_constant_evaluated()) {
    std::uint64_t w = 0;
    for (std::size_t k = 0; k < 8; ++k) w |= std::uint64_t{static_cast<unsigned char>(s[i + k])} << (8 * k);
    return w;
  }
  std::uint64_t w;
  __builtin_memcpy(&w, s.data() + i, 8);
  if constexpr (std::endian::native == std::endian::big) w = __builtin_bswap64(w);
  return w;
}

// The high bit of each byte of `w` that equals `c`, exact up to and including the lowest
// such byte (a borrow may also mark bytes above it, which a search for the first ignores).
constexpr std::uint64_t bytes_equal(std::uint64_t w, char c) noexcept {
  constexpr std::uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
  const std::uint64_t x = w ^ (ones * static_cast<unsigned char>(c));
  return (x - ones) & ~x & highs;
}

// The first index >= from of a byte equal to `a` or `b`, or s.size().
constexpr std::size_t find_either(std::string_view s, std::size_t from, char a, char b) noexcept {
  for (; from < s.size() && s.size() - from >= 8; from += 8) {
    const std::uint64_t w = load_word(s, from);
    if (const std::uint64_t hits = bytes_equal(w, a) | bytes_equal(w, b); hits != 0)
      return from + static_cast<std::size_t>(std::countr_zero(hits)) / 8;
  }
  while (from < s.size() && s[from] != a && s[from] != b) ++from;
  return from;
}

constexpr bool is_dot(std::string_view segment) noexcept { return segment.size() == 1 && segment[0] == '.'; }
constexpr bool is_dot_dot(std::string_view segment) noexcept {
  return segment.size() == 2 && segment[0] == '.' && segment[1] == '.';
}

// Equal bytes; memcmp at run time.
constexpr bool same_bytes(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  if (std::is_constant_evaluated()) {
    for (std::size_t i = 0; i < a.size(); ++i)
      if (a[i] != b[i]) return false;
    return true;
  }
  return a.empty() || __builtin_memcmp(a.data(), b.data(), a.size()) == 0;
}

constexpr std::size_t find_byte(std::string_view s, std::size_t from, char c) noexcept {
  return find_either(s, from, c, c);
}

// Where the segment that starts at `from` ends: the next '/' or NUL, or the end.
constexpr std::size_t segment_end(std::string_view s, std::size_t from) noexcept {
  return find_either(s, from, '/', '\0');
}
// An error from a parser of a part, moved to where the part starts in the whole text.
constexpr error relocated(error e, std::size_t base) noexcept {
  e.offset += offset32(base);
  return e;
}
}  // namespace detail

// One segment of a path and where it starts in the path.
struct path_segment {
  std::string_view text;
  std::size_t offset = 0;
};

// Walks the non-empty segments of a path, left to right: "/a//b/" gives "a", "b".
// "." and ".." are returned as they are (canonical paths have none).
class segment_cursor {
 public:
  constexpr explicit segment_cursor(std::string_view path) noexcept : path_(path) {}

  // Stores the next segment in `out`; false when there is none.
  constexpr bool next(path_segment& out) noexcept {
    while (pos_ < path_.size() && path_[pos_] == '/') ++pos_;
    if (pos_ == path_.size()) return false;
    std::size_t end = pos_;
    while (end < path_.size() && path_[end] != '/') ++end;
    out = {detail::slice(path_, pos_, end), pos_};
    pos_ = end;
    return true;
  }

 private:
  std::string_view path_;
  std::size_t pos_ = 0;
};

// Calls f(path_segment) for each non-empty segment.
template <class F>
constexpr void for_each_segment(std::string_view path, F&& f) {
  segment_cursor cursor{path};
  for (path_segment s; cursor.next(s);) f(s);
}

// True for what canonicalize_path produces: absolute, no empty, "." or ".." segment, no
// trailing slash except "/", no NUL, at most max_path_length bytes.
constexpr bool is_canonical_path(std::string_view path) noexcept {
  if (path.empty() || path.size() > max_path_length || path[0] != '/') return false;
  if (path.size() == 1) return true;
  if (path.back() == '/') return false;
  for (std::size_t start = 1, i = 1;; start = ++i) {
    i = detail::segment_end(path, start);
    if (i < path.size() && path[i] == '\0') return false;
    const auto seg = detail::slice(path, start, i);
    if (seg.empty() || detail::is_dot(seg) || detail::is_dot_dot(seg)) return false;
    if (i == path.size()) return true;
  }
}

namespace detail {

// Appends segments to the output, keeping it canonical. Segments that do not fit are
// counted rather than refused at once, because a later ".." may remove them again.
class canonical_writer {
 public:
  constexpr explicit canonical_writer(std::span<char> out) noexcept
      : out_(out), limit_(out.size() < max_path_length ? out.size() : max_path_length) {}

  constexpr void add(std::string_view segment, std::string_view field, std::size_t offset) noexcept {
    if (is_dot(segment)) return;
    if (is_dot_dot(segment)) {
      if (overflowed_ > 0) {
        --overflowed_;
      } else {
        while (size_ > 0 && out_[size_ - 1] != '/') --size_;
        if (size_ > 0) --size_;  // the slash before the removed segment
      }
      return;
    }
    if (overflowed_ > 0 || size_ + 1 + segment.size() > limit_) {
      if (overflowed_++ == 0) {  // the segment that starts the overflow still pending
        overflow_field_ = field;
        overflow_offset_ = offset;
      }
      return;
    }
    out_[size_++] = '/';
    for (char c : segment) out_[size_++] = c;
  }

  constexpr result<std::string_view> finish() noexcept {
    if (overflowed_ > 0) {
      // A smaller buffer than the limit is the caller's problem, not the path's.
      auto code = out_.size() < max_path_length ? errc::capacity_exceeded : errc::too_long;
      return at(code, overflow_field_, overflow_offset_);
    }
    if (size_ == 0) out_[size_++] = '/';
    return std::string_view{out_.data(), size_};
  }

 private:
  std::span<char> out_;
  std::size_t limit_;
  std::size_t size_ = 0;
  std::size_t overflowed_ = 0;
  std::string_view overflow_field_{};
  std::size_t overflow_offset_ = 0;
};

constexpr result<void> check_path_input(std::string_view s, std::string_view field) noexcept {
  if (s.size() > max_path_length) return at(errc::too_long, field, max_path_length);
  for (std::size_t i = 0; i < s.size(); ++i)
    if (s[i] == '\0') return at(errc::invalid_path, field, i);  // never truncate at a NUL
  if (s.empty()) return at(errc::invalid_path, field, 0);
  return success();
}

}  // namespace detail

// Writes the canonical form of `path` into `out` and returns a view of it. A relative
// path is resolved against `cwd`, which must be absolute; without one it is
// invalid_path. Errors: invalid_path (empty, NUL, relative without cwd; offset of the
// problem), too_long (input or result over max_path_length), capacity_exceeded (`out`
// is smaller than max_path_length and the result does not fit). The error's field is
// "path" or "cwd". `out` of max_path_length bytes always suffices.
constexpr result<std::string_view> canonicalize_path(std::string_view path, std::span<char> out,
                                                     std::string_view cwd = {}) noexcept {
  // Most paths are canonical already: then the result is the path itself.
  if (is_canonical_path(path) && path.size() <= out.size()) {
    for (std::size_t i = 0; i < path.size(); ++i) out[i] = path[i];
    return std::string_view{out.data(), path.size()};
  }
  AUTHORITY_TRY_VOID(detail::check_path_input(path, "path"));
  const bool relative = path[0] != '/';
  if (relative) {
    if (cwd.empty()) return detail::at(errc::invalid_path, "path", 0);
    AUTHORITY_TRY_VOID(detail::check_path_input(cwd, "cwd"));
    if (cwd[0] != '/') return detail::at(errc::invalid_path, "cwd", 0);
  }
  if (out.empty()) return detail::at(errc::capacity_exceeded, "path", 0);
  detail::canonical_writer writer{out};
  if (relative) for_each_segment(cwd, [&](path_segment s) { writer.add(s.text, "cwd", s.offset); });
  for_each_segment(path, [&](path_segment s) { writer.add(s.text, "path", s.offset); });
  return writer.finish();
}

}  // namespace authority::pattern
