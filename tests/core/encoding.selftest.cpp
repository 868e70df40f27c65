// core/encoding: hex, base64url and varints round-trip and reject every non-canonical
// or malformed spelling with the offset of the problem.
#include "authority/core/encoding.hpp"
#include "selftest/selftest.hpp"

using namespace authority;
using namespace authority::encoding;

namespace {
bool same(bytes_view a, bytes_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i] != b[i]) return false;
  return true;
}
}  // namespace

SELFTEST("core/hex round trip and strict decoding") {
  const byte in[] = {0x00, 0x01, 0xab, 0xff, 0x7f};
  char text[10];
  auto n = hex_encode(in, text);
  ST_REQUIRE(n.ok() && *n == 10);
  ST_CHECK(std::string_view(text, 10) == "0001abff7f");
  byte back[5];
  ST_CHECK(hex_decode("0001ABFF7f", back).ok());
  ST_CHECK(same(back, in));
  // odd length, invalid character (with its offset), too small output
  ST_CHECK(hex_decode("abc", back).code() == errc::invalid_encoding);
  auto bad = hex_decode("00zz", back);
  ST_CHECK(bad.code() == errc::invalid_encoding && bad.error().offset == 2);
  byte tiny[1];
  ST_CHECK(hex_decode("0000", tiny).code() == errc::capacity_exceeded);
  ST_CHECK(hex_decode_exact<2>("00").code() == errc::invalid_encoding);
  ST_CHECK(hex_decode_exact<2>("0a0b").ok());
}

SELFTEST("core/base64url matches RFC 4648 vectors") {
  struct vec {
    std::string_view plain, encoded;
  };
  // RFC 4648 §10 vectors, unpadded.
  const vec vectors[] = {{"", ""},         {"f", "Zg"},         {"fo", "Zm8"},         {"foo", "Zm9v"},
                         {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"}};
  for (const auto& v : vectors) {
    char out[16];
    auto n = base64url_encode(as_bytes(v.plain), out);
    ST_CHECK(n.ok() && std::string_view(out, *n) == v.encoded);
    byte back[16];
    auto m = base64url_decode(v.encoded, back);
    ST_CHECK(m.ok() && same(bytes_view(back, *m), as_bytes(v.plain)));
  }
  const byte url_chars[] = {0xfb, 0xff, 0xbf};  // uses '-' and '_' where base64 has '+' '/'
  char out[4];
  ST_CHECK(base64url_encode(url_chars, out).ok() && std::string_view(out, 4) == "-_-_");
}

SELFTEST("core/base64url rejects padding, bad characters and non-zero pad bits") {
  byte out[16];
  ST_CHECK(base64url_decode("Zg==", out).code() == errc::invalid_encoding);
  ST_CHECK(base64url_decode("Zm9v+A", out).code() == errc::invalid_encoding);
  ST_CHECK(base64url_decode("Z", out).code() == errc::invalid_encoding);  // length 1 mod 4
  // "Zh" decodes to the same byte as "Zg" if pad bits were ignored: must be refused.
  ST_CHECK(base64url_decode("Zh", out).code() == errc::non_canonical);
  ST_CHECK(base64url_decode("Zm9", out).code() == errc::non_canonical);
  auto r = base64url_decode(std::string_view("Zm\0v", 4), out);  // embedded NUL
  ST_CHECK(r.code() == errc::invalid_encoding && r.error().offset == 2);
}

SELFTEST("core/varint is minimal, bounded and round-trips") {
  const std::uint64_t values[] = {0, 1, 127, 128, 300, 16383, 16384, 0xffffffffu, ~std::uint64_t{0}};
  for (auto v : values) {
    byte buf[varint_max_size];
    byte_writer w{buf};
    write_varint(w, v);
    ST_REQUIRE(w.ok());
    ST_CHECK(w.size() == varint_size(v));
    byte_reader r{w.written()};
    auto back = read_varint(r, "v");
    ST_CHECK(back.ok() && *back == v && r.at_end());
  }
  {  // overlong zero: 0x80 0x00
    const byte overlong[] = {0x80, 0x00};
    byte_reader r{overlong};
    ST_CHECK(read_varint(r, "v").code() == errc::non_canonical);
  }
  {  // 11 bytes / value past 2^64-1
    const byte too_big[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02};
    byte_reader r{too_big};
    ST_CHECK(read_varint(r, "v").code() == errc::out_of_range);
  }
  {  // truncated: continuation bit on the last byte
    const byte cut[] = {0x80};
    byte_reader r{cut};
    auto e = read_varint(r, "ttl");
    ST_CHECK(e.code() == errc::truncated && e.error().field == "ttl");
  }
  {
    const byte five[] = {0x05};
    byte_reader r{five};
    ST_CHECK(read_varint_in(r, 1, 4, "depth").code() == errc::out_of_range);
  }
}

SELFTEST("core/byte_writer fails closed on overflow") {
  byte buf[3];
  byte_writer w{buf};
  w.le16(0x1234);
  w.le16(0x5678);  // does not fit
  w.u8(1);         // must not be written after a failure
  ST_CHECK(!w.ok());
  ST_CHECK(w.finish().code() == errc::capacity_exceeded);
  byte_reader r{bytes_view(buf, 2)};
  ST_CHECK(*r.le16() == 0x1234);
  ST_CHECK(r.expect_end().ok());
  ST_CHECK(r.u8("x").code() == errc::truncated);
}
