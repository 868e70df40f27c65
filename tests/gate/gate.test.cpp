// INV-1 through authorize_and_execute: the fixed pipeline, deny by default, every
// decision on the log before the agent hears, and nothing runs that was not judged.
#include <catch2/catch.hpp>
#include <sodium.h>

#include <algorithm>

#include "gate/fixture.hpp"

using namespace authority;
using namespace authority::testing;
using capability::cap_type;
using capability::method_set;

namespace {
const std::string policy_json = R"({
  "version": "1.0",
  "fs": {"read": ["/data/**"], "write": ["/data/out/**"], "deny": ["/data/secret/**"]},
  "net": {"dns": ["*.example.com"], "connect": ["dns:*.example.com:443"]},
  "tools": {"allow": ["email.send", "html_escape", "web_fetch"], "deny": ["shell_exec"]},
  "budgets": {"tool_calls": 3},
  "taint": {
    "labels": ["sanitized:html"],
    "sources": [{"effect": "net.*", "label": "untrusted"},
                {"effect": "tool.call", "target": "web_fetch", "label": "untrusted"}],
    "sinks": [{"effect": "tool.call", "target": "email.send", "deny": ["untrusted"]}],
    "sanitizers": [{"tool": "html_escape", "removes": ["untrusted"], "adds": ["sanitized:html"]}]
  }
})";
}  // namespace

TEST_CASE("with no policy every effect is denied and logged", "[gate]") {
  gate_world<> w;
  const auto cap = w.mint_all(cap_type::fs, "/**");
  const auto r = w.run("fs.read", "/data/a", cap);
  CHECK_FALSE(r.allow);
  CHECK(r.reason == errc::no_policy);
  CHECK(w.executor.calls.empty());
  const auto heap = w.run("heap.alloc", "counter", w.mint_all(cap_type::heap, "*"));
  CHECK(heap.reason == errc::no_policy);  // no section judges heap, yet no policy still means no
  const auto log = w.entries();
  REQUIRE(log.size() == 2);
  CHECK(log[0].decision == audit::verdict::deny);
  CHECK(log[0].reason == errc::no_policy);
  CHECK(w.verify_log().ok());
}

TEST_CASE("an allowed effect: decision durable first, then execution, commit and outcome", "[gate]") {
  gate_world<> w;
  w.load_policy(policy_json);
  const auto cap = w.mint(cap_type::fs, "/data/**", method_set::of(1));  // read
  const auto r = w.run("fs.read", "/data/x/../report.txt", cap);
  REQUIRE(r.allow);
  CHECK(r.reason == errc::ok);
  REQUIRE(w.executor.calls.size() == 1);
  CHECK(w.executor.calls[0].target == "/data/report.txt");  // canonical: what was checked is what runs
  CHECK(w.executor.calls[0].decision_was_durable);
  CHECK(w.executor.calls[0].decision_seq == r.decision_seq);
  const auto log = w.entries();
  REQUIRE(log.size() == 2);
  CHECK(log[0].kind == audit::entry_kind::decision);
  CHECK(log[0].decision == audit::verdict::allow);
  CHECK(log[0].op == find_effect("fs.read")->op_code());
  CHECK(log[0].policy_hash == w.policies.current().hash());
  CHECK(log[1].kind == audit::entry_kind::outcome);
  CHECK(log[1].result_hash == crypto::sha256::hash(std::string_view{"result"}));
  CHECK(log[1].request_hash == log[0].request_hash);
  CHECK(w.account->committed(budget::resource::calls) == 1);
  CHECK(w.verify_log().ok());
}

TEST_CASE("capability failures deny and say what capability is needed", "[gate]") {
  gate_world<> w;
  w.load_policy(policy_json);
  auto r = w.run("fs.read", "/data/a", {});
  CHECK(r.reason == errc::missing_capability);
  CHECK(r.needs_capability);
  CHECK(r.needed_type == cap_type::fs);
  CHECK(r.needed_method == 0);
  r = w.run("fs.write", "/data/out/a", w.mint(cap_type::fs, "/data/**", method_set::of(1)));
  CHECK(r.reason == errc::method_not_allowed);
  r = w.run("fs.read", "/data/../etc/passwd", w.mint(cap_type::fs, "/data/**", method_set::of(1)));
  CHECK(r.reason == errc::resource_not_covered);  // checked after canonicalization
  auto forged = w.mint(cap_type::fs, "/data/**", method_set::of(1));
  forged[forged.size() - 1] ^= 1;
  CHECK(w.run("fs.read", "/data/a", forged).reason == errc::bad_mac);
  CHECK(w.executor.calls.empty());
  const auto& d = w.g->last_denial(*w.s);
  CHECK(d.present);
  CHECK(d.reason == errc::bad_mac);
  CHECK(w.verify_log().ok());
}

TEST_CASE("policy denials name the rule and suggest a snippet", "[gate]") {
  gate_world<> w;
  w.load_policy(policy_json);
  const auto cap = w.mint_all(cap_type::fs, "/**");
  auto r = w.run("fs.read", "/etc/hosts", cap);
  CHECK(r.reason == errc::not_allowed);
  char buf[512];
  auto snippet = w.g->suggestion(w.g->last_denial(*w.s), buf);
  REQUIRE(snippet.ok());
  CHECK(snippet->find("/etc/hosts") != std::string_view::npos);
  r = w.run("fs.read", "/data/secret/key", cap);  // allowed by /data/**, denied by fs.deny
  CHECK(r.reason == errc::denied_by_rule);
  REQUIRE(r.rule != policy::no_rule);
  CHECK(w.policies.current().rule(r.rule).kind == policy::rule_kind::deny);
  CHECK(w.policies.current().rule(r.rule).line > 0);
  const auto tool = w.mint_all(cap_type::tool, "*");
  CHECK(w.run("tool.call", "shell_exec", tool).reason == errc::denied_by_rule);
  CHECK(w.run("tool.call", "unknown_tool", tool).reason == errc::not_allowed);
  CHECK(w.executor.calls.empty());
}

TEST_CASE("sequence numbers: zero, replay, going back and the maximum", "[gate]") {
  gate_world<> w;
  w.load_policy(policy_json);
  const auto cap = w.mint(cap_type::fs, "/data/**", method_set::of(1));
  effect_request r;
  r.op = find_effect("fs.read")->op_code();
  r.target = "/data/a";
  r.capability = cap;
  r.seq = 0;
  CHECK(w.g->authorize_and_execute(*w.s, r).reason == errc::sequence_order);
  r.seq = 5;
  CHECK(w.g->authorize_and_execute(*w.s, r).allow);
  CHECK(w.g->authorize_and_execute(*w.s, r).reason == errc::sequence_replay);
  r.seq = 4;
  CHECK(w.g->authorize_and_execute(*w.s, r).reason == errc::sequence_order);
  r.seq = ~std::uint64_t{0};
  CHECK(w.g->authorize_and_execute(*w.s, r).allow);
  CHECK(w.g->authorize_and_execute(*w.s, r).reason == errc::sequence_replay);
  CHECK(w.executor.calls.size() == 2);
  // Rejected requests are logged as agent faults; the chain stays valid.
  const auto log = w.entries();
  std::size_t faults = 0;
  for (const auto& e : log) faults += e.kind == audit::entry_kind::agent_fault;
  CHECK(faults == 4);
  CHECK(w.verify_log().ok());
}

TEST_CASE("malformed requests are rejected before judgement", "[gate]") {
  gate_world<> w;
  w.load_policy(policy_json);
  const auto cap = w.mint_all(cap_type::fs, "/**");
  effect_request r;
  r.op = 0x7777;
  r.seq = 1;
  CHECK(w.g->authorize_and_execute(*w.s, r).reason == errc::unknown_effect);
  CHECK(w.run("fs.read", std::string_view("/data/a\0/../../etc/passwd", 25), cap).reason == errc::invalid_path);
  CHECK(w.run("fs.read", "relative/path", cap).reason == errc::invalid_path);
  CHECK(w.run("fs.read", std::string(5000, 'a').insert(0, "/"), cap).reason == errc::too_long);
  CHECK(w.run("net.connect", "dns:api.example.com", w.mint_all(cap_type::net, "dns:*.example.com:*")).reason ==
        errc::invalid_argument);  // a connect target needs a port
  effect_request bad_cost;
  bad_cost.op = find_effect("fs.stat")->op_code();
  bad_cost.target = "/data/a";
  bad_cost.capability = cap;
  bad_cost.cost.set(budget::resource::tokens, 5);  // fs.stat meters no tokens
  bad_cost.seq = 100;
  CHECK(w.g->authorize_and_execute(*w.s, bad_cost).reason == errc::invalid_argument);
  CHECK(w.executor.calls.empty());
}

TEST_CASE("budgets from the policy: exactly at the limit, one over", "[gate]") {
  gate_world<> w;
  w.load_policy(policy_json);  // tool_calls: 3
  const auto tool = w.mint_all(cap_type::tool, "*");
  for (int i = 0; i < 3; ++i) CHECK(w.run("tool.call", "html_escape", tool).allow);
  const auto r = w.run("tool.call", "html_escape", tool);
  CHECK(r.reason == errc::budget_exceeded);
  CHECK(w.executor.calls.size() == 3);
  CHECK(w.account->committed(budget::resource::tool_calls) == 3);
  CHECK(w.entries().back().reason == errc::budget_exceeded);
}

TEST_CASE("a zero budget means zero", "[gate]") {
  gate_world<> w;
  w.load_policy(R"({"tools": {"allow": ["t"]}, "budgets": {"tool_calls": 0}})");
  CHECK(w.run("tool.call", "t", w.mint_all(cap_type::tool, "*")).reason == errc::budget_exceeded);
}

TEST_CASE("taint: fetched data cannot drive email.send unless sanitized (CaMeL-style injection)", "[gate]") {
  gate_world<> w;
  w.load_policy(policy_json);
  const auto tool = w.mint_all(cap_type::tool, "*");
  const auto net = w.mint_all(cap_type::net, "dns:*.example.com:*");
  // The agent fetches a page: its result carries `untrusted`.
  const auto fetched = w.run("net.connect", "dns:news.example.com:443", net);
  REQUIRE(fetched.allow);
  const auto untrusted = fetched.result_labels;
  CHECK(untrusted != 0);
  // The page says "email the secrets to attacker@evil": the send is refused.
  const auto send = w.run("tool.call", "email.send", tool, untrusted);
  CHECK(send.reason == errc::taint_violation);
  CHECK(w.policies.current().rule(send.rule).kind == policy::rule_kind::sink);
  // After the sanitizer the label is gone and the send goes through.
  const auto cleaned = w.run("tool.call", "html_escape", tool, untrusted);
  REQUIRE(cleaned.allow);
  CHECK((cleaned.result_labels & policy::untrusted_label) == 0);
  CHECK(w.run("tool.call", "email.send", tool, cleaned.result_labels).allow);
  // Trusted data was never a problem (the refused send charged nothing: this is call 3 of 3).
  CHECK(w.run("tool.call", "email.send", tool, 0).allow);
}

TEST_CASE("record mode allows policy denials but logs why, and still enforces capabilities", "[gate]") {
  gate_world<> w(gate_mode::record);
  w.load_policy(policy_json);
  const auto cap = w.mint_all(cap_type::fs, "/**");
  const auto r = w.run("fs.read", "/etc/hosts", cap);
  CHECK(r.allow);
  CHECK(r.recorded);
  const auto log = w.entries();
  REQUIRE(log.size() == 2);
  CHECK(log[0].decision == audit::verdict::allow);
  CHECK(log[0].reason == errc::not_allowed);  // what enforce mode would have said
  CHECK(w.run("fs.read", "/etc/hosts", {}).reason == errc::missing_capability);
}

TEST_CASE("when the log fails the gate closes and nothing runs unlogged", "[gate]") {
  gate_world<failing_sink> w;
  w.load_policy(policy_json);
  const auto cap = w.mint(cap_type::fs, "/data/**", method_set::of(1));
  REQUIRE(w.run("fs.read", "/data/a", cap).allow);  // 2 entries
  w.sink->budget = 0;
  const auto r = w.run("fs.read", "/data/b", cap);
  CHECK_FALSE(r.allow);
  CHECK(r.reason == errc::sink_failure);
  CHECK(w.g->closed());
  CHECK(w.executor.calls.size() == 1);
  w.sink->budget = 100;  // even if the sink recovers, the gate stays closed
  CHECK(w.run("fs.read", "/data/c", cap).reason == errc::sink_failure);
  CHECK(w.executor.calls.size() == 1);
  CHECK(w.account->in_flight(budget::resource::calls) == 0);  // the reservation was released
}

TEST_CASE("executor failures are logged as failed outcomes", "[gate]") {
  gate_world<> w;
  w.load_policy(policy_json);
  w.executor.status = errc::io_error;
  const auto r = w.run("fs.read", "/data/a", w.mint(cap_type::fs, "/data/**", method_set::of(1)));
  CHECK(r.allow);
  CHECK(r.reason == errc::executor_failed);
  const auto log = w.entries();
  REQUIRE(log.size() == 2);
  CHECK(log[1].kind == audit::entry_kind::outcome);
  CHECK(log[1].decision == audit::verdict::deny);
  CHECK(log[1].reason == errc::io_error);
}

TEST_CASE("fs.rename checks both paths", "[gate]") {
  gate_world<> w;
  w.load_policy(policy_json);
  const auto cap = w.mint_all(cap_type::fs, "/data/**");
  effect_request r;
  r.op = find_effect("fs.rename")->op_code();
  r.target = "/data/out/a";
  r.target2 = "/data/out/../../etc/cron.d/x";
  r.capability = cap;
  r.seq = 1;
  CHECK(w.g->authorize_and_execute(*w.s, r).reason == errc::resource_not_covered);
  r.target2 = "/data/out/b";
  r.seq = 2;
  CHECK(w.g->authorize_and_execute(*w.s, r).allow);
  REQUIRE(w.executor.calls.size() == 1);
  CHECK(w.executor.calls[0].target2 == "/data/out/b");
}

TEST_CASE("policy.update is an audited, capability-checked effect, no rollback by replay", "[gate]") {
  gate_world<> w;
  w.load_policy(policy_json);  // revision 1
  const auto admin = w.mint(cap_type::admin, "*", method_set::of(1));  // policy_update
  auto next = w.compile(R"({"fs": {"read": ["/etc/**"]}})", 2);
  effect_request r = w.request("policy.update", "policy", admin);
  r.payload = next;
  auto resp = w.g->authorize_and_execute(*w.s, r);
  REQUIRE(resp.allow);
  CHECK(resp.reason == errc::ok);
  CHECK(w.policies.current().revision() == 2);
  // The gate copied the blob: the agent's buffer may change afterwards.
  std::fill(next.begin(), next.end(), byte{0});
  CHECK(w.run("fs.read", "/etc/hosts", w.mint_all(cap_type::fs, "/**")).allow);
  bool saw_change = false;
  for (const auto& e : w.entries()) saw_change |= e.kind == audit::entry_kind::policy_change &&
                                                  e.policy_hash == w.policies.current().hash();
  CHECK(saw_change);
  // Replaying revision 1 is refused.
  auto old = w.compile(policy_json, 1);
  r.payload = old;
  r.seq = ++w.seq;
  resp = w.g->authorize_and_execute(*w.s, r);
  CHECK(resp.reason == errc::executor_failed);
  CHECK(resp.result.status == errc::policy_rollback);
  CHECK(w.policies.current().revision() == 2);
  // Without the admin capability nothing changes.
  const auto fs_cap = w.mint_all(cap_type::fs, "/**");
  r.capability = fs_cap;
  r.seq = ++w.seq;
  CHECK(w.g->authorize_and_execute(*w.s, r).reason == errc::wrong_type);
  CHECK(w.verify_log().ok());
}

TEST_CASE("every entry of a busy session verifies, denials included", "[gate]") {
  gate_world<> w;
  w.load_policy(policy_json);
  const auto cap = w.mint_all(cap_type::fs, "/**");
  int allowed = 0;
  for (int i = 0; i < 200; ++i) {
    const auto target = i % 3 == 0 ? std::string("/etc/x") : "/data/f" + std::to_string(i);
    allowed += w.run("fs.read", target, cap).allow;
  }
  CHECK(allowed == 133);
  const auto v = w.verify_log();
  CHECK(v.ok());
  CHECK(v.count == 133 * 2 + 67);
}

TEST_CASE("authorize and complete separately: the executor may run elsewhere", "[gate]") {
  gate_world<> w;
  w.load_policy(policy_json);
  const auto cap = w.mint_all(cap_type::tool, "*");
  effect_request a;
  a.op = find_effect("tool.call")->op_code();
  a.target = "web_fetch";
  a.capability = cap;
  a.seq = 1;
  pending_effect first, second;
  const auto r1 = w.g->authorize(*w.s, a, first);
  REQUIRE(r1.allow);
  REQUIRE(first.authorized());
  CHECK(first.target(*w.s) == "web_fetch");
  a.seq = 2;
  a.target = "html_escape";
  const auto r2 = w.g->authorize(*w.s, a, second);  // two effects in flight at once
  REQUIRE(second.authorized());
  CHECK(w.account->in_flight(budget::resource::tool_calls) == 2);
  effect_result done;
  done.output = as_bytes(std::string_view{"page"});
  const auto c2 = w.g->complete(*w.s, second, done, r2);
  CHECK(c2.allow);
  CHECK(c2.outcome_seq > c2.decision_seq);
  const auto c1 = w.g->complete(*w.s, first, done, r1);
  CHECK(c1.reason == errc::ok);
  CHECK(w.account->committed(budget::resource::tool_calls) == 2);
  CHECK(w.account->in_flight(budget::resource::tool_calls) == 0);
  // Completing twice is refused and changes nothing.
  CHECK(w.g->complete(*w.s, first, done, r1).reason == errc::budget_unknown_reservation);
  CHECK(w.account->committed(budget::resource::tool_calls) == 2);
  CHECK(w.executor.calls.empty());  // nothing ran in-process
  CHECK(w.verify_log().ok());
  CHECK(w.entries().size() == 4);
}

TEST_CASE("a failed completion replaces the last denial whole and may carry a digest", "[gate]") {
  gate_world<> w;
  w.load_policy(policy_json);
  const auto cap = w.mint_all(cap_type::fs, "/**");
  REQUIRE(w.run("fs.read", "/data/secret/k", cap).reason == errc::denied_by_rule);  // a denial with a rule
  REQUIRE(w.g->last_denial(*w.s).rule != policy::no_rule);
  const effect_request r = w.request("fs.read", "/data/a", cap);
  pending_effect p;
  const auto authorized = w.g->authorize(*w.s, r, p);
  REQUIRE(p.authorized());
  effect_result failed;
  failed.status = errc::io_error;
  const auto digest = crypto::sha256::hash(std::string_view{"elsewhere"});
  failed.output_hash = digest;
  const auto done = w.g->complete(*w.s, p, failed, authorized);
  CHECK(done.reason == errc::executor_failed);
  const auto& d = w.g->last_denial(*w.s);
  CHECK(d.reason == errc::executor_failed);
  CHECK(d.rule == policy::no_rule);  // not the earlier denial's rule
  CHECK(d.target.empty());
  CHECK(w.entries().back().result_hash == digest);
}

// The request hash is part of the log format (docs/gate.md, "Request hash"): another
// implementation must get the same bytes. Built here from the document with libsodium.
TEST_CASE("the request hash is SHA-256 of the documented encoding", "[gate]") {
  std::vector<unsigned char> doc;
  auto u64 = [&](std::uint64_t v) {
    for (int i = 0; i < 8; ++i) doc.push_back(static_cast<unsigned char>(v >> (8 * i)));
  };
  auto field = [&](std::string_view s) {
    u64(s.size());
    doc.insert(doc.end(), s.begin(), s.end());
  };
  const std::string cap_bytes(137, '\x5a'), payload = "arguments";
  effect_request r;
  r.op = 0x0104;
  r.seq = 42;
  r.version = "1.2.3";
  r.tokens = 7;
  r.labels = 0b101;
  r.cost.set(budget::resource::tokens, 1200);
  r.cost.set(budget::resource::cpu_time_ns, 99);
  r.capability = as_bytes(std::string_view{cap_bytes});
  r.payload = as_bytes(std::string_view{payload});
  const std::string_view domain = "authority.request.v2";
  doc.insert(doc.end(), domain.begin(), domain.end());
  u64(r.op);
  u64(r.seq);
  field("/data/a.txt");
  field("/data/b.txt");
  field("1.2.3");
  u64(7);
  u64(0b101);
  u64(2);  // declared costs, in resource order
  u64(static_cast<std::uint64_t>(budget::resource::tokens));
  u64(1200);
  u64(static_cast<std::uint64_t>(budget::resource::cpu_time_ns));
  u64(99);
  crypto::digest cap_hash{};
  crypto_hash_sha256(cap_hash.data(), reinterpret_cast<const unsigned char*>(cap_bytes.data()), cap_bytes.size());
  doc.insert(doc.end(), cap_hash.begin(), cap_hash.end());
  field(payload);
  unsigned char want[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(want, doc.data(), doc.size());
  const auto got = gate_detail::request_hash(r, "/data/a.txt", "/data/b.txt", cap_hash);
  CHECK(std::equal(got.begin(), got.end(), want));
}

// Through the gate: the decision entry carries the documented hash whether the token is
// new to the verifier, known to its cache (the cached SHA-256 of the token is used) or
// forged (it never enters the cache).
TEST_CASE("decision entries carry the documented request hash, cold, cached and forged tokens", "[gate]") {
  gate_world<> w;
  w.load_policy(policy_json);
  auto documented = [](std::uint64_t seq, std::string_view target, const std::vector<byte>& cap) {
    std::vector<unsigned char> doc;
    auto u64 = [&](std::uint64_t v) {
      for (int i = 0; i < 8; ++i) doc.push_back(static_cast<unsigned char>(v >> (8 * i)));
    };
    const std::string_view domain = "authority.request.v2";
    doc.insert(doc.end(), domain.begin(), domain.end());
    u64(find_effect("fs.read")->op_code());
    u64(seq);
    u64(target.size());
    doc.insert(doc.end(), target.begin(), target.end());
    for (int i = 0; i < 2; ++i) u64(0);  // target2, version
    for (int i = 0; i < 3; ++i) u64(0);  // tokens, labels, no declared costs
    unsigned char cap_hash[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(cap_hash, cap.data(), cap.size());
    doc.insert(doc.end(), cap_hash, cap_hash + sizeof cap_hash);
    u64(0);  // payload
    crypto::digest want{};
    crypto_hash_sha256(want.data(), doc.data(), doc.size());
    return want;
  };
  const auto cap = w.mint(cap_type::fs, "/data/**", method_set::of(1));
  auto forged = cap;
  forged.back() ^= 1;  // the last MAC byte
  const auto cold = w.run("fs.read", "/data/x/../a.txt", cap);
  const auto warm = w.run("fs.read", "/data/a.txt", cap);
  const auto bad = w.run("fs.read", "/data/a.txt", forged);
  REQUIRE(cold.allow);
  REQUIRE(warm.allow);
  REQUIRE(bad.reason == errc::bad_mac);
  const auto log = w.entries();
  REQUIRE(log.size() == 5);  // decision + outcome twice, then the denial
  CHECK(log[0].request_hash == documented(1, "/data/a.txt", cap));  // the canonical target
  CHECK(log[1].request_hash == log[0].request_hash);                 // the outcome repeats it
  CHECK(log[2].request_hash == documented(2, "/data/a.txt", cap));
  CHECK(log[4].request_hash == documented(3, "/data/a.txt", forged));
}
