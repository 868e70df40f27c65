// Building a kernel's boot bundle on the host (include/authority/bundle.hpp says what
// goes in it): a cpio "newc" archive, written deterministically (fixed inode numbers,
// zero times and owners, members in a fixed order), so the same inputs give the same
// bytes — and the same audit head on every port.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "authority/bundle.hpp"
#include "authority/capability/key_ring.hpp"

namespace authority::cli {

// One cpio member.
struct bundle_member {
  std::string name;  // relative, no "." or ".." parts
  bool directory = false;
  std::vector<std::uint8_t> data;
};

// cpio newc with the TRAILER!!! entry, as `cpio -o -H newc --reproducible` writes it.
std::vector<std::uint8_t> write_cpio(const std::vector<bundle_member>& members);

struct bundle_inputs {
  bundle::run_config config;
  const capability::key_ring* keys = nullptr;
  std::vector<std::uint8_t> policy;    // the compiled blob
  std::vector<std::uint8_t> workload;  // request frames
  std::string fs_dir;                  // seeds the RAM file system; empty: none
  std::vector<bundle_member> extra;    // after fs/: user-mode agents (agents/, children/)
};

struct bundle_result {
  std::vector<std::uint8_t> bytes;
  std::string error;  // when not empty, what failed (a file, a size)
};

// The members in order: authority/{config,keys,policy,workload}, then fs/ (the tree
// under fs_dir, sorted by name, directories before what they hold).
bundle_result build_bundle(const bundle_inputs& in);

}  // namespace authority::cli
