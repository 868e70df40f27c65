#include "authority/hosted/checkpoint_ed25519.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <charconv>
#include <fstream>
#include <sstream>

#include "authority/audit/merkle.hpp"
#include "authority/core/encoding.hpp"
#include "authority/hosted/platform.hpp"

namespace authority::hosted {

namespace {

template <std::size_t N>
std::string hex_of(const byte_array<N>& bytes) {
  std::string out(2 * N, '0');
  (void)encoding::hex_encode(bytes_view{bytes}, std::span<char>{out.data(), out.size()});
  return out;
}

result<std::string> read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(errc::not_found, "key file");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  return s;
}

template <std::size_t N>
result<byte_array<N>> read_hex_key(const std::string& path) {
  AUTHORITY_TRY_ASSIGN(const std::string text, read_text_file(path));
  return encoding::hex_decode_exact<N>(trim(text));
}

}  // namespace

result<ed25519_keypair> generate_ed25519_keypair() {
  AUTHORITY_TRY(init_sodium());
  ed25519_keypair k;
  crypto_sign_keypair(k.public_key.data(), k.secret_key.data());
  return k;
}

result<audit::signed_checkpoint> sign_ed25519(const audit::checkpoint& c, const ed25519_secret_key& key) {
  AUTHORITY_TRY(init_sodium());
  audit::signed_checkpoint out{c, audit::signature_alg::ed25519, {}};
  const auto message = audit::signed_message(c);
  if (crypto_sign_detached(out.signature.data(), nullptr, message.data(), message.size(), key.data()) != 0)
    return make_error(errc::internal, "crypto_sign_detached");
  return out;
}

result<void> verify_ed25519(const audit::signed_checkpoint& s, const ed25519_public_key& key) {
  AUTHORITY_TRY(init_sodium());
  if (s.alg != audit::signature_alg::ed25519) return make_error(errc::checkpoint_signature, "algorithm");
  const auto message = audit::signed_message(s.body);
  if (crypto_sign_verify_detached(s.signature.data(), message.data(), message.size(), key.data()) != 0)
    return make_error(errc::checkpoint_signature, "signature");
  return success();
}

result<ed25519_secret_key> read_secret_key_file(const std::string& path) { return read_hex_key<64>(path); }
result<ed25519_public_key> read_public_key_file(const std::string& path) { return read_hex_key<32>(path); }

result<void> write_key_files(const ed25519_keypair& keys, const std::string& secret_path,
                             const std::string& public_path) {
  // The secret key file is readable by its owner only.
  auto write_file = [](const std::string& path, const std::string& text, mode_t mode) -> result<void> {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) return make_error(errc::io_error, "key file");
    const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
    ::close(fd);
    if (!ok) return make_error(errc::io_error, "key file");
    return success();
  };
  AUTHORITY_TRY(write_file(secret_path, hex_of(keys.secret_key) + "\n", 0600));
  return write_file(public_path, hex_of(keys.public_key) + "\n", 0644);
}

result<audit::checkpoint> checkpoint_of(const audit_log_contents& log, std::uint64_t size, time_ns now) {
  if (size > log.verification.count) return make_error(errc::out_of_range, "size");
  const auto leaves = leaf_hashes(log, size);
  audit::checkpoint c;
  c.log_id = log.log_id;
  c.size = size;
  c.time = now;
  c.root = audit::merkle::root(leaves);
  c.head = audit::genesis(log.log_id);
  if (size > 0) {
    const auto records = log.good_records();
    const bytes_view last = records[size - 1];
    for (std::size_t i = 0; i < c.head.size(); ++i) c.head[i] = last[audit::entry_size + i];
  }
  return c;
}

std::string to_text(const audit::signed_checkpoint& s) {
  std::ostringstream out;
  out << "authority-checkpoint v1\n"
      << "log_id " << hex_of(s.body.log_id) << '\n'
      << "size " << s.body.size << '\n'
      << "time_ns " << s.body.time << '\n'
      << "head " << hex_of(s.body.head) << '\n'
      << "root " << hex_of(s.body.root) << '\n';
  if (s.alg == audit::signature_alg::ed25519) {
    out << "alg ed25519\nsignature " << hex_of(s.signature) << '\n';
  } else {
    byte_array<32> mac{};
    for (std::size_t i = 0; i < mac.size(); ++i) mac[i] = s.signature[i];
    out << "alg hmac-sha256\nsignature " << hex_of(mac) << '\n';
  }
  return out.str();
}

result<audit::signed_checkpoint> parse_checkpoint_text(std::string_view text) {
  audit::signed_checkpoint s;
  unsigned seen = 0;  // one bit per field, each exactly once
  std::size_t line_no = 0;
  auto fail = [&](errc code, std::string_view field) {
    return make_error(code, field, static_cast<std::uint32_t>(line_no));
  };
  std::string_view signature_hex;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    const std::string_view line = trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++line_no;
    if (line.empty()) continue;
    if (line_no == 1) {
      if (line != "authority-checkpoint v1") return fail(errc::bad_magic, "checkpoint header");
      continue;
    }
    const auto sp = line.find(' ');
    if (sp == std::string_view::npos) return fail(errc::invalid_encoding, "checkpoint line");
    const std::string_view key = line.substr(0, sp), value = trim(line.substr(sp + 1));
    auto number = [&](std::uint64_t& out) -> result<void> {
      const auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), out);
      if (ec != std::errc{} || p != value.data() + value.size()) return fail(errc::invalid_encoding, key);
      return success();
    };
    unsigned bit = 0;
    if (key == "log_id") {
      bit = 1;
      AUTHORITY_TRY_ASSIGN(s.body.log_id, encoding::hex_decode_exact<16>(value));
    } else if (key == "size") {
      bit = 2;
      AUTHORITY_TRY(number(s.body.size));
    } else if (key == "time_ns") {
      bit = 4;
      AUTHORITY_TRY(number(s.body.time));
    } else if (key == "head") {
      bit = 8;
      AUTHORITY_TRY_ASSIGN(s.body.head, encoding::hex_decode_exact<32>(value));
    } else if (key == "root") {
      bit = 16;
      AUTHORITY_TRY_ASSIGN(s.body.root, encoding::hex_decode_exact<32>(value));
    } else if (key == "alg") {
      bit = 32;
      if (value == "ed25519")
        s.alg = audit::signature_alg::ed25519;
      else if (value == "hmac-sha256")
        s.alg = audit::signature_alg::hmac_sha256;
      else
        return fail(errc::out_of_range, "alg");
    } else if (key == "signature") {
      bit = 64;
      signature_hex = value;
    } else {
      return fail(errc::invalid_argument, "checkpoint key");
    }
    if (seen & bit) return fail(errc::invalid_argument, "repeated checkpoint key");
    seen |= bit;
  }
  if (seen != 127) return make_error(errc::truncated, "checkpoint fields");
  const std::size_t sig_size = s.alg == audit::signature_alg::ed25519 ? 64 : 32;
  if (signature_hex.size() != 2 * sig_size) return make_error(errc::invalid_encoding, "signature length");
  AUTHORITY_TRY(encoding::hex_decode(signature_hex, mutable_bytes{s.signature.data(), sig_size}));
  return s;
}

}  // namespace authority::hosted
