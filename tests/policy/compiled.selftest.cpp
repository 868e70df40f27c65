// Freestanding self-tests of the policy engine on real compiled blobs
// (selftest_blobs.hpp); they run hosted under Catch2 and inside the bare-metal kernel.
#include "authority/policy/policy.hpp"
#include "policy/selftest_blobs.hpp"
#include "selftest/selftest.hpp"

namespace {

using namespace authority;
using namespace authority::policy;
namespace blobs = authority::policy::selftest_blobs;

constexpr time_ns now = 1'700'000'000ull * ns_per_s;

struct fixture {
  capability::key_ring keys{};
  compiled_policy policy{};
  bool ok = false;

  fixture() noexcept {
    const auto secret = blobs::key_secret();
    ok = keys.add_active(blobs::key_id, secret, now).ok();
    auto opened = compiled_policy::open(blobs::kernel_blob, keys, now);
    ok = ok && opened.ok();
    if (opened) policy = *opened;
  }
  decision eval(op kind, std::string_view target, label_set labels = 0, std::string_view version = {},
                std::uint64_t tokens = 0) const noexcept {
    return policy.evaluate(request{kind, target, version, tokens, labels});
  }
  errc reason(op kind, std::string_view target) const noexcept { return eval(kind, target).reason; }
};

}  // namespace

SELFTEST("policy/compiled blob opens and decides fs, dns, cidr, tools, infer") {
  const fixture f;
  ST_REQUIRE(f.ok);
  ST_CHECK(f.policy.revision() == 1);
  ST_CHECK(f.policy.key_id() == blobs::key_id);
  ST_CHECK(f.policy.format() == source_format::json);
  ST_CHECK(f.eval(op::fs_read, "/usr/bin/ls").allow);
  ST_CHECK(f.eval(op::fs_read, "/etc/resolv.conf").allow);
  ST_CHECK(f.reason(op::fs_read, "/etc/shadow.conf") == errc::denied_by_rule);
  ST_CHECK(f.reason(op::fs_read, "/etc/passwd") == errc::not_allowed);
  ST_CHECK(f.reason(op::fs_read, "/usr/../etc/passwd") == errc::invalid_path);
  ST_CHECK(f.eval(op::fs_read, "/proc/self/maps").allow);  // profile tier1-musl
  ST_CHECK(f.eval(op::fs_exec, "/bin/true").allow);
  ST_CHECK(f.reason(op::fs_exec, "/bin/sh") == errc::not_allowed);
  ST_CHECK(f.eval(op::fs_write, "/tmp/out").allow);
  ST_CHECK(f.eval(op::net_dns, "a.example.com").allow);
  ST_CHECK(f.reason(op::net_dns, "example.com") == errc::not_allowed);
  ST_CHECK(f.reason(op::net_dns, "a.b.example.com") == errc::not_allowed);
  ST_CHECK(f.eval(op::net_connect, "dns:api.example.com:443").allow);
  ST_CHECK(f.reason(op::net_connect, "dns:evilexample.com:443") == errc::not_allowed);
  ST_CHECK(f.eval(op::net_connect, "ip:10.1.2.3:5432").allow);
  ST_CHECK(f.reason(op::net_connect, "ip:10.6.6.6:5432") == errc::denied_by_rule);
  ST_CHECK(f.reason(op::net_connect, "ip:11.0.0.1:5432") == errc::not_allowed);
  ST_CHECK(f.eval(op::net_connect, "ip:[2001:db8::7]:443").allow);
  ST_CHECK(f.eval(op::tool_call, "git", 0, "2.5").allow);
  ST_CHECK(f.eval(op::tool_call, "git", 0, "3.0").reason == errc::not_allowed);
  ST_CHECK(f.reason(op::tool_call, "shell_exec") == errc::denied_by_rule);
  ST_CHECK(f.eval(op::infer, "gpt-4", 0, {}, 1000).allow);
  ST_CHECK(f.eval(op::infer, "gpt-4", 0, {}, 1001).reason == errc::limit_exceeded);
  ST_CHECK(f.eval(op::infer, "small", 0, {}, 101).reason == errc::limit_exceeded);
  ST_CHECK((f.policy.budget(budget::resource::tool_calls) == budget_limit{blob::budget_state::amount, 0}));
  ST_CHECK(f.policy.budget(budget::resource::tokens).unlimited());
  ST_CHECK(f.policy.budget(budget::resource::heap_bytes).absent());
  const auto d = f.eval(op::fs_read, "/etc/resolv.conf");
  const auto info = f.policy.rule(d.rule);
  ST_CHECK(info.pattern == "/etc/*.conf");
  ST_CHECK(info.file == "kernel.json");
  ST_CHECK(info.line == 5);
}

SELFTEST("policy/taint: fetched data cannot drive email.send until sanitized") {
  const fixture f;
  ST_REQUIRE(f.ok);
  ST_REQUIRE(f.policy.label_name(0) == "untrusted");
  const auto fetched = f.eval(op::net_connect, "dns:news.example.com:443");
  ST_REQUIRE(fetched.allow);
  ST_CHECK(fetched.result_labels == untrusted_label);
  const auto injected = f.eval(op::tool_call, "email.send", fetched.result_labels);
  ST_CHECK(injected.reason == errc::taint_violation);
  ST_CHECK(f.policy.rule(injected.rule).kind == rule_kind::sink);
  const auto summary = f.eval(op::tool_call, "summarize", fetched.result_labels);
  ST_CHECK(summary.result_labels == untrusted_label);
  const auto escaped = f.eval(op::tool_call, "html_escape", summary.result_labels);
  ST_REQUIRE(escaped.allow);
  ST_CHECK(escaped.result_labels == label_set{1} << *f.policy.label_from_name("sanitized:html"));
  ST_CHECK(f.eval(op::tool_call, "email.send", escaped.result_labels).allow);
}

SELFTEST("policy/damaged blobs, wrong keys and newer formats are refused") {
  const fixture f;
  ST_REQUIRE(f.ok);
  static byte copy[sizeof blobs::kernel_blob];
  constexpr std::size_t size = sizeof blobs::kernel_blob;
  for (std::size_t i = 0; i < size; ++i) copy[i] = blobs::kernel_blob[i];
  for (std::size_t i = blob::header_size; i < size; i += 97) {
    copy[i] ^= 0x10;
    ST_CHECK(compiled_policy::open(bytes_view{copy, size}, f.keys, now).code() == errc::policy_mac);
    copy[i] ^= 0x10;
  }
  ST_CHECK(compiled_policy::open(bytes_view{copy, size}, f.keys, now).ok());
  ST_CHECK(compiled_policy::open(bytes_view{copy, size - 1}, f.keys, now).code() == errc::truncated);
  ST_CHECK(compiled_policy::open(bytes_view{copy, 20}, f.keys, now).code() == errc::truncated);
  copy[blob::at_version] = 2;
  ST_CHECK(compiled_policy::open(bytes_view{copy, size}, f.keys, now).code() == errc::unsupported_version);
  copy[blob::at_version] = 1;
  copy[0] = 'X';
  ST_CHECK(compiled_policy::open(bytes_view{copy, size}, f.keys, now).code() == errc::bad_magic);
  copy[0] = 'A';
  capability::key_ring other{};
  auto wrong = blobs::key_secret();
  wrong[31] ^= 1;
  ST_REQUIRE(other.add_active(blobs::key_id, wrong, now).ok());
  ST_CHECK(compiled_policy::open(bytes_view{copy, size}, other, now).code() == errc::policy_mac);
}

SELFTEST("policy/store: upgrade needs a higher revision, rollback once, no replay") {
  const fixture f;
  ST_REQUIRE(f.ok);
  policy_store store;
  ST_CHECK(store.evaluate({op::fs_read, "/usr/x"}).reason == errc::no_policy);
  ST_CHECK(store.rollback().code() == errc::not_found);
  auto first = store.load(blobs::kernel_blob, f.keys, now);
  ST_REQUIRE(first.ok());
  ST_CHECK(first->from_revision == 0 && first->to_revision == 1);
  ST_CHECK(store.load(blobs::kernel_blob, f.keys, now).code() == errc::policy_rollback);
  ST_CHECK(store.evaluate({op::fs_write, "/var/tmp/x"}).reason == errc::not_allowed);
  auto second = store.load(blobs::kernel_v2_blob, f.keys, now);
  ST_REQUIRE(second.ok());
  ST_CHECK(second->what == policy_change::kind::load);
  ST_CHECK(second->from_revision == 1 && second->to_revision == 2);
  ST_CHECK(second->from_hash == f.policy.hash());
  ST_CHECK(store.evaluate({op::fs_write, "/var/tmp/x"}).allow);
  ST_CHECK(store.load(blobs::kernel_blob, f.keys, now).code() == errc::policy_rollback);
  auto back = store.rollback();
  ST_REQUIRE(back.ok());
  ST_CHECK(back->what == policy_change::kind::rollback);
  ST_CHECK(back->from_revision == 2 && back->to_revision == 1);
  ST_CHECK(store.current().revision() == 1);
  ST_CHECK(store.evaluate({op::fs_write, "/var/tmp/x"}).reason == errc::not_allowed);
  ST_CHECK(store.rollback().code() == errc::not_found);
  // The rolled-back revision cannot be replayed: the next load must go above 2.
  ST_CHECK(store.load(blobs::kernel_v2_blob, f.keys, now).code() == errc::policy_rollback);
  ST_CHECK(store.highest_revision() == 2);
}

SELFTEST("policy/store: stage, then commit, so a change can be logged before it takes effect") {
  const fixture f;
  ST_REQUIRE(f.ok);
  policy_store store;
  auto staged = store.stage(blobs::kernel_blob, f.keys, now);
  ST_REQUIRE(staged.ok());
  ST_CHECK(staged->change.to_revision == 1 && staged->change.from_revision == 0);
  ST_CHECK(!store.current().valid());  // nothing changed yet
  ST_CHECK(store.evaluate({op::fs_read, "/usr/x"}).reason == errc::no_policy);
  auto applied = store.commit(*staged);
  ST_REQUIRE(applied.ok());
  ST_CHECK(store.current().revision() == 1);
  ST_CHECK(store.commit(*staged).code() == errc::policy_rollback);  // not twice
  auto newer = store.stage(blobs::kernel_v2_blob, f.keys, now);
  ST_REQUIRE(newer.ok());
  ST_CHECK(newer->change.from_revision == 1);
  ST_CHECK(store.stage(blobs::kernel_blob, f.keys, now).code() == errc::policy_rollback);
  // A staged change that is never committed (logging failed) leaves the store as it was.
  ST_CHECK(store.current().revision() == 1);
  ST_CHECK(store.highest_revision() == 1);
}

SELFTEST("policy/deny snippets in the kernel") {
  const fixture f;
  ST_REQUIRE(f.ok);
  char buffer[256];
  const request r{op::fs_write, "/etc/hosts"};
  ST_CHECK(f.policy.evaluate(r).reason == errc::not_allowed);
  auto json = suggest_snippet(r, f.policy.format(), buffer);
  ST_REQUIRE(json.ok());
  ST_CHECK(*json == R"({"fs": {"write": ["/etc/hosts"]}})");
  auto toml = suggest_snippet({op::tool_call, "git", "2.0.1"}, source_format::toml, buffer);
  ST_REQUIRE(toml.ok());
  ST_CHECK(*toml == "[[tools.allow]]\nname = \"git\"\nversion = \"=2.0.1\"\n");
}

SELFTEST("policy/version constraints") {
  version_term terms[max_version_terms];
  auto n = parse_version_constraint(">=1.2, <2", terms);
  ST_REQUIRE(n.ok() && *n == 2);
  ST_CHECK(satisfies_all(*parse_version("1.2"), {terms, *n}));
  ST_CHECK(!satisfies_all(*parse_version("2.0.0"), {terms, *n}));
  ST_CHECK(parse_version("1.2.3-rc").code() == errc::invalid_argument);
}
