// The hosted durable audit log: an append-only file (docs/audit-format.md), one header
// and then CRC-framed records. INV-4 on Linux:
//
// - append() returns only when the entry is on disk (write + fdatasync). Concurrent
//   appenders share one fdatasync (group commit, leader/follower): the first waiter
//   writes and syncs everything appended so far while the others wait for the sync
//   that covers their own entry; the leader first waits briefly for the batch to fill
//   (wait_for_batch). Sequence numbers and the hash chain are assigned
//   under one lock, so they stay in order.
// - Fails closed: a full disk (ENOSPC, EDQUOT, EFBIG) or the size limit gives log_full,
//   any other write/sync error sink_failure; after a failed write or sync every later
//   append fails too (what reached the disk is unknown until recovery).
// - Recovery on open: the whole file is verified. A damaged or partial frame at the end
//   with no whole frame after it is a torn tail: it is cut off (ftruncate + fsync) and
//   the chain resumes from the last good entry. Damage followed by any whole frame, or
//   a whole frame that does not verify (hash, sequence, link), is corruption in the
//   middle: open refuses and reports the first bad sequence number, and nothing is cut.
//   Limit: a damaged *last* frame looks exactly like a torn write and is cut; the
//   report says how many bytes were, and a checkpoint signed earlier shows a loss.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "authority/audit/chain.hpp"
#include "authority/audit/entry.hpp"
#include "authority/audit/merkle.hpp"
#include "authority/audit/verify.hpp"
#include "authority/core/result.hpp"

namespace authority::hosted {

// A log file read into memory and verified, without changing it.
struct audit_log_contents {
  audit::id16 log_id{};
  std::vector<byte> bytes;             // the whole file
  audit::verification verification{};  // over the whole file (header included)
  // When verification failed: true if the bad part is a torn tail (damage at the end
  // with no whole frame after it), false if it is corruption in the middle.
  bool torn_tail = false;

  // The records that verified, in order (views into `bytes`).
  std::vector<bytes_view> good_records() const;
};

// Reads and verifies a log file. Fails only when the file cannot be read or its header
// is bad; a bad frame is reported in `verification`.
result<audit_log_contents> read_audit_log(const std::string& path);

// Merkle leaf hashes of the first `count` good records.
std::vector<audit::digest> leaf_hashes(const audit_log_contents& log, std::uint64_t count);

struct audit_file_options {
  audit::id16 log_id{};          // for a new file (all zero: a random one); an existing file keeps its own
  bool create = true;            // create the file when it does not exist
  bool group_commit = true;      // false: each append writes and syncs alone (a baseline)
  std::uint64_t max_bytes = 0;   // 0: only the disk limits the file; else log_full past it
};

struct recovery_report {
  bool created = false;                // a new file was made
  std::uint64_t entries = 0;           // good entries found
  std::uint64_t truncated_bytes = 0;   // torn tail cut off
  audit::chain_head head{};            // where the chain resumes
  // When open refused: the first bad seq and why. After cutting a torn tail: what the
  // tail looked like (e.g. truncated at seq N).
  audit::verification verification{};
};

class audit_file {
 public:
  // Opens (and recovers) or creates the log at `path`. On refusal `report` says why.
  static result<std::unique_ptr<audit_file>> open(const std::string& path, const audit_file_options& options,
                                                  recovery_report& report);
  ~audit_file();
  audit_file(const audit_file&) = delete;
  audit_file& operator=(const audit_file&) = delete;

  // Appends and returns once the entry is durable. Thread-safe.
  result<audit::appended> append(const audit::record& r);
  // The name the gate's audit::durable_log concept uses; the same as append().
  result<audit::appended> append_durable(const audit::record& r) { return append(r); }

  audit::chain_head head() const;
  const audit::id16& log_id() const noexcept { return log_id_; }
  std::uint64_t sync_count() const noexcept { return syncs_.load(std::memory_order_relaxed); }
  std::uint64_t size_bytes() const;

 private:
  // The core chain writes frames into the pending batch; the group commit writes it out.
  struct batch_sink {
    std::vector<byte>* pending;
    result<void> append(bytes_view frame) {
      pending->insert(pending->end(), frame.begin(), frame.end());
      return success();
    }
    result<void> sync() { return success(); }
  };

  audit_file(int fd, const audit::id16& log_id, const audit::chain_head& head, std::uint64_t size,
             const audit_file_options& options);
  result<void> write_and_sync(const std::vector<byte>& batch);
  void lead_sync(std::unique_lock<std::mutex>& lock);
  void wait_for_batch(std::unique_lock<std::mutex>& lock);

  int fd_ = -1;
  audit::id16 log_id_{};
  audit_file_options options_{};

  mutable std::mutex mutex_;
  std::vector<byte> pending_;
  batch_sink sink_{&pending_};
  audit::chain<batch_sink> chain_;
  std::atomic<std::uint64_t> durable_seq_{0};  // every entry up to this seq is on disk
  std::atomic<std::uint32_t> sync_generation_{0};  // bumped (and waited on) at the end of each sync
  std::uint64_t bytes_taken_ = 0;  // file size once everything appended is written
  bool syncing_ = false;           // a leader is writing a batch
  // Adaptive commit delay (wait_for_batch): entries pending now, entries the last batch
  // had, how long its sync took, and whether a leader waits for the batch to fill.
  std::uint64_t pending_entries_ = 0;
  std::uint64_t expected_batch_ = 0;
  std::chrono::microseconds last_sync_{0};
  bool leader_waiting_ = false;
  std::condition_variable batch_full_;
  authority::error failed_{errc::ok, {}, 0};
  std::atomic<std::uint64_t> syncs_{0};
};

static_assert(audit::durable_log<audit_file>);

}  // namespace authority::hosted
