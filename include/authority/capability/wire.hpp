// The token's canonical binary form and its text form. Exactly one encoding per token:
// decoding rejects unknown versions, non-minimal varints, out-of-range values, invalid
// patterns and trailing bytes, naming the failing field and its offset.
//
//   magic "AC" · version u8 · key_id varint · type u8 · methods (u8 0|1 [· varint bits])
//   · resource (varint len ≤ 256 · bytes) · issued_at_ms varint · ttl_ms varint
//   · rate (u8 0|1 [· count varint · window_ms varint]) · run_id 16 · token_id 16
//   · depth u8 · depth × (ancestor id 16 · rate)                  ← end of the signed body
//   · caveat count u8 · caveats (kind u8 · payload) · mac 32
//
// Text form: "cap1_" followed by the binary form in unpadded base64url.
// docs/capability-format.md describes it for other implementations.
#pragma once

#include <span>
#include <string_view>

#include "authority/capability/token.hpp"
#include "authority/core/encoding.hpp"
#include "authority/pattern/pattern.hpp"

namespace authority::capability {

inline constexpr byte wire_magic[2] = {'A', 'C'};
inline constexpr std::string_view text_prefix = "cap1_";
inline constexpr std::size_t max_text_size =
    text_prefix.size() + (max_token_size * 4 + 2) / 3;

namespace wire_detail {

constexpr void write_rate(byte_writer& w, const rate_limit& r) noexcept {
  w.u8(r.limited ? 1 : 0);
  if (r.limited) {
    encoding::write_varint(w, r.count);
    encoding::write_varint(w, r.window_ms);
  }
}

constexpr void write_string(byte_writer& w, std::string_view s) noexcept {
  encoding::write_varint(w, s.size());
  w.chars(s);
}

inline result<rate_limit> read_rate(byte_reader& r, std::string_view field) noexcept {
  const auto at = r.offset32();
  auto tag = AUTHORITY_TRY(r.u8(field));
  if (tag == 0) return rate_limit::unlimited();
  if (tag != 1) return make_error(errc::non_canonical, field, at);
  const auto count = AUTHORITY_TRY(encoding::read_varint_in(r, 1, 0xffffffffu, field));
  const auto window = AUTHORITY_TRY(encoding::read_varint_in(r, 1, ~std::uint64_t{0}, field));
  return rate_limit::per(static_cast<std::uint32_t>(count), window);
}

// Whether decoding validates resource patterns: `known_valid` only for bytes that have
// decoded (with validation) before, such as a token in the verifier's cache.
enum class pattern_check : bool { validate, known_valid };

inline result<std::string_view> read_pattern(byte_reader& r, cap_type type, std::string_view field,
                                             pattern_check check) noexcept {
  const auto at = r.offset32();
  const auto len = AUTHORITY_TRY(encoding::read_varint_in(r, 0, max_resource_size, field));
  const auto bytes = AUTHORITY_TRY(r.take(static_cast<std::size_t>(len), field));
  const auto text = as_chars(bytes);
  if (check == pattern_check::known_valid) return text;
  auto valid = pattern::validate(find_type(type)->resource_syntax, text);
  if (!valid) return make_error(errc::invalid_pattern, field, at + valid.error().offset);
  return text;
}

inline result<std::uint32_t> read_method_bits(byte_reader& r, cap_type type, std::string_view field) noexcept {
  const auto at = r.offset32();
  const auto bits = AUTHORITY_TRY(encoding::read_varint_in(r, 0, 0xffffffffu, field));
  if ((bits & ~std::uint64_t{valid_method_bits(type)}) != 0) return make_error(errc::out_of_range, field, at);
  return static_cast<std::uint32_t>(bits);
}

}  // namespace wire_detail

// The signed part: everything the issuer's MAC covers.
constexpr void encode_body(const token& t, byte_writer& w) noexcept {
  w.bytes(wire_magic);
  w.u8(t.version);
  encoding::write_varint(w, t.key_id);
  w.u8(static_cast<byte>(t.type));
  w.u8(t.methods.all ? 1 : 0);
  if (!t.methods.all) encoding::write_varint(w, t.methods.bits);
  wire_detail::write_string(w, t.resource.view());
  encoding::write_varint(w, t.issued_at_ms);
  encoding::write_varint(w, t.ttl_ms);
  wire_detail::write_rate(w, t.rate);
  w.bytes(t.run_id);
  w.bytes(t.token_id);
  w.u8(static_cast<byte>(t.lineage.size()));
  for (const auto& a : t.lineage) {
    w.bytes(a.token_id);
    wire_detail::write_rate(w, a.rate);
  }
}

// One caveat: the input of its link in the MAC chain.
constexpr void encode_caveat(const caveat& c, byte_writer& w) noexcept {
  w.u8(static_cast<byte>(c.kind));
  switch (c.kind) {
    case caveat_kind::expires_before:
    case caveat_kind::methods:
      encoding::write_varint(w, c.value);
      break;
    case caveat_kind::resource:
      wire_detail::write_string(w, c.pattern.view());
      break;
    case caveat_kind::bind_run:
      w.bytes(c.run);
      break;
  }
}

constexpr result<bytes_view> encode(const token& t, mutable_bytes out) noexcept {
  byte_writer w{out};
  encode_body(t, w);
  w.u8(static_cast<byte>(t.caveats.size()));
  for (const auto& c : t.caveats) encode_caveat(c, w);
  w.bytes(t.mac);
  return w.finish();
}

// Where the signed body and each caveat end in a token's binary form: the MAC chain is
// computed over these exact bytes, without re-encoding.
struct wire_layout {
  std::size_t body_end = 0;
  std::size_t caveat_begin[max_caveats]{};
  std::size_t caveat_end[max_caveats]{};
};

namespace wire_detail {

inline result<void> decode(bytes_view in, token_view& out, wire_layout* layout, pattern_check check) noexcept {
  if (in.size() > max_token_size) return make_error(errc::too_long, "token", static_cast<std::uint32_t>(max_token_size));
  byte_reader r{in};
  const auto magic = AUTHORITY_TRY(r.array<2>("magic"));
  if (magic[0] != wire_magic[0] || magic[1] != wire_magic[1]) return make_error(errc::bad_magic, "magic", 0);
  {
    const auto at = r.offset32();
    out.version = AUTHORITY_TRY(r.u8("version"));
    if (out.version != token_version) return make_error(errc::unsupported_version, "version", at);
  }
  out.key_id = static_cast<std::uint32_t>(AUTHORITY_TRY(encoding::read_varint_in(r, 0, 0xffffffffu, "key_id")));
  {
    const auto at = r.offset32();
    const auto raw = AUTHORITY_TRY(r.u8("type"));
    if (!is_valid_type(raw)) return make_error(errc::out_of_range, "type", at);
    out.type = static_cast<cap_type>(raw);
  }
  {
    const auto at = r.offset32();
    const auto tag = AUTHORITY_TRY(r.u8("methods"));
    if (tag > 1) return make_error(errc::non_canonical, "methods", at);
    if (tag == 1)
      out.methods = method_set::everything();
    else
      out.methods = method_set::of(AUTHORITY_TRY(wire_detail::read_method_bits(r, out.type, "methods")));
  }
  out.resource = AUTHORITY_TRY(wire_detail::read_pattern(r, out.type, "resource", check));
  out.issued_at_ms = AUTHORITY_TRY(encoding::read_varint(r, "issued_at"));
  {
    const auto at = r.offset32();
    out.ttl_ms = AUTHORITY_TRY(encoding::read_varint(r, "ttl"));
    if (out.issued_at_ms + out.ttl_ms < out.issued_at_ms) return make_error(errc::out_of_range, "ttl", at);
  }
  out.rate = AUTHORITY_TRY(wire_detail::read_rate(r, "rate"));
  out.run_id = AUTHORITY_TRY(r.array<16>("run_id"));
  out.token_id = AUTHORITY_TRY(r.array<16>("token_id"));
  {
    const auto at = r.offset32();
    const auto depth = AUTHORITY_TRY(r.u8("lineage"));
    if (depth > max_depth) return make_error(errc::depth_exceeded, "lineage", at);
    out.lineage.clear();
    for (std::size_t i = 0; i < depth; ++i) {
      ancestor a;
      a.token_id = AUTHORITY_TRY(r.array<16>("lineage"));
      a.rate = AUTHORITY_TRY(wire_detail::read_rate(r, "lineage"));
      (void)out.lineage.push_back(a);
    }
  }
  if (layout) layout->body_end = r.offset();
  {
    const auto at = r.offset32();
    const auto count = AUTHORITY_TRY(r.u8("caveats"));
    if (count > max_caveats) return make_error(errc::capacity_exceeded, "caveats", at);
    (void)out.caveats.resize(count);  // filled in place: no copies of each caveat
    for (std::size_t i = 0; i < count; ++i) {
      caveat_view& c = out.caveats[i];
      c = caveat_view{};
      const auto kind_at = r.offset32();
      if (layout) layout->caveat_begin[i] = r.offset();
      const auto kind = AUTHORITY_TRY(r.u8("caveat"));
      if (kind == 0 || kind > caveat_kind_max) return make_error(errc::out_of_range, "caveat", kind_at);
      c.kind = static_cast<caveat_kind>(kind);
      switch (c.kind) {
        case caveat_kind::expires_before:
          c.value = AUTHORITY_TRY(encoding::read_varint(r, "caveat"));
          break;
        case caveat_kind::methods:
          c.value = AUTHORITY_TRY(wire_detail::read_method_bits(r, out.type, "caveat"));
          break;
        case caveat_kind::resource:
          c.pattern = AUTHORITY_TRY(wire_detail::read_pattern(r, out.type, "caveat", check));
          break;
        case caveat_kind::bind_run:
          c.run = AUTHORITY_TRY(r.array<16>("caveat"));
          break;
      }
      if (layout) layout->caveat_end[i] = r.offset();
    }
  }
  out.mac = AUTHORITY_TRY(r.array<32>("mac"));
  AUTHORITY_TRY(r.expect_end("token"));
  return success();
}

}  // namespace wire_detail

// Decodes into a view of `in` (no copies). On error `out` is unspecified.
inline result<void> decode(bytes_view in, token_view& out, wire_layout* layout = nullptr) noexcept {
  return wire_detail::decode(in, out, layout, wire_detail::pattern_check::validate);
}

// Decodes into an owning token (tokens are a few KiB; callers keep one around).
inline result<void> decode(bytes_view in, token& out) noexcept {
  token_view v;
  AUTHORITY_TRY(decode(in, v));
  materialize(v, out);
  return success();
}

inline result<std::string_view> encode_text(const token& t, std::span<char> out) noexcept {
  byte buf[max_token_size];
  const auto bin = AUTHORITY_TRY(encode(t, buf));
  if (out.size() < text_prefix.size()) return make_error(errc::capacity_exceeded, "text");
  for (std::size_t i = 0; i < text_prefix.size(); ++i) out[i] = text_prefix[i];
  const auto n = AUTHORITY_TRY(encoding::base64url_encode(bin, out.subspan(text_prefix.size())));
  return std::string_view{out.data(), text_prefix.size() + n};
}

// Decodes the text form into its binary bytes (into `scratch`), then into `out`.
inline result<bytes_view> text_to_binary(std::string_view text, mutable_bytes scratch) noexcept {
  if (text.size() > max_text_size) return make_error(errc::too_long, "token", 0);
  if (!text.starts_with(text_prefix)) return make_error(errc::bad_magic, "prefix", 0);
  auto n = encoding::base64url_decode(text.substr(text_prefix.size()), scratch);
  if (!n) {
    auto e = n.error();
    e.offset += static_cast<std::uint32_t>(text_prefix.size());
    return e;
  }
  return bytes_view{scratch.data(), *n};
}

inline result<void> decode_text(std::string_view text, token& out) noexcept {
  byte buf[max_token_size];
  const auto bin = AUTHORITY_TRY(text_to_binary(text, buf));
  return decode(bin, out);
}

}  // namespace authority::capability
