// INV-1 through the C ABI: request frames into the full gate with a C executor, clock
// and lock; every decision is on the log (durable) before the executor runs; denials,
// replays and frames that do not decode are logged and never executed.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "authority/audit/verify.hpp"
#include "c_abi/c_world.hpp"

using namespace authority;
using namespace authority::c_abi_test;

namespace {

const std::string policy_json = R"({
  "fs": {"read": ["/data/**"], "deny": ["/data/secret/**"]},
  "tools": {"allow": ["email.send"]},
  "budgets": {"tool_calls": 1}
})";

const std::uint8_t log_id[16] = {9, 9};
const std::uint8_t agent_id[16] = {1};
const std::uint8_t run_id[16] = {2};

struct executed {
  std::uint16_t op;
  std::string target;
  std::uint64_t decision_seq;
  std::size_t synced_frames_before;  // frames already durable when the executor ran
  std::string payload;
};

struct c_gate_world {
  issuer is;
  c_keys keys;
  authority_revocation_list revoked{};
  std::vector<unsigned char> revocation_storage = std::vector<unsigned char>(AUTHORITY_REVOCATION_STORAGE_SIZE(16));
  authority_verifier verifier{};
  authority_policy_store policies{};
  std::vector<std::uint8_t> blob;
  memory_log log;
  authority_audit_chain chain{};
  authority_gate gate{};
  authority_budget budget{};
  authority_session session{};
  std::uint64_t now = t0;
  int locks = 0, unlocks = 0;
  std::vector<executed> calls;
  std::string output = "done";
  std::uint16_t status = 0;
  std::uint64_t seq = 0;

  explicit c_gate_world(bool load_policy = true, std::uint8_t mode = AUTHORITY_GATE_ENFORCE) {
    REQUIRE(authority_revocation_list_init(&revoked, revocation_storage.data(), revocation_storage.size(), nullptr) == 0);
    REQUIRE(authority_verifier_init(&verifier, &keys.ring, &revoked, nullptr, 0, nullptr, 0, nullptr) == 0);
    REQUIRE(authority_policy_store_init(&policies) == 0);
    authority_limits limits{};
    for (auto& l : limits.of) l.unlimited = 1;
    if (load_policy) {
      blob = is.compile(policy_json);
      REQUIRE(authority_policy_store_load(&policies, blob.data(), blob.size(), &keys.ring, now, nullptr) == 0);
      authority_policy current;
      REQUIRE(authority_policy_store_current(&policies, &current) == 0);
      REQUIRE(authority_limits_from_policy(&current, &limits) == 0);
    }
    const auto sink = log.sink(true);
    REQUIRE(authority_audit_chain_init(&chain, &sink, log_id) == 0);
    authority_gate_config config{};
    config.verifier = &verifier;
    config.policies = &policies;
    config.keys = &keys.ring;
    config.log = &chain;
    config.executor = {this, [](void* c, const authority_permit* p, const authority_effect_request* r,
                                authority_effect_result* out) {
                         auto* w = static_cast<c_gate_world*>(c);
                         w->calls.push_back({p->op, std::string(p->target, p->target_len), p->decision_seq,
                                             w->log.synced / AUTHORITY_AUDIT_FRAME_SIZE,
                                             std::string(reinterpret_cast<const char*>(r->payload), r->payload_len)});
                         out->output = reinterpret_cast<const std::uint8_t*>(w->output.data());
                         out->output_len = w->output.size();
                         out->status = w->status;
                       }};
    config.clock = {this, [](void* c) { return static_cast<c_gate_world*>(c)->now; }};
    config.lock = {this, [](void* c) { ++static_cast<c_gate_world*>(c)->locks; },
                   [](void* c) { ++static_cast<c_gate_world*>(c)->unlocks; }};
    config.mode = mode;
    REQUIRE(authority_gate_init(&gate, &config, nullptr) == 0);
    REQUIRE(authority_budget_init(&budget, &limits, now) == 0);
    REQUIRE(authority_session_init(&session, agent_id, run_id, &budget) == 0);
  }

  std::vector<std::uint8_t> frame(std::uint16_t op, std::string_view target, const std::vector<std::uint8_t>& cap,
                                  std::uint64_t request_seq, std::string_view payload = "args") {
    authority_effect_request r{};
    r.op = op;
    r.seq = request_seq;
    r.target = target.data();
    r.target_len = target.size();
    r.capability = cap.data();
    r.capability_len = cap.size();
    r.payload = reinterpret_cast<const std::uint8_t*>(payload.data());
    r.payload_len = payload.size();
    std::vector<std::uint8_t> out(1024);
    std::size_t n = 0;
    REQUIRE(authority_request_encode(&r, out.data(), out.size(), &n, nullptr) == 0);
    out.resize(n);
    return out;
  }

  authority_response submit(const std::vector<std::uint8_t>& f) {
    authority_response resp{};
    const int rc = authority_gate_submit(&gate, &session, f.data(), f.size(), &resp);
    CHECK(rc == resp.reason);
    return resp;
  }
  authority_response run(std::uint16_t op, std::string_view target, const std::vector<std::uint8_t>& cap) {
    return submit(frame(op, target, cap, ++seq));
  }

  std::vector<audit::entry> entries() {
    std::vector<audit::entry> out;
    for (std::size_t pos = 0; pos < log.bytes.size(); pos += AUTHORITY_AUDIT_FRAME_SIZE) {
      auto f = audit::read_frame({log.bytes.data() + pos, log.bytes.size() - pos});
      REQUIRE(f);
      auto rec = audit::decode_record(f->payload);
      REQUIRE(rec);
      out.push_back(rec->value);
    }
    return out;
  }
  bool log_verifies() {
    authority_audit_verification v{};
    return authority_audit_verify_frames(log.bytes.data(), log.bytes.size(), log_id, &v) == 0;
  }
};

}  // namespace

TEST_CASE("an allowed effect: decision durable, then the C executor, then the outcome", "[c_abi][gate]") {
  c_gate_world w;
  const auto cap = w.is.mint_fs("/data/**");
  const auto r = w.run(AUTHORITY_EFFECT_FS_READ, "/data/x/../report.txt", cap);
  REQUIRE(r.allow == 1);
  CHECK(r.reason == 0);
  CHECK(r.decision_seq == 1);
  CHECK(r.outcome_seq == 2);
  REQUIRE(w.calls.size() == 1);
  CHECK(w.calls[0].op == AUTHORITY_EFFECT_FS_READ);
  CHECK(w.calls[0].target == "/data/report.txt");  // canonical: what was checked is what runs
  CHECK(w.calls[0].decision_seq == 1);
  CHECK(w.calls[0].synced_frames_before == 1);
  CHECK(w.calls[0].payload == "args");
  CHECK(std::string(reinterpret_cast<const char*>(r.result.output), r.result.output_len) == "done");
  const auto log = w.entries();
  REQUIRE(log.size() == 2);
  CHECK(log[0].kind == audit::entry_kind::decision);
  CHECK(log[0].decision == audit::verdict::allow);
  CHECK(log[1].kind == audit::entry_kind::outcome);
  CHECK(log[1].result_hash == crypto::sha256::hash(std::string_view{"done"}));
  CHECK(w.log_verifies());
  CHECK(w.locks > 0);
  CHECK(w.locks == w.unlocks);
  CHECK(authority_gate_closed(&w.gate) == 0);
}

TEST_CASE("denials are logged and never executed, the session remembers why", "[c_abi][gate]") {
  c_gate_world w;
  const auto cap = w.is.mint_fs("/data/**");
  auto r = w.run(AUTHORITY_EFFECT_FS_READ, "/data/secret/key", cap);
  CHECK(r.allow == 0);
  CHECK(r.reason == AUTHORITY_ERR_DENIED_BY_RULE);
  CHECK(r.decision_seq == 1);
  r = w.run(AUTHORITY_EFFECT_FS_READ, "/data/a", {});
  CHECK(r.reason == AUTHORITY_ERR_MISSING_CAPABILITY);
  CHECK(r.needs_capability == 1);
  CHECK(r.needed_type == AUTHORITY_CAP_FS);
  r = w.run(AUTHORITY_EFFECT_FS_READ, "/etc/passwd", w.is.mint_fs("/**"));
  CHECK(r.reason == AUTHORITY_ERR_NOT_ALLOWED);
  CHECK(w.calls.empty());

  authority_denial d{};
  char target[64];
  REQUIRE(authority_session_last_denial(&w.session, &d, target, sizeof target) == 0);
  CHECK(d.present == 1);
  CHECK(d.reason == AUTHORITY_ERR_NOT_ALLOWED);
  CHECK(d.op == AUTHORITY_EFFECT_FS_READ);
  CHECK(std::string(target, d.target_len) == "/etc/passwd");
  CHECK(w.entries().size() == 3);
  CHECK(w.log_verifies());
}

TEST_CASE("replays, sequence 0 and frames that do not decode are refused and logged", "[c_abi][gate]") {
  c_gate_world w;
  const auto cap = w.is.mint_fs("/data/**");
  const auto first = w.frame(AUTHORITY_EFFECT_FS_READ, "/data/a", cap, 1);
  CHECK(w.submit(first).allow == 1);
  CHECK(w.submit(first).reason == AUTHORITY_ERR_SEQUENCE_REPLAY);
  CHECK(w.submit(w.frame(AUTHORITY_EFFECT_FS_READ, "/data/a", cap, 0)).reason == AUTHORITY_ERR_SEQUENCE_ORDER);
  CHECK(w.submit(w.frame(0x0999, "/data/a", cap, 5)).reason == AUTHORITY_ERR_UNKNOWN_EFFECT);

  auto bad_crc = w.frame(AUTHORITY_EFFECT_FS_READ, "/data/a", cap, 6);
  bad_crc.back() ^= 1;
  const auto r = w.submit(bad_crc);
  CHECK(r.reason == AUTHORITY_ERR_BAD_CHECKSUM);
  CHECK(r.allow == 0);
  CHECK(r.decision_seq > 0);
  std::vector<std::uint8_t> garbage{'n', 'o', 'p', 'e'};
  CHECK(w.submit(garbage).reason == AUTHORITY_ERR_BAD_MAGIC);
  CHECK(w.submit({}).reason == AUTHORITY_ERR_TRUNCATED);
  CHECK(w.calls.size() == 1);

  const auto log = w.entries();
  REQUIRE(log.size() == 2 + 6);  // the allowed effect, then one fault per refusal
  CHECK(log[5].reason == errc::bad_checksum);
  CHECK(log[6].kind == audit::entry_kind::agent_fault);
  CHECK(log[6].reason == errc::bad_magic);
  CHECK(log[6].request_hash == crypto::sha256::hash(bytes_view{garbage}));
  CHECK(log[6].agent_id == audit::id16{1});
  CHECK(w.log_verifies());

  authority_effect_request decoded{};
  authority_error err{};
  CHECK(authority_request_decode(bad_crc.data(), bad_crc.size(), &decoded, &err) == AUTHORITY_ERR_BAD_CHECKSUM);
  CHECK(std::string(err.field) == "crc");
  REQUIRE(authority_request_decode(first.data(), first.size(), &decoded, &err) == 0);
  CHECK(std::string(decoded.target, decoded.target_len) == "/data/a");
  CHECK(decoded.seq == 1);
}

TEST_CASE("the budget the policy declares is enforced by the gate", "[c_abi][gate]") {
  c_gate_world w;
  const auto tool = w.is.mint({capability::cap_type::tool, "*", capability::method_set::everything(), 3'600'000, {}, {}});
  CHECK(w.run(AUTHORITY_EFFECT_TOOL_CALL, "email.send", tool).allow == 1);
  const auto r = w.run(AUTHORITY_EFFECT_TOOL_CALL, "email.send", tool);
  CHECK(r.allow == 0);
  CHECK(r.reason == AUTHORITY_ERR_BUDGET_EXCEEDED);
  authority_budget_usage u{};
  REQUIRE(authority_budget_get_usage(&w.budget, AUTHORITY_RESOURCE_TOOL_CALLS, &u) == 0);
  CHECK(u.committed == 1);
  CHECK(w.calls.size() == 1);
}

TEST_CASE("an executor failure, an unknown status, and no policy at all", "[c_abi][gate]") {
  c_gate_world w;
  const auto cap = w.is.mint_fs("/data/**");
  w.status = AUTHORITY_ERR_IO_ERROR;
  auto r = w.run(AUTHORITY_EFFECT_FS_READ, "/data/a", cap);
  CHECK(r.allow == 1);  // it was allowed and ran ...
  CHECK(r.reason == AUTHORITY_ERR_EXECUTOR_FAILED);  // ... and failed
  CHECK(r.result.status == AUTHORITY_ERR_IO_ERROR);
  w.status = 4242;
  r = w.run(AUTHORITY_EFFECT_FS_READ, "/data/a", cap);
  CHECK(r.result.status == AUTHORITY_ERR_EXECUTOR_FAILED);
  CHECK(w.entries().back().reason == errc::executor_failed);

  c_gate_world empty(false);
  r = empty.run(AUTHORITY_EFFECT_FS_READ, "/data/a", empty.is.mint_fs("/data/**"));
  CHECK(r.reason == AUTHORITY_ERR_NO_POLICY);
  CHECK(empty.calls.empty());
}

TEST_CASE("record mode allows a policy denial and logs its reason", "[c_abi][gate]") {
  c_gate_world w(true, AUTHORITY_GATE_RECORD);
  const auto r = w.run(AUTHORITY_EFFECT_FS_READ, "/etc/hosts", w.is.mint_fs("/**"));
  CHECK(r.allow == 1);
  CHECK(r.recorded == 1);
  CHECK(w.entries().front().reason == errc::not_allowed);
  // A capability failure is never recorded-through.
  CHECK(w.run(AUTHORITY_EFFECT_FS_READ, "/etc/hosts", w.is.mint_fs("/data/**")).allow == 0);
}

TEST_CASE("when the log fails the gate closes and denies everything", "[c_abi][gate]") {
  c_gate_world w;
  const auto cap = w.is.mint_fs("/data/**");
  w.log.appends_left = 1;  // the decision goes in, the outcome does not
  auto r = w.run(AUTHORITY_EFFECT_FS_READ, "/data/a", cap);
  CHECK(r.outcome_seq == 0);
  CHECK(authority_gate_closed(&w.gate) == 1);
  w.log.appends_left = 100;
  r = w.run(AUTHORITY_EFFECT_FS_READ, "/data/a", cap);
  CHECK(r.allow == 0);
  CHECK(r.reason == AUTHORITY_ERR_SINK_FAILURE);
  CHECK(w.calls.size() == 1);
}

TEST_CASE("gate configuration is checked", "[c_abi][gate]") {
  c_gate_world w;
  authority_gate_config config{};
  authority_gate g;
  authority_error err{};
  CHECK(authority_gate_init(&g, &config, &err) == AUTHORITY_ERR_INVALID_ARGUMENT);
  CHECK(std::string(err.field) == "verifier");
  config.verifier = &w.verifier;
  config.policies = &w.policies;
  config.keys = &w.keys.ring;
  config.log = &w.chain;
  CHECK(authority_gate_init(&g, &config, &err) == AUTHORITY_ERR_INVALID_ARGUMENT);
  CHECK(std::string(err.field) == "executor");
  config.executor.execute = [](void*, const authority_permit*, const authority_effect_request*,
                               authority_effect_result*) {};
  config.clock.now_ns = [](void*) -> std::uint64_t { return 0; };
  config.mode = 7;
  CHECK(authority_gate_init(&g, &config, &err) == AUTHORITY_ERR_INVALID_ARGUMENT);
  CHECK(std::string(err.field) == "mode");
  config.mode = AUTHORITY_GATE_ENFORCE;
  config.lock.lock = [](void*) {};
  CHECK(authority_gate_init(&g, &config, &err) == AUTHORITY_ERR_INVALID_ARGUMENT);
  CHECK(std::string(err.field) == "lock");
  config.lock.lock = nullptr;
  CHECK(authority_gate_init(&g, &config, &err) == 0);
}
