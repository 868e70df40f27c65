// The daemon's protocol over the gate (docs/daemon.md): one request line in, one
// response line out, for one client (connection). Internal to ports/hosted; the event
// loop (daemon.cpp) owns the sockets and calls in from its worker threads.
//
// Locking: a client is used by one worker at a time (the loop hands it over). The gate
// serializes its own shared state with `gate_mutex`. A policy reload swaps what the
// policy store holds, and the daemon reads the policy outside the gate too (labels,
// explanations, suggestions), so each request runs under a shared hold of `policy_lock`
// and a reload takes it exclusively.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "authority/gate.hpp"
#include "authority/hosted/denial.hpp"
#include "authority/hosted/audit_file.hpp"
#include "authority/hosted/daemon.hpp"
#include "authority/hosted/keyfile.hpp"
#include "authority/hosted/platform.hpp"
#include "daemon_json.hpp"

namespace authority::hosted::daemon_detail {

// A failure with a message saying what to do next (keyfile.hpp's file_result).
template <class T>
file_result<T> failure(errc code, std::string message) {
  return {std::nullopt, file_error{make_error(code), std::move(message)}};
}

// The gate's lock: a reference to one mutex (the gate keeps a copy of its Lock).
struct mutex_ref {
  std::mutex* m = nullptr;
  void lock() { m->lock(); }
  void unlock() { m->unlock(); }
};

// Readers share, a writer waits for them and then goes first: a reload is not starved by
// a steady stream of requests (glibc's rwlock prefers readers).
class writer_first_lock {
 public:
  void lock_shared();
  void unlock_shared();
  void lock();
  void unlock();

 private:
  std::mutex m_;
  std::condition_variable cv_;
  std::size_t readers_ = 0;
  std::size_t writers_waiting_ = 0;
  bool writer_ = false;
};

// The daemon never executes effects in-process: its clients act and then commit. The
// gate needs an executor type all the same; this one refuses.
struct client_side_executor {
  effect_result execute(const effect_permit&, const effect_request&) noexcept {
    effect_result r;
    r.status = errc::not_supported;
    return r;
  }
};

inline constexpr std::size_t reservations_per_run = 64;
using run_account = budget::basic_account<reservations_per_run>;
using client_session = session<reservations_per_run>;
using daemon_gate = gate<audit_file, client_side_executor, system_clock, mutex_ref>;

// An allowed effect awaiting its commit.
struct permit_record {
  pending_effect pending;
  response authorized;
  budget::costs declared{};  // reserved up front; what an abandoned effect is charged
  std::string target;        // canonical
};

// What the daemon explained about the session's last denial (the gate keeps the core
// fields; the explanation needs the policy as it was).
using hosted::denial_detail;  // authority/hosted/denial.hpp

// One response line; `error` when it is an error response ("ok": false).
struct reply {
  std::string text;
  bool error = false;
};

struct client {
  uid_t peer_uid = 0;
  pid_t peer_pid = 0;
  std::unique_ptr<client_session> session;  // after hello
  std::map<std::uint64_t, permit_record> permits;
  denial_detail last_denial;
};

class service {
 public:
  static file_result<std::unique_ptr<service>> open(const daemon_options& options);
  service(const service&) = delete;
  service& operator=(const service&) = delete;
  ~service();

  // One request line (without its newline) → one response line (without newline).
  // `malformed` is set when the answer is an error.
  std::string handle(client& c, std::string_view line, bool& malformed);
  // The response to a line that was not read whole (too long, or cut by the end of input).
  static std::string error_line(std::string_view message, errc code);
  // Completes every permit of `c` as abandoned; returns how many.
  std::size_t abandon(client& c);
  // Re-reads the policy file and the revocation list; returns a line for the daemon log.
  // A failed reload keeps the policy in force.
  std::string reload(bool& ok);
  std::string describe() const;  // for the start-up log line

 private:
  explicit service(const daemon_options& options);
  file_result<bool> init();
  file_result<std::vector<std::uint8_t>> compile_policy_file(std::uint64_t revision) const;
  file_result<bool> load_policy_blob(std::vector<std::uint8_t> blob);

  reply hello(client& c, const daemon_json::value& req, std::string_view id);
  reply authorize(client& c, const daemon_json::value& req, std::string_view id);
  reply commit(client& c, const daemon_json::value& req, std::string_view id);
  reply last_denial(client& c, std::string_view id);
  reply audit_head(std::string_view id);
  reply audit_read(client& c, const daemon_json::value& req, std::string_view id);

  run_account* account_for(const id16& agent, const id16& run, std::string& error);
  denial_detail explain_denial(const client& c, const effect_info& info, const effect_request& r,
                               std::string_view target, const response& out) const;
  void render_policy_detail(daemon_json::writer& w, const denial_detail& d) const;

  daemon_options options_;
  key_file keys_;
  std::unique_ptr<revocation_store> revoked_;
  std::vector<capability::bucket_slot> buckets_;
  std::unique_ptr<capability::rate_limiter> rates_;
  std::vector<capability::verified_slot> cache_slots_;
  std::unique_ptr<capability::verified_cache> cache_;
  std::unique_ptr<capability::verifier> verifier_;
  std::unique_ptr<policy::policy_store> policies_;
  std::deque<std::vector<std::uint8_t>> blobs_;  // the store's current and previous blobs
  std::unique_ptr<audit_file> log_;
  mutable system_clock clock_;
  client_side_executor executor_;
  std::mutex gate_mutex_;
  std::unique_ptr<daemon_gate> gate_;
  mutable writer_first_lock policy_lock_;
  std::atomic<bool> closed_reported_{false};

  std::mutex accounts_mutex_;
  std::map<std::array<byte, 32>, std::unique_ptr<run_account>> accounts_;
};

}  // namespace authority::hosted::daemon_detail
