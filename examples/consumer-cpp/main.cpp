// consumer-cpp: Authority from C++, built against an installed Authority with
// find_package(authority CONFIG). It uses the freestanding core (capabilities, policy,
// budget, audit chain), the hosted port (libsodium keys and ids, the real clock, the
// durable audit file) and the policy compiler:
//
//   consumer-cpp AUDIT_LOG_PATH
//
// mints a capability, compiles and opens a policy, checks one allowed and two denied
// accesses, spends a budget, appends the decisions to a durable audit file and reads the
// file back verified. Exit status 0 when every step gave the expected answer.
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "authority/audit/chain.hpp"
#include "authority/budget/account.hpp"
#include "authority/capability/issue.hpp"
#include "authority/capability/verify.hpp"
#include "authority/gate.hpp"
#include "authority/hosted/audit_file.hpp"
#include "authority/hosted/platform.hpp"
#include "authority/hosted/policy_compiler.hpp"
#include "authority/hosted/policy_text.hpp"
#include "authority/pattern/path.hpp"

using namespace authority;

namespace {

int failures = 0;

void expect(const char* step, errc got, errc wanted) {
  std::cout << step << ": " << name_of(got) << "\n";
  if (got != wanted) {
    std::cout << "  unexpected: wanted " << name_of(wanted) << "\n";
    ++failures;
  }
}

const char* policy_json = R"({
  "version": "1.0",
  "fs": {"read": ["/data/**"], "deny": ["/data/secret/**"]},
  "budgets": {"tool_calls": 2, "file_bytes": 1000000}
})";

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: " << argv[0] << " AUDIT_LOG_PATH\n";
    return 2;
  }
  if (!hosted::init_sodium()) {
    std::cerr << "libsodium does not initialize\n";
    return 1;
  }
  hosted::system_clock clock;
  hosted::sodium_entropy entropy;
  const time_ns now = clock.now_ns();

  // A fresh issuer key from libsodium's randomness.
  capability::key_ring keys;
  capability::key_secret secret{};
  if (!entropy.fill(secret.data(), secret.size())) return 1;
  expect("key ring", keys.add_active(1, secret, now).code(), errc::ok);

  // A capability to read under /data, for one hour.
  auto token = std::make_unique<capability::token>();
  const capability::grant grant{capability::cap_type::fs, "/data/**", capability::method_set::of(1u << 0),
                                3'600'000, capability::rate_limit::per(10, 60'000), {}};
  expect("mint", capability::mint(keys, grant, now, entropy, *token).code(), errc::ok);
  std::vector<byte> wire(capability::max_token_size);
  const auto encoded = capability::encode(*token, wire);
  if (!encoded) return 1;

  std::vector<capability::revocation_slot> revocation_slots(64);
  capability::revocation_list revoked(revocation_slots);
  std::vector<capability::bucket_slot> buckets(64);
  capability::rate_limiter rates(buckets);
  capability::verifier verifier(keys, revoked, &rates);
  char canonical[pattern::max_path_length];
  const auto target = pattern::canonicalize_path("/data/x/../report.txt", canonical);
  if (!target) return 1;
  capability::token_view view;
  expect("capability fs read /data/report.txt",
         verifier.verify(*encoded, {capability::cap_type::fs, *target, 0, {}}, now, view).code(), errc::ok);
  expect("capability fs read /etc/passwd",
         verifier.verify(*encoded, {capability::cap_type::fs, "/etc/passwd", 0, {}}, now, view).code(),
         errc::resource_not_covered);

  // The policy, compiled from JSON and opened (MAC checked) like a kernel would.
  auto parsed = policy_text::parse_json(policy_json, "consumer.json");
  if (!parsed.ok()) {
    std::cerr << parsed.diagnostics.front().to_string() << "\n";
    return 1;
  }
  auto compiled = hosted::compile_policy(*parsed.ast, keys);
  if (!compiled.ok()) {
    std::cerr << compiled.failure->message << "\n";
    return 1;
  }
  auto opened = policy::compiled_policy::open(compiled.blob, keys, now);
  expect("policy open", opened.code(), errc::ok);
  if (!opened) return 1;
  const auto decide = [&](std::string_view path) {
    policy::request r;
    r.kind = policy::op::fs_read;
    r.target = path;
    return opened->evaluate(r).reason;
  };
  expect("policy fs.read /data/report.txt", decide("/data/report.txt"), errc::ok);
  expect("policy fs.read /data/secret/key", decide("/data/secret/key"), errc::denied_by_rule);

  // The budget the policy declares.
  budget::account account(limits_from_policy(*opened), now);
  const budget::costs one_call{{budget::resource::tool_calls, 1}};
  auto first = account.reserve(one_call, now);
  auto second = account.reserve(one_call, now);
  expect("budget reserve 1", first.code(), errc::ok);
  expect("budget reserve 2", second.code(), errc::ok);
  expect("budget reserve 3", account.reserve(one_call, now).code(), errc::budget_exceeded);
  if (first) expect("budget commit", account.commit(*first, one_call).code(), errc::ok);
  if (second) expect("budget release", account.release(*second).code(), errc::ok);
  std::cout << "budget tool_calls: committed " << account.committed(budget::resource::tool_calls) << ", remaining "
            << account.remaining(budget::resource::tool_calls).value_or(0) << "\n";

  // Two decisions on a durable audit file (fsync before append returns), read back.
  hosted::recovery_report report;
  auto log = hosted::audit_file::open(argv[1], hosted::audit_file_options{}, report);
  expect("audit open", log.code(), errc::ok);
  if (!log) return 1;
  for (const errc reason : {errc::ok, errc::denied_by_rule}) {
    audit::record r;
    r.kind = audit::entry_kind::decision;
    r.decision = reason == errc::ok ? audit::verdict::allow : audit::verdict::deny;
    r.op = find_effect("fs.read")->op_code();
    r.reason = reason;
    r.time = clock.now_ns();
    r.policy_hash = opened->hash();
    expect("audit append", (*log)->append(r).code(), errc::ok);
  }
  const auto contents = hosted::read_audit_log(argv[1]);
  expect("audit read", contents.code(), errc::ok);
  if (!contents) return 1;
  expect("audit verify", contents->verification.code, errc::ok);
  std::cout << "audit: " << contents->verification.count << " entries verified in " << argv[1] << "\n";

  std::cout << (failures == 0 ? "all steps as expected" : "SOME STEPS FAILED") << "\n";
  return failures == 0 ? 0 : 1;
}
