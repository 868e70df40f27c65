// The blob: every truncation and every flipped bit fails open(), wrong keys fail the
// MAC, newer formats are refused, signatures verify with libsodium, the hash is SHA-256.
#include <sodium.h>

#include <set>

#include "support.hpp"

using namespace policy_core_test;

namespace {

constexpr std::string_view sample = R"({
  "fs": {"read": ["/usr/**", "/etc/*.conf", "/a/**/b"], "write": ["/tmp/**"], "deny": ["/etc/shadow"]},
  "net": {"dns": ["*.example.com"], "connect": ["dns:api.example.com:443", "ip:10.0.0.0/8:5432", "ip:[::1]:80", "ip:*:53"]},
  "tools": {"allow": ["git", {"name": "db", "version": ">=1"}, "x*"], "deny": ["rm"]},
  "infer": {"models": ["gpt-4"], "max_tokens": 10},
  "budgets": {"tool_calls": 3},
  "taint": {"sources": [{"effect": "net.*", "label": "untrusted"}],
            "sinks": [{"effect": "tool.call", "target": "git", "deny": ["untrusted"]}]}
})";

const std::set<errc> decode_errors{errc::truncated, errc::trailing_bytes, errc::bad_magic, errc::unsupported_version,
                                   errc::out_of_range, errc::invalid_encoding, errc::policy_mac, errc::key_unknown,
                                   errc::key_expired};

}  // namespace

TEST_CASE("blob: the compiled sample opens and decides") {
  auto p = load(sample);
  CHECK(p->allows(op::fs_read, "/usr/bin/env"));
  CHECK(p->policy.revision() == 1);
  CHECK(p->policy.key_id() == test_key_id);
  CHECK_FALSE(p->policy.signature().has_value());
  CHECK(p->blob.size() > blob::sections_end + blob::mac_size);
}

TEST_CASE("blob: compilation is deterministic and the hash is SHA-256 of the bytes") {
  auto ast = parse_ok(sample);
  auto a = compile_ok(ast, 5), b = compile_ok(ast, 5), c = compile_ok(ast, 6);
  CHECK(a == b);
  CHECK(a != c);
  auto p = compiled_policy::open(a, keys(), now);
  REQUIRE(p.ok());
  REQUIRE(sodium_init() >= 0);
  crypto::digest expected{};
  crypto_hash_sha256(expected.data(), a.data(), a.size());
  CHECK(p->hash() == expected);
  CHECK(p->revision() == 5);
}

TEST_CASE("blob: every truncation fails to open") {
  const auto blob = compile_ok(parse_ok(sample));
  for (std::size_t n = 0; n < blob.size(); ++n) {
    auto r = compiled_policy::open(bytes_view{blob.data(), n}, keys(), now);
    INFO("length " << n);
    REQUIRE_FALSE(r.ok());
    CHECK(decode_errors.count(r.code()) == 1);
  }
  auto longer = blob;
  longer.push_back(0);
  CHECK(compiled_policy::open(longer, keys(), now).code() == errc::trailing_bytes);
}

TEST_CASE("blob: every flipped bit fails to open, outside the header it is policy_mac") {
  const auto blob = compile_ok(parse_ok(sample));
  std::size_t mac_failures = 0;
  for (std::size_t i = 0; i < blob.size(); ++i)
    for (int bit = 0; bit < 8; ++bit) {
      auto copy = blob;
      copy[i] = static_cast<std::uint8_t>(copy[i] ^ (1u << bit));
      auto r = compiled_policy::open(copy, keys(), now);
      INFO("byte " << i << " bit " << bit);
      REQUIRE_FALSE(r.ok());
      CHECK(decode_errors.count(r.code()) == 1);
      if (i >= blob::header_size) {
        CHECK(r.code() == errc::policy_mac);
        ++mac_failures;
      }
      if (i < 8) CHECK(r.code() == errc::bad_magic);
      if (i == blob::at_version || i == blob::at_version + 1) CHECK(r.code() == errc::unsupported_version);
      if (i >= blob::at_key_id && i < blob::at_key_id + 4) CHECK(r.code() == errc::key_unknown);
    }
  CHECK(mac_failures == (blob.size() - blob::header_size) * 8);
}

TEST_CASE("blob: wrong key, unknown key id, retired key past its grace period") {
  const auto blob = compile_ok(parse_ok(sample));
  auto other = test_ring(test_key_id, 99);  // same id, different secret
  CHECK(compiled_policy::open(blob, *other, now).code() == errc::policy_mac);
  auto elsewhere = test_ring(8);
  CHECK(compiled_policy::open(blob, *elsewhere, now).code() == errc::key_unknown);
  capability::key_ring rotated{10 * ns_per_s};
  REQUIRE(rotated.add_active(test_key_id, test_secret(), now).ok());
  REQUIRE(rotated.add_active(test_key_id + 1, test_secret(50), now).ok());  // retires key 7 at `now`
  CHECK(compiled_policy::open(blob, rotated, now + 5 * ns_per_s).ok());
  CHECK(compiled_policy::open(blob, rotated, now + 10 * ns_per_s).code() == errc::key_expired);
}

TEST_CASE("blob: a newer format version is unsupported_version, whatever follows") {
  auto blob = compile_ok(parse_ok(sample));
  store_le16(blob.data() + blob::at_version, blob::format_version + 1);
  CHECK(compiled_policy::open(blob, keys(), now).code() == errc::unsupported_version);
  blob.resize(blob::at_version + 2);
  CHECK(compiled_policy::open(blob, keys(), now).code() == errc::unsupported_version);
  CHECK(compiled_policy::open(bytes_view{blob.data(), 3}, keys(), now).code() == errc::truncated);
  const std::uint8_t wrong[] = {'A', 'U', 'T', 'X'};
  CHECK(compiled_policy::open(wrong, keys(), now).code() == errc::bad_magic);
}

TEST_CASE("blob: structural damage under a valid MAC is caught by the decoder") {
  // Re-MAC a damaged blob with the test key: only the structural checks stand between
  // the bytes and the evaluator.
  const auto original = compile_ok(parse_ok(sample));
  auto remac = [&](std::vector<std::uint8_t> b) {
    const crypto::hmac_sha256_key key{bytes_view{test_secret()}};
    const auto mac = key.mac(bytes_view{b.data(), b.size() - blob::mac_size});
    std::copy(mac.begin(), mac.end(), b.end() - blob::mac_size);
    return b;
  };
  REQUIRE(compiled_policy::open(remac(original), keys(), now).ok());
  std::size_t refused = 0, accepted = 0;
  for (std::size_t i = blob::header_size; i + blob::mac_size < original.size(); ++i) {
    auto copy = original;
    copy[i] = static_cast<std::uint8_t>(copy[i] ^ 0x80);
    const auto damaged = remac(copy);  // open() keeps views into the bytes: they must outlive r
    auto r = compiled_policy::open(damaged, keys(), now);
    if (!r.ok()) {
      CHECK(decode_errors.count(r.code()) == 1);
      ++refused;
      continue;
    }
    ++accepted;  // e.g. a changed string byte: a different but well-formed policy
    for (auto kind : {op::fs_read, op::net_connect, op::tool_call, op::infer, op::net_dns})
      (void)r->evaluate({kind, kind == op::fs_read ? "/usr/x" : kind == op::net_connect ? "ip:10.1.1.1:5432" : kind == op::net_dns ? "a.example.com" : "git"});
  }
  CHECK(refused > 0);
  CHECK(accepted > 0);
  // The section table must describe the sections exactly.
  auto table = original;
  store_le32(table.data() + blob::header_size + 4, blob::sections_end + 1);
  CHECK(compiled_policy::open(remac(table), keys(), now).code() == errc::out_of_range);
  auto count = original;
  store_le32(count.data() + blob::at_section_count, blob::section_count + 1);
  CHECK(compiled_policy::open(remac(count), keys(), now).code() == errc::out_of_range);
}

TEST_CASE("blob: the optional Ed25519 signature covers header and sections, the MAC covers it too") {
  REQUIRE(sodium_init() >= 0);
  unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
  crypto_sign_keypair(pk, sk);
  hosted::policy_compile_options options;
  options.revision = 3;
  options.sign = [&](bytes_view message) {
    hosted::ed25519_signature s{};
    crypto_sign_detached(s.data(), nullptr, message.data(), message.size(), sk);
    return s;
  };
  auto compiled = hosted::compile_policy(parse_ok(sample), keys(), options);
  REQUIRE(compiled.ok());
  auto p = compiled_policy::open(compiled.blob, keys(), now);
  REQUIRE(p.ok());
  REQUIRE(p->signature().has_value());
  const auto signed_part = p->signed_bytes();
  CHECK(signed_part.size() == compiled.blob.size() - blob::mac_size - blob::signature_size);
  CHECK(crypto_sign_verify_detached(p->signature()->data(), signed_part.data(), signed_part.size(), pk) == 0);
  CHECK(p->evaluate({op::fs_read, "/usr/bin/env"}).allow);
  // A changed signature fails the MAC, so the kernel (which has no Ed25519) notices too.
  auto forged = compiled.blob;
  forged[forged.size() - blob::mac_size - 1] ^= 1;
  CHECK(compiled_policy::open(forged, keys(), now).code() == errc::policy_mac);
  unsigned char other_pk[crypto_sign_PUBLICKEYBYTES], other_sk[crypto_sign_SECRETKEYBYTES];
  crypto_sign_keypair(other_pk, other_sk);
  CHECK(crypto_sign_verify_detached(p->signature()->data(), signed_part.data(), signed_part.size(), other_pk) != 0);
}
