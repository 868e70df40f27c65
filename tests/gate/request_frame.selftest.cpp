// Request frames: round trip, and every malformed frame the reference's tests named
// (bad magic, version, length, checksum; truncation; trailing bytes; non-canonical
// fields) refused with its field and offset.
#include "authority/request_frame.hpp"
#include "selftest/selftest.hpp"

using namespace authority;

namespace {
byte frame_buf[1024], copy[1024];

std::size_t sample(effect_request& r) {
  r.op = find_effect("fs.write")->op_code();
  r.seq = 42;
  r.target = "/data/out/report.csv";
  r.version = "";
  r.tokens = 0;
  r.labels = 1;
  r.cost.set(budget::resource::file_bytes, 1234);
  r.cost.set(budget::resource::bytes, 1234);
  static const byte token[] = {'A', 'C', 1, 2, 3};
  static const byte args[] = {'h', 'e', 'l', 'l', 'o'};
  r.capability = token;
  r.payload = args;
  auto f = encode_request(r, frame_buf);
  return f ? f->size() : 0;
}
}  // namespace

SELFTEST("gate/request frames round-trip") {
  effect_request r;
  const auto n = sample(r);
  ST_REQUIRE(n > request_header_size);
  auto back = decode_request({frame_buf, n});
  ST_REQUIRE(back.ok());
  ST_CHECK(back->op == r.op && back->seq == 42 && back->target == r.target && back->labels == 1);
  ST_CHECK(back->cost[budget::resource::file_bytes] == 1234 && back->cost[budget::resource::tokens] == 0);
  ST_CHECK(back->capability.size() == 5 && back->payload.size() == 5 && back->payload[0] == 'h');
  ST_CHECK(request_frame_size({frame_buf, n}).value_or(0) == n);
}

SELFTEST("gate/request frames refuse bad magic, version, length, checksum") {
  effect_request r;
  const auto n = sample(r);
  ST_REQUIRE(n > 0);
  auto mutate = [&](std::size_t at, byte v) {
    for (std::size_t i = 0; i < n; ++i) copy[i] = frame_buf[i];
    copy[at] = v;
    return decode_request({copy, n});
  };
  ST_CHECK(mutate(0, 'X').code() == errc::bad_magic);
  ST_CHECK(mutate(4, 2).code() == errc::unsupported_version);
  ST_CHECK(mutate(6, 1).code() == errc::non_canonical);
  ST_CHECK(mutate(8, static_cast<byte>(frame_buf[8] + 1)).code() == errc::truncated);  // length says more
  ST_CHECK(mutate(11, 0x7f).code() == errc::too_long);                                // length > 64 KiB
  auto crc = mutate(12, static_cast<byte>(frame_buf[12] ^ 1));
  ST_CHECK(crc.code() == errc::bad_checksum && crc.error().field == "crc");
  auto body = mutate(n - 1, static_cast<byte>(frame_buf[n - 1] ^ 1));  // payload changed, CRC not
  ST_CHECK(body.code() == errc::bad_checksum);
  // Truncated anywhere; one byte too many.
  std::size_t refused = 0;
  for (std::size_t len = 0; len < n; ++len) refused += !decode_request({frame_buf, len}).ok();
  ST_CHECK(refused == n);
  for (std::size_t i = 0; i < n; ++i) copy[i] = frame_buf[i];
  copy[n] = 0;
  ST_CHECK(decode_request({copy, n + 1}).code() == errc::trailing_bytes);
}

SELFTEST("gate/request frame payloads are canonical") {
  // Costs out of order are a second spelling: refused even with a correct CRC.
  effect_request r;
  r.op = 0x0101;
  r.seq = 1;
  r.target = "/a";
  r.cost.set(budget::resource::bytes, 1);
  r.cost.set(budget::resource::file_bytes, 1);
  auto f = encode_request(r, frame_buf);
  ST_REQUIRE(f.ok());
  const auto n = f->size();
  for (std::size_t i = 0; i < n; ++i) copy[i] = frame_buf[i];
  // Costs sit after op(2) seq(1) target(1+2) target2(1) version(1) tokens(1) labels(1) count(1).
  const std::size_t costs = request_header_size + 2 + 1 + 3 + 1 + 1 + 1 + 1;
  ST_REQUIRE(copy[costs] == 2 && copy[costs + 1] == 6 && copy[costs + 3] == 9);
  copy[costs + 1] = 9;
  copy[costs + 3] = 6;
  store_le32(copy + 12, crc32c(bytes_view{copy + request_header_size, n - request_header_size}));
  auto swapped = decode_request({copy, n});
  ST_CHECK(swapped.code() == errc::non_canonical && swapped.error().field == "costs");
}
