// Framing of audit records in a byte stream (a file, a serial line). A log stream is
// one header, then frames:
//
//   header  magic "AUTHAUDT" (8) | version u32 LE = 1 | log_id (16) | CRC-32C u32 LE (4)
//   frame   magic "ALG1" (4) | length u32 LE (4) | record (length bytes) | CRC-32C u32 LE (4)
//
// The CRC covers magic, length and record. It is not a security measure (the hash
// chain is); it tells a torn or damaged frame from a whole one, which is what lets
// recovery find the torn tail of a file after a crash.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "authority/audit/entry.hpp"
#include "authority/core/crc32c.hpp"
#include "authority/core/bytes.hpp"
#include "authority/core/result.hpp"

namespace authority::audit {

inline constexpr byte_array<4> frame_magic{'A', 'L', 'G', '1'};
inline constexpr std::size_t frame_header_size = 8;
inline constexpr std::size_t frame_trailer_size = 4;
inline constexpr std::size_t frame_overhead = frame_header_size + frame_trailer_size;
inline constexpr std::size_t frame_size = frame_overhead + record_size;
// Longest record a reader accepts; anything longer is damage, not a future version.
inline constexpr std::size_t max_frame_payload = 4096;

using encoded_frame = byte_array<frame_size>;

using authority::crc32c;  // core/crc32c.hpp

constexpr encoded_frame make_frame(const encoded_record& rec) noexcept {
  encoded_frame out{};
  for (std::size_t i = 0; i < 4; ++i) out[i] = frame_magic[i];
  store_le32(out.data() + 4, static_cast<std::uint32_t>(record_size));
  for (std::size_t i = 0; i < record_size; ++i) out[frame_header_size + i] = rec[i];
  const std::uint32_t crc = crc32c(bytes_view{out.data(), frame_header_size + record_size});
  store_le32(out.data() + frame_header_size + record_size, crc);
  return out;
}

// One frame read from a stream: its payload (the record) and its total size.
struct frame_view {
  bytes_view payload;
  std::size_t size = 0;
};

// Reads the frame at the start of `in`. truncated: the stream ends inside the frame
// (a torn tail looks like this); bad_magic, out_of_range (length), bad_checksum: damage.
// Offsets in errors are relative to the start of `in`.
constexpr result<frame_view> read_frame(bytes_view in) noexcept {
  if (in.size() < 4) return make_error(errc::truncated, "frame magic", static_cast<std::uint32_t>(in.size()));
  for (std::size_t i = 0; i < 4; ++i)
    if (in[i] != frame_magic[i]) return make_error(errc::bad_magic, "frame magic", static_cast<std::uint32_t>(i));
  if (in.size() < frame_header_size) return make_error(errc::truncated, "frame length", static_cast<std::uint32_t>(in.size()));
  const std::uint32_t length = load_le32(in.data() + 4);
  if (length > max_frame_payload) return make_error(errc::out_of_range, "frame length", 4);
  const std::size_t total = frame_overhead + length;
  if (in.size() < total) return make_error(errc::truncated, "frame", static_cast<std::uint32_t>(in.size()));
  const std::uint32_t stored = load_le32(in.data() + frame_header_size + length);
  if (crc32c(in.first(frame_header_size + length)) != stored)
    return make_error(errc::bad_checksum, "frame crc32c", static_cast<std::uint32_t>(frame_header_size + length));
  return frame_view{in.subspan(frame_header_size, length), total};
}

// ---- log header -------------------------------------------------------------------

inline constexpr byte_array<8> log_magic{'A', 'U', 'T', 'H', 'A', 'U', 'D', 'T'};
inline constexpr std::uint32_t log_format_version = 1;
inline constexpr std::size_t log_header_size = 32;
using encoded_log_header = byte_array<log_header_size>;

constexpr encoded_log_header make_log_header(const id16& log_id) noexcept {
  encoded_log_header out{};
  for (std::size_t i = 0; i < log_magic.size(); ++i) out[i] = log_magic[i];
  store_le32(out.data() + 8, log_format_version);
  for (std::size_t i = 0; i < log_id.size(); ++i) out[12 + i] = log_id[i];
  store_le32(out.data() + 28, crc32c(bytes_view{out.data(), 28}));
  return out;
}

// The log id from a stream's header (the stream may go on with frames).
constexpr result<id16> read_log_header(bytes_view in) noexcept {
  if (in.size() < log_header_size) return make_error(errc::truncated, "log header", static_cast<std::uint32_t>(in.size()));
  for (std::size_t i = 0; i < log_magic.size(); ++i)
    if (in[i] != log_magic[i]) return make_error(errc::bad_magic, "log header", static_cast<std::uint32_t>(i));
  if (load_le32(in.data() + 8) != log_format_version) return make_error(errc::unsupported_version, "log version", 8);
  if (crc32c(in.first(28)) != load_le32(in.data() + 28)) return make_error(errc::bad_checksum, "log header crc32c", 28);
  id16 out{};
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = in[12 + i];
  return out;
}

}  // namespace authority::audit
