// The audit log entry (INV-4): one canonical, fixed-size, little-endian encoding, and
// the hash chain over it. docs/audit-format.md describes every byte.
//
//   entry (183 bytes)   version kind decision op reason seq time agent run
//                       request_hash result_hash policy_hash prev_hash
//   hash                SHA-256(entry bytes)   — prev_hash is the entry's last field, so
//                       this is the reference's SHA-256(prev || entry) with prev inside
//                       the encoding, hashed exactly once
//   genesis             SHA-256("authority.audit.v1" || log_id): the prev_hash of seq 1
//   record (215 bytes)  entry || hash: what a log stores, so that a changed entry is
//                       caught at its own sequence number (entry_hash), not one later
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "authority/core/bytes.hpp"
#include "authority/core/clock.hpp"
#include "authority/core/error.hpp"
#include "authority/core/result.hpp"
#include "authority/crypto/sha256.hpp"

namespace authority::audit {

using crypto::digest;
using id16 = byte_array<16>;  // log, agent and run ids

inline constexpr std::uint8_t entry_version = 1;
inline constexpr std::size_t entry_size = 183;
inline constexpr std::size_t record_size = entry_size + crypto::sha256_digest_size;
inline constexpr std::string_view genesis_domain = "authority.audit.v1";

using encoded_entry = byte_array<entry_size>;
using encoded_record = byte_array<record_size>;

enum class entry_kind : std::uint8_t {
  decision = 1,       // the gate's allow/deny, appended durably before the effect runs
  outcome = 2,        // what the effect did (result hash, actual cost charged or not)
  policy_change = 3,  // a new policy is in force (policy_hash)
  key_rotation = 4,   // a capability key was added or retired
  agent_fault = 5,    // the agent misbehaved (bad frame, replay, …); reason says how
  agent_start = 6,    // an agent or child agent started (run id)
  agent_exit = 7,     // it exited; its budget was returned to the parent
  checkpoint = 8,     // a checkpoint was signed (request_hash = checkpoint message hash)
};
inline constexpr std::uint8_t entry_kind_max = 8;

constexpr std::string_view name_of(entry_kind k) noexcept {
  switch (k) {
    case entry_kind::decision: return "decision";
    case entry_kind::outcome: return "outcome";
    case entry_kind::policy_change: return "policy_change";
    case entry_kind::key_rotation: return "key_rotation";
    case entry_kind::agent_fault: return "agent_fault";
    case entry_kind::agent_start: return "agent_start";
    case entry_kind::agent_exit: return "agent_exit";
    case entry_kind::checkpoint: return "checkpoint";
  }
  return "unknown";
}

// For a decision: allowed or denied. For an outcome: the effect succeeded or failed.
enum class verdict : std::uint8_t { deny = 0, allow = 1 };

constexpr std::string_view name_of(verdict v) noexcept { return v == verdict::allow ? "allow" : "deny"; }

// What the gate (or a port) appends. The chain adds seq and prev_hash.
struct record {
  entry_kind kind = entry_kind::decision;
  verdict decision = verdict::deny;
  std::uint16_t op = 0;       // effect op code from the effect catalog
  errc reason = errc::ok;     // why (a stable error code; ok for a plain allow)
  time_ns time = 0;           // from the injected clock
  id16 agent_id{};
  id16 run_id{};
  digest request_hash{};
  digest result_hash{};
  digest policy_hash{};

  constexpr bool operator==(const record&) const noexcept = default;
};

struct entry : record {
  std::uint64_t seq = 0;  // 1, 2, 3, … without gaps
  digest prev_hash{};     // genesis for seq 1, else the previous entry's hash

  constexpr bool operator==(const entry&) const noexcept = default;
};

// Field offsets of the encoding (docs/audit-format.md has the same table).
namespace offset {
inline constexpr std::size_t version = 0, kind = 1, decision = 2, op = 3, reason = 5, seq = 7, time = 15,
                             agent_id = 23, run_id = 39, request_hash = 55, result_hash = 87, policy_hash = 119,
                             prev_hash = 151;
}
static_assert(offset::prev_hash + 32 == entry_size);

constexpr encoded_entry encode(const entry& e) noexcept {
  encoded_entry out{};
  byte_writer w{out};
  w.u8(entry_version);
  w.u8(static_cast<byte>(e.kind));
  w.u8(static_cast<byte>(e.decision));
  w.le16(e.op);
  w.le16(static_cast<std::uint16_t>(e.reason));
  w.le64(e.seq);
  w.le64(e.time);
  w.bytes(e.agent_id);
  w.bytes(e.run_id);
  w.bytes(e.request_hash);
  w.bytes(e.result_hash);
  w.bytes(e.policy_hash);
  w.bytes(e.prev_hash);
  return out;
}

// Strict: exactly entry_size bytes, version 1, a known kind, a decision of 0 or 1.
// Errors name the field and its byte offset.
constexpr result<entry> decode(bytes_view in) noexcept {
  byte_reader r{in};
  entry e;
  AUTHORITY_TRY_ASSIGN(const byte version, r.u8("version"));
  if (version != entry_version) return make_error(errc::unsupported_version, "version", offset::version);
  AUTHORITY_TRY_ASSIGN(const byte kind, r.u8("kind"));
  if (kind == 0 || kind > entry_kind_max) return make_error(errc::out_of_range, "kind", offset::kind);
  e.kind = static_cast<entry_kind>(kind);
  AUTHORITY_TRY_ASSIGN(const byte decision, r.u8("decision"));
  if (decision > 1) return make_error(errc::out_of_range, "decision", offset::decision);
  e.decision = static_cast<verdict>(decision);
  AUTHORITY_TRY_ASSIGN(e.op, r.le16("op"));
  AUTHORITY_TRY_ASSIGN(const std::uint16_t reason, r.le16("reason"));
  e.reason = static_cast<errc>(reason);
  AUTHORITY_TRY_ASSIGN(e.seq, r.le64("seq"));
  AUTHORITY_TRY_ASSIGN(e.time, r.le64("time"));
  AUTHORITY_TRY_ASSIGN(e.agent_id, r.array<16>("agent_id"));
  AUTHORITY_TRY_ASSIGN(e.run_id, r.array<16>("run_id"));
  AUTHORITY_TRY_ASSIGN(e.request_hash, r.array<32>("request_hash"));
  AUTHORITY_TRY_ASSIGN(e.result_hash, r.array<32>("result_hash"));
  AUTHORITY_TRY_ASSIGN(e.policy_hash, r.array<32>("policy_hash"));
  AUTHORITY_TRY_ASSIGN(e.prev_hash, r.array<32>("prev_hash"));
  AUTHORITY_TRY_VOID(r.expect_end("entry"));
  return e;
}

constexpr digest hash_of(const encoded_entry& bytes) noexcept { return crypto::sha256::hash(bytes_view{bytes}); }
constexpr digest hash_of(const entry& e) noexcept { return hash_of(encode(e)); }

// The prev_hash of entry 1: binds the chain to one log, so entries cannot be spliced
// from another log with the same content.
constexpr digest genesis(const id16& log_id) noexcept {
  return crypto::sha256{}.update(genesis_domain).update(bytes_view{log_id}).finish();
}

constexpr encoded_record make_record(const encoded_entry& bytes, const digest& hash) noexcept {
  encoded_record out{};
  for (std::size_t i = 0; i < entry_size; ++i) out[i] = bytes[i];
  for (std::size_t i = 0; i < hash.size(); ++i) out[entry_size + i] = hash[i];
  return out;
}

// A record split into its parts; the hash is as stored, not yet checked.
struct stored_record {
  entry value;
  encoded_entry bytes{};
  digest claimed_hash{};
};

constexpr result<stored_record> decode_record(bytes_view in) noexcept {
  if (in.size() < record_size) return make_error(errc::truncated, "record", static_cast<std::uint32_t>(in.size()));
  if (in.size() > record_size) return make_error(errc::trailing_bytes, "record", static_cast<std::uint32_t>(record_size));
  stored_record out;
  AUTHORITY_TRY_ASSIGN(out.value, decode(in.first(entry_size)));
  for (std::size_t i = 0; i < entry_size; ++i) out.bytes[i] = in[i];
  for (std::size_t i = 0; i < out.claimed_hash.size(); ++i) out.claimed_hash[i] = in[entry_size + i];
  return out;
}

}  // namespace authority::audit
