// `authority serve`: the gate as a daemon on a Unix domain socket (hosted/daemon.hpp,
// docs/daemon.md).
#include <grp.h>
#include <unistd.h>

#include <charconv>
#include <ctime>
#include <iostream>
#include <memory>

#include "authority/hosted/daemon.hpp"
#include "command.hpp"
#include "util.hpp"

namespace authority::cli {
namespace {

struct serve_args {
  hosted::daemon_options options;
  std::string mode = "enforce";
  std::string group;
  std::vector<std::string> allow_uids;
  std::string line_timeout = "10s", write_timeout = "10s", idle_timeout = "15m";
};

std::optional<std::uint64_t> duration_option(const std::string& name, const std::string& text) {
  if (text == "0") return 0;
  auto ms = parse_duration_ms(text);
  if (!ms) std::cerr << "error: " << name << " \"" << text << "\" is not a duration (e.g. 500ms, 10s, 15m, or 0 for never)\n";
  return ms;
}

std::optional<gid_t> group_id(const std::string& name) {
  gid_t gid = 0;
  auto [p, ec] = std::from_chars(name.data(), name.data() + name.size(), gid);
  if (ec == std::errc{} && p == name.data() + name.size()) return gid;
  std::vector<char> buf(16384);
  group gr{};
  group* found = nullptr;
  if (::getgrnam_r(name.c_str(), &gr, buf.data(), buf.size(), &found) == 0 && found != nullptr) return gr.gr_gid;
  std::cerr << "error: --group \"" << name << "\" is not a group name or number on this system\n";
  return std::nullopt;
}

int run_serve(serve_args& a) {
  auto& o = a.options;
  o.mode = a.mode == "record" ? gate_mode::record : gate_mode::enforce;
  if (!a.group.empty()) {
    auto gid = group_id(a.group);
    if (!gid) return exit_usage;
    o.socket_group = *gid;
  }
  for (const auto& text : a.allow_uids) {
    uid_t uid = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), uid);
    if (ec != std::errc{} || p != text.data() + text.size()) {
      std::cerr << "error: --allow-uid \"" << text << "\" is not a numeric uid (see `id -u USER`)\n";
      return exit_usage;
    }
    o.allow_uids.push_back(uid);
  }
  auto line = duration_option("--line-timeout", a.line_timeout);
  auto write = duration_option("--write-timeout", a.write_timeout);
  auto idle = duration_option("--idle-timeout", a.idle_timeout);
  if (!line || !write || !idle) return exit_usage;
  if (*line == 0 || *write == 0) {
    std::cerr << "error: --line-timeout and --write-timeout must be above 0: a slow client must not hold a connection forever\n";
    return exit_usage;
  }
  o.line_timeout_ms = *line;
  o.write_timeout_ms = *write;
  o.idle_timeout_ms = *idle;
  o.handle_signals = true;
  o.log = [](std::string_view text) {
    char stamp[32];
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    ::gmtime_r(&now, &tm);
    std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    std::cerr << stamp << " authority serve: " << text << std::endl;
  };
  auto d = hosted::daemon::start(o);
  if (!d.ok()) {
    std::cerr << "error: " << d.failure->message << "\n";
    return exit_usage;
  }
  return (*d.value)->run();
}

void install(CLI::App& root, std::function<void(int)> set_exit) {
  auto a = std::make_shared<serve_args>();
  auto& o = a->options;
  auto* serve = root.add_subcommand(
      "serve",
      "Run the gate as a daemon on a Unix domain socket for agent frameworks (docs/daemon.md).\n"
      "JSON Lines, one response per request, in order: hello, authorize, commit, last_denial,\n"
      "audit_head, audit_read. The daemon holds the keys, the policy and the durable audit log;\n"
      "every decision is on the log before its answer is written.\n"
      "SIGHUP re-reads the policy (next revision, logged; a bad policy keeps the old one) and the\n"
      "revocation list; SIGTERM or SIGINT stop it (uncommitted permits are logged as abandoned).\n"
      "Python client: python/authority_client.");
  serve->add_option("--socket", o.socket_path,
                    "Socket path to create, in a directory no one else can write to (e.g. $XDG_RUNTIME_DIR/authority/gate.sock)")
      ->required();
  serve->add_option("--policy", o.policy_path, "Policy file (.json or .toml); compiled at start and on SIGHUP")->required();
  serve->add_option("--format", o.policy_format, "Policy format, json or toml (default: from the extension)")
      ->check(CLI::IsMember({"json", "toml"}));
  serve->add_option("--key", o.key_path,
                    "Capability key file (`authority keys gen`); its revocation list KEYFILE.revoked is read too")
      ->required();
  serve->add_option("--audit", o.audit_path, "Durable audit log (created when missing; verify with `authority audit verify`)")
      ->required();
  serve->add_option("--mode", a->mode,
                    "enforce (default): deny what is not authorized; record: allow policy denials but log them\n"
                    "(learn a policy with `authority policy suggest`); capability and budget checks still deny")
      ->check(CLI::IsMember({"enforce", "record"}));
  serve->add_option("--group", a->group,
                    "Make the socket 0660 in this group (name or gid) and let its members connect (default: 0600, owner only)");
  serve->add_option("--allow-uid", a->allow_uids, "Also let this uid connect (repeatable; default: only the daemon's own uid)");
  serve->add_option("--max-connections", o.max_connections,
                    "Connections served at once; beyond, new ones wait in the listen backlog (default 256)");
  serve->add_option("--workers", o.workers, "Threads running the gate; concurrent decisions share one fdatasync (default 32)");
  serve->add_option("--max-line", o.max_line_bytes,
                    "Longest request line in bytes; a longer one gets an error and is skipped (default 65536)");
  serve->add_option("--max-output", o.max_output_bytes,
                    "Unread response bytes per connection beyond which its requests wait (default 1048576)");
  serve->add_option("--max-pending", o.max_pending, "Permits awaiting commit per connection (default 64)");
  serve->add_option("--max-runs", o.max_runs,
                    "Budget accounts kept, one per (agent, run), for the daemon's lifetime (default 4096)");
  serve->add_option("--line-timeout", a->line_timeout, "A request line must be finished within this once started (default 10s)");
  serve->add_option("--write-timeout", a->write_timeout,
                    "A client must read its responses within this, or it is disconnected (default 10s)");
  serve->add_option("--idle-timeout", a->idle_timeout,
                    "Close connections idle this long that hold no permit; 0 = never (default 15m)");
  serve->callback([a, set_exit] { set_exit(run_serve(*a)); });
}

const register_group serve_group{"serve", install};

}  // namespace
}  // namespace authority::cli
