// INV-2 through the C ABI: tokens minted by the C++ issuer verify through authority.h
// with caller-owned key ring, revocation and rate storage, and every bad input named in
// the reference's list fails with its stable code.
#include <catch2/catch.hpp>

#include <array>
#include <vector>

#include "c_abi/c_world.hpp"

using namespace authority;
using namespace authority::c_abi_test;
using capability::cap_type;

namespace {

struct c_verifier {
  c_keys keys;
  authority_revocation_list revoked{};
  std::vector<unsigned char> revocation_storage = std::vector<unsigned char>(AUTHORITY_REVOCATION_STORAGE_SIZE(64));
  alignas(16) std::array<unsigned char, AUTHORITY_RATE_STORAGE_SIZE(64)> buckets{};
  std::vector<unsigned char> cache;
  authority_verifier v{};

  explicit c_verifier(bool with_rates = true, std::size_t cache_slots = 4)
      : cache(AUTHORITY_TOKEN_CACHE_STORAGE_SIZE(cache_slots)) {
    REQUIRE(authority_revocation_list_init(&revoked, revocation_storage.data(), revocation_storage.size(), nullptr) == 0);
    REQUIRE(authority_verifier_init(&v, &keys.ring, &revoked, with_rates ? buckets.data() : nullptr,
                                    with_rates ? buckets.size() : 0, cache.empty() ? nullptr : cache.data(),
                                    cache.size(), nullptr) == 0);
  }

  int verify(const std::vector<std::uint8_t>& token, std::string_view target, std::uint8_t method = 0,
             std::uint64_t now = t0, authority_error* err = nullptr, authority_token_info* info = nullptr,
             std::uint8_t type = AUTHORITY_CAP_FS) {
    authority_access a{};
    a.type = type;
    a.method = method;
    a.target = target.data();
    a.target_len = target.size();
    return authority_verify_token(&v, token.data(), token.size(), &a, now, info, err);
  }
};

}  // namespace

TEST_CASE("a token verifies against an access it covers, and reports its fields", "[c_abi][capability]") {
  issuer is;
  c_verifier cv;
  const auto token = is.mint_fs("/data/**");
  authority_error err{};
  authority_token_info info{};
  REQUIRE(cv.verify(token, "/data/report.txt", 0, t0, &err, &info) == AUTHORITY_OK);
  CHECK(err.code == 0);
  CHECK(info.type == AUTHORITY_CAP_FS);
  CHECK(info.all_methods == 1);
  CHECK(info.key_id == 1);
  CHECK(info.issued_at_ms == t0 / ns_per_ms);
  CHECK(info.expires_at_ms == t0 / ns_per_ms + 3'600'000);
  CHECK(info.depth == 0);

  CHECK(cv.verify(token, "/etc/passwd", 0, t0, &err) == AUTHORITY_ERR_RESOURCE_NOT_COVERED);
  CHECK(field_of(err) == "resource");
  CHECK(cv.verify(token, "/data/x", 0, t0, &err, nullptr, AUTHORITY_CAP_NET) == AUTHORITY_ERR_WRONG_TYPE);
}

TEST_CASE("tampered, unknown-key, expired and future tokens are refused with their codes", "[c_abi][capability]") {
  issuer is;
  c_verifier cv;
  const auto token = is.mint_fs("/data/**", 60'000);
  authority_error err{};

  auto flipped_mac = token;
  flipped_mac.back() ^= 1;
  CHECK(cv.verify(flipped_mac, "/data/a", 0, t0, &err) == AUTHORITY_ERR_BAD_MAC);
  CHECK(field_of(err) == "mac");

  // A token of another issuer key: unknown id in this ring.
  issuer other(9, 2);
  CHECK(cv.verify(other.mint_fs("/data/**"), "/data/a", 0, t0, &err) == AUTHORITY_ERR_KEY_UNKNOWN);
  CHECK(field_of(err) == "key_id");

  // TTL exactly at the boundary has run out.
  CHECK(cv.verify(token, "/data/a", 0, t0 + 60'000 * ns_per_ms - 1) == AUTHORITY_OK);
  CHECK(cv.verify(token, "/data/a", 0, t0 + 60'000 * ns_per_ms, &err) == AUTHORITY_ERR_TOKEN_EXPIRED);
  CHECK(cv.verify(token, "/data/a", 0, t0 - 60 * ns_per_s, &err) == AUTHORITY_ERR_TOKEN_NOT_YET_VALID);

  // Truncated bytes are a decoding error with an offset.
  const std::vector<std::uint8_t> cut(token.begin(), token.begin() + 10);
  CHECK(cv.verify(cut, "/data/a", 0, t0, &err) == AUTHORITY_ERR_TRUNCATED);
  CHECK(err.offset <= 10);
}

TEST_CASE("a retired key verifies for its grace period, then fails with key_expired", "[c_abi][capability]") {
  issuer is;
  c_verifier cv;
  const auto token = is.mint_fs("/data/**", 10 * 3'600'000);
  const auto k2 = test_key(2);
  REQUIRE(authority_key_ring_add_active(&cv.keys.ring, 2, k2.data(), t0, nullptr) == 0);  // retires key 1 at t0
  CHECK(cv.verify(token, "/data/a", 0, t0 + 3599 * ns_per_s) == AUTHORITY_OK);
  CHECK(cv.verify(token, "/data/a", 0, t0 + 3600 * ns_per_s) == AUTHORITY_ERR_KEY_EXPIRED);
  authority_error err{};
  CHECK(authority_key_ring_add_active(&cv.keys.ring, 2, k2.data(), t0, &err) == AUTHORITY_ERR_INVALID_ARGUMENT);
  CHECK(authority_key_ring_remove(&cv.keys.ring, 7, &err) == AUTHORITY_ERR_KEY_UNKNOWN);
}

TEST_CASE("revoking a token or its run refuses it, other tokens stay valid", "[c_abi][capability]") {
  issuer is;
  c_verifier cv;
  const auto a = is.mint_fs("/data/**");
  const auto b = is.mint_fs("/data/**");
  authority_token_info info{};
  REQUIRE(authority_token_inspect(a.data(), a.size(), &info, nullptr) == 0);
  REQUIRE(authority_revoke_token(&cv.revoked, info.token_id, nullptr) == 0);
  CHECK(authority_revocation_count(&cv.revoked) == 1);
  authority_error err{};
  CHECK(cv.verify(a, "/data/x", 0, t0, &err) == AUTHORITY_ERR_REVOKED);
  CHECK(field_of(err) == "token_id");
  CHECK(cv.verify(b, "/data/x") == AUTHORITY_OK);

  const std::array<std::uint8_t, 16> run{1, 2, 3};
  const auto bound = is.mint({cap_type::fs, "/data/**", capability::method_set::everything(), 3'600'000, {},
                              capability::id128{1, 2, 3}});
  authority_access access{};
  access.type = AUTHORITY_CAP_FS;
  access.target = "/data/x";
  access.target_len = 7;
  CHECK(authority_verify_token(&cv.v, bound.data(), bound.size(), &access, t0, nullptr, &err) ==
        AUTHORITY_ERR_RUN_MISMATCH);
  std::copy(run.begin(), run.end(), access.run_id);
  CHECK(authority_verify_token(&cv.v, bound.data(), bound.size(), &access, t0, nullptr, nullptr) == AUTHORITY_OK);
  REQUIRE(authority_revoke_run(&cv.revoked, run.data(), nullptr) == 0);
  CHECK(authority_verify_token(&cv.v, bound.data(), bound.size(), &access, t0, nullptr, nullptr) ==
        AUTHORITY_ERR_REVOKED);
}

TEST_CASE("rate limits: at, over and after the window, refused without bucket storage", "[c_abi][capability]") {
  issuer is;
  const auto token = is.mint_fs("/data/**", 3'600'000, capability::rate_limit::per(2, 1000));
  {
    c_verifier cv;
    CHECK(cv.verify(token, "/data/a") == AUTHORITY_OK);
    CHECK(cv.verify(token, "/data/a") == AUTHORITY_OK);
    authority_error err{};
    CHECK(cv.verify(token, "/data/a", 0, t0, &err) == AUTHORITY_ERR_RATE_LIMITED);
    CHECK(field_of(err) == "rate");
    CHECK(cv.verify(token, "/data/a", 0, t0 + 500 * ns_per_ms) == AUTHORITY_OK);  // one use refilled
  }
  {
    c_verifier no_buckets(false);
    CHECK(no_buckets.verify(token, "/data/a") == AUTHORITY_ERR_RATE_LIMITED);
    CHECK(no_buckets.verify(is.mint_fs("/data/**"), "/data/a") == AUTHORITY_OK);  // unlimited tokens pass
  }
}

TEST_CASE("the text form converts to the binary form verify takes", "[c_abi][capability]") {
  issuer is;
  c_verifier cv;
  const auto token = is.mint_fs("/data/**");
  capability::token t;
  REQUIRE(capability::decode(token, t));
  std::array<char, capability::max_text_size> text{};
  const auto s = capability::encode_text(t, text);
  REQUIRE(s);
  std::vector<std::uint8_t> binary(AUTHORITY_MAX_TOKEN_SIZE);
  std::size_t n = 0;
  REQUIRE(authority_token_from_text(s->data(), s->size(), binary.data(), binary.size(), &n, nullptr) == 0);
  binary.resize(n);
  CHECK(binary == token);
  authority_error err{};
  const std::string wrong = "cap2_AAAA";
  CHECK(authority_token_from_text(wrong.data(), wrong.size(), binary.data(), AUTHORITY_MAX_TOKEN_SIZE, &n, &err) ==
        AUTHORITY_ERR_BAD_MAGIC);
  const std::string bad_char = std::string(*s).replace(10, 1, "!");
  CHECK(authority_token_from_text(bad_char.data(), bad_char.size(), binary.data(), AUTHORITY_MAX_TOKEN_SIZE, &n, &err) ==
        AUTHORITY_ERR_INVALID_ENCODING);
  CHECK(err.offset == 10);
  std::uint8_t small[8];
  CHECK(authority_token_from_text(s->data(), s->size(), small, sizeof small, &n, &err) ==
        AUTHORITY_ERR_CAPACITY_EXCEEDED);
}

TEST_CASE("objects that were not initialized, and bad storage, are refused", "[c_abi][capability]") {
  authority_verifier never{};
  const std::uint8_t token[4] = {};
  authority_access access{};
  authority_error err{};
  CHECK(authority_verify_token(&never, token, sizeof token, &access, t0, nullptr, &err) ==
        AUTHORITY_ERR_INVALID_ARGUMENT);
  CHECK(field_of(err) == "object");

  // A key ring handed over as a revocation list (the tag says which type an object is).
  c_keys keys;
  CHECK(authority_verifier_init(&never, &keys.ring, reinterpret_cast<const authority_revocation_list*>(&keys.ring),
                                nullptr, 0, nullptr, 0, &err) == AUTHORITY_ERR_INVALID_ARGUMENT);
  CHECK(field_of(err) == "revocations");

  authority_revocation_list list{};
  std::vector<unsigned char> storage(AUTHORITY_REVOCATION_STORAGE_SIZE(48));  // not a power of two
  CHECK(authority_revocation_list_init(&list, storage.data(), storage.size(), &err) == AUTHORITY_ERR_INVALID_ARGUMENT);
  CHECK(field_of(err) == "storage");

  std::vector<unsigned char> ok_storage(AUTHORITY_REVOCATION_STORAGE_SIZE(4));
  REQUIRE(authority_revocation_list_init(&list, ok_storage.data(), ok_storage.size(), nullptr) == 0);
  alignas(16) std::array<unsigned char, AUTHORITY_RATE_STORAGE_SIZE(12)> twelve{};  // not a multiple of 8
  CHECK(authority_verifier_init(&never, &keys.ring, &list, twelve.data(), twelve.size(), nullptr, 0, &err) ==
        AUTHORITY_ERR_INVALID_ARGUMENT);
  CHECK(field_of(err) == "rate_storage");
  // Four slots hold three revocations (3/4 full); the fourth is capacity_exceeded.
  for (std::uint8_t i = 1; i <= 3; ++i) {
    const std::uint8_t id[16] = {i};
    CHECK(authority_revoke_token(&list, id, nullptr) == 0);
  }
  const std::uint8_t id4[16] = {4};
  CHECK(authority_revoke_token(&list, id4, &err) == AUTHORITY_ERR_CAPACITY_EXCEEDED);

  authority_key_ring destroyed;
  REQUIRE(authority_key_ring_init(&destroyed, 0) == 0);
  authority_key_ring_destroy(&destroyed);
  const auto k = test_key();
  CHECK(authority_key_ring_add_active(&destroyed, 1, k.data(), t0, nullptr) == AUTHORITY_ERR_INVALID_ARGUMENT);
}

TEST_CASE("a saved revocation list loads only under its state key", "[c_abi][capability]") {
  issuer is;
  const auto token = is.mint_fs("/data/**");
  authority_token_info info{};
  REQUIRE(authority_token_inspect(token.data(), token.size(), &info, nullptr) == 0);
  // Saved by the C++ library, as `authority cap revoke` does.
  std::vector<capability::revocation_slot> slots(16);
  capability::revocation_list saved_list(slots);
  REQUIRE(saved_list.revoke_token(array_to_id(info.token_id)));
  const auto state_key = test_key(42);
  const crypto::hmac_sha256_key mac_key{bytes_view{state_key}};
  std::vector<std::uint8_t> saved(capability::revocation_list::saved_size_bound(16));
  const auto bytes = saved_list.save(mac_key, saved);
  REQUIRE(bytes);

  c_verifier cv;
  const auto wrong_key = test_key(43);
  authority_error err{};
  CHECK(authority_revocation_list_load(&cv.revoked, wrong_key.data(), bytes->data(), bytes->size(), &err) ==
        AUTHORITY_ERR_BAD_MAC);
  CHECK(cv.verify(token, "/data/a") == AUTHORITY_OK);
  REQUIRE(authority_revocation_list_load(&cv.revoked, state_key.data(), bytes->data(), bytes->size(), &err) == 0);
  CHECK(cv.verify(token, "/data/a") == AUTHORITY_ERR_REVOKED);
}
