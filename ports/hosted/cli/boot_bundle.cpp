#include "boot_bundle.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "authority/hosted/keyfile.hpp"

namespace authority::cli {
namespace {

void put_hex8(std::vector<std::uint8_t>& out, std::uint32_t v) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08X", v);
  out.insert(out.end(), buf, buf + 8);
}

void pad4(std::vector<std::uint8_t>& out) {
  while (out.size() % 4 != 0) out.push_back(0);
}

void put_entry(std::vector<std::uint8_t>& out, std::uint32_t ino, std::uint32_t mode, std::uint32_t nlink,
               const std::string& name, const std::vector<std::uint8_t>& data) {
  const char magic[] = "070701";
  out.insert(out.end(), magic, magic + 6);
  const std::uint32_t fields[13] = {ino, mode, 0, 0, nlink, 0, static_cast<std::uint32_t>(data.size()), 0, 0, 0, 0,
                                    static_cast<std::uint32_t>(name.size() + 1), 0};
  for (auto f : fields) put_hex8(out, f);
  out.insert(out.end(), name.begin(), name.end());
  out.push_back(0);
  pad4(out);
  out.insert(out.end(), data.begin(), data.end());
  pad4(out);
}

std::vector<std::uint8_t> bytes_of(bytes_view b) { return {b.begin(), b.end()}; }

}  // namespace

std::vector<std::uint8_t> write_cpio(const std::vector<bundle_member>& members) {
  std::vector<std::uint8_t> out;
  std::uint32_t ino = 1;
  for (const auto& m : members)
    put_entry(out, ino++, m.directory ? 0040755 : 0100644, m.directory ? 2 : 1, m.name, m.data);
  put_entry(out, 0, 0, 1, "TRAILER!!!", {});
  return out;
}

bundle_result build_bundle(const bundle_inputs& in) {
  bundle_result r;
  std::vector<bundle_member> members;
  members.push_back({"authority", true, {}});

  std::uint8_t config[bundle::config_size];
  auto c = bundle::encode_config(in.config, config);
  if (!c) {
    r.error = "the run configuration does not encode";
    return r;
  }
  members.push_back({std::string{bundle::config_member}, false, bytes_of(*c)});

  std::vector<std::uint8_t> keys(bundle::max_keys_size);
  auto k = bundle::encode_keys(*in.keys, keys);
  if (!k) {
    r.error = "the key ring has no key to put in the bundle";
    return r;
  }
  members.push_back({std::string{bundle::keys_member}, false, bytes_of(*k)});
  crypto::secure_zero(keys.data(), keys.size());
  members.push_back({std::string{bundle::policy_member}, false, in.policy});
  members.push_back({std::string{bundle::workload_member}, false, in.workload});

  if (!in.fs_dir.empty()) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!fs::is_directory(in.fs_dir, ec)) {
      r.error = in.fs_dir + ": not a directory";
      return r;
    }
    std::vector<fs::path> paths;
    for (auto it = fs::recursive_directory_iterator(in.fs_dir, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec))
      paths.push_back(it->path());
    if (ec) {
      r.error = in.fs_dir + ": " + ec.message();
      return r;
    }
    // Sorted by relative name: a directory sorts before what it holds.
    std::sort(paths.begin(), paths.end());
    members.push_back({std::string{bundle::fs_root_member}, true, {}});
    for (const auto& p : paths) {
      const std::string rel = fs::relative(p, in.fs_dir).generic_string();
      const std::string name = std::string{bundle::fs_prefix} + rel;
      const auto status = fs::symlink_status(p, ec);
      if (fs::is_directory(status)) {
        members.push_back({name, true, {}});
      } else if (fs::is_regular_file(status)) {
        auto text = hosted::read_file(p.string(), bundle::max_bundle_size);
        if (!text.ok()) {
          r.error = text.failure->message;
          return r;
        }
        members.push_back({name, false, {text.value->begin(), text.value->end()}});
      } else {
        r.error = p.string() + ": only regular files and directories can seed the RAM file system";
        return r;
      }
    }
  }
  for (const auto& m : in.extra) members.push_back(m);
  r.bytes = write_cpio(members);
  for (auto& m : members)
    if (m.name == bundle::keys_member) crypto::secure_zero(m.data.data(), m.data.size());
  if (r.bytes.size() > bundle::max_bundle_size)
    r.error = "the bundle is " + std::to_string(r.bytes.size()) + " bytes; a kernel takes at most " +
              std::to_string(bundle::max_bundle_size);
  return r;
}

}  // namespace authority::cli
