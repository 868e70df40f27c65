// `authority serve`'s server: the Unix socket, peer credentials, the epoll loop, the
// worker pool and back-pressure (include/authority/hosted/daemon.hpp, docs/daemon.md).
// The protocol itself is daemon_service.cpp.
//
// One loop thread owns every socket and buffer. A connection has at most one request in
// the workers at a time (responses stay in order and its session is used by one thread),
// so the job queue never holds more than one job per connection plus a reload. A
// connection is read only while its input buffer has room for one maximum line and its
// unread responses are below max_output_bytes; the listening socket is polled only while
// there are fewer than max_connections connections. Nothing grows without bound.
#include "authority/hosted/daemon.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <iostream>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "daemon_service.hpp"

namespace authority::hosted {

using namespace daemon_detail;

namespace {

using steady = std::chrono::steady_clock;

// epoll user data: small numbers name the loop's own descriptors, the rest connections.
constexpr std::uint64_t listen_key = 1, wake_key = 2, signal_key = 3, first_connection_key = 16;
constexpr std::size_t read_chunk = 64 * 1024;

struct connection {
  std::uint64_t key = 0;
  int fd = -1;
  client state;  // the worker's while `busy`
  std::string in;
  std::size_t in_start = 0;  // consumed prefix of `in`
  std::string out;
  std::size_t out_start = 0;
  bool busy = false;      // a job for this connection is queued or running
  bool skipping = false;  // discarding the rest of an over-long line
  bool read_eof = false;  // the peer has finished sending
  bool dead = false;      // socket closed; the connection goes once its jobs are done
  std::optional<steady::time_point> line_started;     // an unfinished line began
  std::optional<steady::time_point> output_stalled;   // unread output since (reset on progress)
  steady::time_point last_activity{};
  std::uint32_t interest = 0;  // events registered with epoll

  std::size_t buffered() const noexcept { return in.size() - in_start; }
  std::size_t unsent() const noexcept { return out.size() - out_start; }
};

struct job {
  enum class kind : std::uint8_t { request, abandon, reload };
  kind what = kind::request;
  connection* conn = nullptr;
  std::string line;
};

struct completion {
  job::kind what = job::kind::request;
  connection* conn = nullptr;
  std::string text;  // request: the response line; reload: the log line
  bool failed = false;
  std::size_t abandoned = 0;
};

std::string errno_text(int e) { return std::strerror(e); }

// The socket's directory must not let anyone else replace or pre-create the socket.
file_result<bool> check_socket_directory(const std::string& socket_path) {
  const auto slash = socket_path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : socket_path.substr(0, slash);
  struct stat st{};
  if (::stat(dir.c_str(), &st) != 0)
    return failure<bool>(errc::io_error, dir + ": " + errno_text(errno) + "\nhint: create a private directory for the socket, e.g. "
                                                                          "`mkdir -m 0700 " + dir + "`");
  if (!S_ISDIR(st.st_mode)) return failure<bool>(errc::invalid_argument, dir + " is not a directory");
  if (st.st_uid != ::geteuid() && st.st_uid != 0)
    return failure<bool>(errc::invalid_argument, dir + " belongs to uid " + std::to_string(st.st_uid) +
                                                     ", who could replace the socket\nhint: put the socket in a directory you own, "
                                                     "e.g. $XDG_RUNTIME_DIR/authority (mode 0700)");
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return failure<bool>(errc::invalid_argument, dir + " is writable by " + ((st.st_mode & S_IWOTH) ? "everyone" : "its group") +
                                                     " (mode " + mode + "), so others could replace the socket\nhint: use a private "
                                                     "directory, e.g. `mkdir -m 0700 $XDG_RUNTIME_DIR/authority`");
  }
  return {true, std::nullopt};
}

file_result<int> bind_socket(const daemon_options& o) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (o.socket_path.empty() || o.socket_path.size() >= sizeof addr.sun_path)
    return failure<int>(errc::too_long, "--socket must be a path of 1-" + std::to_string(sizeof addr.sun_path - 1) +
                                            " bytes (a Unix socket address limit)");
  std::memcpy(addr.sun_path, o.socket_path.data(), o.socket_path.size());
  if (auto d = check_socket_directory(o.socket_path); !d.ok()) return {std::nullopt, d.failure};

  struct stat st{};
  if (::lstat(o.socket_path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode))
      return failure<int>(errc::invalid_argument, o.socket_path + " exists and is not a socket; remove it or choose another --socket");
    const int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const bool live = probe >= 0 && ::connect(probe, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
    if (probe >= 0) ::close(probe);
    if (live)
      return failure<int>(errc::invalid_argument, "another daemon is serving on " + o.socket_path + "; stop it or choose another --socket");
    ::unlink(o.socket_path.c_str());  // stale: left by a daemon that did not exit cleanly
  }
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return failure<int>(errc::io_error, "socket: " + errno_text(errno));
  // Created without group/other access from the first instant, then opened up as asked.
  const mode_t old_mask = ::umask(0177);
  const int bound = ::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  const int bind_errno = errno;
  ::umask(old_mask);
  if (bound != 0) {
    ::close(fd);
    return failure<int>(errc::io_error, o.socket_path + ": bind: " + errno_text(bind_errno));
  }
  const mode_t mode = o.socket_group ? 0660 : 0600;
  if ((o.socket_group && ::chown(o.socket_path.c_str(), static_cast<uid_t>(-1), *o.socket_group) != 0) ||
      ::chmod(o.socket_path.c_str(), mode) != 0 || ::listen(fd, 128) != 0) {
    const int e = errno;
    ::close(fd);
    ::unlink(o.socket_path.c_str());
    return failure<int>(errc::io_error, o.socket_path + ": " + errno_text(e) +
                                            (o.socket_group ? "\nhint: --group needs a group you belong to" : ""));
  }
  return {fd, std::nullopt};
}

bool user_in_group(uid_t uid, gid_t gid) {
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* pwp = nullptr;
  if (::getpwuid_r(uid, &pw, buf.data(), buf.size(), &pwp) != 0 || pwp == nullptr) return false;
  if (pw.pw_gid == gid) return true;
  const std::string name = pw.pw_name;
  group gr{};
  group* grp = nullptr;
  if (::getgrgid_r(gid, &gr, buf.data(), buf.size(), &grp) != 0 || grp == nullptr) return false;
  for (char** m = gr.gr_mem; m != nullptr && *m != nullptr; ++m)
    if (name == *m) return true;
  return false;
}

}  // namespace

struct daemon::impl {
  daemon_options options;
  std::unique_ptr<service> svc;
  int listen_fd = -1, epoll_fd = -1, wake_fd = -1, signal_fd = -1;
  bool listening = false;
  bool stopping = false;
  std::unordered_map<std::uint64_t, std::unique_ptr<connection>> connections;
  std::uint64_t next_key = first_connection_key;

  std::vector<std::thread> workers;
  std::mutex jobs_mutex;
  std::condition_variable jobs_ready;
  std::deque<job> jobs;
  bool workers_stop = false;

  std::mutex done_mutex;
  std::vector<completion> done;

  std::atomic<bool> stop_requested{false};
  std::atomic<bool> reload_requested{false};
  bool reload_running = false;

  mutable std::mutex stats_mutex;
  counters stats;

  ~impl() {
    for (int fd : {listen_fd, epoll_fd, wake_fd, signal_fd})
      if (fd >= 0) ::close(fd);
  }

  void log(std::string_view line) const {
    if (options.log)
      options.log(line);
    else
      std::cerr << "authority serve: " << line << std::endl;
  }
  template <class F>
  void count(F f) {
    std::lock_guard l(stats_mutex);
    f(stats);
  }
  void wake() const noexcept {
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_fd, &one, sizeof one);
  }

  // ---- workers -----------------------------------------------------------------------

  void worker() {
    for (;;) {
      job j;
      {
        std::unique_lock l(jobs_mutex);
        jobs_ready.wait(l, [&] { return workers_stop || !jobs.empty(); });
        if (jobs.empty()) return;
        j = std::move(jobs.front());
        jobs.pop_front();
      }
      completion c;
      c.what = j.what;
      c.conn = j.conn;
      switch (j.what) {
        case job::kind::request: c.text = svc->handle(j.conn->state, j.line, c.failed); break;
        case job::kind::abandon: c.abandoned = svc->abandon(j.conn->state); break;
        case job::kind::reload: {
          bool ok = false;
          c.text = svc->reload(ok);
          c.failed = !ok;
          break;
        }
      }
      {
        std::lock_guard l(done_mutex);
        done.push_back(std::move(c));
      }
      wake();
    }
  }

  void submit(job j) {
    {
      std::lock_guard l(jobs_mutex);
      jobs.push_back(std::move(j));
    }
    jobs_ready.notify_one();
  }

  // ---- epoll bookkeeping ---------------------------------------------------------------

  bool add(int fd, std::uint64_t key, std::uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = key;
    return ::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev) == 0;
  }

  void set_listening(bool on) {
    if (listen_fd < 0 || on == listening) return;
    epoll_event ev{};
    ev.events = on ? std::uint32_t{EPOLLIN} : 0u;
    ev.data.u64 = listen_key;
    ::epoll_ctl(epoll_fd, EPOLL_CTL_MOD, listen_fd, &ev);
    listening = on;
  }

  bool wants_read(const connection& c) const noexcept {
    return !c.dead && !c.read_eof && c.buffered() <= options.max_line_bytes && c.unsent() < options.max_output_bytes;
  }

  void update_interest(connection& c) {
    if (c.dead) return;
    std::uint32_t want = 0;
    if (wants_read(c)) want |= EPOLLIN;
    if (c.unsent() > 0) want |= EPOLLOUT;
    if (want == c.interest) return;
    epoll_event ev{};
    ev.events = want;
    ev.data.u64 = c.key;
    ::epoll_ctl(epoll_fd, EPOLL_CTL_MOD, c.fd, &ev);
    c.interest = want;
  }

  // ---- connections ---------------------------------------------------------------------

  bool peer_allowed(const ucred& cred) const {
    if (cred.uid == ::geteuid()) return true;
    if (std::find(options.allow_uids.begin(), options.allow_uids.end(), cred.uid) != options.allow_uids.end()) return true;
    return options.socket_group && (cred.gid == *options.socket_group || user_in_group(cred.uid, *options.socket_group));
  }

  void accept_all() {
    while (!stopping && connections.size() < options.max_connections) {
      const int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if (errno == EMFILE || errno == ENFILE) {
          log("accept: " + errno_text(errno) + "; not accepting until a connection closes (raise the file limit or lower --max-connections)");
          set_listening(false);
        }
        return;
      }
      ucred cred{};
      socklen_t len = sizeof cred;
      if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || !peer_allowed(cred)) {
        const std::string line =
            service::error_line("uid " + std::to_string(cred.uid) + " may not use this daemon; its operator can allow it with "
                                "--allow-uid " + std::to_string(cred.uid) + " or --group",
                                errc::not_allowed) + "\n";
        [[maybe_unused]] auto n = ::send(fd, line.data(), line.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        ::close(fd);
        log("refused a connection from uid " + std::to_string(cred.uid) + " pid " + std::to_string(cred.pid));
        count([](counters& s) { ++s.connections_refused; });
        continue;
      }
      auto c = std::make_unique<connection>();
      c->key = next_key++;
      c->fd = fd;
      c->state.peer_uid = cred.uid;
      c->state.peer_pid = cred.pid;
      c->last_activity = steady::now();
      c->interest = EPOLLIN;
      if (!add(fd, c->key, EPOLLIN)) {
        ::close(fd);
        continue;
      }
      connections.emplace(c->key, std::move(c));
      count([](counters& s) { ++s.connections_accepted; });
    }
    if (connections.size() >= options.max_connections) set_listening(false);
  }

  // Closes the socket now; the connection object stays until reap() finds it idle, so
  // callers may still look at it after this returns.
  void close_connection(connection& c) {
    if (c.dead) return;
    c.dead = true;
    ::epoll_ctl(epoll_fd, EPOLL_CTL_DEL, c.fd, nullptr);
    ::close(c.fd);
    c.fd = -1;
    c.in.clear();
    c.out.clear();
    c.in_start = c.out_start = 0;
  }

  // Dead connections with no job running: permits left are completed as abandoned (a
  // job), then the connection goes and makes room for another.
  void reap() {
    for (auto it = connections.begin(); it != connections.end();) {
      connection& c = *it->second;
      if (!c.dead || c.busy) {
        ++it;
        continue;
      }
      if (!c.state.permits.empty()) {
        c.busy = true;
        submit(job{job::kind::abandon, &c, {}});
        ++it;
        continue;
      }
      it = connections.erase(it);
    }
    if (!stopping && connections.size() < options.max_connections) set_listening(true);
  }

  // Queues `text` (one response line) and tries to send it.
  void respond(connection& c, std::string_view text) {
    if (c.dead) return;
    if (c.unsent() == 0) c.output_stalled = steady::now();
    c.out.append(text);
    c.out += '\n';
    flush(c);
  }

  void flush(connection& c) {
    while (!c.dead && c.unsent() > 0) {
      const auto n = ::send(c.fd, c.out.data() + c.out_start, c.unsent(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        c.out_start += static_cast<std::size_t>(n);
        c.last_activity = steady::now();
        c.output_stalled = steady::now();
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      close_connection(c);  // the peer is gone
      return;
    }
    if (!c.dead && c.unsent() == 0) {
      c.out.clear();
      c.out_start = 0;
      c.output_stalled.reset();
    }
  }

  void on_readable(connection& c) {
    char buf[read_chunk];
    const std::size_t room = c.skipping ? sizeof buf : std::min(sizeof buf, options.max_line_bytes + 1 - std::min(c.buffered(), options.max_line_bytes + 1));
    if (room == 0) return;
    const auto n = ::recv(c.fd, buf, room, MSG_DONTWAIT);
    if (n < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) close_connection(c);
      return;
    }
    const auto now = steady::now();
    if (n == 0) {
      c.read_eof = true;
      return;
    }
    c.last_activity = now;
    std::string_view data{buf, static_cast<std::size_t>(n)};
    if (c.skipping) {
      const auto nl = data.find('\n');
      if (nl == std::string_view::npos) {
        if (!c.line_started) c.line_started = now;
        return;
      }
      c.skipping = false;
      c.line_started.reset();
      data.remove_prefix(nl + 1);
    }
    const bool had_newline = data.find('\n') != std::string_view::npos;
    c.in.append(data);
    const bool tail_open = !c.in.empty() && c.in.back() != '\n';
    if (!tail_open)
      c.line_started.reset();
    else if (had_newline || !c.line_started)
      c.line_started = now;
  }

  // Starts the next complete line of `c`, answers lines that cannot be read whole, and
  // closes a connection whose peer has finished and has nothing left.
  void advance(connection& c) {
    while (!c.dead && !c.busy && c.unsent() < options.max_output_bytes) {
      const std::string_view pending{c.in.data() + c.in_start, c.buffered()};
      const auto nl = pending.find('\n');
      if (nl != std::string_view::npos) {
        const std::string_view line = pending.substr(0, nl);
        c.in_start += nl + 1;
        if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;  // blank lines are ignored
        c.busy = true;
        submit(job{job::kind::request, &c, std::string(line)});
        break;
      }
      if (pending.size() > options.max_line_bytes) {
        respond(c, service::error_line("request line longer than " + std::to_string(options.max_line_bytes) +
                                           " bytes; skipped to the next newline (the connection stays usable)",
                                       errc::too_long));
        count([](counters& s) { ++s.malformed; ++s.requests; });
        c.in.clear();
        c.in_start = 0;
        c.skipping = true;
        continue;
      }
      if (c.read_eof && !pending.empty()) {
        respond(c, service::error_line("the connection ended in the middle of a line (" + std::to_string(pending.size()) +
                                           " bytes without a newline); that request was not read",
                                       errc::truncated));
        count([](counters& s) { ++s.malformed; ++s.requests; });
        c.in.clear();
        c.in_start = 0;
      }
      break;
    }
    if (c.dead) return;
    if (c.in_start > 0 && (c.in_start == c.in.size() || c.in_start >= read_chunk)) {
      c.in.erase(0, c.in_start);
      c.in_start = 0;
    }
    if (c.read_eof && !c.busy && c.buffered() == 0 && c.unsent() == 0) {
      close_connection(c);
      return;
    }
    update_interest(c);
  }

  void on_event(connection& c, std::uint32_t events) {
    if (events & (EPOLLHUP | EPOLLERR)) {
      close_connection(c);  // the peer is gone: what it did not get an answer for was not acknowledged
      return;
    }
    if (events & EPOLLIN) on_readable(c);
    if (!c.dead && (events & EPOLLOUT)) flush(c);
    if (!c.dead) advance(c);
  }

  void drain_completions() {
    std::vector<completion> batch;
    {
      std::lock_guard l(done_mutex);
      batch.swap(done);
    }
    for (auto& d : batch) {
      if (d.what == job::kind::reload) {
        reload_running = false;
        log(d.text);
        count([&](counters& s) { ++(d.failed ? s.failed_reloads : s.reloads); });
        continue;
      }
      connection& c = *d.conn;
      c.busy = false;
      if (d.what == job::kind::abandon) {
        if (d.abandoned > 0) {
          log("connection closed with " + std::to_string(d.abandoned) + " permit(s) uncommitted; completed as abandoned");
          count([&](counters& s) { s.abandoned += d.abandoned; });
        }
        continue;
      }
      count([&](counters& s) {
        ++s.requests;
        if (d.failed) ++s.malformed;
      });
      if (c.dead) continue;
      respond(c, d.text);
      if (!c.dead) advance(c);
    }
  }

  void check_timeouts() {
    const auto now = steady::now();
    const auto ms = [](std::uint64_t v) { return std::chrono::milliseconds(v); };
    std::vector<connection*> expired;
    std::vector<std::string> why;
    for (auto& [key, cp] : connections) {
      connection& c = *cp;
      if (c.dead || c.busy) continue;
      if (c.output_stalled && c.unsent() > 0 && now - *c.output_stalled > ms(options.write_timeout_ms)) {
        expired.push_back(&c);
        why.push_back({});  // it does not read: no point in writing why
        log("a client (pid " + std::to_string(c.state.peer_pid) + ") did not read its responses for " +
            std::to_string(options.write_timeout_ms) + " ms; closed its connection");
      } else if (c.line_started && wants_read(c) && now - *c.line_started > ms(options.line_timeout_ms)) {
        expired.push_back(&c);
        why.push_back("a request line was started and not finished within " + std::to_string(options.line_timeout_ms) +
                      " ms; closing");
      } else if (options.idle_timeout_ms > 0 && c.unsent() == 0 && c.state.permits.empty() &&
                 now - c.last_activity > ms(options.idle_timeout_ms)) {
        // (A connection holding permits is an agent in the middle of an effect, however long.)
        expired.push_back(&c);
        why.push_back("idle for " + std::to_string(options.idle_timeout_ms) + " ms; closing (reconnect and say hello again)");
      }
    }
    for (std::size_t i = 0; i < expired.size(); ++i) {
      if (!why[i].empty()) {
        const std::string line = service::error_line(why[i], errc::deadline_exceeded) + "\n";
        [[maybe_unused]] auto n = ::send(expired[i]->fd, line.data(), line.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      }
      count([](counters& s) { ++s.timeouts; });
      close_connection(*expired[i]);
    }
  }

  void begin_stop() {
    stopping = true;
    if (listen_fd >= 0) {
      ::epoll_ctl(epoll_fd, EPOLL_CTL_DEL, listen_fd, nullptr);
      ::close(listen_fd);
      listen_fd = -1;
      ::unlink(options.socket_path.c_str());
    }
    std::vector<connection*> all;
    for (auto& [key, c] : connections) all.push_back(c.get());
    for (auto* c : all) close_connection(*c);
    log("stopping: " + std::to_string(connections.size()) + " connection(s) finishing");
  }

  void on_signal() {
    signalfd_siginfo info{};
    while (::read(signal_fd, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
      if (info.ssi_signo == SIGHUP)
        reload_requested = true;
      else
        stop_requested = true;
    }
  }

  int run() {
    const std::size_t n_workers = std::max<std::size_t>(1, options.workers);
    for (std::size_t i = 0; i < n_workers; ++i) workers.emplace_back([this] { worker(); });
    epoll_event events[64];
    for (;;) {
      if (stop_requested && !stopping) begin_stop();
      if (stopping && connections.empty()) break;
      if (reload_requested.exchange(false)) {
        if (!reload_running) {
          reload_running = true;
          submit(job{job::kind::reload, nullptr, {}});
        } else {
          reload_requested = true;  // after the one in progress
        }
      }
      const int n = ::epoll_wait(epoll_fd, events, 64, 100);
      if (n < 0 && errno != EINTR) {
        log("epoll_wait: " + errno_text(errno));
        stop_requested = true;
      }
      for (int i = 0; i < n; ++i) {
        const std::uint64_t key = events[i].data.u64;
        if (key == listen_key) {
          accept_all();
        } else if (key == wake_key) {
          std::uint64_t v = 0;
          [[maybe_unused]] auto r = ::read(wake_fd, &v, sizeof v);
        } else if (key == signal_key) {
          on_signal();
        } else if (auto it = connections.find(key); it != connections.end()) {
          on_event(*it->second, events[i].events);
        }
      }
      drain_completions();
      check_timeouts();
      reap();
    }
    {
      std::lock_guard l(jobs_mutex);
      workers_stop = true;
    }
    jobs_ready.notify_all();
    for (auto& t : workers) t.join();
    workers.clear();
    drain_completions();
    log("stopped");
    return 0;
  }
};

daemon::daemon(std::unique_ptr<impl> i) : impl_(std::move(i)) {}
daemon::~daemon() {
  if (impl_ && impl_->listen_fd >= 0) ::unlink(impl_->options.socket_path.c_str());
}

file_result<std::unique_ptr<daemon>> daemon::start(const daemon_options& options) {
  auto i = std::make_unique<impl>();
  i->options = options;
  if (options.max_connections == 0 || options.max_line_bytes == 0 || options.max_pending == 0 || options.max_runs == 0)
    return failure<std::unique_ptr<daemon>>(errc::invalid_argument, "limits must be at least 1");
  if (options.handle_signals) {
    // Blocked here, before any worker exists, so that only the signalfd sees them.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
    i->signal_fd = ::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (i->signal_fd < 0) return failure<std::unique_ptr<daemon>>(errc::io_error, "signalfd: " + errno_text(errno));
  }
  auto svc = service::open(options);
  if (!svc.ok()) return {std::nullopt, svc.failure};
  i->svc = std::move(*svc.value);
  auto fd = bind_socket(options);
  if (!fd.ok()) return {std::nullopt, fd.failure};
  i->listen_fd = *fd.value;
  i->epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
  i->wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (i->epoll_fd < 0 || i->wake_fd < 0 || !i->add(i->listen_fd, listen_key, EPOLLIN) || !i->add(i->wake_fd, wake_key, EPOLLIN) ||
      (i->signal_fd >= 0 && !i->add(i->signal_fd, signal_key, EPOLLIN))) {
    const std::string why = errno_text(errno);
    ::unlink(options.socket_path.c_str());
    return failure<std::unique_ptr<daemon>>(errc::io_error, "epoll: " + why);
  }
  i->listening = true;
  i->log("serving " + options.socket_path + " (mode " + (options.socket_group ? "0660" : "0600") + "): " + i->svc->describe());
  return {std::unique_ptr<daemon>(new daemon(std::move(i))), std::nullopt};
}

int daemon::run() { return impl_->run(); }

void daemon::stop() noexcept {
  impl_->stop_requested = true;
  impl_->wake();
}

void daemon::reload() noexcept {
  impl_->reload_requested = true;
  impl_->wake();
}

daemon::counters daemon::stats() const {
  std::lock_guard l(impl_->stats_mutex);
  return impl_->stats;
}

}  // namespace authority::hosted
