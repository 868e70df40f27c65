// INV-4 through the C ABI: a chain over caller sink callbacks, durable appends, the head
// hash, fail-closed sinks, and verification of whole streams and of streams fed in pieces.
#include <catch2/catch.hpp>

#include <vector>

#include "authority/audit/verify.hpp"
#include "c_abi/c_world.hpp"

using namespace authority;
using namespace authority::c_abi_test;

namespace {

const std::uint8_t log_id[16] = {7, 7, 7};

authority_audit_record record(std::uint8_t kind, std::uint8_t decision, std::uint16_t op, std::uint64_t time) {
  authority_audit_record r{};
  r.kind = kind;
  r.decision = decision;
  r.op = op;
  r.time_ns = time;
  r.agent_id[0] = 1;
  r.request_hash[0] = 0xaa;
  return r;
}

// The header a log stream starts with, then the frames the sink received.
std::vector<std::uint8_t> stream_of(const memory_log& log) {
  std::vector<std::uint8_t> s(AUTHORITY_AUDIT_LOG_HEADER_SIZE);
  REQUIRE(authority_audit_log_header(log_id, s.data()) == 0);
  s.insert(s.end(), log.bytes.begin(), log.bytes.end());
  return s;
}

}  // namespace

TEST_CASE("two durable appends: sequence, head hash and a stream that verifies", "[c_abi][audit]") {
  memory_log log;
  const auto sink = log.sink(true);
  authority_audit_chain chain;
  REQUIRE(authority_audit_chain_init(&chain, &sink, log_id) == 0);

  authority_audit_head head{};
  REQUIRE(authority_audit_chain_head(&chain, &head) == 0);
  CHECK(head.seq == 0);
  const auto genesis = audit::genesis(audit::id16{7, 7, 7});
  CHECK(std::equal(std::begin(head.hash), std::end(head.hash), genesis.begin()));

  authority_audit_head first{}, second{};
  auto r = record(AUTHORITY_AUDIT_DECISION, AUTHORITY_AUDIT_ALLOW, AUTHORITY_EFFECT_FS_READ, t0);
  REQUIRE(authority_audit_append_durable(&chain, &r, &first, nullptr) == 0);
  r = record(AUTHORITY_AUDIT_OUTCOME, AUTHORITY_AUDIT_ALLOW, AUTHORITY_EFFECT_FS_READ, t0 + 1);
  REQUIRE(authority_audit_append_durable(&chain, &r, &second, nullptr) == 0);
  CHECK(first.seq == 1);
  CHECK(second.seq == 2);
  CHECK(log.bytes.size() == 2 * AUTHORITY_AUDIT_FRAME_SIZE);
  CHECK(log.synced == log.bytes.size());
  CHECK(log.syncs == 2);
  CHECK(log.locks == log.unlocks);
  CHECK(log.locks >= 2);

  const auto stream = stream_of(log);
  authority_audit_verification v{};
  REQUIRE(authority_audit_verify_log(stream.data(), stream.size(), &v) == 0);
  CHECK(v.count == 2);
  CHECK(std::equal(std::begin(v.head), std::end(v.head), std::begin(second.hash)));
  CHECK(v.valid_bytes == stream.size());
  // The C++ verifier agrees about the same bytes.
  const auto cpp = audit::verify_log(stream);
  CHECK(cpp.ok());
  CHECK(std::equal(cpp.head.begin(), cpp.head.end(), std::begin(v.head)));

  authority_audit_verification frames{};
  REQUIRE(authority_audit_verify_frames(log.bytes.data(), log.bytes.size(), log_id, &frames) == 0);
  CHECK(frames.count == 2);
  const std::uint8_t other_log[16] = {8};
  CHECK(authority_audit_verify_frames(log.bytes.data(), log.bytes.size(), other_log, &frames) ==
        AUTHORITY_ERR_CHAIN_BROKEN);
  CHECK(frames.bad_seq == 1);
}

TEST_CASE("one flipped bit anywhere is found at its sequence number", "[c_abi][audit]") {
  memory_log log;
  const auto sink = log.sink();
  authority_audit_chain chain;
  REQUIRE(authority_audit_chain_init(&chain, &sink, log_id) == 0);
  for (std::uint64_t i = 0; i < 3; ++i) {
    auto r = record(AUTHORITY_AUDIT_DECISION, AUTHORITY_AUDIT_DENY, AUTHORITY_EFFECT_NET_CONNECT, t0 + i);
    REQUIRE(authority_audit_append(&chain, &r, nullptr, nullptr) == 0);
  }
  REQUIRE(authority_audit_sync(&chain, nullptr) == 0);
  const auto good = stream_of(log);
  const std::size_t header = AUTHORITY_AUDIT_LOG_HEADER_SIZE, frame = AUTHORITY_AUDIT_FRAME_SIZE;
  for (std::size_t at : {header + 20, header + frame + 100, good.size() - 1}) {
    auto bad = good;
    bad[at] ^= 0x01;
    authority_audit_verification v{};
    CHECK(authority_audit_verify_log(bad.data(), bad.size(), &v) != 0);
    CHECK(v.bad_seq == 1 + (at - AUTHORITY_AUDIT_LOG_HEADER_SIZE) / AUTHORITY_AUDIT_FRAME_SIZE);
    CHECK(v.byte_offset == AUTHORITY_AUDIT_LOG_HEADER_SIZE + (v.bad_seq - 1) * AUTHORITY_AUDIT_FRAME_SIZE);
  }
  // A truncated tail, and a deleted middle entry.
  authority_audit_verification v{};
  CHECK(authority_audit_verify_log(good.data(), good.size() - 5, &v) == AUTHORITY_ERR_TRUNCATED);
  CHECK(v.count == 2);
  auto deleted = good;
  deleted.erase(deleted.begin() + AUTHORITY_AUDIT_LOG_HEADER_SIZE + AUTHORITY_AUDIT_FRAME_SIZE,
                deleted.begin() + AUTHORITY_AUDIT_LOG_HEADER_SIZE + 2 * AUTHORITY_AUDIT_FRAME_SIZE);
  CHECK(authority_audit_verify_log(deleted.data(), deleted.size(), &v) == AUTHORITY_ERR_SEQUENCE_GAP);
  CHECK(v.bad_seq == 2);
  CHECK(std::string(v.field) == "seq");
}

TEST_CASE("the incremental verifier, fed byte by byte, ends where the whole-stream one does", "[c_abi][audit]") {
  memory_log log;
  const auto sink = log.sink();
  authority_audit_chain chain;
  REQUIRE(authority_audit_chain_init(&chain, &sink, log_id) == 0);
  for (std::uint64_t i = 0; i < 4; ++i) {
    auto r = record(AUTHORITY_AUDIT_DECISION, AUTHORITY_AUDIT_ALLOW, AUTHORITY_EFFECT_TOOL_CALL, t0 + i);
    REQUIRE(authority_audit_append_durable(&chain, &r, nullptr, nullptr) == 0);
  }
  authority_audit_head expected{};
  REQUIRE(authority_audit_chain_head(&chain, &expected) == 0);

  authority_audit_verifier v;
  REQUIRE(authority_audit_verifier_init(&v, log_id) == 0);
  std::vector<std::uint8_t> pending;
  for (std::uint8_t b : log.bytes) {
    pending.push_back(b);
    std::size_t used = 0;
    REQUIRE(authority_audit_verifier_feed(&v, pending.data(), pending.size(), &used, nullptr) == 0);
    pending.erase(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(used));
  }
  CHECK(pending.empty());
  authority_audit_head head{};
  REQUIRE(authority_audit_verifier_head(&v, &head) == 0);
  CHECK(head.seq == 4);
  CHECK(std::equal(std::begin(head.hash), std::end(head.hash), std::begin(expected.hash)));

  // Damage latches: later good bytes do not clear it.
  authority_audit_verifier damaged;
  REQUIRE(authority_audit_verifier_init(&damaged, log_id) == 0);
  auto bad = log.bytes;
  bad[AUTHORITY_AUDIT_FRAME_SIZE + 50] ^= 0x10;
  std::size_t used = 0;
  authority_error err{};
  CHECK(authority_audit_verifier_feed(&damaged, bad.data(), bad.size(), &used, &err) == AUTHORITY_ERR_BAD_CHECKSUM);
  CHECK(used == AUTHORITY_AUDIT_FRAME_SIZE);
  CHECK(authority_audit_verifier_feed(&damaged, log.bytes.data(), AUTHORITY_AUDIT_FRAME_SIZE, &used, &err) ==
        AUTHORITY_ERR_BAD_CHECKSUM);
  CHECK(authority_audit_verifier_head(&damaged, &head) == AUTHORITY_ERR_BAD_CHECKSUM);
  CHECK(head.seq == 1);
}

TEST_CASE("a sink that fails closes the chain, a full sink says log_full", "[c_abi][audit]") {
  memory_log log;
  log.appends_left = 1;
  auto sink = log.sink();
  authority_audit_chain chain;
  REQUIRE(authority_audit_chain_init(&chain, &sink, log_id) == 0);
  auto r = record(AUTHORITY_AUDIT_DECISION, AUTHORITY_AUDIT_ALLOW, AUTHORITY_EFFECT_FS_READ, t0);
  REQUIRE(authority_audit_append_durable(&chain, &r, nullptr, nullptr) == 0);
  authority_error err{};
  CHECK(authority_audit_append_durable(&chain, &r, nullptr, &err) == AUTHORITY_ERR_SINK_FAILURE);
  log.appends_left = 100;  // the sink recovers; the chain stays closed
  CHECK(authority_audit_append_durable(&chain, &r, nullptr, &err) == AUTHORITY_ERR_SINK_FAILURE);
  authority_audit_head head{};
  REQUIRE(authority_audit_chain_head(&chain, &head) == 0);
  CHECK(head.seq == 1);

  memory_log full;
  full.appends_left = 0;
  full.fail_with = AUTHORITY_ERR_LOG_FULL;
  sink = full.sink();
  REQUIRE(authority_audit_chain_init(&chain, &sink, log_id) == 0);
  CHECK(authority_audit_append(&chain, &r, nullptr, &err) == AUTHORITY_ERR_LOG_FULL);

  // Any other number from the callback is a sink failure, not a made-up code.
  memory_log odd;
  odd.appends_left = 0;
  odd.fail_with = 12345;
  sink = odd.sink();
  REQUIRE(authority_audit_chain_init(&chain, &sink, log_id) == 0);
  CHECK(authority_audit_append(&chain, &r, nullptr, &err) == AUTHORITY_ERR_SINK_FAILURE);
}

TEST_CASE("a chain resumes after a verified head, bad records and sinks are refused", "[c_abi][audit]") {
  memory_log log;
  const auto sink = log.sink();
  authority_audit_chain chain;
  REQUIRE(authority_audit_chain_init(&chain, &sink, log_id) == 0);
  auto r = record(AUTHORITY_AUDIT_AGENT_START, AUTHORITY_AUDIT_ALLOW, 0, t0);
  authority_audit_head head{};
  REQUIRE(authority_audit_append_durable(&chain, &r, &head, nullptr) == 0);

  authority_audit_chain resumed;
  REQUIRE(authority_audit_chain_resume(&resumed, &sink, &head) == 0);
  r = record(AUTHORITY_AUDIT_AGENT_EXIT, AUTHORITY_AUDIT_ALLOW, 0, t0 + 1);
  authority_audit_head next{};
  REQUIRE(authority_audit_append_durable(&resumed, &r, &next, nullptr) == 0);
  CHECK(next.seq == 2);
  const auto stream = stream_of(log);
  authority_audit_verification v{};
  CHECK(authority_audit_verify_log(stream.data(), stream.size(), &v) == 0);
  CHECK(v.count == 2);

  authority_error err{};
  r.kind = 0;
  CHECK(authority_audit_append(&resumed, &r, nullptr, &err) == AUTHORITY_ERR_OUT_OF_RANGE);
  CHECK(field_of(err) == "kind");
  r.kind = AUTHORITY_AUDIT_DECISION;
  r.decision = 2;
  CHECK(authority_audit_append(&resumed, &r, nullptr, &err) == AUTHORITY_ERR_OUT_OF_RANGE);
  CHECK(field_of(err) == "decision");

  authority_audit_sink half = sink;
  half.lock = [](void*) {};
  CHECK(authority_audit_chain_init(&chain, &half, log_id) == AUTHORITY_ERR_INVALID_ARGUMENT);
  authority_audit_sink none{};
  CHECK(authority_audit_chain_init(&chain, &none, log_id) == AUTHORITY_ERR_INVALID_ARGUMENT);
}
