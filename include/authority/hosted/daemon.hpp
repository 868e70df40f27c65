// `authority serve`: the gate as a daemon for agent frameworks on Linux (docs/daemon.md).
//
// The daemon holds the capability keys, the compiled policy and the durable audit log;
// agents talk to it over a Unix domain socket in JSON Lines: hello (open a session),
// authorize (the gate judges; the decision is durable before the answer is written),
// commit (the agent acted itself and reports the outcome), last_denial, audit_head and
// audit_read (itself an effect, judged like any other).
//
// Shape: one event-loop thread (epoll) owns every socket; a fixed pool of workers runs
// the gate, so concurrent decisions share one fdatasync (the audit file's group commit).
// Everything is bounded: connections (beyond the limit the daemon stops accepting), one
// request per connection in the gate at a time, a per-connection input buffer of one
// maximum line and an output buffer beyond which the connection is no longer read.
// Hosted-only.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "authority/gate.hpp"
#include "authority/hosted/keyfile.hpp"

namespace authority::hosted {

struct daemon_options {
  std::string socket_path;
  std::string policy_path;         // JSON or TOML policy text, compiled at start and on reload
  std::string policy_format;       // "json" or "toml"; empty: from the file extension
  std::string key_path;            // key file; its revocation list is key_path + ".revoked"
  std::string audit_path;          // durable audit log (created when missing)
  gate_mode mode = gate_mode::enforce;

  // Who may connect: the daemon's own uid, the uids listed, and, when socket_group is
  // set, members of that group (the socket is then mode 0660 in that group, else 0600).
  std::vector<uid_t> allow_uids;
  std::optional<gid_t> socket_group;

  std::size_t max_connections = 256;   // beyond: the listening socket is not polled
  std::size_t workers = 32;            // gate threads (more share each fdatasync)
  std::size_t max_line_bytes = 64 * 1024;
  std::size_t max_output_bytes = 1 << 20;  // per connection: unread responses beyond stop its requests
  std::size_t max_pending = 64;        // permits awaiting commit, per connection
  std::size_t max_runs = 4096;         // budget accounts, one per (agent, run), kept for the daemon's life
  std::uint64_t line_timeout_ms = 10'000;   // a started line must end within this
  std::uint64_t write_timeout_ms = 10'000;  // unread responses must drain within this
  std::uint64_t idle_timeout_ms = 900'000;  // a connection with nothing to do and no permit; 0: never

  bool handle_signals = false;  // SIGHUP: reload; SIGTERM, SIGINT: stop (the CLI sets this)
  // One line per event (start, reload, refused peer, errors); default: standard error.
  std::function<void(std::string_view)> log;
};

class daemon {
 public:
  struct counters {
    std::uint64_t connections_accepted = 0;
    std::uint64_t connections_refused = 0;  // peer credentials not allowed
    std::uint64_t requests = 0;             // lines answered
    std::uint64_t malformed = 0;            // lines answered with an error
    std::uint64_t abandoned = 0;            // permits completed as abandoned
    std::uint64_t reloads = 0;              // successful policy reloads
    std::uint64_t failed_reloads = 0;
    std::uint64_t timeouts = 0;             // connections closed for a timeout
  };

  // Checks the socket directory, loads keys, revocations and the audit log, compiles and
  // loads the policy (revision 1, logged as a policy change) and binds the socket.
  // Failures say what is wrong and what to do next.
  static file_result<std::unique_ptr<daemon>> start(const daemon_options& options);
  ~daemon();
  daemon(const daemon&) = delete;
  daemon& operator=(const daemon&) = delete;

  // Serves until stop(); then closes every connection (pending permits are completed as
  // abandoned), removes the socket and returns 0.
  int run();
  void stop() noexcept;    // any thread
  void reload() noexcept;  // any thread; what SIGHUP does
  counters stats() const;

 private:
  struct impl;
  explicit daemon(std::unique_ptr<impl> i);
  std::unique_ptr<impl> impl_;
};

}  // namespace authority::hosted
