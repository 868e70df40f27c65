// The boot bundle: a cpio "newc" archive (as written by `cpio -o -H newc`), read in
// place and validated as a whole before anything in it is used. It carries the signed
// policy blob, key material and agent workloads, so every field is checked: magic, hex
// digits, name termination, bounds of every header, name and body, padding, the
// trailer, and what may follow it (zero padding only). Only regular files and
// directories are accepted; names must be relative and free of "." / ".." components.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "authority/core/bytes.hpp"
#include "authority/core/encoding.hpp"
#include "authority/core/result.hpp"

namespace kernel::cpio {

using authority::bytes_view;
using authority::errc;
using authority::make_error;
using authority::result;

inline constexpr std::size_t header_size = 110;
inline constexpr std::string_view magic_newc = "070701";
inline constexpr std::string_view magic_crc = "070702";  // same layout, body checksum in `check`
inline constexpr std::string_view trailer_name = "TRAILER!!!";
inline constexpr std::size_t max_name_size = 256;
inline constexpr std::size_t max_entries = 4096;

inline constexpr std::uint32_t mode_type_mask = 0170000;
inline constexpr std::uint32_t mode_regular = 0100000;
inline constexpr std::uint32_t mode_directory = 0040000;

struct entry {
  std::string_view name;
  std::uint32_t mode = 0;
  bytes_view data;
  bool is_directory() const noexcept { return (mode & mode_type_mask) == mode_directory; }
};

namespace detail {

constexpr std::size_t pad4(std::size_t n) noexcept { return (n + 3) & ~std::size_t{3}; }

// One 8-digit hex field of the header; field_index names it in errors.
inline result<std::uint32_t> hex_field(bytes_view header, std::size_t field_index, std::size_t base,
                                       std::string_view field) noexcept {
  const std::size_t at = 6 + 8 * field_index;
  auto v = authority::encoding::hex_decode_exact<4>(authority::as_chars(header.subspan(at, 8)));
  if (!v) return make_error(errc::invalid_encoding, field, static_cast<std::uint32_t>(base + at + v.error().offset));
  return authority::load_be32(v->data());
}

inline bool safe_name(std::string_view name) noexcept {
  if (name.empty() || name.front() == '/' || name.back() == '/') return false;
  if (name == ".") return true;  // the archive root that `find .` emits
  while (!name.empty()) {
    const std::size_t slash = name.find('/');
    const std::string_view part = name.substr(0, slash);
    if (part.empty() || part == "." || part == "..") return false;
    if (slash == std::string_view::npos) break;
    name.remove_prefix(slash + 1);
  }
  return true;
}

}  // namespace detail

// A validated archive. Entries are views into the caller's bytes, which must outlive it.
class archive {
 public:
  // Validates the whole archive; on success every entry is safe to use.
  static result<archive> open(bytes_view in) noexcept {
    archive a{in};
    std::size_t count = 0;
    AUTHORITY_TRY_VOID(a.scan([&](const entry&) {
      ++count;
      return true;
    }));
    a.count_ = count;
    return a;
  }

  std::size_t size() const noexcept { return count_; }  // entries, trailer excluded

  // Calls f(const entry&) for each entry in archive order; f returns false to stop.
  template <class F>
  void for_each(F&& f) const noexcept {
    (void)scan(f);  // already validated in open()
  }

  // The regular file with exactly this name.
  result<bytes_view> find(std::string_view name) const noexcept {
    bytes_view found{};
    bool ok = false;
    for_each([&](const entry& e) {
      if (e.name != name || e.is_directory()) return true;
      found = e.data;
      ok = true;
      return false;
    });
    if (!ok) return make_error(errc::not_found, "bundle.name");
    return found;
  }

 private:
  explicit archive(bytes_view in) noexcept : in_(in) {}

  template <class F>
  result<void> scan(F&& f) const noexcept {
    std::size_t at = 0;
    for (std::size_t n = 0;; ++n) {
      const auto where = static_cast<std::uint32_t>(at);
      if (n > max_entries) return make_error(errc::too_complex, "cpio.entries", where);
      if (in_.size() - at < header_size) return make_error(errc::truncated, "cpio.header", where);
      const bytes_view h = in_.subspan(at, header_size);
      const std::string_view magic = authority::as_chars(h.first(6));
      if (magic != magic_newc && magic != magic_crc) return make_error(errc::bad_magic, "cpio.magic", where);
      AUTHORITY_TRY_ASSIGN(const std::uint32_t mode, detail::hex_field(h, 1, at, "cpio.mode"));
      AUTHORITY_TRY_ASSIGN(const std::uint32_t file_size, detail::hex_field(h, 6, at, "cpio.filesize"));
      AUTHORITY_TRY_ASSIGN(const std::uint32_t name_size, detail::hex_field(h, 11, at, "cpio.namesize"));
      AUTHORITY_TRY_ASSIGN(const std::uint32_t check, detail::hex_field(h, 12, at, "cpio.check"));
      for (std::size_t i = 0; i < 13; ++i) {  // the fields not used above must be hex too
        auto field = detail::hex_field(h, i, at, "cpio.header");
        if (!field) return field.error();
      }

      // Name (with its NUL) follows the header; header + name is padded to 4.
      if (name_size < 2 || name_size > max_name_size)
        return make_error(errc::out_of_range, "cpio.namesize", where + 94);
      const std::size_t name_at = at + header_size;
      if (in_.size() - name_at < name_size) return make_error(errc::truncated, "cpio.name", static_cast<std::uint32_t>(name_at));
      const bytes_view name_bytes = in_.subspan(name_at, name_size);
      if (name_bytes[name_size - 1] != 0) return make_error(errc::invalid_argument, "cpio.name", static_cast<std::uint32_t>(name_at));
      const std::string_view name = authority::as_chars(name_bytes.first(name_size - 1));
      if (name.find('\0') != std::string_view::npos)
        return make_error(errc::invalid_argument, "cpio.name", static_cast<std::uint32_t>(name_at));
      const std::size_t data_at = detail::pad4(name_at + name_size);
      if (data_at > in_.size()) return make_error(errc::truncated, "cpio.name_padding", static_cast<std::uint32_t>(name_at));
      if (!authority::all_zero(in_.subspan(name_at + name_size, data_at - name_at - name_size)))
        return make_error(errc::non_canonical, "cpio.name_padding", static_cast<std::uint32_t>(name_at + name_size));

      if (in_.size() - data_at < file_size) return make_error(errc::truncated, "cpio.data", static_cast<std::uint32_t>(data_at));
      const bytes_view data = in_.subspan(data_at, file_size);
      const std::size_t next = detail::pad4(data_at + file_size);
      if (next > in_.size()) return make_error(errc::truncated, "cpio.data_padding", static_cast<std::uint32_t>(data_at + file_size));
      if (!authority::all_zero(in_.subspan(data_at + file_size, next - data_at - file_size)))
        return make_error(errc::non_canonical, "cpio.data_padding", static_cast<std::uint32_t>(data_at + file_size));

      if (name == trailer_name) {
        // Writers pad the archive to a block size with zeros; nothing else may follow.
        if (!authority::all_zero(in_.subspan(next)))
          return make_error(errc::trailing_bytes, "cpio.after_trailer", static_cast<std::uint32_t>(next));
        return authority::success();
      }
      if (!detail::safe_name(name)) return make_error(errc::invalid_path, "cpio.name", static_cast<std::uint32_t>(name_at));
      const std::uint32_t type = mode & mode_type_mask;
      if (type != mode_regular && type != mode_directory)
        return make_error(errc::invalid_argument, "cpio.mode", where + 14);
      if (type == mode_directory && file_size != 0)
        return make_error(errc::invalid_argument, "cpio.filesize", where + 54);
      if (magic == magic_crc) {
        std::uint32_t sum = 0;
        for (authority::byte b : data) sum += b;
        if (sum != check) return make_error(errc::bad_checksum, "cpio.check", where + 102);
      }
      if (!f(entry{name, mode, data})) return authority::success();
      at = next;
    }
  }

  bytes_view in_;
  std::size_t count_ = 0;
};

}  // namespace kernel::cpio
