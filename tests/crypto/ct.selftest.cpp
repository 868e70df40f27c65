// crypto: constant-time comparison and zeroization give the right answers for every
// position of a difference (their timing is checked by reading the code generation).
#include "authority/crypto/hmac.hpp"
#include "selftest/selftest.hpp"

using namespace authority;
using namespace authority::crypto;

SELFTEST("crypto/ct_equal finds a single flipped bit anywhere") {
  byte a[40], b[40];
  for (std::size_t i = 0; i < sizeof a; ++i) a[i] = b[i] = static_cast<byte>(i * 37 + 1);
  ST_CHECK(ct_equal(a, b));
  ST_CHECK(ct_equal(bytes_view{}, bytes_view{}));
  int missed = 0;
  for (std::size_t i = 0; i < sizeof a; ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      b[i] = static_cast<byte>(b[i] ^ (1u << bit));
      if (ct_equal(a, b)) ++missed;
      b[i] = a[i];
    }
  }
  ST_CHECK(missed == 0);
  ST_CHECK(ct_equal(a, b));
  // Lengths are public: a prefix is not equal.
  ST_CHECK(!ct_equal(bytes_view{a}.first(39), bytes_view{b}));
  ST_CHECK(!ct_equal(bytes_view{}, bytes_view{b}));
}

SELFTEST("crypto/verify_mac accepts only the whole, exact MAC") {
  const hmac_sha256_key key{std::string_view{"verify-mac key"}};
  const digest mac = key.mac(std::string_view{"message"});
  ST_CHECK(verify_mac(mac, mac));
  ST_CHECK(!verify_mac(mac, bytes_view{mac}.first(16)));
  ST_CHECK(!verify_mac(mac, bytes_view{}));
  digest other = mac;
  other[31] ^= 0x80;
  ST_CHECK(!verify_mac(mac, other));
  ST_CHECK(!verify_mac(mac, key.mac(std::string_view{"messagE"})));
}

SELFTEST("crypto/secure_zero and hmac wipe clear secrets") {
  byte secret[33];
  for (byte& b : secret) b = 0xa5;
  secure_zero(secret, sizeof secret);
  ST_CHECK(all_zero(secret));

  hmac_sha256_key key{std::string_view{"a key to forget"}};
  const digest before = key.mac(std::string_view{"m"});
  key.wipe();
  ST_CHECK(key.mac(std::string_view{"m"}) != before);
  // Both midstates are zero now: the MAC is that of the all-zero chaining values.
  const hmac_sha256_key zero_state{};
  ST_CHECK(key.mac(std::string_view{"m"}) == zero_state.mac(std::string_view{"m"}));
}
