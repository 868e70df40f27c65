// Fuzzes the daemon's protocol in-process: a real service (ports/hosted/daemon_service.hpp)
// over a key file, a policy and a durable audit log in a private temporary directory
// (on /dev/shm when there is one, so fdatasync is cheap), fed the input's lines on one
// fresh client connection per input. The placeholders @FS, @TOOL, @INFER and @ADMIN in
// the input are replaced by real capability tokens minted at start, so the fuzzer gets
// past capability verification into the policy, budget and commit paths; @P in a line
// is replaced by the last permit number the connection was given (commit needs it).
//
// Checks, besides not crashing (ASan, UBSan):
//   - every line gets exactly one answer: one JSON object on one line, with "ok" a
//     boolean that agrees with the `malformed` flag; an error answer carries "error"
//     (the message), "reason" and "code";
//   - an answer echoes the request's "id" as written, when the request had a usable one;
//   - the daemon's JSON reader: whatever it accepts, re-parsing its source text gives
//     the same tree, and a refusal names a byte offset inside the line;
//   - abandon() completes exactly the permits the client held;
// AUTHORITY_FUZZ_VERBOSE=1 prints each line and its answer (to read a reproducer).
//   - every 500 inputs the audit log file verifies as a whole (hash chain, frames), then
//     the service is recreated over a new log, so the log stays small.
#include <signal.h>
#include <unistd.h>

#include <cerrno>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>

#include "../../ports/hosted/daemon_json.hpp"
#include "../../ports/hosted/daemon_service.hpp"
#include "authority/capability/issue.hpp"
#include "authority/capability/wire.hpp"
#include "authority/hosted/audit_file.hpp"
#include "authority/hosted/keyfile.hpp"
#include "authority/hosted/platform.hpp"

using namespace authority;
namespace fs = std::filesystem;
namespace dj = authority::hosted::daemon_json;
using hosted::daemon_detail::client;
using hosted::daemon_detail::service;

namespace {

void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "daemon fuzz: property violated: %s\n", what);
    std::abort();
  }
}

const char* const policy_text = R"({
  "version": "1.0",
  "fs": {"read": ["/data/**", "/etc/hosts"], "write": ["/tmp/**"], "deny": ["/data/secret/**"]},
  "net": {"dns": ["*.example.com"], "connect": ["dns:api.example.com:443"]},
  "tools": {"allow": ["git", "email.send", "html_escape"]},
  "infer": {"models": ["gpt-4"], "max_tokens": 4000},
  "budgets": {"calls": 1000, "tool_calls": 50, "tokens": 100000, "file_bytes": 1000000},
  "taint": {
    "sources": [{"effect": "net.*", "label": "untrusted"}],
    "sinks": [{"effect": "tool.call", "target": "email.send", "deny": ["untrusted"]}],
    "sanitizers": [{"tool": "html_escape", "removes": ["untrusted"]}]
  }
})";

// libFuzzer may leave without running destructors (a crash, a timeout): directories of
// fuzzers that are gone are removed at the next start.
void remove_stale(const fs::path& base) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(base, ec)) {
    const std::string name = e.path().filename().string();
    constexpr std::string_view prefix = "authority-fuzz-daemon-";
    if (!name.starts_with(prefix)) continue;
    const long pid = std::strtol(name.c_str() + prefix.size(), nullptr, 10);
    if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) fs::remove_all(e.path(), ec);
  }
}

struct world {
  fs::path dir;
  hosted::daemon_options options;
  std::unique_ptr<service> svc;
  std::string tokens[4];  // @FS, @TOOL, @INFER, @ADMIN
  std::uint64_t inputs = 0;
  std::uint64_t generation = 0;

  world() {
    const fs::path base = fs::exists("/dev/shm") ? fs::path{"/dev/shm"} : fs::temp_directory_path();
    remove_stale(base);
    std::string tmpl = (base / ("authority-fuzz-daemon-" + std::to_string(::getpid()) + "-XXXXXX")).string();
    require(::mkdtemp(tmpl.data()) != nullptr, "mkdtemp");
    dir = tmpl;
    require(hosted::init_sodium().ok(), "sodium");
    hosted::system_clock clock;
    auto kf = hosted::generate_key_file(clock.now_ns(), 3600 * ns_per_s);
    require(kf.ok(), "key file");
    require(hosted::save_key_file((dir / "keys").string(), *kf).ok(), "save key file");
    std::ofstream(dir / "policy.json", std::ios::binary) << policy_text;
    options.policy_path = (dir / "policy.json").string();
    options.key_path = (dir / "keys").string();
    options.socket_path = (dir / "unused.sock").string();
    options.max_pending = 8;
    options.max_runs = 64;
    options.log = [](std::string_view) {};

    hosted::sodium_entropy entropy;
    const struct {
      capability::cap_type type;
      std::string_view resource;
    } grants[4] = {{capability::cap_type::fs, "/**"},
                   {capability::cap_type::tool, "*"},
                   {capability::cap_type::infer, "*"},
                   {capability::cap_type::admin, "audit"}};
    for (int i = 0; i < 4; ++i) {
      auto t = std::make_unique<capability::token>();
      capability::grant g{grants[i].type, grants[i].resource, capability::method_set::everything(), 24 * 3'600'000, {}, {}};
      require(capability::mint(*kf->ring, g, clock.now_ns(), entropy, *t).ok(), "mint");
      std::string text(capability::max_text_size, '\0');
      auto s = capability::encode_text(*t, std::span<char>(text.data(), text.size()));
      require(s.ok(), "token text");
      tokens[i] = std::string(*s);
    }
    restart();
  }
  ~world() {
    svc.reset();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }

  void restart() {
    if (svc) {
      svc.reset();
      auto log = hosted::read_audit_log(options.audit_path);
      require(log.ok() && log->verification.ok(), "the audit log verifies");
      fs::remove(options.audit_path);
    }
    options.audit_path = (dir / ("audit-" + std::to_string(generation++) + ".log")).string();
    auto opened = service::open(options);
    if (!opened.ok()) std::fprintf(stderr, "%s\n", opened.failure->message.c_str());
    require(opened.ok(), "service opens");
    svc = std::move(*opened.value);
  }
};

world& the_world() {
  static world* w = [] {
    auto* p = new world();
    std::atexit([] { delete &the_world(); });
    return p;
  }();
  return *w;
}

std::string substitute(std::string_view in, const std::string (&tokens)[4]) {
  static constexpr std::string_view names[4] = {"@FS", "@TOOL", "@INFER", "@ADMIN"};
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size();) {
    bool done = false;
    for (int k = 0; k < 4 && !done; ++k)
      if (in.substr(i).starts_with(names[k])) {
        out += tokens[k];
        i += names[k].size();
        done = true;
      }
    if (!done) out += in[i++];
  }
  return out;
}

bool same_tree(const dj::value& a, const dj::value& b) {
  if (a.type != b.type || a.boolean != b.boolean || a.text != b.text) return false;
  if (a.type == dj::value::kind::number && a.source != b.source) return false;
  if (a.items.size() != b.items.size() || a.members.size() != b.members.size()) return false;
  for (std::size_t i = 0; i < a.items.size(); ++i)
    if (!same_tree(a.items[i], b.items[i])) return false;
  for (std::size_t i = 0; i < a.members.size(); ++i)
    if (a.members[i].key != b.members[i].key || !same_tree(a.members[i].val, b.members[i].val)) return false;
  return true;
}

// The reader itself: a refusal points inside the line; an accepted value's source text
// is a JSON value that parses to the same tree.
const dj::parse_result* check_reader(std::string_view line) {
  static dj::parse_result parsed;
  parsed = dj::parse(line, 8);
  if (!parsed.root) {
    require(!parsed.error.empty(), "a refusal says why");
    require(parsed.offset <= line.size(), "a refusal's offset is inside the line");
    return &parsed;
  }
  const auto again = dj::parse(parsed.root->source, 8);
  require(again.root && same_tree(*again.root, *parsed.root), "a value's source re-parses to the same value");
  return &parsed;
}

void check_answer(std::string_view line, const std::string& answer, bool malformed) {
  require(!answer.empty() && answer.find('\n') == std::string::npos, "one answer line");
  const auto reply = dj::parse(answer, 16);
  require(reply.root && reply.root->type == dj::value::kind::object, "the answer is a JSON object");
  const dj::value* ok = reply.root->find("ok");
  require(ok && ok->type == dj::value::kind::boolean, "the answer has \"ok\"");
  require(ok->boolean == !malformed, "\"ok\" agrees with malformed");
  if (!ok->boolean) {
    const dj::value* error = reply.root->find("error");
    const dj::value* reason = reply.root->find("reason");
    const dj::value* code = reply.root->find("code");
    require(error && error->type == dj::value::kind::string && !error->text.empty(), "an error has a message");
    require(reason && reason->type == dj::value::kind::string, "an error has a reason");
    require(code && code->as_u64(), "an error has a code");
  }
  // The id, when the request had a usable one, comes back as written.
  const auto req = dj::parse(line, 8);
  if (req.root && req.root->type == dj::value::kind::object) {
    const dj::value* id = req.root->find("id");
    const bool usable = id && (id->type == dj::value::kind::null ||
                               (id->type == dj::value::kind::string && id->source.size() <= 130) ||
                               (id->type == dj::value::kind::number && id->as_u64()));
    if (usable) {
      const dj::value* echoed = reply.root->find("id");
      require(echoed && echoed->source == id->source, "the id is echoed as written");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  world& w = the_world();
  if (++w.inputs % 500 == 0) w.restart();
  const std::string text = substitute(std::string_view{reinterpret_cast<const char*>(data), size}, w.tokens);
  client c;
  std::size_t lines = 0;
  std::string last_permit = "0";
  for (std::size_t at = 0; at <= text.size() && lines < 32; ++lines) {
    const std::size_t nl = std::min(text.find('\n', at), text.size());
    std::string owned{text.data() + at, nl - at};
    at = nl + 1;
    for (std::size_t p = owned.find("@P"); p != std::string::npos; p = owned.find("@P", p + last_permit.size()))
      owned.replace(p, 2, last_permit);
    const std::string_view line = owned;
    (void)check_reader(line);
    bool malformed = false;
    const std::string answer = w.svc->handle(c, line, malformed);
    static const bool verbose = std::getenv("AUTHORITY_FUZZ_VERBOSE") != nullptr;
    if (verbose) std::fprintf(stderr, "> %.*s\n< %s\n", static_cast<int>(line.size()), line.data(), answer.c_str());
    check_answer(line, answer, malformed);
    if (const auto reply = dj::parse(answer, 16); reply.root)
      if (const dj::value* permit = reply.root->find("permit"); permit && permit->as_u64())
        last_permit = std::to_string(*permit->as_u64());
  }
  const std::size_t held = c.permits.size();
  require(w.svc->abandon(c) == held, "abandon completes every permit");
  require(c.permits.empty(), "no permit left after abandon");
  return 0;
}
