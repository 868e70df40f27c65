// Byte-level helpers: fixed byte arrays, endian loads/stores, and bounded cursors for
// reading and writing wire formats without allocation.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <type_traits>

#include "authority/core/result.hpp"

namespace authority {

using byte = std::uint8_t;
template <std::size_t N>
using byte_array = std::array<byte, N>;

using bytes_view = std::span<const byte>;
using mutable_bytes = std::span<byte>;

inline bytes_view as_bytes(std::string_view s) noexcept {
  return {reinterpret_cast<const byte*>(s.data()), s.size()};
}
inline std::string_view as_chars(bytes_view b) noexcept {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// Copies n chars or bytes to `to`: memcpy at run time (the hot paths copy whole
// digests, tokens and targets), a byte loop in constant evaluation.
template <class Char>
constexpr void copy_bytes(byte* to, const Char* from, std::size_t n) noexcept {
  static_assert(sizeof(Char) == 1);
  if (std::is_constant_evaluated()) {
    for (std::size_t i = 0; i < n; ++i) to[i] = static_cast<byte>(from[i]);
  } else if (n != 0) {
    __builtin_memcpy(to, from, n);
  }
}

constexpr std::uint32_t load_be32(const byte* p) noexcept {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}
constexpr std::uint64_t load_be64(const byte* p) noexcept {
  return (std::uint64_t{load_be32(p)} << 32) | load_be32(p + 4);
}
constexpr void store_be32(byte* p, std::uint32_t v) noexcept {
  p[0] = static_cast<byte>(v >> 24);
  p[1] = static_cast<byte>(v >> 16);
  p[2] = static_cast<byte>(v >> 8);
  p[3] = static_cast<byte>(v);
}
constexpr void store_be64(byte* p, std::uint64_t v) noexcept {
  store_be32(p, static_cast<std::uint32_t>(v >> 32));
  store_be32(p + 4, static_cast<std::uint32_t>(v));
}
constexpr std::uint16_t load_le16(const byte* p) noexcept {
  return static_cast<std::uint16_t>(p[0] | (p[1] << 8));
}
constexpr std::uint32_t load_le32(const byte* p) noexcept {
  return std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16) |
         (std::uint32_t{p[3]} << 24);
}
constexpr std::uint64_t load_le64(const byte* p) noexcept {
  return std::uint64_t{load_le32(p)} | (std::uint64_t{load_le32(p + 4)} << 32);
}
constexpr void store_le16(byte* p, std::uint16_t v) noexcept {
  p[0] = static_cast<byte>(v);
  p[1] = static_cast<byte>(v >> 8);
}
constexpr void store_le32(byte* p, std::uint32_t v) noexcept {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<byte>(v >> (8 * i));
}
constexpr void store_le64(byte* p, std::uint64_t v) noexcept {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<byte>(v >> (8 * i));
}

constexpr bool all_zero(bytes_view b) noexcept {
  byte acc = 0;
  for (byte x : b) acc |= x;
  return acc == 0;
}

// Bounded forward reader. Every read checks the remaining length; errors carry the
// offset at which the input ran out.
class byte_reader {
 public:
  constexpr explicit byte_reader(bytes_view in) noexcept : in_(in) {}

  constexpr std::size_t offset() const noexcept { return pos_; }
  constexpr std::size_t remaining() const noexcept { return in_.size() - pos_; }
  constexpr bool at_end() const noexcept { return pos_ == in_.size(); }
  constexpr std::uint32_t offset32() const noexcept { return static_cast<std::uint32_t>(pos_); }

  constexpr result<byte> u8(std::string_view field = {}) noexcept {
    if (remaining() < 1) return make_error(errc::truncated, field, offset32());
    return in_[pos_++];
  }
  constexpr result<std::uint16_t> le16(std::string_view field = {}) noexcept {
    if (remaining() < 2) return make_error(errc::truncated, field, offset32());
    auto v = load_le16(in_.data() + pos_);
    pos_ += 2;
    return v;
  }
  constexpr result<std::uint32_t> le32(std::string_view field = {}) noexcept {
    if (remaining() < 4) return make_error(errc::truncated, field, offset32());
    auto v = load_le32(in_.data() + pos_);
    pos_ += 4;
    return v;
  }
  constexpr result<std::uint64_t> le64(std::string_view field = {}) noexcept {
    if (remaining() < 8) return make_error(errc::truncated, field, offset32());
    auto v = load_le64(in_.data() + pos_);
    pos_ += 8;
    return v;
  }
  constexpr result<bytes_view> take(std::size_t n, std::string_view field = {}) noexcept {
    if (remaining() < n) return make_error(errc::truncated, field, offset32());
    auto v = in_.subspan(pos_, n);
    pos_ += n;
    return v;
  }
  template <std::size_t N>
  constexpr result<byte_array<N>> array(std::string_view field = {}) noexcept {
    if (remaining() < N) return make_error(errc::truncated, field, offset32());
    byte_array<N> out{};
    for (std::size_t i = 0; i < N; ++i) out[i] = in_[pos_ + i];
    pos_ += N;
    return out;
  }
  constexpr result<void> expect_end(std::string_view field = {}) const noexcept {
    if (!at_end()) return make_error(errc::trailing_bytes, field, offset32());
    return success();
  }

 private:
  bytes_view in_;
  std::size_t pos_ = 0;
};

// Bounded writer into caller memory. Once a write does not fit, the writer stays
// failed, so a caller can write a whole structure and check once at the end.
class byte_writer {
 public:
  constexpr explicit byte_writer(mutable_bytes out) noexcept : out_(out) {}

  constexpr std::size_t size() const noexcept { return pos_; }
  constexpr bool ok() const noexcept { return !overflow_; }
  constexpr bytes_view written() const noexcept { return {out_.data(), pos_}; }

  constexpr void u8(byte v) noexcept {
    if (!reserve(1)) return;
    out_[pos_++] = v;
  }
  constexpr void le16(std::uint16_t v) noexcept {
    if (!reserve(2)) return;
    store_le16(out_.data() + pos_, v);
    pos_ += 2;
  }
  constexpr void le32(std::uint32_t v) noexcept {
    if (!reserve(4)) return;
    store_le32(out_.data() + pos_, v);
    pos_ += 4;
  }
  constexpr void le64(std::uint64_t v) noexcept {
    if (!reserve(8)) return;
    store_le64(out_.data() + pos_, v);
    pos_ += 8;
  }
  constexpr void bytes(bytes_view b) noexcept {
    if (!reserve(b.size())) return;
    copy_bytes(out_.data() + pos_, b.data(), b.size());
    pos_ += b.size();
  }
  constexpr void chars(std::string_view s) noexcept {
    if (!reserve(s.size())) return;
    copy_bytes(out_.data() + pos_, s.data(), s.size());
    pos_ += s.size();
  }

  constexpr result<bytes_view> finish() const noexcept {
    if (overflow_) return make_error(errc::capacity_exceeded);
    return written();
  }

 private:
  constexpr bool reserve(std::size_t n) noexcept {
    if (overflow_ || out_.size() - pos_ < n) {
      overflow_ = true;
      return false;
    }
    return true;
  }

  mutable_bytes out_;
  std::size_t pos_ = 0;
  bool overflow_ = false;
};

}  // namespace authority
