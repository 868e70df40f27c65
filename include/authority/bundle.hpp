// The boot bundle: what a kernel is given to enforce, in one cpio "newc" archive (a
// GRUB module on x86_64, QEMU -initrd elsewhere). Its members, by name:
//
//   authority/config     the run's configuration (run_config below)
//   authority/keys       the capability key ring, which also verifies the policy's MAC
//                        (key_material below)
//   authority/policy     the compiled, MACed policy blob (policy/blob.hpp); never text
//   authority/workload   the agent's requests: request frames (request_frame.hpp), back
//                        to back
//   fs/<path>            files and directories that seed the in-memory file system as
//                        /<path> (executors/ram_fs.hpp)
//
// This header owns the binary formats of the non-policy members; the hosted CLI encodes
// them and the kernel (and the hosted conformance run) decode them. Both formats are
// strict: fixed layout, reserved bytes zero, a CRC-32C trailer, nothing after it.
// docs/kernel.md shows every byte.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "authority/audit/entry.hpp"
#include "authority/capability/key_ring.hpp"
#include "authority/core/bytes.hpp"
#include "authority/core/clock.hpp"
#include "authority/core/crc32c.hpp"
#include "authority/core/result.hpp"
#include "authority/core/static_vector.hpp"
#include "authority/request_frame.hpp"

namespace authority::bundle {

inline constexpr std::string_view config_member = "authority/config";
inline constexpr std::string_view keys_member = "authority/keys";
inline constexpr std::string_view policy_member = "authority/policy";
inline constexpr std::string_view workload_member = "authority/workload";
inline constexpr std::string_view fs_prefix = "fs/";
inline constexpr std::string_view fs_root_member = "fs";

// Limits a kernel enforces before using anything (a bigger input is refused, too_long).
inline constexpr std::size_t max_bundle_size = 8u << 20;
inline constexpr std::size_t max_policy_size = 1u << 20;
inline constexpr std::size_t max_workload_size = 6u << 20;

// "fs/data/a.txt" → "/data/a.txt"; "fs" → "/". Empty when the member is not under fs/.
// The result views `member` from its slash (cpio names are already checked to be
// relative with no "." or ".." parts).
constexpr std::string_view fs_path_of(std::string_view member) noexcept {
  if (member == fs_root_member) return "/";
  if (!member.starts_with(fs_prefix)) return {};
  return member.substr(fs_prefix.size() - 1);
}

// ---- the run's configuration -------------------------------------------------------
//
//   0  magic "ACFG" | 4 version u16 = 1 | 6 reserved u16 = 0 | 8 log_id (16)
//   24 agent_id (16) | 40 run_id (16) | 56 clock_start_ns u64 | 64 clock_step_ns u64
//   72 CRC-32C u32 of bytes 0..71                                       (76 bytes, LE)

inline constexpr byte config_magic[4] = {'A', 'C', 'F', 'G'};
inline constexpr std::uint16_t config_version = 1;
inline constexpr std::size_t config_size = 76;

struct run_config {
  audit::id16 log_id{};
  audit::id16 agent_id{};
  audit::id16 run_id{};
  time_ns clock_start = 0;  // the logical clock's first reading
  time_ns clock_step = 1;   // added after every reading (> 0)
  constexpr bool operator==(const run_config&) const noexcept = default;
};

namespace detail {
constexpr result<void> check_magic(byte_reader& r, const byte (&magic)[4], std::string_view field) noexcept {
  AUTHORITY_TRY_ASSIGN(const auto m, r.array<4>(field));
  for (std::size_t i = 0; i < 4; ++i)
    if (m[i] != magic[i]) return make_error(errc::bad_magic, field, static_cast<std::uint32_t>(i));
  return success();
}
// The CRC-32C trailer over everything before it, then the end of the input.
constexpr result<void> check_trailer(bytes_view in, byte_reader& r, std::string_view field) noexcept {
  const std::size_t at = r.offset();
  AUTHORITY_TRY_ASSIGN(const std::uint32_t stored, r.le32(field));
  if (crc32c(in.first(at)) != stored) return make_error(errc::bad_checksum, field, static_cast<std::uint32_t>(at));
  return r.expect_end(field);
}
constexpr result<bytes_view> finish_with_crc(byte_writer& w, mutable_bytes out) noexcept {
  AUTHORITY_TRY_ASSIGN(const auto body, w.finish());
  w.le32(crc32c(body));
  AUTHORITY_TRY_ASSIGN(const auto all, w.finish());
  return bytes_view{out.data(), all.size()};
}
}  // namespace detail

constexpr result<bytes_view> encode_config(const run_config& c, mutable_bytes out) noexcept {
  if (c.clock_step == 0) return make_error(errc::out_of_range, "config.clock_step");
  byte_writer w{out};
  w.bytes(config_magic);
  w.le16(config_version);
  w.le16(0);
  w.bytes(c.log_id);
  w.bytes(c.agent_id);
  w.bytes(c.run_id);
  w.le64(c.clock_start);
  w.le64(c.clock_step);
  return detail::finish_with_crc(w, out);
}

constexpr result<run_config> decode_config(bytes_view in) noexcept {
  byte_reader r{in};
  AUTHORITY_TRY_VOID(detail::check_magic(r, config_magic, "config.magic"));
  AUTHORITY_TRY_ASSIGN(const auto version, r.le16("config.version"));
  if (version != config_version) return make_error(errc::unsupported_version, "config.version", 4);
  AUTHORITY_TRY_ASSIGN(const auto reserved, r.le16("config.reserved"));
  if (reserved != 0) return make_error(errc::non_canonical, "config.reserved", 6);
  run_config c;
  AUTHORITY_TRY_ASSIGN(c.log_id, r.array<16>("config.log_id"));
  AUTHORITY_TRY_ASSIGN(c.agent_id, r.array<16>("config.agent_id"));
  AUTHORITY_TRY_ASSIGN(c.run_id, r.array<16>("config.run_id"));
  AUTHORITY_TRY_ASSIGN(c.clock_start, r.le64("config.clock_start"));
  AUTHORITY_TRY_ASSIGN(c.clock_step, r.le64("config.clock_step"));
  if (c.clock_step == 0) return make_error(errc::out_of_range, "config.clock_step", 64);
  AUTHORITY_TRY_VOID(detail::check_trailer(in, r, "config.crc"));
  return c;
}

// ---- key material --------------------------------------------------------------------
//
//   0 magic "AKEY" | 4 version u16 = 1 | 6 count u16 (1..key_ring_capacity)
//   8 grace_ns u64 | 16 count × key (48 bytes):
//       id u32 | state u8 (1 active, 2 retired) | 3 reserved bytes = 0
//       | retired_at_ns u64 (0 for the active key) | secret (32)
//   then CRC-32C u32 of everything before it
// At most one key is active; ids are unique.

inline constexpr byte keys_magic[4] = {'A', 'K', 'E', 'Y'};
inline constexpr std::uint16_t keys_version = 1;
inline constexpr std::size_t key_record_size = 48;
inline constexpr std::size_t max_keys_size = 16 + capability::key_ring_capacity * key_record_size + 4;

struct key_entry {
  std::uint32_t id = 0;
  capability::key_state state = capability::key_state::empty;
  time_ns retired_at = 0;
  capability::key_secret secret{};
};

struct key_material {
  time_ns grace_period = 0;
  static_vector<key_entry, capability::key_ring_capacity> keys;

  // Wipes the secrets (a decoded copy should not outlive its installation).
  void wipe() noexcept {
    for (auto& k : keys) crypto::secure_zero(k.secret.data(), k.secret.size());
    keys.clear();
  }
};

// The ring's keys, as the kernel needs them to verify (the ring may also sign).
inline result<bytes_view> encode_keys(const capability::key_ring& ring, mutable_bytes out) noexcept {
  std::uint16_t count = 0;
  for (const auto& s : ring.slots()) count = static_cast<std::uint16_t>(count + (s.state != capability::key_state::empty));
  if (count == 0) return make_error(errc::not_found, "keys");
  byte_writer w{out};
  w.bytes(keys_magic);
  w.le16(keys_version);
  w.le16(count);
  w.le64(ring.grace_period());
  for (const auto& s : ring.slots()) {
    if (s.state == capability::key_state::empty) continue;
    w.le32(s.id);
    w.u8(static_cast<byte>(s.state));
    w.u8(0);
    w.le16(0);
    w.le64(s.state == capability::key_state::active ? 0 : s.retired_at);
    w.bytes(s.secret);
  }
  return detail::finish_with_crc(w, out);
}

inline result<key_material> decode_keys(bytes_view in) noexcept {
  byte_reader r{in};
  AUTHORITY_TRY(detail::check_magic(r, keys_magic, "keys.magic"));
  if (AUTHORITY_TRY(r.le16("keys.version")) != keys_version) return make_error(errc::unsupported_version, "keys.version", 4);
  const auto count = AUTHORITY_TRY(r.le16("keys.count"));
  if (count == 0 || count > capability::key_ring_capacity) return make_error(errc::out_of_range, "keys.count", 6);
  key_material m;
  m.grace_period = AUTHORITY_TRY(r.le64("keys.grace"));
  bool have_active = false;
  for (std::size_t i = 0; i < count; ++i) {
    const auto at = r.offset32();
    key_entry k;
    k.id = AUTHORITY_TRY(r.le32("keys.id"));
    const auto state = AUTHORITY_TRY(r.u8("keys.state"));
    if (state != static_cast<byte>(capability::key_state::active) && state != static_cast<byte>(capability::key_state::retired))
      return make_error(errc::out_of_range, "keys.state", at + 4);
    k.state = static_cast<capability::key_state>(state);
    if (AUTHORITY_TRY(r.u8("keys.reserved")) != 0 || AUTHORITY_TRY(r.le16("keys.reserved")) != 0)
      return make_error(errc::non_canonical, "keys.reserved", at + 5);
    k.retired_at = AUTHORITY_TRY(r.le64("keys.retired_at"));
    if (k.state == capability::key_state::active) {
      if (have_active) return make_error(errc::invalid_argument, "keys.state", at + 4);
      if (k.retired_at != 0) return make_error(errc::non_canonical, "keys.retired_at", at + 8);
      have_active = true;
    }
    k.secret = AUTHORITY_TRY(r.array<capability::key_size>("keys.secret"));
    for (const auto& earlier : m.keys)
      if (earlier.id == k.id) return make_error(errc::invalid_argument, "keys.id", at);
    (void)m.keys.push_back(k);
  }
  AUTHORITY_TRY(detail::check_trailer(in, r, "keys.crc"));
  return m;
}

// Puts decoded keys into an empty ring (retired ones first, so the active key stays active).
inline result<void> install_keys(const key_material& m, capability::key_ring& ring, time_ns now) noexcept {
  ring.set_grace_period(m.grace_period);
  for (const auto& k : m.keys)
    if (k.state == capability::key_state::retired) AUTHORITY_TRY(ring.add_retired(k.id, k.secret, k.retired_at));
  for (const auto& k : m.keys)
    if (k.state == capability::key_state::active) AUTHORITY_TRY(ring.add_active(k.id, k.secret, now));
  return success();
}

// ---- the workload --------------------------------------------------------------------

// Walks a stream of request frames. Frames are split by their headers only: a frame
// whose header is unreadable is handed out with the rest of the stream (the gate
// service refuses it as an agent fault) and ends the walk, since nothing after it can
// be found reliably.
class frame_cursor {
 public:
  constexpr explicit frame_cursor(bytes_view stream) noexcept : rest_(stream) {}

  constexpr bool done() const noexcept { return rest_.empty(); }
  constexpr std::size_t offset() const noexcept { return offset_; }

  bytes_view next() noexcept {
    const auto size = request_frame_size(rest_);
    const std::size_t n = size ? *size : rest_.size();
    const bytes_view frame = rest_.first(n);
    rest_ = rest_.subspan(n);
    offset_ += n;
    return frame;
  }

 private:
  bytes_view rest_;
  std::size_t offset_ = 0;
};

// ---- the logical clock ---------------------------------------------------------------

// Deterministic time for conformance runs and the demo: the first reading is `start`,
// every reading after it is `step` later. The same workload reads the clock the same
// number of times on every port, so every audit entry carries the same time.
class logical_clock {
 public:
  constexpr logical_clock(time_ns start, time_ns step) noexcept : next_(start), step_(step) {}
  constexpr explicit logical_clock(const run_config& c) noexcept : logical_clock(c.clock_start, c.clock_step) {}

  constexpr time_ns now_ns() noexcept {
    const time_ns t = next_;
    next_ += step_;
    ++readings_;
    return t;
  }
  constexpr std::uint64_t readings() const noexcept { return readings_; }

 private:
  time_ns next_;
  time_ns step_;
  std::uint64_t readings_ = 0;
};
static_assert(clock<logical_clock>);

}  // namespace authority::bundle
