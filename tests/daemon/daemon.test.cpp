// The daemon library (include/authority/hosted/daemon.hpp) in-process: start-up checks,
// the protocol over a real socket, reload() and stop() from another thread, counters,
// over-long lines with a small limit, and permits abandoned at stop. The CLI-level
// tests (load, bad input, SIGHUP, kill -9, the Python client) are tests/cli/serve_*.py.
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <thread>

#include "authority/capability/issue.hpp"
#include "authority/capability/wire.hpp"
#include "authority/hosted/daemon.hpp"
#include "authority/hosted/keyfile.hpp"
#include "authority/hosted/platform.hpp"

namespace {

using namespace authority;
namespace fs = std::filesystem;

const char* const policy_v1 = R"({"version": "1.0", "fs": {"read": ["/data/**"]}, "budgets": {"calls": 100}})";
const char* const policy_v2 = R"({"version": "1.0", "fs": {"read": ["/data/**", "/srv/**"]}, "budgets": {"calls": 100}})";

void write_text(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
}

// A private directory with a key file and a policy, removed afterwards.
struct workspace {
  fs::path dir;
  hosted::daemon_options options;
  std::vector<std::string> log;

  workspace() {
    std::string tmpl = (fs::temp_directory_path() / "authority-daemon-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    dir = tmpl;
    REQUIRE(hosted::init_sodium());
    hosted::system_clock clock;
    auto kf = hosted::generate_key_file(clock.now_ns(), 3600 * ns_per_s);
    REQUIRE(kf);
    REQUIRE(hosted::save_key_file((dir / "keys").string(), *kf).ok());
    write_text(dir / "policy.json", policy_v1);
    options.socket_path = (dir / "gate.sock").string();
    options.policy_path = (dir / "policy.json").string();
    options.key_path = (dir / "keys").string();
    options.audit_path = (dir / "audit.log").string();
    options.workers = 2;
    options.log = [this](std::string_view line) { log.emplace_back(line); };
  }
  ~workspace() { fs::remove_all(dir); }

  std::string mint(capability::cap_type type, std::string_view resource) const {
    auto kf = hosted::load_key_file(options.key_path);
    REQUIRE(kf.ok());
    hosted::system_clock clock;
    hosted::sodium_entropy entropy;
    auto t = std::make_unique<capability::token>();
    capability::grant g{type, resource, capability::method_set::everything(), 3'600'000, {}, {}};
    REQUIRE(capability::mint(*kf.value->ring, g, clock.now_ns(), entropy, *t));
    std::string text(capability::max_text_size, '\0');
    auto s = capability::encode_text(*t, std::span<char>(text.data(), text.size()));
    REQUIRE(s);
    return std::string(*s);
  }
};

// A blocking line client.
struct line_client {
  int fd = -1;
  std::string buffer;

  explicit line_client(const std::string& path) {
    fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    REQUIRE(::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0);
    timeval tv{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~line_client() { ::close(fd); }

  void send(const std::string& text) {
    std::size_t done = 0;
    while (done < text.size()) {
      const auto n = ::send(fd, text.data() + done, text.size() - done, MSG_NOSIGNAL);
      REQUIRE(n > 0);
      done += static_cast<std::size_t>(n);
    }
  }
  std::string read_line() {
    for (;;) {
      if (auto nl = buffer.find('\n'); nl != std::string::npos) {
        std::string line = buffer.substr(0, nl);
        buffer.erase(0, nl + 1);
        return line;
      }
      char chunk[4096];
      const auto n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) return {};
      buffer.append(chunk, static_cast<std::size_t>(n));
    }
  }
  std::string ask(const std::string& line) {
    send(line + "\n");
    return read_line();
  }
};

// The daemon running on its own thread for the duration of a test.
struct running {
  std::unique_ptr<hosted::daemon> d;
  std::thread loop;
  int status = -1;

  explicit running(const hosted::daemon_options& o) {
    auto started = hosted::daemon::start(o);
    if (!started.ok()) FAIL(started.failure->message);
    d = std::move(*started.value);
    loop = std::thread([this] { status = d->run(); });
  }
  int stop() {
    d->stop();
    if (loop.joinable()) loop.join();
    return status;
  }
  ~running() { stop(); }
};

template <class F>
bool eventually(F f) {
  for (int i = 0; i < 500; ++i) {
    if (f()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

bool contains(const std::string& haystack, const std::string& needle) { return haystack.find(needle) != std::string::npos; }

}  // namespace

TEST_CASE("start-up refuses what it cannot run safely, saying what to do", "[daemon]") {
  workspace w;
  SECTION("a missing key file") {
    w.options.key_path = (w.dir / "nope").string();
    auto r = hosted::daemon::start(w.options);
    REQUIRE_FALSE(r.ok());
    CHECK(contains(r.failure->message, "authority keys gen"));
  }
  SECTION("a socket directory others can write to") {
    fs::permissions(w.dir, fs::perms::all);
    auto r = hosted::daemon::start(w.options);
    REQUIRE_FALSE(r.ok());
    CHECK(contains(r.failure->message, "writable by everyone"));
    fs::permissions(w.dir, fs::perms::owner_all);
  }
  SECTION("a socket path longer than a Unix socket address") {
    w.options.socket_path = (w.dir / std::string(120, 's')).string();
    auto r = hosted::daemon::start(w.options);
    REQUIRE_FALSE(r.ok());
    CHECK(contains(r.failure->message, "--socket must be a path of 1-107 bytes"));
  }
  SECTION("a policy that does not compile") {
    write_text(w.dir / "policy.json", R"({"version": "1.0", "fs": {"read": "/data"}})");
    auto r = hosted::daemon::start(w.options);
    REQUIRE_FALSE(r.ok());
    CHECK(contains(r.failure->message, "policy.json:1:"));
  }
  SECTION("a damaged audit log") {
    write_text(w.dir / "audit.log", "not an audit log at all, just text");
    auto r = hosted::daemon::start(w.options);
    REQUIRE_FALSE(r.ok());
    CHECK(contains(r.failure->message, "cannot open the audit log"));
  }
  CHECK_FALSE(fs::exists(w.options.socket_path));
}

TEST_CASE("serves the protocol, reloads and stops on request", "[daemon]") {
  workspace w;
  const std::string cap = w.mint(capability::cap_type::fs, "/**");
  running r{w.options};
  struct stat st{};
  REQUIRE(::stat(w.options.socket_path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);

  line_client c{w.options.socket_path};
  CHECK(contains(c.ask(R"({"op":"hello","agent":"cpp","run":"0123456789abcdef0123456789abcdef"})"),
                 R"("budgets":{"calls":{"limit":100,"remaining":100}})"));
  const std::string read_srv = R"({"op":"authorize","request":{"effect":"fs.read","target":"/srv/a","cap":")" + cap + "\"}}";
  CHECK(contains(c.ask(read_srv), R"("decision":"deny","reason":"not_allowed")"));

  write_text(w.dir / "policy.json", policy_v2);
  r.d->reload();
  REQUIRE(eventually([&] { return r.d->stats().reloads == 1; }));
  const std::string allowed = c.ask(read_srv);
  CHECK(contains(allowed, R"("decision":"allow")"));
  CHECK(contains(allowed, R"("target":"/srv/a","permit":)"));

  write_text(w.dir / "policy.json", "{");
  r.d->reload();
  REQUIRE(eventually([&] { return r.d->stats().failed_reloads == 1; }));
  CHECK(contains(c.ask(read_srv), R"("decision":"allow")"));  // revision 2 stays in force

  // Two permits left pending when the daemon stops: both completed as abandoned.
  CHECK(r.stop() == 0);
  const auto stats = r.d->stats();
  CHECK(stats.abandoned == 2);
  CHECK(stats.requests == 4);
  CHECK(stats.malformed == 0);
  CHECK_FALSE(fs::exists(w.options.socket_path));
  bool logged_failure = false;
  for (const auto& line : w.log) logged_failure = logged_failure || contains(line, "reload failed; revision 2 stays in force");
  CHECK(logged_failure);
}

TEST_CASE("a line over the limit is answered and skipped", "[daemon]") {
  workspace w;
  w.options.max_line_bytes = 80;
  running r{w.options};
  line_client c{w.options.socket_path};
  const std::string hello = R"({"op":"hello","agent":"cpp","run":"0123456789abcdef0123456789abcdef"})";
  REQUIRE(hello.size() <= 80);
  CHECK(contains(c.ask(hello), R"("ok":true)"));
  c.send(std::string(1000, 'x') + "\n" + R"({"op":"audit_head","id":1})" + "\n");
  CHECK(contains(c.read_line(), R"("reason":"too_long")"));
  CHECK(contains(c.read_line(), R"("id":1,"ok":true,"op":"audit_head","seq":1)"));
  CHECK(r.d->stats().malformed == 1);
}

TEST_CASE("at max_connections it stops accepting until one closes", "[daemon]") {
  workspace w;
  w.options.max_connections = 1;
  running r{w.options};
  auto first = std::make_unique<line_client>(w.options.socket_path);
  const std::string hello = R"({"op":"hello","agent":"cpp","run":"0123456789abcdef0123456789abcdef"})";
  CHECK(contains(first->ask(hello), R"("ok":true)"));
  line_client second{w.options.socket_path};  // queued in the listen backlog
  second.send(hello + "\n" + R"({"op":"audit_head","id":2})" "\n");
  timeval short_wait{0, 300'000};
  ::setsockopt(second.fd, SOL_SOCKET, SO_RCVTIMEO, &short_wait, sizeof short_wait);
  CHECK(second.read_line().empty());
  CHECK(r.d->stats().connections_accepted == 1);
  first.reset();
  timeval long_wait{10, 0};
  ::setsockopt(second.fd, SOL_SOCKET, SO_RCVTIMEO, &long_wait, sizeof long_wait);
  CHECK(contains(second.read_line(), R"("op":"hello")"));
  CHECK(contains(second.read_line(), R"("id":2,"ok":true)"));
}

TEST_CASE("every line, however mangled, gets exactly one answer and the connection lives on", "[daemon]") {
  workspace w;
  const std::string cap = w.mint(capability::cap_type::fs, "/**");
  running r{w.options};
  line_client c{w.options.socket_path};
  REQUIRE(contains(c.ask(R"({"op":"hello","agent":"fuzz","run":"0123456789abcdef0123456789abcdef"})"), R"("ok":true)"));
  const std::string valid = R"({"op":"authorize","id":1,"request":{"effect":"fs.read","target":"/data/a","cap":")" + cap +
                            R"(","labels":["untrusted"],"cost":{"file_bytes":5}}})";
  std::mt19937 rng(42);
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  std::size_t errors = 0, decisions = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string line;
    if (i % 3 == 0) {  // random bytes
      line.resize(1 + pick(300));
      for (auto& ch : line) ch = static_cast<char>(rng() & 0xff);
    } else {  // a valid request with a few bytes flipped, inserted or deleted
      line = valid;
      for (std::size_t k = 1 + pick(4); k > 0; --k) {
        const std::size_t at = pick(line.size());
        switch (pick(3)) {
          case 0: line[at] = static_cast<char>(rng() & 0xff); break;
          case 1: line.insert(at, 1, "{}[]\",:\\0a\x80"[pick(12)]); break;
          default: line.erase(at, 1);
        }
      }
    }
    for (auto& ch : line)
      if (ch == '\n') ch = ' ';
    if (line.find_first_not_of(" \t\r") == std::string::npos) line = "x";  // blank lines get no answer
    const std::string answer = c.ask(line);
    REQUIRE(answer.rfind("{\"id\":", 0) == 0);
    (contains(answer, R"("ok":false)") ? errors : decisions)++;
  }
  CHECK(errors + decisions == 3000);
  CHECK(errors > 1000);
  CHECK(decisions > 0);
  CHECK(contains(c.ask(valid), R"("decision":)"));
  CHECK(r.d->stats().requests == 3002);
}
