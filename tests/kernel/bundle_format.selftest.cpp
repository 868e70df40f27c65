// bundle.hpp: the run configuration and key material round-trip, and every malformed
// form is refused with its field (and offset); the frame cursor splits a workload by
// frame headers; fs/ member names map to paths; the logical clock steps per reading.
#include "authority/bundle.hpp"
#include "selftest/selftest.hpp"

using namespace authority;

namespace {

bundle::run_config sample_config() {
  bundle::run_config c;
  for (std::size_t i = 0; i < 16; ++i) {
    c.log_id[i] = static_cast<byte>(i);
    c.agent_id[i] = static_cast<byte>(0x40 + i);
    c.run_id[i] = static_cast<byte>(0x80 + i);
  }
  c.clock_start = 1'735'689'600ull * ns_per_s;
  c.clock_step = ns_per_ms;
  return c;
}

// The ring of a key file with one retired and one active key.
capability::key_ring& sample_ring() {
  static capability::key_ring ring{3600 * ns_per_s};
  static bool filled = false;
  if (!filled) {
    capability::key_secret a{}, b{};
    for (std::size_t i = 0; i < a.size(); ++i) {
      a[i] = static_cast<byte>(i);
      b[i] = static_cast<byte>(0xff - i);
    }
    (void)ring.add_active(3, a, 100);
    (void)ring.add_active(4, b, 200);  // retires key 3 at 200
    filled = true;
  }
  return ring;
}

byte buf[bundle::max_keys_size], copy[bundle::max_keys_size];

}  // namespace

SELFTEST("kernel/bundle config round-trips") {
  const auto c = sample_config();
  auto bytes = bundle::encode_config(c, buf);
  ST_REQUIRE(bytes.ok());
  ST_CHECK(bytes->size() == bundle::config_size);
  auto back = bundle::decode_config(*bytes);
  ST_REQUIRE(back.ok());
  ST_CHECK(*back == c);
  bundle::run_config zero_step = c;
  zero_step.clock_step = 0;
  ST_CHECK(bundle::encode_config(zero_step, buf).code() == errc::out_of_range);
  ST_CHECK(bundle::encode_config(c, {buf, 40}).code() == errc::capacity_exceeded);
}

SELFTEST("kernel/bundle config refuses every malformed form") {
  const auto n = bundle::encode_config(sample_config(), buf)->size();
  auto mutate = [&](std::size_t at, byte v, bool fix_crc) {
    for (std::size_t i = 0; i < n; ++i) copy[i] = buf[i];
    copy[at] = v;
    if (fix_crc) store_le32(copy + n - 4, crc32c(bytes_view{copy, n - 4}));
    return bundle::decode_config({copy, n});
  };
  auto magic = mutate(0, 'X', true);
  ST_CHECK(magic.code() == errc::bad_magic && magic.error().field == "config.magic");
  ST_CHECK(mutate(4, 2, true).code() == errc::unsupported_version);
  ST_CHECK(mutate(6, 1, true).code() == errc::non_canonical);
  (void)mutate(64, 0, true);
  for (std::size_t i = 64; i < 72; ++i) copy[i] = 0;  // clock_step 0
  store_le32(copy + n - 4, crc32c(bytes_view{copy, n - 4}));
  auto zero = bundle::decode_config({copy, n});
  ST_CHECK(zero.code() == errc::out_of_range && zero.error().field == "config.clock_step");
  auto crc = mutate(30, static_cast<byte>(buf[30] ^ 1), false);  // a changed id, CRC not updated
  ST_CHECK(crc.code() == errc::bad_checksum && crc.error().field == "config.crc" && crc.error().offset == n - 4);
  std::size_t refused = 0;
  for (std::size_t len = 0; len < n; ++len) refused += bundle::decode_config({buf, len}).code() == errc::truncated;
  ST_CHECK(refused == n);
  for (std::size_t i = 0; i < n; ++i) copy[i] = buf[i];
  copy[n] = 0;
  ST_CHECK(bundle::decode_config({copy, n + 1}).code() == errc::trailing_bytes);
}

SELFTEST("kernel/bundle key material round-trips into a ring that verifies") {
  auto bytes = bundle::encode_keys(sample_ring(), buf);
  ST_REQUIRE(bytes.ok());
  ST_CHECK(bytes->size() == 16 + 2 * bundle::key_record_size + 4);
  auto m = bundle::decode_keys(*bytes);
  ST_REQUIRE(m.ok());
  ST_CHECK(m->grace_period == 3600 * ns_per_s && m->keys.size() == 2);
  static capability::key_ring ring;
  ring.wipe();
  ST_REQUIRE(bundle::install_keys(*m, ring, 1000).ok());
  auto signing = ring.signing_key();
  ST_CHECK(signing.ok() && (*signing)->id == 4 && (*signing)->secret[0] == 0xff);
  auto retired = ring.for_verify(3, 300);
  ST_CHECK(retired.ok() && (*retired)->state == capability::key_state::retired && (*retired)->retired_at == 200);
  ST_CHECK(ring.for_verify(3, 200 + 3600 * ns_per_s).code() == errc::key_expired);  // grace came along
  m->wipe();
  ST_CHECK(m->keys.empty());
}

SELFTEST("kernel/bundle key material refuses every malformed form") {
  const auto n = bundle::encode_keys(sample_ring(), buf)->size();
  auto mutate = [&](std::size_t at, byte v) {
    for (std::size_t i = 0; i < n; ++i) copy[i] = buf[i];
    copy[at] = v;
    store_le32(copy + n - 4, crc32c(bytes_view{copy, n - 4}));
    return bundle::decode_keys({copy, n});
  };
  const std::size_t first = 16, second = 16 + bundle::key_record_size;
  ST_CHECK(mutate(1, 'X').code() == errc::bad_magic);
  ST_CHECK(mutate(4, 9).code() == errc::unsupported_version);
  ST_CHECK(mutate(6, 0).code() == errc::out_of_range);                     // no keys
  ST_CHECK(mutate(6, 9).code() == errc::out_of_range);                     // more than a ring holds
  ST_CHECK(mutate(first + 4, 0).code() == errc::out_of_range);             // state "empty"
  ST_CHECK(mutate(first + 5, 1).code() == errc::non_canonical);            // reserved byte
  ST_CHECK(mutate(second + 0, buf[first]).code() == errc::invalid_argument);  // the same id twice
  for (std::size_t i = first + 8; i < first + 16; ++i) buf[i] = 0;         // key 3 not retired …
  ST_CHECK(mutate(first + 4, 1).code() == errc::invalid_argument);         // … but active: two active keys
  (void)bundle::encode_keys(sample_ring(), buf);
  auto active_retired_at = mutate(second + 8, 1);                          // an active key with a retired time
  ST_CHECK(active_retired_at.code() == errc::non_canonical && active_retired_at.error().field == "keys.retired_at");
  for (std::size_t i = 0; i < n; ++i) copy[i] = buf[i];
  copy[first + 20] ^= 1;  // a secret bit, CRC not updated
  ST_CHECK(bundle::decode_keys({copy, n}).code() == errc::bad_checksum);
  std::size_t refused = 0;
  for (std::size_t len = 0; len < n; ++len) refused += !bundle::decode_keys({buf, len}).ok();
  ST_CHECK(refused == n);
  static capability::key_ring empty;
  ST_CHECK(bundle::encode_keys(empty, buf).code() == errc::not_found);
}

SELFTEST("kernel/bundle workload cursor splits frames and stops at an unreadable header") {
  static byte stream[512];
  effect_request r;
  r.op = 0x0101;
  r.target = "/data/a";
  std::size_t n = 0;
  for (std::uint64_t seq = 1; seq <= 3; ++seq) {
    r.seq = seq;
    auto f = encode_request(r, {stream + n, sizeof stream - n});
    ST_REQUIRE(f.ok());
    n += f->size();
  }
  const byte junk[] = {'j', 'u', 'n', 'k', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9};
  for (auto b : junk) stream[n++] = b;
  bundle::frame_cursor cursor{{stream, n}};
  std::uint64_t seqs = 0, frames = 0;
  bytes_view last{};
  while (!cursor.done()) {
    last = cursor.next();
    ++frames;
    if (auto d = decode_request(last)) seqs = seqs * 10 + d->seq;
  }
  ST_CHECK(frames == 4 && seqs == 123);
  ST_CHECK(last.size() == sizeof junk && decode_request(last).code() == errc::bad_magic);
  ST_CHECK(cursor.offset() == n);
  ST_CHECK(bundle::frame_cursor{{}}.done());
}

SELFTEST("kernel/bundle fs members map to paths; the logical clock steps per reading") {
  ST_CHECK(bundle::fs_path_of("fs/data/a.txt") == "/data/a.txt");
  ST_CHECK(bundle::fs_path_of("fs") == "/");
  ST_CHECK(bundle::fs_path_of("fsx/a").empty() && bundle::fs_path_of("authority/policy").empty());
  bundle::logical_clock clock{1000, 7};
  ST_CHECK(clock.now_ns() == 1000 && clock.now_ns() == 1007 && clock.now_ns() == 1014);
  ST_CHECK(clock.readings() == 3);
}
