// Key ring and revocation list files for the hosted port.
//
// Key file (text, mode 0600, written atomically):
//   authority-keys v1
//   grace_ms <n>
//   state_key <64 hex>                       authenticates local state (revocations)
//   key <id> active <64 hex>
//   key <id> retired <retired_at_ns> <64 hex>
// Revocation file: revocation_list's saved form, MACed with the state key.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "authority/capability/key_ring.hpp"
#include "authority/capability/revocation.hpp"
#include "authority/core/result.hpp"

namespace authority::hosted {

struct key_file {
  std::unique_ptr<capability::key_ring> ring = std::make_unique<capability::key_ring>();
  capability::key_secret state_key{};
};

// A new key file with one active key (id 1) and a fresh state key, from libsodium.
result<key_file> generate_key_file(time_ns now, time_ns grace);
// Adds a new active key (id = highest + 1) and retires the current one at `now`.
result<std::uint32_t> rotate_key(key_file& kf, time_ns now);

// Errors carry "file:line: what" in `message`.
struct file_error {
  error err;
  std::string message;
};
template <class T>
struct file_result {
  std::optional<T> value;
  std::optional<file_error> failure;
  bool ok() const { return value.has_value(); }
};

file_result<key_file> load_key_file(const std::string& path);
file_result<bool> save_key_file(const std::string& path, const key_file& kf);

// A growable revocation list for the hosted port (storage on the heap).
class revocation_store {
 public:
  explicit revocation_store(std::size_t capacity = 1024);
  capability::revocation_list& list() { return list_; }
  const capability::revocation_list& list() const { return list_; }
  // Adds, growing the table when needed.
  result<void> revoke(capability::revocation_kind kind, const capability::id128& id);

 private:
  std::vector<capability::revocation_slot> storage_;
  capability::revocation_list list_;
};

// A missing file is an empty list; a present one must verify under the state key.
file_result<bool> load_revocations(const std::string& path, const key_file& kf, revocation_store& out);
file_result<bool> save_revocations(const std::string& path, const key_file& kf, const revocation_store& store);

// Writes `data` to `path` atomically (temporary file, fsync, rename, fsync directory).
file_result<bool> write_file_atomically(const std::string& path, const std::string& data, unsigned mode);
file_result<std::string> read_file(const std::string& path, std::size_t max_size = 64 << 20);

}  // namespace authority::hosted
