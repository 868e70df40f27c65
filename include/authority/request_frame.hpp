// The request frame: an effect_request as bytes. It is what crosses every boundary into
// the gate that is not a C++ call — the kernel's agent workloads today, the system-call
// boundary of user-mode agents, and files of recorded requests — so it is strict:
//
//   header (16 bytes)  magic "ARQ1" · version u16 = 1 · reserved u16 = 0
//                      · payload length u32 (≤ max_request_payload) · CRC-32C of the payload u32
//   payload            op u16 · seq varint · target, target2, version (varint length + bytes each)
//                      · tokens varint · labels varint · cost count u8, then (resource u8,
//                      amount varint) in strictly increasing resource order, no zero amounts
//                      · capability (varint length + bytes) · arguments (varint length + bytes)
//
// A decoded request points into the frame. Errors name the field and the byte offset.
// docs/gate.md shows the layout with an example.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "authority/core/crc32c.hpp"
#include "authority/core/encoding.hpp"
#include "authority/gate.hpp"

namespace authority {

inline constexpr byte request_magic[4] = {'A', 'R', 'Q', '1'};
inline constexpr std::uint16_t request_frame_version = 1;
inline constexpr std::size_t request_header_size = 16;
inline constexpr std::size_t max_request_payload = 64 * 1024;

namespace request_detail {
constexpr void write_bytes(byte_writer& w, bytes_view b) noexcept {
  encoding::write_varint(w, b.size());
  w.bytes(b);
}
inline result<bytes_view> read_bytes(byte_reader& r, std::size_t max, std::string_view field) noexcept {
  const auto n = AUTHORITY_TRY(encoding::read_varint_in(r, 0, max, field));
  return r.take(static_cast<std::size_t>(n), field);
}
}  // namespace request_detail

// Writes one frame into `out`; returns the frame's bytes.
inline result<bytes_view> encode_request(const effect_request& req, mutable_bytes out) noexcept {
  if (out.size() < request_header_size) return make_error(errc::capacity_exceeded, "frame");
  byte_writer w{out.subspan(request_header_size)};
  w.le16(req.op);
  encoding::write_varint(w, req.seq);
  request_detail::write_bytes(w, as_bytes(req.target));
  request_detail::write_bytes(w, as_bytes(req.target2));
  request_detail::write_bytes(w, as_bytes(req.version));
  encoding::write_varint(w, req.tokens);
  encoding::write_varint(w, req.labels);
  byte costs = 0;
  for (std::size_t i = 0; i < budget::resource_count; ++i) costs = static_cast<byte>(costs + (req.cost.at(i) != 0));
  w.u8(costs);
  for (std::size_t i = 0; i < budget::resource_count; ++i)
    if (req.cost.at(i) != 0) {
      w.u8(static_cast<byte>(i));
      encoding::write_varint(w, req.cost.at(i));
    }
  request_detail::write_bytes(w, req.capability);
  request_detail::write_bytes(w, req.payload);
  const auto payload = AUTHORITY_TRY(w.finish());
  if (payload.size() > max_request_payload) return make_error(errc::too_long, "frame");
  byte_writer h{out.first(request_header_size)};
  h.bytes(request_magic);
  h.le16(request_frame_version);
  h.le16(0);
  h.le32(static_cast<std::uint32_t>(payload.size()));
  h.le32(crc32c(payload));
  return bytes_view{out.data(), request_header_size + payload.size()};
}

// The size of the frame at the start of `stream` (header checks only), for splitting a
// stream of frames.
inline result<std::size_t> request_frame_size(bytes_view stream) noexcept {
  byte_reader r{stream};
  const auto magic = AUTHORITY_TRY(r.array<4>("magic"));
  for (std::size_t i = 0; i < 4; ++i)
    if (magic[i] != request_magic[i]) return make_error(errc::bad_magic, "magic", 0);
  if (AUTHORITY_TRY(r.le16("version")) != request_frame_version) return make_error(errc::unsupported_version, "version", 4);
  if (AUTHORITY_TRY(r.le16("reserved")) != 0) return make_error(errc::non_canonical, "reserved", 6);
  const auto length = AUTHORITY_TRY(r.le32("length"));
  if (length > max_request_payload) return make_error(errc::too_long, "length", 8);
  if (stream.size() < request_header_size + length) return make_error(errc::truncated, "payload", static_cast<std::uint32_t>(stream.size()));
  return request_header_size + length;
}

// Decodes exactly one frame (nothing may follow it). The request views the frame.
inline result<effect_request> decode_request(bytes_view frame) noexcept {
  const auto size = AUTHORITY_TRY(request_frame_size(frame));
  if (frame.size() != size) return make_error(errc::trailing_bytes, "frame", static_cast<std::uint32_t>(size));
  const auto payload = frame.subspan(request_header_size);
  if (crc32c(payload) != load_le32(frame.data() + 12)) return make_error(errc::bad_checksum, "crc", 12);
  byte_reader r{frame};
  (void)r.take(request_header_size);
  effect_request req;
  req.op = AUTHORITY_TRY(r.le16("op"));
  req.seq = AUTHORITY_TRY(encoding::read_varint(r, "seq"));
  req.target = as_chars(AUTHORITY_TRY(request_detail::read_bytes(r, max_target_size, "target")));
  req.target2 = as_chars(AUTHORITY_TRY(request_detail::read_bytes(r, max_target_size, "target2")));
  req.version = as_chars(AUTHORITY_TRY(request_detail::read_bytes(r, 256, "version")));
  req.tokens = AUTHORITY_TRY(encoding::read_varint(r, "tokens"));
  req.labels = AUTHORITY_TRY(encoding::read_varint(r, "labels"));
  {
    const auto at = r.offset32();
    const auto count = AUTHORITY_TRY(r.u8("costs"));
    if (count > budget::resource_count) return make_error(errc::out_of_range, "costs", at);
    int previous = -1;
    for (std::size_t i = 0; i < count; ++i) {
      const auto rat = r.offset32();
      const auto res = AUTHORITY_TRY(r.u8("costs"));
      if (res >= budget::resource_count || static_cast<int>(res) <= previous)
        return make_error(errc::non_canonical, "costs", rat);
      previous = res;
      const auto amount_at = r.offset32();
      const auto amount = AUTHORITY_TRY(encoding::read_varint(r, "costs"));
      if (amount == 0) return make_error(errc::non_canonical, "costs", amount_at);
      req.cost.set(static_cast<budget::resource>(res), amount);
    }
  }
  req.capability = AUTHORITY_TRY(request_detail::read_bytes(r, capability::max_token_size, "capability"));
  req.payload = AUTHORITY_TRY(request_detail::read_bytes(r, max_request_payload, "arguments"));
  AUTHORITY_TRY(r.expect_end("frame"));
  return req;
}

}  // namespace authority
