// audit::chain: assigns sequence numbers, links each entry to the previous one's hash
// and hands the framed record to a sink. Single-threaded (the hosted durable log wraps
// it with a lock and group commit).
//
// Fails closed: once the sink refuses an append or a sync, the chain refuses every
// later append with that error, so the gate denies instead of acting unlogged. An
// entry is never dropped silently and a sequence number is never reused.
#pragma once

#include <concepts>
#include <cstdint>

#include "authority/audit/entry.hpp"
#include "authority/audit/frame.hpp"
#include "authority/audit/sink.hpp"
#include "authority/core/result.hpp"

namespace authority::audit {

struct appended {
  std::uint64_t seq = 0;
  digest hash{};
};

// The last entry of a chain: seq 0 and the genesis hash when empty.
struct chain_head {
  std::uint64_t seq = 0;
  digest hash{};
  constexpr bool operator==(const chain_head&) const noexcept = default;
};

// What the gate needs from a log, in a kernel (chain over a sink) and on Linux
// (hosted::audit_file): append a record and return once it is durable.
template <class L>
concept durable_log = requires(L& log, const record& r) {
  { log.append_durable(r) } -> std::same_as<result<appended>>;
};

template <sink S>
class chain {
 public:
  // A new, empty log.
  chain(S& out, const id16& log_id) noexcept : sink_(out), head_{0, genesis(log_id)} {}
  // Continues a log whose last verified entry is `head` (after recovery).
  chain(S& out, const chain_head& head) noexcept : sink_(out), head_(head) {}

  // Appends without waiting for durability (call sync(), or use append_durable).
  result<appended> append(const record& r) noexcept {
    if (failed_.code != errc::ok) return failed_;
    entry e;
    static_cast<record&>(e) = r;
    e.seq = head_.seq + 1;
    e.prev_hash = head_.hash;
    const encoded_entry bytes = encode(e);
    const digest h = hash_of(bytes);
    const encoded_frame frame = make_frame(make_record(bytes, h));
    if (auto written = sink_.append(bytes_view{frame}); !written) {
      failed_ = written.error();
      return failed_;
    }
    head_ = {e.seq, h};
    return appended{e.seq, h};
  }

  result<void> sync() noexcept {
    if (failed_.code != errc::ok) return failed_;
    if (auto synced = sink_.sync(); !synced) {
      failed_ = synced.error();
      return failed_;
    }
    return success();
  }

  // What the gate uses for a decision: on the chain and durable before the agent hears.
  result<appended> append_durable(const record& r) noexcept {
    AUTHORITY_TRY_ASSIGN(const appended a, append(r));
    AUTHORITY_TRY_VOID(sync());
    return a;
  }

  chain_head head() const noexcept { return head_; }
  bool failed() const noexcept { return failed_.code != errc::ok; }
  S& output() noexcept { return sink_; }

 private:
  S& sink_;
  chain_head head_;
  authority::error failed_{errc::ok, {}, 0};
};

static_assert(durable_log<chain<memory_sink<1>>>);

}  // namespace authority::audit
