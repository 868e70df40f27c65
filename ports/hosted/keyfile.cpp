#include "authority/hosted/keyfile.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "authority/core/encoding.hpp"
#include "authority/hosted/platform.hpp"

namespace authority::hosted {
namespace {

template <class T>
file_result<T> fail(errc code, std::string message) {
  return {std::nullopt, file_error{make_error(code), std::move(message)}};
}

std::string hex(bytes_view b) {
  std::string s(b.size() * 2, '\0');
  (void)encoding::hex_encode(b, std::span<char>(s.data(), s.size()));
  return s;
}

std::string directory_of(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

result<key_file> generate_key_file(time_ns now, time_ns grace) {
  AUTHORITY_TRY(init_sodium());
  key_file kf;
  kf.ring->set_grace_period(grace);
  capability::key_secret secret{};
  randombytes_buf(secret.data(), secret.size());
  randombytes_buf(kf.state_key.data(), kf.state_key.size());
  auto added = kf.ring->add_active(1, secret, now);
  sodium_memzero(secret.data(), secret.size());
  if (!added) return added.error();
  return kf;
}

result<std::uint32_t> rotate_key(key_file& kf, time_ns now) {
  AUTHORITY_TRY(init_sodium());
  std::uint32_t next = 0;
  for (const auto& s : kf.ring->slots())
    if (s.state != capability::key_state::empty && s.id >= next) next = s.id + 1;
  capability::key_secret secret{};
  randombytes_buf(secret.data(), secret.size());
  auto added = kf.ring->add_active(next, secret, now);
  sodium_memzero(secret.data(), secret.size());
  if (!added) return added.error();
  return next;
}

file_result<std::string> read_file(const std::string& path, std::size_t max_size) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail<std::string>(errc::io_error, path + ": cannot open: " + std::strerror(errno));
  std::string data;
  char chunk[65536];
  while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
    data.append(chunk, static_cast<std::size_t>(in.gcount()));
    if (data.size() > max_size) return fail<std::string>(errc::too_long, path + ": larger than " + std::to_string(max_size) + " bytes");
  }
  return {std::move(data), std::nullopt};
}

file_result<bool> write_file_atomically(const std::string& path, const std::string& data, unsigned mode) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return fail<bool>(errc::io_error, tmp + ": cannot create: " + std::strerror(errno));
  std::size_t done = 0;
  while (done < data.size()) {
    const auto n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = std::strerror(errno);
      ::close(fd);
      ::unlink(tmp.c_str());
      return fail<bool>(errc::io_error, tmp + ": write failed: " + why);
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fchmod(fd, mode) != 0 || ::fsync(fd) != 0) {
    const std::string why = std::strerror(errno);
    ::close(fd);
    ::unlink(tmp.c_str());
    return fail<bool>(errc::io_error, tmp + ": sync failed: " + why);
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    ::unlink(tmp.c_str());
    return fail<bool>(errc::io_error, path + ": rename failed: " + why);
  }
  const int dir = ::open(directory_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return {true, std::nullopt};
}

file_result<key_file> load_key_file(const std::string& path) {
  auto text = read_file(path, 1 << 20);
  if (!text.ok()) return {std::nullopt, text.failure};
  std::istringstream in(*text.value);
  key_file kf;
  std::string line;
  int lineno = 0;
  bool header = false, have_state = false;
  auto where = [&] { return path + ":" + std::to_string(lineno) + ": "; };
  while (std::getline(in, line)) {
    ++lineno;
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string word;
    fields >> word;
    if (!header) {
      std::string version;
      fields >> version;
      if (word != "authority-keys" || version != "v1")
        return fail<key_file>(errc::bad_magic, where() + "not an authority key file (expected \"authority-keys v1\")");
      header = true;
      continue;
    }
    if (word == "grace_ms") {
      std::uint64_t ms = 0;
      if (!(fields >> ms)) return fail<key_file>(errc::invalid_argument, where() + "grace_ms needs a number");
      kf.ring->set_grace_period(ms * ns_per_ms);
    } else if (word == "state_key") {
      std::string h;
      fields >> h;
      auto k = encoding::hex_decode_exact<32>(h);
      if (!k) return fail<key_file>(errc::invalid_encoding, where() + "state_key must be 64 hex digits");
      kf.state_key = *k;
      have_state = true;
    } else if (word == "key") {
      std::uint32_t id = 0;
      std::string state, h;
      std::uint64_t retired_at = 0;
      if (!(fields >> id >> state)) return fail<key_file>(errc::invalid_argument, where() + "expected: key <id> active|retired ...");
      if (state == "retired" && !(fields >> retired_at))
        return fail<key_file>(errc::invalid_argument, where() + "expected: key <id> retired <retired_at_ns> <hex>");
      fields >> h;
      auto secret = encoding::hex_decode_exact<32>(h);
      if (!secret) return fail<key_file>(errc::invalid_encoding, where() + "key secret must be 64 hex digits");
      result<void> added = state == "active"    ? kf.ring->add_active(id, *secret, 0)
                           : state == "retired" ? kf.ring->add_retired(id, *secret, retired_at)
                                                : result<void>{make_error(errc::invalid_argument)};
      sodium_memzero(secret->data(), secret->size());
      if (!added) return fail<key_file>(added.code(), where() + "cannot add key " + std::to_string(id) + ": " + std::string(describe(added.code())));
    } else {
      return fail<key_file>(errc::invalid_argument, where() + "unknown entry \"" + word + "\"");
    }
  }
  if (!header) return fail<key_file>(errc::truncated, path + ": empty key file");
  if (!have_state) return fail<key_file>(errc::truncated, path + ": no state_key line");
  if (!kf.ring->signing_key()) return fail<key_file>(errc::key_unknown, path + ": no active key");
  return {std::move(kf), std::nullopt};
}

file_result<bool> save_key_file(const std::string& path, const key_file& kf) {
  std::ostringstream out;
  out << "authority-keys v1\n";
  out << "# HMAC-SHA256 capability keys. Keep this file secret (mode 0600).\n";
  out << "grace_ms " << kf.ring->grace_period() / ns_per_ms << "\n";
  out << "state_key " << hex(kf.state_key) << "\n";
  for (const auto& s : kf.ring->slots()) {
    if (s.state == capability::key_state::active)
      out << "key " << s.id << " active " << hex(s.secret) << "\n";
    else if (s.state == capability::key_state::retired)
      out << "key " << s.id << " retired " << s.retired_at << " " << hex(s.secret) << "\n";
  }
  return write_file_atomically(path, out.str(), 0600);
}

revocation_store::revocation_store(std::size_t capacity)
    : storage_(std::bit_ceil(capacity < 16 ? std::size_t{16} : capacity)), list_(storage_) {}

result<void> revocation_store::revoke(capability::revocation_kind kind, const capability::id128& id) {
  if (list_.size() + 1 > list_.capacity()) {
    std::vector<capability::revocation_slot> bigger(storage_.size() * 2);
    capability::revocation_list grown(bigger);
    for (const auto& s : list_.slots())
      if (s.kind != capability::revocation_kind{}) AUTHORITY_TRY(grown.revoke(s.kind, s.id));
    storage_.swap(bigger);  // swapping keeps the buffers, so `grown` still views storage_
    list_ = grown;
  }
  return list_.revoke(kind, id);
}

file_result<bool> load_revocations(const std::string& path, const key_file& kf, revocation_store& out) {
  if (::access(path.c_str(), F_OK) != 0) return {true, std::nullopt};
  auto data = read_file(path);
  if (!data.ok()) return {std::nullopt, data.failure};
  const auto bytes = as_bytes(*data.value);
  // Load into a table big enough for every entry, then move entries into `out`.
  std::vector<capability::revocation_slot> storage(std::bit_ceil(bytes.size() / 17 * 2 + 16));
  capability::revocation_list loaded(storage);
  auto r = loaded.load(crypto::hmac_sha256_key{bytes_view{kf.state_key}}, bytes);
  if (!r)
    return fail<bool>(r.code(), path + ": " + std::string(name_of(r.code())) + " (" +
                                    std::to_string(static_cast<unsigned>(r.code())) + "): " +
                                    std::string(describe(r.code())) + " [field " + std::string(r.error().field) + "]");
  for (const auto& s : loaded.slots())
    if (s.kind != capability::revocation_kind{}) {
      auto added = out.revoke(s.kind, s.id);
      if (!added) return fail<bool>(added.code(), path + ": cannot hold every revocation");
    }
  return {true, std::nullopt};
}

file_result<bool> save_revocations(const std::string& path, const key_file& kf, const revocation_store& store) {
  std::string buf(capability::revocation_list::saved_size_bound(store.list().size()), '\0');
  auto saved = store.list().save(crypto::hmac_sha256_key{bytes_view{kf.state_key}},
                                 mutable_bytes(reinterpret_cast<byte*>(buf.data()), buf.size()));
  if (!saved) return fail<bool>(saved.code(), path + ": cannot encode the revocation list");
  buf.resize(saved->size());
  return write_file_atomically(path, buf, 0600);
}

}  // namespace authority::hosted
