// Policies and budgets (INV-3) through the C ABI: a compiled blob opens only with its
// MAC, evaluates deny-by-default with the library's reasons, its budget limits feed an
// account, and reserve/commit/release keep in-flight plus committed within the limit.
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include "c_abi/c_world.hpp"

using namespace authority;
using namespace authority::c_abi_test;

namespace {

const std::string policy_json = R"({
  "version": "1.0",
  "fs": {"read": ["/data/**"], "write": ["/data/out/**"], "deny": ["/data/secret/**"]},
  "tools": {"allow": ["email.send"]},
  "budgets": {"tool_calls": 3, "tokens": 0, "heap_bytes": "unlimited"}
})";

int evaluate(const authority_policy& p, std::uint8_t op, std::string_view target, authority_policy_decision* d = nullptr) {
  authority_policy_request r{};
  r.op = op;
  r.target = target.data();
  r.target_len = target.size();
  return authority_policy_evaluate(&p, &r, d);
}

authority_costs costs_of(std::initializer_list<std::pair<int, std::uint64_t>> items) {
  authority_costs c{};
  for (const auto& [r, amount] : items) c.of[r] = amount;
  return c;
}

// authority_costs by value into the C calls (they take pointers).
int reserve(authority_budget* b, const authority_costs& c, std::uint64_t now, authority_reservation* r,
            authority_error* err) {
  return authority_budget_reserve(b, &c, now, r, err);
}
int commit(authority_budget* b, const authority_reservation* r, const authority_costs& c, authority_error* err) {
  return authority_budget_commit(b, r, &c, err);
}

}  // namespace

TEST_CASE("a compiled policy opens with its MAC and decides like the library", "[c_abi][policy]") {
  issuer is;
  c_keys keys;
  const auto blob = is.compile(policy_json, 7);
  authority_policy p;
  authority_error err{};
  REQUIRE(authority_policy_open(&p, blob.data(), blob.size(), &keys.ring, t0, &err) == AUTHORITY_OK);

  authority_policy_decision d{};
  CHECK(evaluate(p, AUTHORITY_OP_FS_READ, "/data/report.txt", &d) == AUTHORITY_OK);
  CHECK(d.allow == 1);
  CHECK(d.rule != AUTHORITY_NO_RULE);
  CHECK(evaluate(p, AUTHORITY_OP_FS_READ, "/data/secret/key", &d) == AUTHORITY_ERR_DENIED_BY_RULE);
  CHECK(d.allow == 0);
  CHECK(evaluate(p, AUTHORITY_OP_FS_WRITE, "/data/report.txt") == AUTHORITY_ERR_NOT_ALLOWED);
  CHECK(evaluate(p, AUTHORITY_OP_TOOL_CALL, "email.send") == AUTHORITY_OK);
  CHECK(evaluate(p, AUTHORITY_OP_FS_READ, "data/relative") == AUTHORITY_ERR_INVALID_PATH);
  CHECK(evaluate(p, 200, "/data/x") == AUTHORITY_ERR_INVALID_ARGUMENT);

  // The same answers as the C++ evaluator over the same bytes.
  const auto cpp = policy::testing::open_without_mac(blob);
  REQUIRE(cpp);
  policy::request r;
  r.kind = policy::op::fs_read;
  r.target = "/data/secret/key";
  CHECK(static_cast<int>(cpp->evaluate(r).reason) == evaluate(p, AUTHORITY_OP_FS_READ, "/data/secret/key"));

  authority_policy_info info{};
  REQUIRE(authority_policy_get_info(&p, &info) == 0);
  CHECK(info.revision == 7);
  CHECK(info.key_id == 1);
  CHECK(std::equal(std::begin(info.hash), std::end(info.hash), cpp->hash().begin()));

  authority_policy_limit limit{};
  REQUIRE(authority_policy_budget(&p, AUTHORITY_RESOURCE_TOOL_CALLS, &limit) == 0);
  CHECK(limit.state == AUTHORITY_LIMIT_AMOUNT);
  CHECK(limit.amount == 3);
  REQUIRE(authority_policy_budget(&p, AUTHORITY_RESOURCE_HEAP_BYTES, &limit) == 0);
  CHECK(limit.state == AUTHORITY_LIMIT_UNLIMITED);
  REQUIRE(authority_policy_budget(&p, AUTHORITY_RESOURCE_NET_BYTES_IN, &limit) == 0);
  CHECK(limit.state == AUTHORITY_LIMIT_ABSENT);
  CHECK(authority_policy_budget(&p, AUTHORITY_RESOURCE_COUNT, &limit) == AUTHORITY_ERR_OUT_OF_RANGE);
}

TEST_CASE("a damaged or foreign blob does not open, and the object denies everything", "[c_abi][policy]") {
  issuer is;
  c_keys keys;
  auto blob = is.compile(policy_json);
  authority_policy p;
  authority_error err{};

  auto flipped = blob;
  flipped[flipped.size() / 2] ^= 0x20;
  CHECK(authority_policy_open(&p, flipped.data(), flipped.size(), &keys.ring, t0, &err) == AUTHORITY_ERR_POLICY_MAC);
  CHECK(field_of(err) == "mac");
  CHECK(evaluate(p, AUTHORITY_OP_FS_READ, "/data/a") == AUTHORITY_ERR_NO_POLICY);
  authority_policy_info info{};
  CHECK(authority_policy_get_info(&p, &info) == AUTHORITY_ERR_NO_POLICY);

  c_keys other(5, 1);  // same id, another secret
  CHECK(authority_policy_open(&p, blob.data(), blob.size(), &other.ring, t0, &err) == AUTHORITY_ERR_POLICY_MAC);
  c_keys wrong_id(1, 4);
  CHECK(authority_policy_open(&p, blob.data(), blob.size(), &wrong_id.ring, t0, &err) == AUTHORITY_ERR_KEY_UNKNOWN);
  CHECK(authority_policy_open(&p, blob.data(), 10, &keys.ring, t0, &err) == AUTHORITY_ERR_TRUNCATED);
  const std::vector<std::uint8_t> junk(200, 0x5a);
  CHECK(authority_policy_open(&p, junk.data(), junk.size(), &keys.ring, t0, &err) == AUTHORITY_ERR_BAD_MAGIC);
  CHECK(err.offset == 0);
}

TEST_CASE("the policy store refuses rollback to an older revision and can step back once", "[c_abi][policy]") {
  issuer is;
  c_keys keys;
  const auto v2 = is.compile(policy_json, 2);
  const auto v1 = is.compile(R"({"fs": {"read": ["/etc/**"]}})", 1);
  const auto v3 = is.compile(R"({"fs": {"read": ["/etc/**"]}})", 3);
  authority_policy_store store;
  REQUIRE(authority_policy_store_init(&store) == 0);
  authority_policy current;
  CHECK(authority_policy_store_current(&store, &current) == AUTHORITY_ERR_NO_POLICY);
  CHECK(evaluate(current, AUTHORITY_OP_FS_READ, "/data/a") == AUTHORITY_ERR_NO_POLICY);

  REQUIRE(authority_policy_store_load(&store, v2.data(), v2.size(), &keys.ring, t0, nullptr) == 0);
  authority_error err{};
  CHECK(authority_policy_store_load(&store, v1.data(), v1.size(), &keys.ring, t0, &err) == AUTHORITY_ERR_POLICY_ROLLBACK);
  CHECK(field_of(err) == "revision");
  REQUIRE(authority_policy_store_load(&store, v3.data(), v3.size(), &keys.ring, t0, nullptr) == 0);
  REQUIRE(authority_policy_store_current(&store, &current) == 0);
  CHECK(evaluate(current, AUTHORITY_OP_FS_READ, "/etc/hosts") == AUTHORITY_OK);
  REQUIRE(authority_policy_store_rollback(&store, nullptr) == 0);
  REQUIRE(authority_policy_store_current(&store, &current) == 0);
  CHECK(evaluate(current, AUTHORITY_OP_FS_READ, "/data/a") == AUTHORITY_OK);
  CHECK(authority_policy_store_rollback(&store, &err) == AUTHORITY_ERR_NOT_FOUND);
}

TEST_CASE("a budget from the policy: reserve, commit, release, exactly at and one over the limit",
          "[c_abi][budget]") {
  issuer is;
  c_keys keys;
  const auto blob = is.compile(policy_json);
  authority_policy p;
  REQUIRE(authority_policy_open(&p, blob.data(), blob.size(), &keys.ring, t0, nullptr) == 0);
  authority_limits limits{};
  REQUIRE(authority_limits_from_policy(&p, &limits) == 0);
  CHECK(limits.of[AUTHORITY_RESOURCE_TOOL_CALLS].unlimited == 0);
  CHECK(limits.of[AUTHORITY_RESOURCE_TOOL_CALLS].amount == 3);
  CHECK(limits.of[AUTHORITY_RESOURCE_TOKENS].amount == 0);
  CHECK(limits.of[AUTHORITY_RESOURCE_NET_BYTES_IN].unlimited == 1);  // not mentioned

  authority_budget b;
  REQUIRE(authority_budget_init(&b, &limits, t0) == 0);
  authority_reservation r1, r2;
  authority_error err{};
  REQUIRE(reserve(&b, costs_of({{AUTHORITY_RESOURCE_TOOL_CALLS, 2}}), t0, &r1, &err) == 0);
  REQUIRE(reserve(&b, costs_of({{AUTHORITY_RESOURCE_TOOL_CALLS, 1}}), t0, &r2, &err) == 0);
  authority_reservation r3;
  CHECK(reserve(&b, costs_of({{AUTHORITY_RESOURCE_TOOL_CALLS, 1}}), t0, &r3, &err) ==
        AUTHORITY_ERR_BUDGET_EXCEEDED);
  CHECK(field_of(err) == "tool_calls");
  CHECK(reserve(&b, costs_of({{AUTHORITY_RESOURCE_TOKENS, 1}}), t0, &r3, &err) ==
        AUTHORITY_ERR_BUDGET_EXCEEDED);  // a zero budget means zero

  authority_budget_usage u{};
  REQUIRE(authority_budget_get_usage(&b, AUTHORITY_RESOURCE_TOOL_CALLS, &u) == 0);
  CHECK(u.charged == 3);
  CHECK(u.in_flight == 3);
  CHECK(u.remaining == 0);

  REQUIRE(commit(&b, &r1, costs_of({{AUTHORITY_RESOURCE_TOOL_CALLS, 1}}), nullptr) == 0);
  REQUIRE(authority_budget_release(&b, &r2, nullptr) == 0);
  REQUIRE(authority_budget_get_usage(&b, AUTHORITY_RESOURCE_TOOL_CALLS, &u) == 0);
  CHECK(u.committed == 1);
  CHECK(u.in_flight == 0);
  CHECK(u.remaining == 2);
  CHECK(commit(&b, &r1, costs_of({}), &err) == AUTHORITY_ERR_BUDGET_UNKNOWN_RESERVATION);
  CHECK(authority_budget_release(&b, &r2, &err) == AUTHORITY_ERR_BUDGET_UNKNOWN_RESERVATION);

  // Using more than reserved: charged up to the limit, and reported.
  authority_reservation r4;
  REQUIRE(reserve(&b, costs_of({{AUTHORITY_RESOURCE_TOOL_CALLS, 1}}), t0, &r4, nullptr) == 0);
  CHECK(commit(&b, &r4, costs_of({{AUTHORITY_RESOURCE_TOOL_CALLS, 5}}), &err) ==
        AUTHORITY_ERR_BUDGET_EXCEEDED);
  REQUIRE(authority_budget_get_usage(&b, AUTHORITY_RESOURCE_TOOL_CALLS, &u) == 0);
  CHECK(u.committed == 3);
  CHECK(u.remaining == 0);

  REQUIRE(authority_budget_get_usage(&b, AUTHORITY_RESOURCE_HEAP_BYTES, &u) == 0);
  CHECK(u.unlimited == 1);
}

TEST_CASE("a reservation of another budget, or a wall-time cost, is refused", "[c_abi][budget]") {
  authority_limits limits{};
  for (auto& l : limits.of) l.unlimited = 1;
  limits.of[AUTHORITY_RESOURCE_WALL_TIME_MS] = {0, 1000};
  authority_budget a, b;
  REQUIRE(authority_budget_init(&a, &limits, t0) == 0);
  REQUIRE(authority_budget_init(&b, &limits, t0) == 0);
  authority_reservation r;
  REQUIRE(reserve(&a, costs_of({{AUTHORITY_RESOURCE_CALLS, 1}}), t0, &r, nullptr) == 0);
  CHECK(commit(&b, &r, costs_of({}), nullptr) == AUTHORITY_ERR_BUDGET_UNKNOWN_RESERVATION);
  authority_error err{};
  CHECK(reserve(&a, costs_of({{AUTHORITY_RESOURCE_WALL_TIME_MS, 1}}), t0, &r, &err) ==
        AUTHORITY_ERR_INVALID_ARGUMENT);
  CHECK(reserve(&a, costs_of({}), t0 + 1000 * ns_per_ms, &r, &err) == AUTHORITY_ERR_DEADLINE_EXCEEDED);
  CHECK(field_of(err) == "wall_time_ms");
  limits.of[0].unlimited = 2;
  CHECK(authority_budget_init(&a, &limits, t0) == AUTHORITY_ERR_INVALID_ARGUMENT);
}

TEST_CASE("concurrent reservations through the C ABI never exceed the limit", "[c_abi][budget]") {
  authority_limits limits{};
  for (auto& l : limits.of) l.unlimited = 1;  // (a zero wall_time_ms would be a deadline already past)
  limits.of[AUTHORITY_RESOURCE_CALLS] = {0, 1000};
  authority_budget b;
  REQUIRE(authority_budget_init(&b, &limits, t0) == 0);
  std::atomic<int> granted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      const authority_costs one = costs_of({{AUTHORITY_RESOURCE_CALLS, 1}});
      for (int i = 0; i < 400; ++i) {
        authority_reservation r;
        if (authority_budget_reserve(&b, &one, t0, &r, nullptr) != 0) continue;
        ++granted;
        (void)authority_budget_commit(&b, &r, &one, nullptr);
      }
    });
  for (auto& t : threads) t.join();
  authority_budget_usage u{};
  REQUIRE(authority_budget_get_usage(&b, AUTHORITY_RESOURCE_CALLS, &u) == 0);
  CHECK(granted == 1000);
  CHECK(u.committed == 1000);
  CHECK(u.charged == 1000);
}
