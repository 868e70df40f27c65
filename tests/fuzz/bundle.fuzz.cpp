// Fuzzes the boot bundle as the kernel reads it: the cpio "newc" reader
// (ports/nanos-kernel/kernel/cpio.hpp), the member formats (include/authority/bundle.hpp:
// run config, key material, the workload's frame stream) and the product's whole flow
// over a bundle (kernel::enforce_bundle: read, install keys, seed the RAM file system,
// open the policy, run the workload through the gate service, report).
//
// An input that starts with "0707" is a whole bundle. Any other input is a workload: it
// is put into a bundle with a good config, the self-test key and policy
// (tests/policy/generated/kernel.inc), with each frame's CRC repaired so that mutations
// reach the request decoder and the gate. Every input is also decoded as a config and
// as key material.
//
// Checks, besides not crashing:
//   - config and keys: what decodes re-encodes to the same bytes (config), or to key
//     material with the same keys (keys, through a real key ring); errors name a field
//     and an offset inside the input;
//   - cpio: a refusal names a "cpio." field and an offset inside the input; an accepted
//     archive counts its entries right, every name is relative with no empty, "." or ".."
//     part, data lies inside the input, directories are empty, and find() returns the
//     first regular file of that name;
//   - enforcement: a refused archive or bundle reports "@refused bundle"; otherwise
//     exactly one @decision line per frame, each protocol line starts a line, and the
//     audit log the gate wrote verifies as a hash chain under the config's log id.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string_view>
#include <vector>

#include "../../ports/nanos-kernel/kernel/enforcement.hpp"
#include "authority/audit/verify.hpp"
#include "kernel/cpio_writer.hpp"
#include "policy/selftest_blobs.hpp"

using namespace authority;
namespace blobs = authority::policy::selftest_blobs;

namespace {

void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "bundle fuzz: property violated: %s\n", what);
    std::abort();
  }
}

bool inside(bytes_view part, bytes_view whole) {
  return part.empty() || (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

struct capture {
  static constexpr std::size_t capacity = 1 << 20;
  std::vector<char> text = std::vector<char>(capacity);
  std::size_t size = 0;
  bool overflow = false;
  void operator()(std::string_view s) noexcept {
    for (char c : s) {
      if (size < capacity)
        text[size++] = c;
      else
        overflow = true;
    }
  }
  std::string_view view() const noexcept { return {text.data(), size}; }
};

// Big enough for the log of a workload of a few thousand frames; emplaced (zeroed) per input.
using fuzz_sink = audit::memory_sink<(512u << 10)>;

struct world {
  capture console;
  kernel::enforcement_storage<fuzz_sink> storage;
  kernel_test::cpio_writer<(1u << 20)> bundle;
  std::vector<byte> workload;
};
world& the_world() {
  static world* w = new world();
  return *w;
}

void check_config(bytes_view in) {
  auto c = bundle::decode_config(in);
  if (!c) {
    require(!c.error().field.empty() && c.error().offset <= in.size(), "a config error names field and offset");
    return;
  }
  byte out[bundle::config_size];
  auto again = bundle::encode_config(*c, out);
  require(again.ok() && again->size() == in.size() && std::memcmp(again->data(), in.data(), in.size()) == 0,
          "config: decode then encode gives the same bytes");
}

void check_keys(bytes_view in) {
  auto m = bundle::decode_keys(in);
  if (!m) {
    require(!m.error().field.empty() && m.error().offset <= in.size(), "a keys error names field and offset");
    return;
  }
  std::size_t active = 0;
  for (const auto& k : m->keys) active += k.state == capability::key_state::active;
  require(active <= 1 && !m->keys.empty(), "at most one active key, at least one key");
  static capability::key_ring ring;
  ring.wipe();
  if (!bundle::install_keys(*m, ring, 1000).ok()) return;  // e.g. a retired key past its grace
  static byte out[bundle::max_keys_size];
  auto bytes = bundle::encode_keys(ring, out);
  require(bytes.ok(), "an installed ring encodes");
  auto back = bundle::decode_keys(*bytes);
  require(back.ok() && back->grace_period == m->grace_period && back->keys.size() == m->keys.size(),
          "keys survive a ring");
  for (const auto& k : m->keys) {
    bool found = false;
    for (const auto& b : back->keys)
      found |= b.id == k.id && b.state == k.state && b.secret == k.secret &&
               (k.state == capability::key_state::active || b.retired_at == k.retired_at);
    require(found, "each key survives a ring");
  }
}

bool safe_name(std::string_view name) {
  if (name == ".") return true;
  if (name.empty() || name.front() == '/' || name.back() == '/') return false;
  std::size_t start = 0;
  for (;;) {
    const auto slash = name.find('/', start);
    const auto part = name.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (part.empty() || part == "." || part == "..") return false;
    if (slash == std::string_view::npos) return true;
    start = slash + 1;
  }
}

void check_archive(bytes_view in, const kernel::cpio::archive& a) {
  std::size_t count = 0;
  a.for_each([&](const kernel::cpio::entry& e) {
    ++count;
    require(safe_name(e.name), "entry names are relative and clean");
    require(inside(as_bytes(e.name), in) && inside(e.data, in), "entries view the input");
    require(!e.is_directory() || e.data.empty(), "directories are empty");
    // find() gives the first regular file of this name.
    if (!e.is_directory()) {
      bytes_view first{};
      bool seen = false;
      a.for_each([&](const kernel::cpio::entry& f) {
        if (f.name == e.name && !f.is_directory()) {
          first = f.data;
          seen = true;
          return false;
        }
        return true;
      });
      auto found = a.find(e.name);
      require(seen && found.ok() && found->data() == first.data() && found->size() == first.size(),
              "find returns the first regular file");
    }
    return true;
  });
  require(count == a.size(), "the archive counts its entries");
}

void enforce(bytes_view raw, std::size_t frames) {
  world& w = the_world();
  w.console.size = 0;
  w.console.overflow = false;
  w.storage.enforcer.reset();
  w.storage.sink.reset();
  auto archive = kernel::cpio::archive::open(raw);
  if (!archive) {
    require(archive.error().field.starts_with("cpio.") && archive.error().offset <= raw.size(),
            "a cpio error names a cpio field and an offset inside the input");
  } else {
    check_archive(raw, *archive);
  }
  std::optional<kernel::cpio::archive> opened;
  if (archive) opened = *archive;
  std::uint64_t ticks = 0;
  const auto outcome = kernel::enforce_bundle(raw, opened, archive ? error{} : archive.error(), w.storage, w.console,
                                              [&] { return ticks += 1000; });
  const auto console = w.console.view();
  if (!w.storage.enforcer) {
    require(outcome == kernel::enforcement_outcome::no_policy, "no enforcement without a bundle");
    require(console.starts_with("@refused bundle "), "a refused bundle is reported");
    return;
  }
  if (w.console.overflow) return;
  // Protocol lines: one @decision per frame, one @head, one @stats, and no @audit (the
  // sink here is memory, not the console): no target can start a line of its own.
  std::size_t decisions = 0, heads = 0, stats = 0, audits = 0;
  for (std::size_t at = 0; at < console.size();) {
    auto nl = console.find('\n', at);
    if (nl == std::string_view::npos) nl = console.size();
    const auto line = console.substr(at, nl - at);
    decisions += line.starts_with("@decision ");
    heads += line.starts_with("@head ");
    stats += line.starts_with("@stats ");
    audits += line.starts_with("@audit");
    at = nl + 1;
  }
  require(heads == 1 && stats == 1 && audits == 0, "one @head, one @stats, no @audit line");
  if (frames != static_cast<std::size_t>(-1)) require(decisions == frames, "one decision per frame");
  auto parts = kernel::read_bundle(raw, *opened);
  require(parts.ok(), "an enforced bundle reads");
  const auto v = audit::verify_stream(w.storage.sink->bytes(), parts->config.log_id);
  require(v.ok(), "the audit log verifies");
}

std::size_t count_frames(bytes_view workload) {
  std::size_t n = 0;
  for (bundle::frame_cursor c{workload}; !c.done(); ++n) (void)c.next();
  return n;
}

void run_workload(bytes_view in) {
  world& w = the_world();
  // Repair each frame's CRC (bytes 12..15) over its payload.
  w.workload.assign(in.begin(), in.end());
  std::size_t at = 0;
  while (at < w.workload.size()) {
    const bytes_view rest{w.workload.data() + at, w.workload.size() - at};
    const auto n = request_frame_size(rest);
    if (!n) break;
    store_le32(w.workload.data() + at + 12, crc32c(rest.subspan(request_header_size, *n - request_header_size)));
    at += *n;
  }
  const bytes_view workload{w.workload.data(), w.workload.size()};

  static capability::key_ring keys;
  keys.wipe();
  (void)keys.add_active(blobs::key_id, blobs::key_secret(), 1'735'689'600ull * ns_per_s);
  byte config[bundle::config_size];
  static byte key_bytes[bundle::max_keys_size];
  bundle::run_config c;
  c.log_id[0] = 0x10;
  c.agent_id[0] = 0xa6;
  c.run_id[0] = 0x77;
  c.clock_start = 1'735'689'600ull * ns_per_s;
  c.clock_step = ns_per_ms;
  auto& b = w.bundle;
  b.clear();
  b.entry("authority", kernel_test::cpio_dir, std::string_view{});
  b.entry("authority/config", kernel_test::cpio_file, bundle::encode_config(c, config).value_or(bytes_view{}));
  b.entry("authority/keys", kernel_test::cpio_file, bundle::encode_keys(keys, key_bytes).value_or(bytes_view{}));
  b.entry("authority/policy", kernel_test::cpio_file, bytes_view{blobs::kernel_blob});
  b.entry("authority/workload", kernel_test::cpio_file, workload);
  b.entry("fs", kernel_test::cpio_dir, std::string_view{});
  b.entry("fs/data", kernel_test::cpio_dir, std::string_view{});
  b.entry("fs/data/a.txt", kernel_test::cpio_file, std::string_view{"hello"});
  b.trailer();
  enforce(b.view(), count_frames(workload));
  require(the_world().storage.enforcer && the_world().storage.enforcer->policy_loaded(), "the good policy loads");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > (512u << 10)) return 0;
  const bytes_view in{data, size};
  check_config(in);
  check_keys(in);
  if (size >= 4 && std::memcmp(data, "0707", 4) == 0) {
    // A whole bundle. Workload frames inside are counted only when it opens.
    std::size_t frames = static_cast<std::size_t>(-1);
    if (auto a = kernel::cpio::archive::open(in)) {
      auto wl = a->find(bundle::workload_member);
      frames = wl ? count_frames(*wl) : 0;
    }
    enforce(in, frames);
  } else {
    run_workload(in);
  }
  return 0;
}
