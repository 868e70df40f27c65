// libFuzzer: compiled policy blobs. open() on arbitrary bytes never crashes (and, with
// the MAC unforgeable, refuses them); below the MAC (testing::open_without_mac) the
// decoder never crashes either, and whatever it accepts can be evaluated, explained and
// queried for every op without reading out of bounds. Seeds: compiled policies
// (tests/fuzz/corpus/policy_blob/, made with tests/policy/data/selftest.keys).
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "authority/policy/policy.hpp"

using namespace authority;
using namespace authority::policy;

namespace {

const request requests[] = {
    {op::fs_read, "/"},
    {op::fs_read, "/usr/lib/libc.so"},
    {op::fs_read, "/etc/resolv.conf"},
    {op::fs_write, "/tmp/a/b/c/d/e"},
    {op::fs_exec, "/bin/true"},
    {op::spawn, "/usr/bin/env"},
    {op::net_dns, "api.example.com"},
    {op::net_dns, "a.b.c.d.e.f"},
    {op::net_connect, "dns:api.example.com:443"},
    {op::net_connect, "ip:10.1.2.3:5432"},
    {op::net_bind, "ip:[2001:db8::1]:8080"},
    {op::net_listen, "ip:[::ffff:10.0.0.1]:80"},
    {op::tool_call, "git", "2.1"},
    {op::tool_call, "email.send", {}, 0, ~label_set{0}},
    {op::wasm_call, "calc"},
    {op::wasm_hostcall, "log"},
    {op::infer, "gpt-4", {}, 1000},
    {op::infer, "claude-3", {}, ~std::uint64_t{0}},
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static capability::key_ring* keys = [] {
    auto* ring = new capability::key_ring();
    capability::key_secret secret{};
    for (std::size_t i = 0; i < secret.size(); ++i) secret[i] = static_cast<byte>(0xa0 + i);
    (void)ring->add_active(7, secret, 0);
    return ring;
  }();
  const bytes_view in(data, size);
  // With the real key the MAC never verifies for fuzzed bytes: open() must say so.
  if (auto p = compiled_policy::open(in, *keys, 0); p.ok() && size > blob::mac_size) {
    // Only the unmodified seeds get here; they must still decide.
    (void)p->evaluate(requests[0]);
  }

  auto p = testing::open_without_mac(in);
  if (!p) return 0;
  for (const auto& r : requests) {
    const auto d = p->evaluate(r);
    if (d.rule != no_rule && d.rule >= p->rule_count()) std::abort();
    if (d.allow && d.reason != errc::ok) std::abort();
    std::uint32_t matches = 0;
    (void)p->for_each_match(r, [&](std::uint32_t rule) {
      if (rule >= p->rule_count()) std::abort();
      ++matches;
    });
    char buffer[512];
    (void)suggest_snippet(r, p->format(), buffer);
  }
  for (std::uint32_t i = 0; i < p->rule_count(); ++i) {
    const auto info = p->rule(i);
    volatile std::size_t touched = info.pattern.size() + info.file.size() + info.detail.size();
    if (!info.pattern.empty()) touched = touched + static_cast<unsigned char>(info.pattern.back());
    (void)touched;
  }
  for (std::size_t i = 0; i < p->label_count(); ++i) (void)p->label_from_name(p->label_name(i));
  for (const auto& info : budget::resource_table) (void)p->budget(info.id);
  (void)p->max_tokens();
  (void)p->signature();
  return 0;
}
