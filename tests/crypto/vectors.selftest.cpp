// crypto: the FIPS 180-4 / NIST SHA-256 examples and RFC 4231 HMAC-SHA256 cases 1-7,
// checked at compile time (static_assert, portable code) and at run time through every
// block function the CPU offers, whole and fed in pieces.
#include "authority/core/encoding.hpp"
#include "authority/crypto/hmac.hpp"
#include "selftest/selftest.hpp"

using namespace authority;
using namespace authority::crypto;

namespace {

template <std::size_t N>
constexpr byte_array<N> hex(std::string_view text) {
  return encoding::hex_decode_exact<N>(text).value();
}

template <std::size_t N>
constexpr byte_array<N> filled(byte value) {
  byte_array<N> out{};
  for (byte& b : out) b = value;
  return out;
}

struct sha256_vector {
  std::string_view message;
  std::string_view digest_hex;
};

constexpr sha256_vector sha256_vectors[] = {
    {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
    {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
    // 448 bits: the padding needs a second block.
    {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
    // 896 bits.
    {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrst"
     "nopqrstu",
     "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
};

constexpr auto key_0b_20 = filled<20>(0x0b);
constexpr auto key_aa_20 = filled<20>(0xaa);
constexpr auto key_0c_20 = filled<20>(0x0c);
constexpr auto key_aa_131 = filled<131>(0xaa);
constexpr auto data_dd_50 = filled<50>(0xdd);
constexpr auto data_cd_50 = filled<50>(0xcd);
constexpr auto key_01_to_25 = [] {
  byte_array<25> k{};
  for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<byte>(i + 1);
  return k;
}();
constexpr std::string_view jefe = "Jefe";

struct hmac_vector {
  bytes_view key;
  std::string_view text;  // the message, when it is text
  bytes_view data;        // the message, when it is bytes
  std::string_view mac_hex;
};

// RFC 4231 section 4; case 5's MAC is truncated to 128 bits.
constexpr hmac_vector hmac_vectors[] = {
    {key_0b_20, "Hi There", {}, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
    {{}, "what do ya want for nothing?", {}, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
    {key_aa_20, {}, data_dd_50, "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
    {key_01_to_25, {}, data_cd_50, "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
    {key_0c_20, "Test With Truncation", {}, "a3b6167473100ee06e0c796c2955552b"},
    {key_aa_131, "Test Using Larger Than Block-Size Key - Hash Key First", {},
     "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
    {key_aa_131,
     "This is a test using a larger than block-size key and a larger than block-size data. The key needs to be "
     "hashed before being used by the HMAC algorithm.",
     {}, "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
};

constexpr bool same_prefix(const digest& d, bytes_view expected) {
  for (std::size_t i = 0; i < expected.size(); ++i)
    if (d[i] != expected[i]) return false;
  return true;
}

constexpr bool sha256_vector_holds(const sha256_vector& v) {
  const digest want = hex<32>(v.digest_hex);
  if (sha256::hash(v.message) != want) return false;
  // Fed in pieces of 1, 7 and 63 bytes, the blocks straddle every buffer state.
  for (std::size_t piece : {std::size_t{1}, std::size_t{7}, std::size_t{63}}) {
    sha256 h;
    for (std::size_t at = 0; at < v.message.size(); at += piece) h.update(v.message.substr(at, piece));
    if (h.finish() != want) return false;
  }
  return true;
}

constexpr digest hmac_of(const hmac_vector& v) {
  // Case 2's key is text; the others are bytes.
  const hmac_sha256_key key = v.key.empty() ? hmac_sha256_key{jefe} : hmac_sha256_key{v.key};
  return v.text.empty() ? key.mac(v.data) : key.mac(v.text);
}

constexpr bool hmac_vector_holds(const hmac_vector& v) {
  const std::size_t mac_size = v.mac_hex.size() / 2;
  byte want[32]{};
  if (!encoding::hex_decode(v.mac_hex, mutable_bytes{want, mac_size}).ok()) return false;
  const bytes_view expected{want, mac_size};
  if (!same_prefix(hmac_of(v), expected)) return false;
  // The incremental interface agrees with the one-shot one.
  const hmac_sha256_key key = v.key.empty() ? hmac_sha256_key{jefe} : hmac_sha256_key{v.key};
  sha256 inner = key.inner();
  if (v.text.empty()) {
    inner.update(v.data.first(v.data.size() / 2)).update(v.data.subspan(v.data.size() / 2));
  } else {
    inner.update(v.text.substr(0, 3)).update(v.text.substr(3));
  }
  return same_prefix(key.finish(inner), expected);
}

// Compile time: constant evaluation always runs the portable code.
static_assert(sha256_vector_holds(sha256_vectors[0]));
static_assert(sha256_vector_holds(sha256_vectors[1]));
static_assert(sha256_vector_holds(sha256_vectors[2]));
static_assert(sha256_vector_holds(sha256_vectors[3]));
static_assert(hmac_vector_holds(hmac_vectors[0]));
static_assert(hmac_vector_holds(hmac_vectors[1]));
static_assert(hmac_vector_holds(hmac_vectors[2]));
static_assert(hmac_vector_holds(hmac_vectors[3]));
static_assert(hmac_vector_holds(hmac_vectors[4]));
static_assert(hmac_vector_holds(hmac_vectors[5]));
static_assert(hmac_vector_holds(hmac_vectors[6]));
static_assert(hmac_sha256(key_aa_20, data_dd_50) == hex<32>(hmac_vectors[2].mac_hex));

// Runs `check` once per block function this CPU has, then restores the active one.
template <class Check>
void for_each_available_impl(selftest::context& ctx, Check check) {
  const sha256_impl before = sha256_active_impl();
  for (const sha256_impl impl : all_sha256_impls) {
    if (!sha256_use_impl(impl)) continue;
    const std::uint64_t failures = ctx.failures();
    check(impl);
    if (ctx.failures() != failures) {
      ctx.write("  ... with the SHA-256 block function ");
      ctx.write(sha256_impl_name(impl));
      ctx.write("\n");
    }
  }
  sha256_use_impl(before);
}

}  // namespace

SELFTEST("crypto/sha256 NIST vectors at run time, every block function") {
  for_each_available_impl(selftest_ctx, [&](sha256_impl) {
    for (const sha256_vector& v : sha256_vectors) ST_CHECK(sha256_vector_holds(v));
  });
}

SELFTEST("crypto/hmac-sha256 RFC 4231 cases 1-7 at run time, every block function") {
  for_each_available_impl(selftest_ctx, [&](sha256_impl) {
    for (const hmac_vector& v : hmac_vectors) ST_CHECK(hmac_vector_holds(v));
  });
}

SELFTEST("crypto/sha256 of one million 'a', every block function") {
  const digest want = hex<32>("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  byte chunk[1000];
  for (byte& b : chunk) b = 'a';
  for_each_available_impl(selftest_ctx, [&](sha256_impl) {
    sha256 h;
    for (int i = 0; i < 1000; ++i) h.update(bytes_view{chunk});
    ST_CHECK(h.finish() == want);
  });
}

SELFTEST("crypto/sha256 resumes from a midstate") {
  // HMAC's trick in general form: hash 64 bytes, keep the midstate, continue elsewhere.
  const std::string_view message = sha256_vectors[3].message;  // 112 bytes
  sha256 first;
  first.update(message.substr(0, 64));
  sha256 resumed{first.midstate(), 64};
  resumed.update(message.substr(64));
  ST_CHECK(resumed.finish() == hex<32>(sha256_vectors[3].digest_hex));
}
