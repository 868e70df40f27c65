// A file system in memory for the in-memory executor: seeded from the boot bundle's fs/
// members, changed by the agent's fs.* effects. Storage is the caller's (a node table
// and a byte arena); nothing is allocated.
//
// Semantics, kept small and deterministic:
// - Paths are canonical (the gate canonicalizes before it executes). "/" always exists.
// - Directories are explicit (mkdir, or a seeded directory) or implied by a file below
//   them; a write creates its file without needing the parent to exist.
// - Seeded contents are views of the caller's bytes (the bundle); written contents are
//   copied into the arena. The arena only grows: space of replaced contents is not
//   reused (one run, bounded by the arena; full is capacity_exceeded).
// - A file cannot have children: creating anything below a file is invalid_argument.
// - Listing yields the direct children of a directory in node-table order (creation
//   order, freed slots reused), so two ports that apply the same effects list the same
//   names in the same order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "authority/core/bytes.hpp"
#include "authority/core/result.hpp"

namespace authority::executors {

struct ram_node {
  std::string_view path{};  // canonical; empty = free slot
  bytes_view data{};
  bool directory = false;
};

class ram_fs {
 public:
  ram_fs(std::span<ram_node> nodes, mutable_bytes arena) noexcept : nodes_(nodes), arena_(arena) {
    for (auto& n : nodes_) n = {};
  }

  // Seeds a file whose path and contents stay in the caller's memory, or a directory.
  result<void> seed_file(std::string_view path, bytes_view data) noexcept {
    AUTHORITY_TRY(check_new(path));
    ram_node* n = free_node();
    if (n == nullptr) return make_error(errc::capacity_exceeded, "ram_fs.nodes");
    *n = {path, data, false};
    return success();
  }
  result<void> seed_directory(std::string_view path) noexcept { return mkdir(path); }

  result<bytes_view> read(std::string_view path) const noexcept {
    const ram_node* n = find(path);
    if (n == nullptr) return make_error(errc::not_found, "path");
    if (n->directory) return make_error(errc::invalid_argument, "path");
    return n->data;
  }

  // Creates or replaces a file; all or nothing (a refused write uses no space).
  result<void> write(std::string_view path, bytes_view data) noexcept {
    if (path == "/" || is_directory(path) || below_a_file(path)) return make_error(errc::invalid_argument, "path");
    ram_node* n = find(path);
    if (n == nullptr && (n = free_node()) == nullptr) return make_error(errc::capacity_exceeded, "ram_fs.nodes");
    const std::size_t need = data.size() + (n->path.empty() ? path.size() : 0);
    if (need > arena_.size() - used_) return make_error(errc::capacity_exceeded, "ram_fs.arena");
    if (n->path.empty()) *n = {as_chars(store(as_bytes(path))), {}, false};
    n->data = store(data);
    return success();
  }

  result<void> mkdir(std::string_view path) noexcept {
    AUTHORITY_TRY(check_new(path));
    ram_node* n = free_node();
    if (n == nullptr) return make_error(errc::capacity_exceeded, "ram_fs.nodes");
    if (path.size() > arena_.size() - used_) return make_error(errc::capacity_exceeded, "ram_fs.arena");
    *n = {as_chars(store(as_bytes(path))), {}, true};
    return success();
  }

  // Removes a file (directories are refused: invalid_argument).
  result<void> unlink(std::string_view path) noexcept {
    ram_node* n = find(path);
    if (n == nullptr) return is_directory(path) ? make_error(errc::invalid_argument, "path") : make_error(errc::not_found, "path");
    if (n->directory) return make_error(errc::invalid_argument, "path");
    *n = {};
    return success();
  }

  // Moves a file to a new path, replacing a file there (directories are refused).
  result<void> rename(std::string_view from, std::string_view to) noexcept {
    ram_node* n = find(from);
    if (n == nullptr) return make_error(errc::not_found, "path");
    if (n->directory || to == "/" || is_directory(to) || below_a_file(to)) return make_error(errc::invalid_argument, "path");
    if (from == to) return success();
    if (to.size() > arena_.size() - used_) return make_error(errc::capacity_exceeded, "ram_fs.arena");
    if (ram_node* old = find(to)) *old = {};
    n->path = as_chars(store(as_bytes(to)));
    return success();
  }

  bool exists(std::string_view path) const noexcept { return find(path) != nullptr || is_directory(path); }
  bool is_directory(std::string_view path) const noexcept {
    if (path == "/") return true;
    for (const auto& n : nodes_)
      if (!n.path.empty() && ((n.directory && n.path == path) || is_below(n.path, path))) return true;
    return false;
  }

  // Calls f(name) once for each direct child of `dir`, in creation order.
  template <class F>
  result<void> list(std::string_view dir, F&& f) const noexcept {
    if (!is_directory(dir)) return find(dir) ? make_error(errc::invalid_argument, "path") : make_error(errc::not_found, "path");
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      const auto child = child_name(nodes_[i].path, dir);
      if (child.empty()) continue;
      bool seen = false;
      for (std::size_t j = 0; j < i && !seen; ++j) seen = child_name(nodes_[j].path, dir) == child;
      if (!seen) f(child);
    }
    return success();
  }

  std::size_t arena_used() const noexcept { return used_; }

 private:
  // The first component of `path` below `dir` ("/a/b/c" under "/a" → "b"), or empty.
  static std::string_view child_name(std::string_view path, std::string_view dir) noexcept {
    if (path.empty() || !is_below(path, dir)) return {};
    std::string_view rest = path.substr(dir == "/" ? 1 : dir.size() + 1);
    return rest.substr(0, rest.find('/'));
  }
  static bool is_below(std::string_view path, std::string_view dir) noexcept {
    if (dir == "/") return path.size() > 1;
    return path.size() > dir.size() + 1 && path.starts_with(dir) && path[dir.size()] == '/';
  }

  ram_node* find(std::string_view path) noexcept {
    for (auto& n : nodes_)
      if (!n.path.empty() && n.path == path) return &n;
    return nullptr;
  }
  const ram_node* find(std::string_view path) const noexcept {
    for (const auto& n : nodes_)
      if (!n.path.empty() && n.path == path) return &n;
    return nullptr;
  }

  result<void> check_new(std::string_view path) const noexcept {
    if (path.empty() || path[0] != '/') return make_error(errc::invalid_path, "path");
    if (path == "/" || find(path) != nullptr || below_a_file(path)) return make_error(errc::invalid_argument, "path");
    return success();
  }

  bool below_a_file(std::string_view path) const noexcept {
    for (std::size_t slash = path.find('/', 1); slash != std::string_view::npos; slash = path.find('/', slash + 1)) {
      const ram_node* n = find(path.substr(0, slash));
      if (n != nullptr && !n->directory) return true;
    }
    return false;
  }

  ram_node* free_node() noexcept {
    for (auto& n : nodes_)
      if (n.path.empty()) return &n;
    return nullptr;
  }

  // Copies into the arena; the caller has checked that it fits.
  bytes_view store(bytes_view data) noexcept {
    byte* at = arena_.data() + used_;
    for (std::size_t i = 0; i < data.size(); ++i) at[i] = data[i];
    used_ += data.size();
    return bytes_view{at, data.size()};
  }

  std::span<ram_node> nodes_;
  mutable_bytes arena_;
  std::size_t used_ = 0;
};

}  // namespace authority::executors
