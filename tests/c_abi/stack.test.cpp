// How much stack the C ABI's heaviest calls use (docs/porting.md quotes these numbers).
// Each call runs on a thread whose stack is ours, filled with a pattern beforehand; the
// deepest byte that changed is the high-water mark. An empty thread's mark (the thread
// descriptor and TLS glibc puts on a given stack) is subtracted.
#include <catch2/catch.hpp>

#include <pthread.h>

#include <cstdio>
#include <cstring>
#include <functional>
#include <vector>

#include "c_abi/c_world.hpp"

using namespace authority;
using namespace authority::c_abi_test;

#if defined(__SANITIZE_ADDRESS__)
#define AUTHORITY_STACK_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define AUTHORITY_STACK_SANITIZED 1
#endif
#endif

namespace {

constexpr std::size_t stack_size = 256 * 1024;
constexpr unsigned char paint = 0xa5;

std::size_t high_water(const std::function<void()>& f) {
  std::vector<unsigned char> stack(stack_size + 4096);
  auto* base = reinterpret_cast<unsigned char*>((reinterpret_cast<std::uintptr_t>(stack.data()) + 4095) & ~std::uintptr_t{4095});
  std::memset(base, paint, stack_size);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstack(&attr, base, stack_size);
  pthread_t thread;
  auto body = [](void* arg) -> void* {
    (*static_cast<const std::function<void()>*>(arg))();
    return nullptr;
  };
  REQUIRE(pthread_create(&thread, &attr, body, const_cast<std::function<void()>*>(&f)) == 0);
  pthread_join(thread, nullptr);
  pthread_attr_destroy(&attr);
  std::size_t untouched = 0;
  while (untouched < stack_size && base[untouched] == paint) ++untouched;
  return stack_size - untouched;
}

}  // namespace

TEST_CASE("stack use of the heaviest C ABI calls", "[c_abi][stack]") {
#ifdef AUTHORITY_STACK_SANITIZED
  WARN("skipped: AddressSanitizer's redzones make stack use meaningless");
  return;
#endif
  const std::size_t baseline = high_water([] {});

  issuer is;
  c_keys keys;
  authority_revocation_list revoked;
  std::vector<unsigned char> revocation_storage(AUTHORITY_REVOCATION_STORAGE_SIZE(16));
  REQUIRE(authority_revocation_list_init(&revoked, revocation_storage.data(), revocation_storage.size(), nullptr) == 0);
  alignas(16) static unsigned char buckets[AUTHORITY_RATE_STORAGE_SIZE(8)];
  authority_verifier verifier;
  REQUIRE(authority_verifier_init(&verifier, &keys.ring, &revoked, buckets, sizeof buckets, nullptr, 0, nullptr) == 0);
  const auto token = is.mint_fs("/data/**");
  const auto blob = is.compile(R"({"fs": {"read": ["/data/**"], "deny": ["/data/secret/**"]}})");

  struct measured {
    const char* what;
    std::size_t bytes;
  };
  std::vector<measured> results;
  auto measure = [&](const char* what, const std::function<void()>& f) {
    const std::size_t used = high_water(f) - baseline;
    results.push_back({what, used});
    return used;
  };

  const std::size_t verify = measure("authority_verify_token", [&] {
    authority_access a{};
    a.type = AUTHORITY_CAP_FS;
    a.target = "/data/a";
    a.target_len = 7;
    CHECK(authority_verify_token(&verifier, token.data(), token.size(), &a, t0, nullptr, nullptr) == 0);
  });
  authority_policy policy;
  const std::size_t open = measure("authority_policy_open", [&] {
    CHECK(authority_policy_open(&policy, blob.data(), blob.size(), &keys.ring, t0, nullptr) == 0);
  });
  const std::size_t evaluate = measure("authority_policy_evaluate", [&] {
    authority_policy_request r{};
    r.op = AUTHORITY_OP_FS_READ;
    r.target = "/data/secret/a/b/c";
    r.target_len = 18;
    CHECK(authority_policy_evaluate(&policy, &r, nullptr) == AUTHORITY_ERR_DENIED_BY_RULE);
  });

  memory_log log;
  const auto sink = log.sink();
  authority_audit_chain chain;
  const std::uint8_t log_id[16] = {1};
  REQUIRE(authority_audit_chain_init(&chain, &sink, log_id) == 0);
  const std::size_t append = measure("authority_audit_append_durable", [&] {
    authority_audit_record r{};
    r.kind = AUTHORITY_AUDIT_DECISION;
    CHECK(authority_audit_append_durable(&chain, &r, nullptr, nullptr) == 0);
  });

  // The whole gate: frame decode, verify, policy, budget, two durable appends, executor.
  authority_policy_store store;
  REQUIRE(authority_policy_store_init(&store) == 0);
  REQUIRE(authority_policy_store_load(&store, blob.data(), blob.size(), &keys.ring, t0, nullptr) == 0);
  authority_gate gate;
  authority_gate_config config{};
  config.verifier = &verifier;
  config.policies = &store;
  config.keys = &keys.ring;
  config.log = &chain;
  config.executor.execute = [](void*, const authority_permit*, const authority_effect_request*,
                               authority_effect_result*) {};
  config.clock.now_ns = [](void*) { return t0; };
  REQUIRE(authority_gate_init(&gate, &config, nullptr) == 0);
  authority_limits limits{};
  for (auto& l : limits.of) l.unlimited = 1;
  authority_budget budget;
  REQUIRE(authority_budget_init(&budget, &limits, t0) == 0);
  authority_session session;
  const std::uint8_t id[16] = {1};
  REQUIRE(authority_session_init(&session, id, id, &budget) == 0);
  authority_effect_request request{};
  request.op = AUTHORITY_EFFECT_FS_READ;
  request.seq = 1;
  request.target = "/data/x/../y";
  request.target_len = 12;
  request.capability = token.data();
  request.capability_len = token.size();
  std::vector<std::uint8_t> frame(2048);
  std::size_t frame_len = 0;
  REQUIRE(authority_request_encode(&request, frame.data(), frame.size(), &frame_len, nullptr) == 0);
  const std::size_t submit = measure("authority_gate_submit", [&] {
    authority_response response{};
    CHECK(authority_gate_submit(&gate, &session, frame.data(), frame_len, &response) == 0);
  });

  for (const auto& r : results) std::printf("stack: %-32s %6zu bytes\n", r.what, r.bytes);
  // What porting.md promises a kernel stack must hold (with room to spare).
  CHECK(verify < 8 * 1024);
  CHECK(open < 8 * 1024);
  CHECK(evaluate < 8 * 1024);
  CHECK(append < 8 * 1024);
  CHECK(submit < 16 * 1024);
}
