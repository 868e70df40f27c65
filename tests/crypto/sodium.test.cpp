// crypto: SHA-256 and HMAC-SHA256 agree with libsodium on random inputs, through every
// block function this CPU has, one-shot and fed in random pieces. The seed is Catch's
// --rng-seed when given, else a fixed one; it is printed with any failure.
#include <catch2/catch.hpp>
#include <sodium.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "authority/crypto/hmac.hpp"

using namespace authority;
using namespace authority::crypto;

namespace {

constexpr int random_inputs = 100'000;
constexpr std::size_t max_message = 4096;
constexpr std::size_t max_key = 200;

std::uint64_t test_seed() {
  const unsigned catch_seed = Catch::rngSeed();
  return catch_seed != 0 ? catch_seed : 0x5eed'2024'0001ull;
}

void fill_random(std::mt19937_64& rng, std::vector<byte>& out, std::size_t n) {
  out.resize(n);
  for (std::size_t i = 0; i < n; i += 8) {
    std::uint64_t r = rng();
    for (std::size_t j = i; j < i + 8 && j < n; ++j, r >>= 8) out[j] = static_cast<byte>(r);
  }
}

std::size_t random_below(std::mt19937_64& rng, std::size_t n) { return static_cast<std::size_t>(rng() % n); }

digest sodium_sha256(const std::vector<byte>& m) {
  digest d{};
  crypto_hash_sha256(d.data(), m.data(), m.size());
  return d;
}

digest sodium_hmac(const std::vector<byte>& key, const std::vector<byte>& m) {
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, key.data(), key.size());
  crypto_auth_hmacsha256_update(&st, m.data(), m.size());
  digest d{};
  crypto_auth_hmacsha256_final(&st, d.data());
  return d;
}

std::string hex(const digest& d) {
  static const char digits[] = "0123456789abcdef";
  std::string s;
  for (byte b : d) {
    s += digits[b >> 4];
    s += digits[b & 15];
  }
  return s;
}

// Splits [0, n) into random pieces, some empty, some longer than a block.
std::vector<std::size_t> random_cuts(std::mt19937_64& rng, std::size_t n) {
  std::vector<std::size_t> cuts{0};
  while (cuts.back() < n) {
    const std::size_t piece = random_below(rng, 4) == 0 ? 0 : 1 + random_below(rng, 2 * sha256_block_size + 8);
    cuts.push_back(std::min(n, cuts.back() + piece));
  }
  return cuts;
}

// Every block function available here, made active in turn; restores the best after.
std::vector<sha256_impl> available_impls() {
  std::vector<sha256_impl> out;
  for (sha256_impl impl : all_sha256_impls)
    if (sha256_impl_available(impl)) out.push_back(impl);
  if (out.size() == 1) WARN("only the portable SHA-256 block function is available on this CPU");
  return out;
}

struct restore_best_impl {
  ~restore_best_impl() { sha256_use_impl(sha256_best_impl()); }
};

}  // namespace

TEST_CASE("sha256 matches libsodium on 100,000 random messages, every block function", "[crypto][sodium]") {
  REQUIRE(sodium_init() >= 0);
  restore_best_impl restore;
  for (sha256_impl impl : available_impls()) {
    DYNAMIC_SECTION(sha256_impl_name(impl)) {
      REQUIRE(sha256_use_impl(impl));
      REQUIRE(sha256_active_impl() == impl);
      const std::uint64_t seed = test_seed();
      std::mt19937_64 rng{seed};
      std::vector<byte> m;
      for (int i = 0; i < random_inputs; ++i) {
        fill_random(rng, m, random_below(rng, max_message + 1));
        const digest ours = sha256::hash(bytes_view{m});
        const digest theirs = sodium_sha256(m);
        if (ours != theirs) {
          INFO("seed " << seed << ", input " << i << ", length " << m.size() << ", block function "
                       << sha256_impl_name(impl));
          CHECK(hex(ours) == hex(theirs));
          break;
        }
      }
    }
  }
}

TEST_CASE("sha256 fed in random pieces matches libsodium, every block function", "[crypto][sodium]") {
  REQUIRE(sodium_init() >= 0);
  restore_best_impl restore;
  for (sha256_impl impl : available_impls()) {
    DYNAMIC_SECTION(sha256_impl_name(impl)) {
      REQUIRE(sha256_use_impl(impl));
      const std::uint64_t seed = test_seed() + 1;
      std::mt19937_64 rng{seed};
      std::vector<byte> m;
      for (int i = 0; i < random_inputs / 4; ++i) {
        fill_random(rng, m, random_below(rng, max_message + 1));
        const std::vector<std::size_t> cuts = random_cuts(rng, m.size());
        sha256 h;
        for (std::size_t c = 1; c < cuts.size(); ++c)
          h.update(bytes_view{m}.subspan(cuts[c - 1], cuts[c] - cuts[c - 1]));
        const digest ours = h.finish();
        const digest theirs = sodium_sha256(m);
        if (ours != theirs) {
          INFO("seed " << seed << ", input " << i << ", length " << m.size() << ", " << cuts.size() - 1
                       << " pieces, block function " << sha256_impl_name(impl));
          CHECK(hex(ours) == hex(theirs));
          break;
        }
      }
    }
  }
}

TEST_CASE("hmac-sha256 matches libsodium on 100,000 random keys and messages, every block function",
          "[crypto][sodium]") {
  REQUIRE(sodium_init() >= 0);
  restore_best_impl restore;
  for (sha256_impl impl : available_impls()) {
    DYNAMIC_SECTION(sha256_impl_name(impl)) {
      REQUIRE(sha256_use_impl(impl));
      const std::uint64_t seed = test_seed() + 2;
      std::mt19937_64 rng{seed};
      std::vector<byte> key, m;
      for (int i = 0; i < random_inputs; ++i) {
        fill_random(rng, key, random_below(rng, max_key + 1));
        // Half the messages are short: the two-compression path.
        fill_random(rng, m, random_below(rng, i % 2 == 0 ? 2 * sha256_block_size : max_message + 1));
        const hmac_sha256_key prepared{bytes_view{key}};
        const digest cached = prepared.mac(bytes_view{m});
        const digest one_shot = hmac_sha256(bytes_view{key}, bytes_view{m});
        // The incremental interface, in random pieces.
        sha256 inner = prepared.inner();
        const std::vector<std::size_t> cuts = random_cuts(rng, m.size());
        for (std::size_t c = 1; c < cuts.size(); ++c)
          inner.update(bytes_view{m}.subspan(cuts[c - 1], cuts[c] - cuts[c - 1]));
        const digest incremental = prepared.finish(inner);
        const digest theirs = sodium_hmac(key, m);
        if (cached != theirs || one_shot != theirs || incremental != theirs) {
          INFO("seed " << seed << ", input " << i << ", key length " << key.size() << ", message length "
                       << m.size() << ", block function " << sha256_impl_name(impl));
          CHECK(hex(cached) == hex(theirs));
          CHECK(hex(one_shot) == hex(theirs));
          CHECK(hex(incremental) == hex(theirs));
          break;
        }
      }
    }
  }
}

TEST_CASE("hmac-sha256 keys given as text equal the same bytes", "[crypto]") {
  const std::string key(150, 'k');
  const std::string message = "text and bytes hash alike";
  const hmac_sha256_key from_text{std::string_view{key}};
  const hmac_sha256_key from_bytes{as_bytes(key)};
  CHECK(from_text.mac(std::string_view{message}) == from_bytes.mac(as_bytes(message)));
  CHECK(from_text.mac(std::string_view{message}) == sodium_hmac({key.begin(), key.end()}, {message.begin(), message.end()}));
}
