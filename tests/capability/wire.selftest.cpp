// The wire format: canonical, bounded, strict; each decoding failure names its field.
#include "fixture.hpp"
#include "selftest/selftest.hpp"

using namespace authority;
using namespace authority::capability;
using namespace authority::capability::testing;

namespace {
world the_world;
token t, back;
byte buf[max_token_size], copy[max_token_size];
char text[max_text_size];

std::size_t minted(world& w) {
  grant g = w.fs_grant("/data/**", bit(fs_read));
  g.rate = rate_limit::per(10, 60'000);
  g.run_id = id_of(4);
  return w.mint_wire(g, t, buf);
}
}  // namespace

SELFTEST("capability/binary and text forms round-trip") {
  auto& w = the_world;
  w.reset();
  const auto n = minted(w);
  ST_REQUIRE(n > 0);
  ST_CHECK(decode({buf, n}, back).ok());
  ST_CHECK(back == t);
  auto s = encode_text(t, text);
  ST_REQUIRE(s.ok());
  ST_CHECK(s->starts_with("cap1_"));
  ST_CHECK(decode_text(*s, back).ok() && back == t);
}

SELFTEST("capability/every truncation and trailing byte is refused") {
  auto& w = the_world;
  w.reset();
  const auto n = minted(w);
  ST_REQUIRE(n > 0);
  std::size_t refused = 0;
  for (std::size_t len = 0; len < n; ++len) {
    auto r = decode({buf, len}, back);
    if (!r.ok() && r.code() == errc::truncated) ++refused;
  }
  ST_CHECK(refused == n);
  for (std::size_t i = 0; i < n; ++i) copy[i] = buf[i];
  copy[n] = 0;
  auto extra = decode({copy, n + 1}, back);
  ST_CHECK(extra.code() == errc::trailing_bytes && extra.error().offset == n);
}

SELFTEST("capability/bad magic, version, type, tags and varints") {
  auto& w = the_world;
  w.reset();
  const auto n = minted(w);
  ST_REQUIRE(n > 0);
  auto mutate = [&](std::size_t at, byte value) {
    for (std::size_t i = 0; i < n; ++i) copy[i] = buf[i];
    copy[at] = value;
    return decode({copy, n}, back);
  };
  ST_CHECK(mutate(0, 'X').code() == errc::bad_magic);
  auto v = mutate(2, 2);
  ST_CHECK(v.code() == errc::unsupported_version && v.error().field == "version");
  // byte 3 is key_id (1), byte 4 the type.
  auto ty = mutate(4, 0);
  ST_CHECK(ty.code() == errc::out_of_range && ty.error().field == "type" && ty.error().offset == 4);
  ST_CHECK(mutate(4, 11).code() == errc::out_of_range);
  auto tag = mutate(5, 2);
  ST_CHECK(tag.code() == errc::non_canonical && tag.error().field == "methods");
  // An overlong key id (0x81 0x00 for 1) is a second spelling: refused.
  for (std::size_t i = 0; i < 3; ++i) copy[i] = buf[i];
  copy[3] = 0x81;
  copy[4] = 0x00;
  for (std::size_t i = 4; i < n; ++i) copy[i + 1] = buf[i];
  auto overlong = decode({copy, n + 1}, back);
  ST_CHECK(overlong.code() == errc::non_canonical && overlong.error().field == "key_id");
  // A method bit the type does not have: tool tokens have one method (bit 0).
  grant g;
  g.type = cap_type::tool;
  g.resource = "http_get";
  g.methods = method_set::of(1);
  g.ttl_ms = 1000;
  const auto m = w.mint_wire(g, t, buf);
  ST_REQUIRE(m > 0 && buf[6] == 0x01);
  for (std::size_t i = 0; i < m; ++i) copy[i] = buf[i];
  copy[6] = 0x02;
  auto bits = decode({copy, m}, back);
  ST_CHECK(bits.code() == errc::out_of_range && bits.error().field == "methods" && bits.error().offset == 6);
}

SELFTEST("capability/resources are bounded and must be valid patterns") {
  auto& w = the_world;
  w.reset();
  char long_path[300];
  long_path[0] = '/';
  for (std::size_t i = 1; i < sizeof long_path; ++i) long_path[i] = 'a';
  grant g = w.fs_grant(std::string_view(long_path, 257), bit(fs_read));
  ST_CHECK(mint(w.keys, g, t0, w.entropy, t).code() == errc::too_long);
  g.resource = std::string_view(long_path, 256);
  ST_CHECK(mint(w.keys, g, t0, w.entropy, t).ok());
  g.resource = std::string_view("/a\0b", 4);
  ST_CHECK(!mint(w.keys, g, t0, w.entropy, t).ok());
  g.resource = "relative/path";
  ST_CHECK(!mint(w.keys, g, t0, w.entropy, t).ok());
}
