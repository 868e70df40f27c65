// crypto: every hardware SHA-256 block function agrees with the portable one on
// thousands of deterministic pseudo-random states and messages. Inside the aarch64
// kernel this is the test of the ARMv8 SHA2 path.
#include "authority/crypto/hmac.hpp"
#include "selftest/selftest.hpp"

using namespace authority;
using namespace authority::crypto;

namespace {

// SplitMix64: deterministic, so a failure reproduces on every platform.
struct splitmix64 {
  std::uint64_t state;
  std::uint64_t next() noexcept {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  std::size_t below(std::size_t n) noexcept { return static_cast<std::size_t>(next() % n); }
  void fill(byte* p, std::size_t n) noexcept {
    for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<byte>(next() >> 56);
  }
};

constexpr int random_cases = 3000;
constexpr std::size_t max_blocks = 5;

}  // namespace

SELFTEST("crypto/sha256 hardware block functions match the portable one") {
  bool any_hardware = false;
  for (const sha256_impl impl : all_sha256_impls) {
    if (impl == sha256_impl::portable || !sha256_impl_available(impl)) continue;
    any_hardware = true;
    selftest_ctx.write("  comparing ");
    selftest_ctx.write(sha256_impl_name(impl));
    selftest_ctx.write(" with portable\n");
    splitmix64 rng{0x5a256 ^ static_cast<std::uint64_t>(impl)};
    byte blocks[max_blocks * sha256_block_size];
    int mismatches = 0;
    for (int i = 0; i < random_cases; ++i) {
      sha256_midstate state{};
      for (auto& word : state.h) word = static_cast<std::uint32_t>(rng.next());
      const std::size_t n = 1 + rng.below(max_blocks);
      rng.fill(blocks, n * sha256_block_size);
      sha256_midstate portable = state, hardware = state;
      sha256_compress_with(sha256_impl::portable, portable, blocks, n);
      sha256_compress_with(impl, hardware, blocks, n);
      if (portable != hardware && mismatches++ == 0) {
        selftest_ctx.write("  first mismatch at case ");
        selftest_ctx.write_number(static_cast<std::uint64_t>(i));
        selftest_ctx.write("\n");
      }
    }
    ST_CHECK(mismatches == 0);
  }
  if (!any_hardware) {
    selftest_ctx.write("  no hardware SHA-256 on this CPU: checking that forcing one falls back safely\n");
    ST_CHECK(sha256_best_impl() == sha256_impl::portable);
  }
  // An unavailable block function is refused, and compress_with runs the portable code.
  for (const sha256_impl impl : all_sha256_impls) {
    if (sha256_impl_available(impl)) continue;
    ST_CHECK(!sha256_use_impl(impl));
    byte block[sha256_block_size]{};
    sha256_midstate forced = sha256_initial, portable = sha256_initial;
    sha256_compress_with(impl, forced, block, 1);
    sha256_compress_with(sha256_impl::portable, portable, block, 1);
    ST_CHECK(forced == portable);
  }
  ST_CHECK(sha256_impl_available(sha256_impl::portable));
}

SELFTEST("crypto/sha256 and hmac give the same digests through every block function") {
  // Whole messages through the public API, lengths 0..1100 around every block edge.
  splitmix64 rng{0xd16e57};
  byte message[1100];
  byte key[100];
  const sha256_impl before = sha256_active_impl();
  int mismatches = 0;
  for (int i = 0; i < 600; ++i) {
    const std::size_t length = i < 200 ? static_cast<std::size_t>(i) : rng.below(sizeof message + 1);
    const std::size_t key_length = rng.below(sizeof key + 1);
    rng.fill(message, length);
    rng.fill(key, key_length);
    ST_REQUIRE(sha256_use_impl(sha256_impl::portable));
    const digest hash_portable = sha256::hash(bytes_view{message, length});
    const digest mac_portable = hmac_sha256(bytes_view{key, key_length}, bytes_view{message, length});
    for (const sha256_impl impl : all_sha256_impls) {
      if (impl == sha256_impl::portable || !sha256_use_impl(impl)) continue;
      const bool same = sha256::hash(bytes_view{message, length}) == hash_portable &&
                        hmac_sha256(bytes_view{key, key_length}, bytes_view{message, length}) == mac_portable;
      if (!same && mismatches++ == 0) {
        selftest_ctx.write("  first mismatch: ");
        selftest_ctx.write(sha256_impl_name(impl));
        selftest_ctx.write(", message length ");
        selftest_ctx.write_number(length);
        selftest_ctx.write("\n");
      }
    }
  }
  sha256_use_impl(before);
  ST_CHECK(mismatches == 0);
}
