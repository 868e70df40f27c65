// Text and integer encodings used on the wire: lowercase hex, unpadded base64url
// (RFC 4648 §5) and unsigned LEB128 varints. Decoders are strict: exactly one accepted
// spelling per value (lowercase or uppercase hex both decode, but base64url must have
// zero pad bits and varints must be minimal), so that an encoding is canonical.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "authority/core/bytes.hpp"
#include "authority/core/result.hpp"

namespace authority::encoding {

// ---- hex -------------------------------------------------------------------------

constexpr std::size_t hex_size(std::size_t n) noexcept { return 2 * n; }

constexpr char hex_digit(unsigned v) noexcept { return "0123456789abcdef"[v & 15]; }

constexpr int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Writes 2*in.size() chars; returns the number written or capacity_exceeded.
constexpr result<std::size_t> hex_encode(bytes_view in, std::span<char> out) noexcept {
  if (out.size() < hex_size(in.size())) return make_error(errc::capacity_exceeded);
  for (std::size_t i = 0; i < in.size(); ++i) {
    out[2 * i] = hex_digit(in[i] >> 4);
    out[2 * i + 1] = hex_digit(in[i]);
  }
  return hex_size(in.size());
}

// Decodes exactly; odd length or a non-hex character is invalid_encoding with the offset.
constexpr result<std::size_t> hex_decode(std::string_view in, mutable_bytes out) noexcept {
  if (in.size() % 2 != 0) return make_error(errc::invalid_encoding, "hex", static_cast<std::uint32_t>(in.size()));
  if (out.size() < in.size() / 2) return make_error(errc::capacity_exceeded, "hex");
  for (std::size_t i = 0; i < in.size(); i += 2) {
    int hi = hex_value(in[i]), lo = hex_value(in[i + 1]);
    if (hi < 0) return make_error(errc::invalid_encoding, "hex", static_cast<std::uint32_t>(i));
    if (lo < 0) return make_error(errc::invalid_encoding, "hex", static_cast<std::uint32_t>(i + 1));
    out[i / 2] = static_cast<byte>((hi << 4) | lo);
  }
  return in.size() / 2;
}

// Decodes into a fixed-size array; the text must be exactly 2*N characters.
template <std::size_t N>
constexpr result<byte_array<N>> hex_decode_exact(std::string_view in) noexcept {
  if (in.size() != 2 * N) return make_error(errc::invalid_encoding, "hex length", static_cast<std::uint32_t>(in.size()));
  byte_array<N> out{};
  auto r = hex_decode(in, out);
  if (!r) return r.error();
  return out;
}

// ---- base64url (no padding) -------------------------------------------------------

inline constexpr std::string_view base64url_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr std::size_t base64url_size(std::size_t n) noexcept { return (n * 4 + 2) / 3; }
constexpr std::size_t base64url_decoded_max(std::size_t chars) noexcept { return chars * 3 / 4; }

constexpr int base64url_value(char c) noexcept {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

constexpr result<std::size_t> base64url_encode(bytes_view in, std::span<char> out) noexcept {
  const std::size_t need = base64url_size(in.size());
  if (out.size() < need) return make_error(errc::capacity_exceeded);
  std::size_t o = 0, i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    std::uint32_t v = (std::uint32_t{in[i]} << 16) | (std::uint32_t{in[i + 1]} << 8) | in[i + 2];
    out[o++] = base64url_alphabet[(v >> 18) & 63];
    out[o++] = base64url_alphabet[(v >> 12) & 63];
    out[o++] = base64url_alphabet[(v >> 6) & 63];
    out[o++] = base64url_alphabet[v & 63];
  }
  const std::size_t rest = in.size() - i;
  if (rest == 1) {
    std::uint32_t v = std::uint32_t{in[i]} << 16;
    out[o++] = base64url_alphabet[(v >> 18) & 63];
    out[o++] = base64url_alphabet[(v >> 12) & 63];
  } else if (rest == 2) {
    std::uint32_t v = (std::uint32_t{in[i]} << 16) | (std::uint32_t{in[i + 1]} << 8);
    out[o++] = base64url_alphabet[(v >> 18) & 63];
    out[o++] = base64url_alphabet[(v >> 12) & 63];
    out[o++] = base64url_alphabet[(v >> 6) & 63];
  }
  return o;
}

// Strict: rejects '=', any character outside the alphabet, a length of 1 mod 4, and
// non-zero pad bits (which would give a second spelling of the same bytes).
constexpr result<std::size_t> base64url_decode(std::string_view in, mutable_bytes out) noexcept {
  if (in.size() % 4 == 1) return make_error(errc::invalid_encoding, "base64url length", static_cast<std::uint32_t>(in.size()));
  const std::size_t n = base64url_decoded_max(in.size());
  if (out.size() < n) return make_error(errc::capacity_exceeded, "base64url");
  std::size_t o = 0;
  std::uint32_t acc = 0;
  int bits = 0;
  for (std::size_t i = 0; i < in.size(); ++i) {
    int v = base64url_value(in[i]);
    if (v < 0) return make_error(errc::invalid_encoding, "base64url", static_cast<std::uint32_t>(i));
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = static_cast<byte>(acc >> bits);
      acc &= (1u << bits) - 1;
    }
  }
  if (acc != 0) return make_error(errc::non_canonical, "base64url pad bits", static_cast<std::uint32_t>(in.size() - 1));
  return o;
}

// ---- unsigned LEB128 varint -------------------------------------------------------

inline constexpr std::size_t varint_max_size = 10;

constexpr std::size_t varint_size(std::uint64_t v) noexcept {
  std::size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

constexpr void write_varint(byte_writer& w, std::uint64_t v) noexcept {
  while (v >= 0x80) {
    w.u8(static_cast<byte>(v | 0x80));
    v >>= 7;
  }
  w.u8(static_cast<byte>(v));
}

// Rejects overlong forms (a trailing 0x00 continuation group) and values past 2^64-1.
constexpr result<std::uint64_t> read_varint(byte_reader& r, std::string_view field = {}) noexcept {
  const auto start = r.offset32();
  std::uint64_t v = 0;
  for (unsigned shift = 0, i = 0; i < varint_max_size; ++i, shift += 7) {
    auto b = r.u8(field);
    if (!b) return b.error();
    const std::uint64_t group = *b & 0x7f;
    if (i == varint_max_size - 1 && *b > 1) return make_error(errc::out_of_range, field, start);
    v |= group << shift;
    if ((*b & 0x80) == 0) {
      if (i > 0 && *b == 0) return make_error(errc::non_canonical, field, start);
      return v;
    }
  }
  return make_error(errc::out_of_range, field, start);
}

// A varint that must fit in [lo, hi].
constexpr result<std::uint64_t> read_varint_in(byte_reader& r, std::uint64_t lo, std::uint64_t hi,
                                               std::string_view field) noexcept {
  const auto start = r.offset32();
  auto v = read_varint(r, field);
  if (!v) return v.error();
  if (*v < lo || *v > hi) return make_error(errc::out_of_range, field, start);
  return v;
}

}  // namespace authority::encoding
