// Checkpoints: a signed statement "log L had `size` entries, the last one hashing to
// `head`, with Merkle root `root`, at `time`". Whoever holds one can later check any
// entry (inclusion proof) and that the log only grew (consistency proof).
//
//   body (97 bytes)   version u8 = 1 | log_id (16) | size u64 LE | time u64 LE | head (32) | root (32)
//   signed message    "authority.checkpoint.v1" || body
//   signature         HMAC-SHA256(key, message) here (kernels with a symmetric key), or
//                     Ed25519 over the same message on the hosted port
//                     (hosted/checkpoint_ed25519.hpp)
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "authority/audit/entry.hpp"
#include "authority/core/bytes.hpp"
#include "authority/core/clock.hpp"
#include "authority/core/result.hpp"
#include "authority/crypto/ct.hpp"
#include "authority/crypto/hmac.hpp"

namespace authority::audit {

inline constexpr std::uint8_t checkpoint_version = 1;
inline constexpr std::size_t checkpoint_body_size = 97;
inline constexpr std::string_view checkpoint_domain = "authority.checkpoint.v1";
inline constexpr std::size_t checkpoint_message_size = 23 + checkpoint_body_size;
static_assert(checkpoint_domain.size() == 23);

struct checkpoint {
  id16 log_id{};
  std::uint64_t size = 0;
  time_ns time = 0;
  digest head{};  // hash of entry `size` (genesis when size is 0)
  digest root{};  // Merkle root of entries 1..size
  constexpr bool operator==(const checkpoint&) const noexcept = default;
};

enum class signature_alg : std::uint8_t { hmac_sha256 = 1, ed25519 = 2 };

struct signed_checkpoint {
  checkpoint body;
  signature_alg alg = signature_alg::hmac_sha256;
  byte_array<64> signature{};  // HMAC uses the first 32 bytes, the rest stay zero
  constexpr bool operator==(const signed_checkpoint&) const noexcept = default;
};

constexpr byte_array<checkpoint_body_size> encode(const checkpoint& c) noexcept {
  byte_array<checkpoint_body_size> out{};
  byte_writer w{out};
  w.u8(checkpoint_version);
  w.bytes(c.log_id);
  w.le64(c.size);
  w.le64(c.time);
  w.bytes(c.head);
  w.bytes(c.root);
  return out;
}

constexpr result<checkpoint> decode_checkpoint(bytes_view in) noexcept {
  byte_reader r{in};
  checkpoint c;
  AUTHORITY_TRY_ASSIGN(const byte version, r.u8("version"));
  if (version != checkpoint_version) return make_error(errc::unsupported_version, "checkpoint version", 0);
  AUTHORITY_TRY_ASSIGN(c.log_id, r.array<16>("log_id"));
  AUTHORITY_TRY_ASSIGN(c.size, r.le64("size"));
  AUTHORITY_TRY_ASSIGN(c.time, r.le64("time"));
  AUTHORITY_TRY_ASSIGN(c.head, r.array<32>("head"));
  AUTHORITY_TRY_ASSIGN(c.root, r.array<32>("root"));
  AUTHORITY_TRY_VOID(r.expect_end("checkpoint"));
  return c;
}

// The bytes a signature covers; the domain string keeps a checkpoint signature from
// being valid as any other message signed with the same key.
constexpr byte_array<checkpoint_message_size> signed_message(const checkpoint& c) noexcept {
  byte_array<checkpoint_message_size> out{};
  byte_writer w{out};
  w.chars(checkpoint_domain);
  w.bytes(encode(c));
  return out;
}

constexpr signed_checkpoint sign_hmac(const checkpoint& c, const crypto::hmac_sha256_key& key) noexcept {
  signed_checkpoint out{c, signature_alg::hmac_sha256, {}};
  const auto message = signed_message(c);
  const digest mac = key.mac(bytes_view{message});
  for (std::size_t i = 0; i < mac.size(); ++i) out.signature[i] = mac[i];
  return out;
}

// checkpoint_signature unless `s` was signed with `key` and not changed since.
inline result<void> verify_hmac(const signed_checkpoint& s, const crypto::hmac_sha256_key& key) noexcept {
  if (s.alg != signature_alg::hmac_sha256) return make_error(errc::checkpoint_signature, "algorithm");
  const auto message = signed_message(s.body);
  const digest mac = key.mac(bytes_view{message});
  const bool tail_zero = all_zero(bytes_view{s.signature}.subspan(mac.size()));
  if (!crypto::verify_mac(mac, bytes_view{s.signature}.first(mac.size())) || !tail_zero)
    return make_error(errc::checkpoint_signature, "signature");
  return success();
}

}  // namespace authority::audit
