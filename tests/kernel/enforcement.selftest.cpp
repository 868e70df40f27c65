// kernel/enforcement: a boot bundle built here (a real compiled policy from
// tests/policy/generated, keys, a workload of request frames, fs/ seeds) through the
// product's own flow — the gate service, the in-memory executor, the audit chain — as
// the kernel runs it, hosted and on bare metal.
#include "../../ports/nanos-kernel/kernel/enforcement.hpp"
#include "authority/audit/verify.hpp"
#include "authority/capability/issue.hpp"
#include "kernel/cpio_writer.hpp"
#include "capability/fixture.hpp"
#include "policy/selftest_blobs.hpp"
#include "selftest/selftest.hpp"

using namespace authority;
namespace blobs = authority::policy::selftest_blobs;
using capability::cap_type;
using capability::method_set;

namespace {

constexpr time_ns start = 1'735'689'600ull * ns_per_s;

using capability::testing::counter_entropy;

// What the product writes on its console, kept for the checks.
struct capture {
  char text[16384];
  std::size_t size = 0;
  void operator()(std::string_view s) noexcept {
    for (char c : s)
      if (size < sizeof text) text[size++] = c;
  }
  std::string_view view() const noexcept { return {text, size}; }
  bool has(std::string_view s) const noexcept { return view().find(s) != std::string_view::npos; }
};

using test_sink = audit::memory_sink<32768>;

struct world {
  capability::key_ring keys{};
  counter_entropy entropy{};
  kernel_test::cpio_writer<24576> bundle{};
  byte frames[4096]{};
  std::size_t frames_size = 0;
  std::uint64_t seq = 0;
  byte token_buf[4][capability::max_token_size]{};
  bytes_view tokens[4]{};
  capture console{};
  kernel::enforcement_storage<test_sink> storage{};
};
world w;  // large: never on a stack

bytes_view mint(std::size_t slot, cap_type type, std::string_view resource, method_set methods) {
  static capability::token t;
  capability::grant g{type, resource, methods, 3'600'000, {}, {}};
  if (!capability::mint(w.keys, g, start, w.entropy, t)) return {};
  auto wire = capability::encode(t, w.token_buf[slot]);
  w.tokens[slot] = wire ? *wire : bytes_view{};
  return w.tokens[slot];
}

void add_frame(effect e, std::string_view target, bytes_view cap, std::string_view payload = {},
               std::uint64_t tokens = 0) {
  effect_request r;
  r.op = static_cast<std::uint16_t>(e);
  r.seq = ++w.seq;
  r.target = target;
  r.capability = cap;
  r.payload = as_bytes(payload);
  r.tokens = tokens;
  if (tokens != 0) r.cost.set(budget::resource::tokens, tokens);
  auto f = encode_request(r, {w.frames + w.frames_size, sizeof w.frames - w.frames_size});
  if (f) w.frames_size += f->size();
}

// config, keys (with `secret`), policy, workload and two seeded files.
void build_bundle(const capability::key_secret& secret) {
  static capability::key_ring bundle_keys;
  bundle_keys.wipe();
  (void)bundle_keys.add_active(blobs::key_id, secret, start);
  byte config[bundle::config_size], keys[bundle::max_keys_size];
  bundle::run_config c;
  c.log_id[0] = 0x10;
  c.agent_id[0] = 0xa6;
  c.run_id[0] = 0x77;
  c.clock_start = start;
  c.clock_step = ns_per_ms;
  w.bundle.clear();
  w.bundle.entry("authority", kernel_test::cpio_dir, std::string_view{});
  w.bundle.entry("authority/config", kernel_test::cpio_file, bundle::encode_config(c, config).value_or(bytes_view{}));
  w.bundle.entry("authority/keys", kernel_test::cpio_file, bundle::encode_keys(bundle_keys, keys).value_or(bytes_view{}));
  w.bundle.entry("authority/policy", kernel_test::cpio_file, bytes_view{blobs::kernel_blob});
  w.bundle.entry("authority/workload", kernel_test::cpio_file, bytes_view{w.frames, w.frames_size});
  w.bundle.entry("fs", kernel_test::cpio_dir, std::string_view{});
  w.bundle.entry("fs/data", kernel_test::cpio_dir, std::string_view{});
  w.bundle.entry("fs/data/a.txt", kernel_test::cpio_file, std::string_view{"hello"});
  w.bundle.entry("fs/data/d", kernel_test::cpio_dir, std::string_view{});
  w.bundle.entry("fs/data/d/one", kernel_test::cpio_file, std::string_view{"1"});
  w.bundle.trailer();
}

// The workload: allowed reads, a write, a listing, inference; a tool call over its
// zero budget; a forged token; a frame with a bad checksum.
void build_workload() {
  static bool built = false;
  if (built) return;
  built = true;
  (void)w.keys.add_active(blobs::key_id, blobs::key_secret(), start);
  const auto fs_read = mint(0, cap_type::fs, "/**", method_set::everything());
  const auto fs_tmp = mint(1, cap_type::fs, "/tmp/**", method_set::of(2));  // write
  add_frame(effect::fs_read, "/data/a.txt", fs_read);
  add_frame(effect::fs_write, "/tmp/out.txt", fs_tmp, "written");
  add_frame(effect::fs_list, "/data/d", fs_read);
  add_frame(effect::infer, "gpt-4", mint(2, cap_type::infer, "*", method_set::everything()), {}, 10);
  add_frame(effect::tool_call, "summarize", mint(3, cap_type::tool, "*", method_set::everything()));
  static byte forged[capability::max_token_size];
  for (std::size_t i = 0; i < fs_read.size(); ++i) forged[i] = fs_read[i];
  forged[fs_read.size() - 1] ^= 1;
  add_frame(effect::fs_read, "/data/a.txt", {forged, fs_read.size()});
  const std::size_t damaged_at = w.frames_size;
  add_frame(effect::fs_read, "/data/a.txt", fs_read);
  w.frames[w.frames_size - 1] ^= 1;  // the payload changes, its CRC does not
  (void)damaged_at;
  add_frame(effect::fs_read, "/etc/passwd", fs_read);
}

kernel::enforcement_outcome enforce() {
  w.console.size = 0;
  const auto raw = w.bundle.view();
  auto archive = kernel::cpio::archive::open(raw);
  std::optional<kernel::cpio::archive> opened;
  if (archive) opened = *archive;
  std::uint64_t ticks = 0;
  return kernel::enforce_bundle(raw, opened, archive.error(), w.storage, w.console, [&] { return ticks += 1000; });
}

}  // namespace

SELFTEST("kernel/enforcement runs a bundle's workload through the gate") {
  build_workload();
  build_bundle(blobs::key_secret());
  ST_REQUIRE(enforce() == kernel::enforcement_outcome::enforced);
  const auto& c = w.console;
  ST_CHECK(c.has("gate: policy revision 1 in force"));
  ST_CHECK(c.has("@decision 1 2 fs.read allow ok ok /data/a.txt\n"));
  ST_CHECK(c.has("@decision 2 4 fs.write allow ok ok /tmp/out.txt\n"));
  ST_CHECK(c.has("@decision 3 6 fs.list allow ok ok /data/d\n"));
  ST_CHECK(c.has("@decision 4 8 infer allow ok ok gpt-4\n"));
  ST_CHECK(c.has("@decision 5 10 tool.call deny budget_exceeded ok summarize\n"));  // tool_calls: 0
  ST_CHECK(c.has("@decision 6 11 fs.read deny bad_mac ok /data/a.txt\n"));
  ST_CHECK(c.has("@decision 0 12 - deny bad_checksum ok %\n"));  // the damaged frame: an agent fault
  ST_CHECK(c.has("@decision 8 13 fs.read deny not_allowed ok /etc/passwd\n"));
  ST_CHECK(c.has("@head 13 "));
  // The executor acted on the RAM file system and answered from it.
  auto& enforcer = *w.storage.enforcer;
  auto written = enforcer.executor().files().read("/tmp/out.txt");
  ST_CHECK(written.ok() && as_chars(*written) == "written");
  // The log: every entry verifies, the first says which policy is in force, the
  // damaged frame is an agent fault with its frame error as the reason.
  const auto log = w.storage.sink->bytes();
  const auto v = audit::verify_stream(log, audit::id16{0x10});
  ST_CHECK(v.ok() && v.count == 13);
  auto first = audit::read_frame(log);
  ST_REQUIRE(first.ok());
  const auto policy_change = audit::decode_record(first->payload)->value;
  ST_CHECK(policy_change.kind == audit::entry_kind::policy_change && policy_change.decision == audit::verdict::allow);
  ST_CHECK(policy_change.policy_hash == enforcer.policy().hash());
  std::size_t at = 0;
  audit::entry fault{};
  for (std::uint64_t i = 0; i < 12; ++i) {
    auto f = audit::read_frame(log.subspan(at));
    ST_REQUIRE(f.ok());
    fault = audit::decode_record(f->payload)->value;
    at += f->size;
  }
  ST_CHECK(fault.kind == audit::entry_kind::agent_fault && fault.reason == errc::bad_checksum && fault.op == 0);
  // Every decision waited for a durable log: one sync per appended entry.
  ST_CHECK(w.storage.sink->sync_count() == 13);
}

SELFTEST("kernel/enforcement with a policy that fails its MAC denies everything, logged") {
  build_workload();
  capability::key_secret other = blobs::key_secret();
  other[0] ^= 1;
  build_bundle(other);
  ST_REQUIRE(enforce() == kernel::enforcement_outcome::no_policy);
  const auto& c = w.console;
  ST_CHECK(c.has("@refused policy policy_mac mac "));
  ST_CHECK(c.has("no policy is loaded, every request is denied"));
  ST_CHECK(!c.has(" allow "));
  ST_CHECK(c.has("@decision 1 2 fs.read deny bad_mac ok /data/a.txt\n"));  // tokens fail first
  const auto v = audit::verify_stream(w.storage.sink->bytes(), audit::id16{0x10});
  ST_CHECK(v.ok() && v.count == 9);  // the refusal, then one denial per frame
  auto first = audit::read_frame(w.storage.sink->bytes());
  const auto refusal = audit::decode_record(first->payload)->value;
  ST_CHECK(refusal.decision == audit::verdict::deny && refusal.reason == errc::policy_mac);
  ST_CHECK(refusal.request_hash == crypto::sha256::hash(bytes_view{blobs::kernel_blob}));
}

SELFTEST("kernel/enforcement refuses bundles it cannot start from") {
  build_workload();
  // No archive at all.
  static const byte garbage[] = {'n', 'o', 't', ' ', 'c', 'p', 'i', 'o'};
  w.console.size = 0;
  std::uint64_t ticks = 0;
  auto refused = kernel::enforce_bundle(bytes_view{garbage}, std::nullopt, make_error(errc::bad_magic, "cpio.magic"),
                                        w.storage, w.console, [&] { return ++ticks; });
  ST_CHECK(refused == kernel::enforcement_outcome::no_policy);
  ST_CHECK(w.console.has("@refused bundle bad_magic cpio.magic 0\n"));
  // An archive without the config.
  w.bundle.clear();
  w.bundle.entry("authority/keys", kernel_test::cpio_file, std::string_view{"x"});
  w.bundle.trailer();
  ST_CHECK(enforce() == kernel::enforcement_outcome::no_policy);
  ST_CHECK(w.console.has("@refused bundle not_found authority/config 0\n"));
  // Keys that do not decode.
  build_bundle(blobs::key_secret());
  auto archive = kernel::cpio::archive::open(w.bundle.view());
  ST_REQUIRE(archive.ok());
  auto parts = kernel::read_bundle(w.bundle.view(), *archive);
  ST_REQUIRE(parts.ok());
  ST_CHECK(parts->has_policy && parts->workload.size() == w.frames_size && parts->keys.keys.size() == 1);
  w.bundle.clear();
  byte config[bundle::config_size];
  w.bundle.entry("authority/config", kernel_test::cpio_file, bundle::encode_config(bundle::run_config{}, config).value_or(bytes_view{}));
  w.bundle.entry("authority/keys", kernel_test::cpio_file, std::string_view{"AKEY"});
  w.bundle.trailer();
  ST_CHECK(enforce() == kernel::enforcement_outcome::no_policy);
  ST_CHECK(w.console.has("@refused bundle truncated keys.version 4\n"));
}
