// Ed25519 checkpoints (libsodium) and the checkpoint text form used by the CLI.
// The signed message is the same as for HMAC checkpoints (audit/checkpoint.hpp):
// "authority.checkpoint.v1" || 97-byte body.
//
// Key files are hex text, as libsodium's crypto_sign_keypair produces the keys:
// a secret key file holds 64 bytes (seed || public key), a public key file 32 bytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "authority/audit/checkpoint.hpp"
#include "authority/core/bytes.hpp"
#include "authority/core/result.hpp"
#include "authority/hosted/audit_file.hpp"

namespace authority::hosted {

using ed25519_public_key = byte_array<32>;
using ed25519_secret_key = byte_array<64>;

struct ed25519_keypair {
  ed25519_public_key public_key{};
  ed25519_secret_key secret_key{};
};

result<ed25519_keypair> generate_ed25519_keypair();

result<audit::signed_checkpoint> sign_ed25519(const audit::checkpoint& c, const ed25519_secret_key& key);
// checkpoint_signature unless signed by the holder of `key` and unchanged.
result<void> verify_ed25519(const audit::signed_checkpoint& s, const ed25519_public_key& key);

// Hex key files; errors name the file's problem (length, encoding).
result<ed25519_secret_key> read_secret_key_file(const std::string& path);
result<ed25519_public_key> read_public_key_file(const std::string& path);
result<void> write_key_files(const ed25519_keypair& keys, const std::string& secret_path, const std::string& public_path);

// The checkpoint of the first `size` verified entries of a log.
result<audit::checkpoint> checkpoint_of(const audit_log_contents& log, std::uint64_t size, time_ns now);

// Text form, one "key value" pair per line, starting with "authority-checkpoint v1":
//   log_id, size, time_ns, head, root, alg (hmac-sha256 | ed25519), signature (hex).
std::string to_text(const audit::signed_checkpoint& s);
result<audit::signed_checkpoint> parse_checkpoint_text(std::string_view text);

}  // namespace authority::hosted
