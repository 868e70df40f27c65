// Verifying a log: every record is checked in order, and the answer is either OK with
// the count and the head hash, or the FIRST bad sequence number and why.
//
// Per record, in this order (so each kind of tampering is named where it happened):
//   frame     bad_magic / out_of_range / truncated / bad_checksum   (streams only)
//   decode    unsupported_version / out_of_range (kind, decision) / truncated
//   entry_hash  the stored hash is not SHA-256 of the entry (a changed field or bit)
//   sequence_gap  seq is not the previous one + 1 (deleted, swapped, duplicated entries)
//   chain_broken  prev_hash is not the previous entry's hash (a rewritten history)
// The bad sequence number is the position's expected one: last good seq + 1.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "authority/audit/chain.hpp"
#include "authority/audit/entry.hpp"
#include "authority/audit/frame.hpp"
#include "authority/core/result.hpp"
#include "authority/crypto/ct.hpp"

namespace authority::audit {

struct verification {
  errc code = errc::ok;
  std::string_view field{};
  std::uint64_t count = 0;        // records that verified
  digest head{};                  // hash of the last good record (genesis when none)
  std::uint64_t bad_seq = 0;      // when !ok(): the first bad sequence number
  std::uint64_t byte_offset = 0;  // streams: where the bad frame starts
  std::uint64_t valid_bytes = 0;  // streams: length of the good prefix

  constexpr bool ok() const noexcept { return code == errc::ok; }
};

// Incremental: feed records one by one (a kernel can verify a serial stream in O(1)
// memory). The first failure latches.
class verifier {
 public:
  explicit constexpr verifier(const id16& log_id) noexcept : head_{0, genesis(log_id)} {}
  // Continues after a known good head, e.g. a verified checkpoint.
  explicit constexpr verifier(const chain_head& head) noexcept : head_(head) {}

  // Checks one encoded entry against the hash stored with it. Sequence number and link
  // are read from the bytes that were hashed, never from a separate decoded copy.
  constexpr result<void> check(const encoded_entry& bytes, const digest& claimed) noexcept {
    if (failure_.code != errc::ok) return failure_;
    auto e = decode(bytes_view{bytes});
    if (!e) return fail(e.error());
    const digest actual = hash_of(bytes);
    if (actual != claimed) return fail(make_error(errc::entry_hash, "hash"));
    if (e->seq != head_.seq + 1) return fail(make_error(errc::sequence_gap, "seq", offset::seq));
    if (e->prev_hash != head_.hash) return fail(make_error(errc::chain_broken, "prev_hash", offset::prev_hash));
    head_ = {e->seq, actual};
    return success();
  }

  // Checks one stored record (entry || hash).
  constexpr result<void> check_record(bytes_view record_bytes) noexcept {
    if (failure_.code != errc::ok) return failure_;
    auto rec = decode_record(record_bytes);
    if (!rec) return fail(rec.error());
    return check(rec->bytes, rec->claimed_hash);
  }

  // Records a failure found outside (a damaged frame) so later calls refuse too.
  constexpr result<void> fail(authority::error e) noexcept {
    failure_ = e;
    return e;
  }

  constexpr chain_head head() const noexcept { return head_; }
  constexpr std::uint64_t count() const noexcept { return head_.seq - start_seq_; }
  constexpr std::uint64_t next_seq() const noexcept { return head_.seq + 1; }
  constexpr bool failed() const noexcept { return failure_.code != errc::ok; }
  constexpr authority::error failure() const noexcept { return failure_; }

 private:
  chain_head head_;
  std::uint64_t start_seq_ = head_.seq;
  authority::error failure_{errc::ok, {}, 0};
};

// Verifies a byte stream of frames from the log's first entry (or from `start`).
constexpr verification verify_stream(bytes_view frames, verifier v) noexcept {
  verification out;
  std::size_t pos = 0;
  while (pos < frames.size()) {
    auto frame = read_frame(frames.subspan(pos));
    result<void> checked = frame ? v.check_record(frame->payload) : v.fail(frame.error());
    if (!checked) {
      const auto e = checked.error();
      out.code = e.code;
      out.field = e.field;
      out.bad_seq = v.next_seq();
      out.byte_offset = pos;
      break;
    }
    pos += frame->size;
  }
  out.count = v.count();
  out.head = v.head().hash;
  out.valid_bytes = pos;
  return out;
}

// Verifies records (entry bytes and stored hash) in order.
constexpr verification verify_records(std::span<const stored_record> records, verifier v) noexcept {
  verification out;
  for (const stored_record& r : records) {
    if (auto checked = v.check(r.bytes, r.claimed_hash); !checked) {
      out.code = checked.code();
      out.field = checked.error().field;
      out.bad_seq = v.next_seq();
      break;
    }
  }
  out.count = v.count();
  out.head = v.head().hash;
  return out;
}

constexpr verification verify_stream(bytes_view frames, const id16& log_id) noexcept {
  return verify_stream(frames, verifier{log_id});
}

// Verifies a whole log stream: header, then every frame. A bad header is reported as
// bad_seq 1 at byte offset 0.
constexpr verification verify_log(bytes_view stream) noexcept {
  auto log_id = read_log_header(stream);
  if (!log_id) {
    verification out;
    out.code = log_id.code();
    out.field = log_id.error().field;
    out.bad_seq = 1;
    return out;
  }
  verification out = verify_stream(stream.subspan(log_header_size), *log_id);
  if (!out.ok()) out.byte_offset += log_header_size;
  out.valid_bytes += log_header_size;
  return out;
}

}  // namespace authority::audit
