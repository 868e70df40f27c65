// Writes the binary seeds of the request_frame and bundle fuzz targets (the text seeds
// of request_line and daemon are written by hand). Deterministic: fixed key (the
// self-test key, tests/policy/data/selftest.keys), fixed entropy, fixed clock.
//   fuzz_make_seeds <out-dir>   → <out-dir>/{request_frame,bundle,token}/*
// scripts/fuzz.sh does not run it; the committed corpora were made with it, then
// minimized with libFuzzer's -merge=1 (docs/fuzzing.md).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "authority/bundle.hpp"
#include "authority/capability/issue.hpp"
#include "authority/capability/wire.hpp"
#include "authority/capability/verify.hpp"
#include "authority/request_frame.hpp"
#include "kernel/cpio_writer.hpp"
#include "capability/fixture.hpp"
#include "policy/selftest_blobs.hpp"

using namespace authority;
namespace blobs = authority::policy::selftest_blobs;
namespace fsys = std::filesystem;

namespace {

constexpr time_ns start = 1'735'689'600ull * ns_per_s;

using capability::testing::counter_entropy;

void write(const fsys::path& p, bytes_view b) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

struct frame_spec {
  effect e;
  std::string_view target;
  std::string_view target2 = {};
  std::string_view version = {};
  std::uint64_t tokens = 0;
  std::uint64_t labels = 0;
  std::string_view payload = {};
  int cap = 0;  // index into caps
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_make_seeds <out-dir>\n");
    return 2;
  }
  const fsys::path out = argv[1];
  fsys::create_directories(out / "request_frame");
  fsys::create_directories(out / "bundle");
  fsys::create_directories(out / "token");

  static capability::key_ring ring;
  (void)ring.add_active(blobs::key_id, blobs::key_secret(), start);
  counter_entropy entropy;
  static byte cap_bytes[4][capability::max_token_size];
  bytes_view caps[4] = {};
  const struct {
    capability::cap_type type;
    std::string_view resource;
  } grants[4] = {{capability::cap_type::fs, "/**"},
                 {capability::cap_type::net, "dns:*.example.com:*"},
                 {capability::cap_type::tool, "*"},
                 {capability::cap_type::infer, "*"}};
  for (int i = 0; i < 4; ++i) {
    static capability::token t;
    capability::grant g{grants[i].type, grants[i].resource, capability::method_set::everything(), 3'600'000, {}, {}};
    if (!capability::mint(ring, g, start, entropy, t)) {
      std::fprintf(stderr, "mint %d failed\n", i);
      continue;
    }
    if (auto w = capability::encode(t, cap_bytes[i])) caps[i] = *w;
  }

  const frame_spec specs[] = {
      {effect::fs_read, "/data/a.txt"},
      {effect::fs_write, "/tmp/out.txt", {}, {}, 0, 0, "written"},
      {effect::fs_list, "/data"},
      {effect::fs_stat, "/data/../etc/passwd"},
      {effect::fs_rename, "/tmp/a", "/tmp/b"},
      {effect::net_dns, "api.example.com", {}, {}, 0, 0, {}, 1},
      {effect::net_connect, "dns:api.example.com:443", {}, {}, 0, 1, {}, 1},
      {effect::tool_call, "git", {}, "2.3.0", 0, 0, "status", 2},
      {effect::tool_call, "email.send", {}, {}, 0, 1, "hi", 2},
      {effect::infer, "gpt-4", {}, {}, 500, 0, "prompt", 3},
      {effect::heap_alloc, "counter", {}, {}, 0, 0, "0"},
      {effect::spawn, "/bin/true"},
  };
  std::vector<byte> stream;
  std::uint64_t seq = 0;
  int n = 0;
  for (const auto& s : specs) {
    effect_request r;
    r.op = static_cast<std::uint16_t>(s.e);
    r.seq = ++seq;
    r.target = s.target;
    r.target2 = s.target2;
    r.version = s.version;
    r.tokens = s.tokens;
    r.labels = s.labels;
    if (s.tokens) r.cost.set(budget::resource::tokens, s.tokens);
    if (s.e == effect::fs_write) r.cost.set(budget::resource::file_bytes, 7);
    r.capability = caps[s.cap];
    r.payload = as_bytes(s.payload);
    static byte buf[4096];
    auto f = encode_request(r, buf);
    if (!f) continue;
    write(out / "request_frame" / ("frame-" + std::to_string(n)), *f);
    write(out / "bundle" / ("workload-one-" + std::to_string(n)), *f);
    stream.insert(stream.end(), f->begin(), f->end());
    ++n;
  }
  write(out / "bundle" / "workload-all", {stream.data(), stream.size()});

  // Config and keys alone, and whole bundles.
  byte config[bundle::config_size];
  static byte keys[bundle::max_keys_size];
  bundle::run_config c;
  c.log_id[0] = 0x10;
  c.clock_start = start;
  c.clock_step = ns_per_ms;
  const auto config_bytes = bundle::encode_config(c, config).value_or(bytes_view{});
  static capability::key_ring two;
  (void)two.add_active(1, blobs::key_secret(), start);
  (void)two.add_active(blobs::key_id, blobs::key_secret(), start + 1);
  const auto key_bytes = bundle::encode_keys(ring, keys).value_or(bytes_view{});
  write(out / "bundle" / "config", config_bytes);
  write(out / "bundle" / "keys", key_bytes);
  static byte keys2[bundle::max_keys_size];
  write(out / "bundle" / "keys-rotated", bundle::encode_keys(two, keys2).value_or(bytes_view{}));

  static kernel_test::cpio_writer<(1u << 20)> b;
  b.clear();
  b.entry("authority", kernel_test::cpio_dir, std::string_view{});
  b.entry("authority/config", kernel_test::cpio_file, config_bytes);
  b.entry("authority/keys", kernel_test::cpio_file, key_bytes);
  b.entry("authority/policy", kernel_test::cpio_file, bytes_view{blobs::kernel_blob});
  b.entry("authority/workload", kernel_test::cpio_file, bytes_view{stream.data(), stream.size()});
  b.entry("fs", kernel_test::cpio_dir, std::string_view{});
  b.entry("fs/data", kernel_test::cpio_dir, std::string_view{});
  b.entry("fs/data/a.txt", kernel_test::cpio_file, std::string_view{"hello"}, "070702", 532);
  b.trailer();
  write(out / "bundle" / "bundle-full", b.view());
  b.clear();
  b.entry("authority/config", kernel_test::cpio_file, config_bytes);
  b.entry("authority/keys", kernel_test::cpio_file, key_bytes);
  b.trailer();
  write(out / "bundle" / "bundle-no-policy", b.view());
  b.clear();
  b.entry(".", kernel_test::cpio_dir, std::string_view{});
  b.entry("fs/x", kernel_test::cpio_file, std::string_view{"x"});
  b.trailer();
  write(out / "bundle" / "bundle-no-config", b.view());
  // Tokens as the token target's fixture verifies them: key 1, secret 00 01 … 1f. Binary
  // and text, with a rate limit, a run binding and the three kinds of caveat.
  {
    static capability::key_ring token_keys;
    capability::key_secret secret{};
    for (std::size_t i = 0; i < secret.size(); ++i) secret[i] = static_cast<byte>(i);
    (void)token_keys.add_active(1, secret, 0);
    const time_ns now = 1'700'000'000'000'000'000ull;
    capability::id128 run{};
    run[0] = 0x42;
    const capability::grant grants[] = {
        {capability::cap_type::fs, "/data/**", capability::method_set::everything(), 3'600'000, {}, {}},
        {capability::cap_type::net, "dns:*.example.com:443", capability::method_set::of(1), 60'000,
         capability::rate_limit::per(10, 1000), {}},
        {capability::cap_type::tool, "git", capability::method_set::everything(), 1000, {}, run},
        {capability::cap_type::admin, "audit", capability::method_set::everything(), 1000, {}, {}},
    };
    int k = 0;
    for (const auto& g : grants) {
      static capability::token t;
      if (!capability::mint(token_keys, g, now, entropy, t)) continue;
      if (k == 0) {
        capability::caveat c;
        c.kind = capability::caveat_kind::resource;
        (void)c.pattern.append("/data/in/**");
        (void)capability::add_caveat(t, c);
        c = {};
        c.kind = capability::caveat_kind::expires_before;
        c.value = now / ns_per_ms + 1000;
        (void)capability::add_caveat(t, c);
      }
      static byte wire[capability::max_token_size];
      if (auto w = capability::encode(t, wire)) write(out / "token" / ("token-" + std::to_string(k)), *w);
      static char text[capability::max_text_size];
      if (auto s = capability::encode_text(t, text)) write(out / "token" / ("text-" + std::to_string(k)), as_bytes(*s));
      ++k;
    }
  }
  return 0;
}
