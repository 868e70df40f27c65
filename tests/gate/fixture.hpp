// A complete gate for tests: keys, a compiled policy, a verifier, an in-memory audit
// chain, budgets and an executor that records what it was asked to do.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "authority/audit/verify.hpp"
#include "authority/capability/issue.hpp"
#include "authority/gate.hpp"
#include "authority/hosted/policy_compiler.hpp"
#include "authority/hosted/policy_text.hpp"
#include "capability/fixture.hpp"

namespace authority::testing {

inline constexpr time_ns t0 = 1'700'000'000ull * ns_per_s;

using capability::testing::counter_entropy;

// Executes by recording; checks that the decision it runs under is already durable.
template <class Sink>
struct recording_executor {
  struct call {
    effect id;
    std::string target, target2;
    std::uint64_t decision_seq;
    bool decision_was_durable;
  };
  Sink* sink = nullptr;
  std::vector<call> calls;
  budget::costs actual{};
  errc status = errc::ok;
  std::string output = "result";

  effect_result execute(const effect_permit& p, const effect_request&) {
    // The decision entry is the last synced frame: its seq is in the durable bytes.
    const auto durable = audit::verify_stream(sink->bytes().first(sink->synced_size()), log_id());
    calls.push_back({p.effect().id, std::string(p.target()), std::string(p.target2()), p.decision_seq(),
                     durable.ok() && durable.count == p.decision_seq()});
    effect_result r;
    r.actual = actual;
    r.status = status;
    r.output = as_bytes(output);
    return r;
  }
  static audit::id16 log_id() { return audit::id16{7, 7, 7}; }
};

using test_sink = audit::memory_sink<1 << 20>;
using test_chain = audit::chain<test_sink>;

// A sink whose appends start failing after `budget` frames (a full disk).
struct failing_sink {
  test_sink inner;
  int budget = 1'000'000;
  result<void> append(bytes_view frame) {
    if (budget-- <= 0) return make_error(errc::sink_failure, "test sink");
    return inner.append(frame);
  }
  result<void> sync() { return inner.sync(); }
  bytes_view bytes() const { return inner.bytes(); }
  std::size_t synced_size() const { return inner.synced_size(); }
};

template <class Sink = test_sink>
struct gate_world {
  capability::key_ring keys{3600 * ns_per_s};
  std::vector<capability::revocation_slot> revocation_storage = std::vector<capability::revocation_slot>(256);
  capability::revocation_list revoked{revocation_storage};
  std::vector<capability::bucket_slot> buckets = std::vector<capability::bucket_slot>(256);
  capability::rate_limiter rates{buckets};
  std::vector<capability::verified_slot> cache_storage = std::vector<capability::verified_slot>(16);
  capability::verified_cache cache{cache_storage};
  capability::verifier verifier{keys, revoked, &rates, &cache};
  policy::policy_store policies;
  std::vector<std::vector<std::uint8_t>> blobs;  // kept alive for the store
  std::unique_ptr<Sink> sink = std::make_unique<Sink>();
  audit::chain<Sink> log{*sink, recording_executor<Sink>::log_id()};
  recording_executor<Sink> executor{sink.get()};
  manual_clock clock{t0};
  counter_entropy entropy;
  std::unique_ptr<gate<audit::chain<Sink>, recording_executor<Sink>, manual_clock>> g;
  std::vector<byte> policy_slot_storage = std::vector<byte>(3 * 65536);
  std::unique_ptr<budget::basic_account<64>> account;
  std::unique_ptr<session<64>> s;
  std::uint64_t seq = 0;

  explicit gate_world(gate_mode mode = gate_mode::enforce) {
    capability::key_secret secret{};
    for (std::size_t i = 0; i < secret.size(); ++i) secret[i] = static_cast<byte>(i + 1);
    (void)keys.add_active(1, secret, t0);
    gate_parts parts{&verifier, &policies, &keys};
    for (std::size_t i = 0; i < 3; ++i) parts.policy_slots[i] = mutable_bytes(policy_slot_storage).subspan(i * 65536, 65536);
    g = std::make_unique<gate<audit::chain<Sink>, recording_executor<Sink>, manual_clock>>(parts, log, executor, clock,
                                                                                          mode);
    new_session(budget::limits::all_unlimited());
  }

  void new_session(const budget::limits& l) {
    account = std::make_unique<budget::basic_account<64>>(l, clock.now_ns());
    s = std::make_unique<session<64>>(audit::id16{1}, audit::id16{2}, *account);
    seq = 0;
  }

  // Compiles JSON policy text and loads it (revision increases every time).
  std::vector<std::uint8_t> compile(const std::string& json, std::uint64_t revision) {
    auto parsed = policy_text::parse_json(json, "test.json");
    if (!parsed.ok()) throw std::runtime_error(parsed.diagnostics.front().to_string());
    hosted::policy_compile_options o;
    o.revision = revision;
    auto compiled = hosted::compile_policy(*parsed.ast, keys, o);
    if (!compiled.ok()) throw std::runtime_error(compiled.failure->message);
    return compiled.blob;
  }
  void load_policy(const std::string& json) {
    blobs.push_back(compile(json, policies.highest_revision() + 1));
    auto r = policies.load(blobs.back(), keys, clock.now_ns());
    if (!r) throw std::runtime_error("policy does not load");
    new_session(limits_from_policy(policies.current()));
  }

  std::vector<byte> mint(capability::cap_type type, std::string_view resource, capability::method_set methods,
                         std::uint64_t ttl_ms = 3'600'000) {
    auto t = std::make_unique<capability::token>();
    capability::grant g{type, resource, methods, ttl_ms, {}, {}};
    if (!capability::mint(keys, g, clock.now_ns(), entropy, *t)) throw std::runtime_error("mint failed");
    byte buf[capability::max_token_size];
    auto enc = capability::encode(*t, buf);
    return {enc->begin(), enc->end()};
  }
  std::vector<byte> mint_all(capability::cap_type type, std::string_view resource) {
    return mint(type, resource, capability::method_set::everything());
  }

  // A request with the session's next sequence number; it views `target`, `cap` and
  // `target2`, which must outlive it.
  effect_request request(std::string_view effect_name, std::string_view target, const std::vector<byte>& cap,
                         std::string_view target2 = {}) {
    effect_request r;
    r.op = find_effect(effect_name)->op_code();
    r.target = target;
    r.target2 = target2;
    r.capability = cap;
    r.seq = ++seq;
    return r;
  }

  response run(std::string_view effect_name, std::string_view target, const std::vector<byte>& cap,
               policy::label_set labels = 0) {
    effect_request r = request(effect_name, target, cap);
    r.labels = labels;
    return g->authorize_and_execute(*s, r);
  }

  audit::verification verify_log() const { return audit::verify_stream(sink->bytes(), recording_executor<Sink>::log_id()); }

  // Decodes every entry of the log, in order.
  std::vector<audit::entry> entries() const {
    std::vector<audit::entry> out;
    auto bytes = sink->bytes();
    while (!bytes.empty()) {
      auto f = audit::read_frame(bytes);
      if (!f) break;
      auto rec = audit::decode_record(f->payload);
      out.push_back(*audit::decode(bytes_view{rec->bytes}));
      bytes = bytes.subspan(f->size);
    }
    return out;
  }
};

}  // namespace authority::testing
