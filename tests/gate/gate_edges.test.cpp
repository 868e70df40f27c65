// The gate's less-travelled paths, through its public entry points: policy.update's
// blob slots, a policy change the log cannot take (the gate closes), second paths where
// an effect has none, and fs.rename destinations that are malformed or refused.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "gate/fixture.hpp"

using namespace authority;
using namespace authority::testing;
using capability::cap_type;
using capability::method_set;

namespace {

const std::string base_policy = R"({"fs": {"read": ["/data/**"], "write": ["/data/out/**"]}})";

// A policy whose revision shows in what it allows: /rN/** is readable.
std::string revision_policy(int n) { return R"({"fs": {"read": ["/r)" + std::to_string(n) + R"(/**"]}})"; }

template <class Sink>
effect_request policy_update(gate_world<Sink>& w, const std::vector<byte>& admin, bytes_view blob) {
  effect_request r = w.request("policy.update", "policy", admin);
  r.payload = blob;
  return r;
}

}  // namespace

TEST_CASE("policy.update rotates through its slots without overwriting the current or previous policy",
          "[gate][policy_update]") {
  gate_world<> w;
  w.load_policy(base_policy);  // revision 1, held by the fixture (not in a gate slot)
  const auto admin = w.mint(cap_type::admin, "*", method_set::of(1));  // policy_update
  const auto fs = w.mint_all(cap_type::fs, "/**");
  // Five updates through three slots: each must land in the slot that is neither the
  // current nor the previous policy.
  for (int rev = 2; rev <= 6; ++rev) {
    auto blob = w.compile(revision_policy(rev), static_cast<std::uint64_t>(rev));
    const auto resp = w.g->authorize_and_execute(*w.s, policy_update(w, admin, blob));
    REQUIRE(resp.allow);
    REQUIRE(resp.reason == errc::ok);
    REQUIRE(w.policies.current().revision() == static_cast<std::uint64_t>(rev));
    std::fill(blob.begin(), blob.end(), byte{0});  // the agent's buffer is not what the store holds
  }
  CHECK(w.run("fs.read", "/r6/a", fs).allow);
  CHECK(w.run("fs.read", "/r5/a", fs).reason == errc::not_allowed);
  // The previous policy's bytes are intact: stepping back to it gives revision 5's rules.
  REQUIRE(w.policies.has_previous());
  CHECK(w.policies.previous().revision() == 5);
  REQUIRE(w.policies.rollback().ok());
  CHECK(w.policies.current().revision() == 5);
  CHECK(w.run("fs.read", "/r5/a", fs).allow);
  CHECK(w.run("fs.read", "/r6/a", fs).reason == errc::not_allowed);
  CHECK(w.verify_log().ok());
  int changes = 0;
  for (const auto& e : w.entries()) changes += e.kind == audit::entry_kind::policy_change;
  CHECK(changes == 5);
}

TEST_CASE("policy.update fails with capacity_exceeded when no slot can hold the blob", "[gate][policy_update]") {
  gate_world<> w;
  w.load_policy(base_policy);
  const auto admin = w.mint(cap_type::admin, "*", method_set::of(1));
  const auto before = w.policies.current().hash();

  SECTION("a blob larger than every slot") {
    const std::vector<byte> huge(65536 + 1, byte{0x42});
    const auto resp = w.g->authorize_and_execute(*w.s, policy_update(w, admin, huge));
    CHECK(resp.allow);  // authorized and logged; the update itself failed
    CHECK(resp.reason == errc::executor_failed);
    CHECK(resp.result.status == errc::capacity_exceeded);
  }
  SECTION("a gate given no slots") {
    gate_parts parts{&w.verifier, &w.policies, &w.keys};  // policy_slots left empty
    gate<audit::chain<test_sink>, recording_executor<test_sink>, manual_clock> bare(parts, w.log, w.executor, w.clock);
    const auto blob = w.compile(revision_policy(2), 2);
    const auto resp = bare.authorize_and_execute(*w.s, policy_update(w, admin, blob));
    CHECK(resp.reason == errc::executor_failed);
    CHECK(resp.result.status == errc::capacity_exceeded);
  }
  CHECK(w.policies.current().hash() == before);
  CHECK(w.policies.current().revision() == 1);
  CHECK_FALSE(w.g->closed());
  const auto log = w.entries();
  REQUIRE(log.size() == 2);
  CHECK(log[1].kind == audit::entry_kind::outcome);
  CHECK(log[1].decision == audit::verdict::deny);
  CHECK(log[1].reason == errc::capacity_exceeded);
  CHECK(w.verify_log().ok());
}

TEST_CASE("policy.update with a blob that does not verify changes nothing", "[gate][policy_update]") {
  gate_world<> w;
  w.load_policy(base_policy);
  const auto admin = w.mint(cap_type::admin, "*", method_set::of(1));
  auto blob = w.compile(revision_policy(2), 2);
  blob[blob.size() / 2] ^= 0x01;  // one flipped bit inside the signed bytes
  const auto resp = w.g->authorize_and_execute(*w.s, policy_update(w, admin, blob));
  CHECK(resp.reason == errc::executor_failed);
  CHECK(resp.result.status != errc::ok);
  CHECK(w.policies.current().revision() == 1);
  CHECK_FALSE(w.g->closed());
  for (const auto& e : w.entries()) CHECK(e.kind != audit::entry_kind::policy_change);
}

TEST_CASE("a policy change the log cannot take closes the gate and leaves the old policy in force",
          "[gate][policy_update]") {
  gate_world<failing_sink> w;
  w.load_policy(base_policy);
  const auto admin = w.mint(cap_type::admin, "*", method_set::of(1));
  const auto fs = w.mint(cap_type::fs, "/**", method_set::of(1));  // read
  const auto before = w.policies.current().hash();
  const auto blob = w.compile(R"({"fs": {"read": ["/**"]}})", 2);
  w.sink->budget = 1;  // the update's decision is logged; its policy_change entry is not
  const auto resp = w.g->authorize_and_execute(*w.s, policy_update(w, admin, blob));
  CHECK(resp.result.status == errc::sink_failure);
  CHECK(resp.reason == errc::executor_failed);
  CHECK(resp.outcome_seq == 0);  // the closed gate logged no outcome either
  CHECK(w.g->closed());
  CHECK(w.g->closed_reason() == errc::sink_failure);
  CHECK(w.policies.current().hash() == before);  // staged, never committed
  CHECK(w.policies.current().revision() == 1);
  // Closed for good, even once the sink recovers, and nothing runs.
  w.sink->budget = 100;
  CHECK(w.run("fs.read", "/data/a", fs).reason == errc::sink_failure);
  CHECK(w.executor.calls.empty());
  // What did reach the log is a valid chain ending at the update's decision.
  const auto log = w.entries();
  REQUIRE_FALSE(log.empty());
  CHECK(log.back().kind == audit::entry_kind::decision);
  CHECK(log.back().op == find_effect("policy.update")->op_code());
  CHECK(w.verify_log().ok());
}

TEST_CASE("load_policy refuses a blob whose change cannot be logged", "[gate][policy_update]") {
  gate_world<failing_sink> w;
  w.load_policy(base_policy);
  const auto blob = w.compile(R"({"fs": {"read": ["/**"]}})", 2);
  w.sink->budget = 0;
  const auto change = w.g->load_policy(blob);
  REQUIRE_FALSE(change.ok());
  CHECK(change.code() == errc::sink_failure);
  CHECK(w.policies.current().revision() == 1);
  CHECK(w.g->closed());
}

TEST_CASE("a second path is refused on effects that have none", "[gate]") {
  gate_world<> w;
  w.load_policy(base_policy);
  const auto cap = w.mint_all(cap_type::fs, "/**");
  const auto resp = w.g->authorize_and_execute(*w.s, w.request("fs.read", "/data/a", cap, "/data/b"));
  CHECK_FALSE(resp.allow);
  CHECK(resp.reason == errc::invalid_argument);
  CHECK(w.executor.calls.empty());
  CHECK(w.g->last_denial(*w.s).reason == errc::invalid_argument);
  const auto log = w.entries();
  REQUIRE(log.size() == 1);
  CHECK(log[0].kind == audit::entry_kind::agent_fault);
  CHECK(log[0].reason == errc::invalid_argument);
  // Without the second path the same request goes through.
  CHECK(w.g->authorize_and_execute(*w.s, w.request("fs.read", "/data/a", cap)).allow);
}

TEST_CASE("fs.rename: a malformed or refused destination stops the rename", "[gate]") {
  gate_world<> w;
  w.load_policy(base_policy);  // write: /data/out/** only
  effect_request r;
  r.op = find_effect("fs.rename")->op_code();
  r.target = "/data/out/a";
  auto rename_to = [&](std::string_view destination, const std::vector<byte>& cap) {
    r.target2 = destination;
    r.capability = cap;
    r.seq = ++w.seq;
    return w.g->authorize_and_execute(*w.s, r);
  };
  const auto everywhere = w.mint_all(cap_type::fs, "/**");

  SECTION("a relative destination is rejected before judgement") {
    const auto resp = rename_to("out/b", everywhere);
    CHECK(resp.reason == errc::invalid_path);
    CHECK(w.entries().back().kind == audit::entry_kind::agent_fault);
  }
  SECTION("a destination with a NUL byte is rejected before judgement") {
    const auto resp = rename_to(std::string_view("/data/out/b\0/../../../etc/x", 27), everywhere);
    CHECK(resp.reason == errc::invalid_path);
  }
  SECTION("a destination outside the policy's write rules") {
    const auto resp = rename_to("/data/b", everywhere);  // the capability covers it, the policy does not
    CHECK(resp.reason == errc::not_allowed);
    CHECK_FALSE(resp.needs_capability);
    CHECK(w.entries().back().kind == audit::entry_kind::decision);
    CHECK(w.entries().back().decision == audit::verdict::deny);
  }
  SECTION("a destination outside the capability") {
    const auto out_only = w.mint(cap_type::fs, "/data/out/*", method_set::everything());
    const auto resp = rename_to("/data/out/sub/b", out_only);  // the policy allows it, the capability does not
    CHECK(resp.reason == errc::resource_not_covered);
    CHECK(resp.needs_capability);
    CHECK(resp.needed_type == cap_type::fs);
  }
  SECTION("the source refused, the destination allowed") {
    r.target = "/data/a";
    const auto resp = rename_to("/data/out/b", everywhere);
    CHECK(resp.reason == errc::not_allowed);
  }
  CHECK(w.executor.calls.empty());
  // The same rename with a destination both allow goes through.
  r.target = "/data/out/a";
  const auto ok = rename_to("/data/out/b", everywhere);
  CHECK(ok.allow);
  REQUIRE(w.executor.calls.size() == 1);
  CHECK(w.executor.calls[0].target2 == "/data/out/b");
  CHECK(w.verify_log().ok());
}

// When only the destination of a rename is refused, the denial (and its suggested policy
// fix) must name the destination: the source is allowed, so naming it would point the
// agent's "why?" at the wrong path.
TEST_CASE("a rename refused for its destination names the destination in the denial", "[gate]") {
  gate_world<> w;
  w.load_policy(base_policy);
  effect_request r;
  r.op = find_effect("fs.rename")->op_code();
  r.seq = ++w.seq;
  SECTION("refused by the policy") {
    r.target = "/data/out/a";
    r.target2 = "/data/b";
    const auto cap = w.mint_all(cap_type::fs, "/**");
    r.capability = cap;
    REQUIRE(w.g->authorize_and_execute(*w.s, r).reason == errc::not_allowed);
    const auto& d = w.g->last_denial(*w.s);
    CHECK(d.target == std::string_view{"/data/b"});
    char buf[512];
    const auto snippet = w.g->suggestion(d, buf);
    REQUIRE(snippet.ok());
    CHECK(snippet->find("/data/b") != std::string_view::npos);
  }
  SECTION("refused by the capability") {
    r.target = "/data/out/a";
    r.target2 = "/data/out/c";
    const auto cap = w.mint_all(cap_type::fs, "/data/out/a");
    r.capability = cap;
    const auto resp = w.g->authorize_and_execute(*w.s, r);
    REQUIRE(resp.reason == errc::resource_not_covered);
    CHECK(resp.needs_capability);
    CHECK(w.g->last_denial(*w.s).target == std::string_view{"/data/out/c"});
  }
  CHECK(w.executor.calls.empty());
  CHECK(w.verify_log().ok());
}
