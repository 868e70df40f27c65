// The gate (INV-1): the one way an effect happens. authorize_and_execute runs a fixed
// pipeline and nothing else can reach an executor:
//
//   validate → sequence / replay → capability (INV-2) → policy and taint → budget
//   reserve (INV-3) → audit append of the decision, durable (INV-4) → execute →
//   budget commit (actual cost) or release → audit append of the outcome → response
//
// Every request that gets past validation is judged and its decision is logged, denials
// included. If the log cannot take an entry, the gate denies (fail closed) and stays
// closed. With no policy loaded every effect is denied (no_policy).
//
// Executors receive an effect_permit, which only the gate can construct: an executor
// cannot be invoked with a made-up authorization (a compile-time property; see
// tests/gate/permit_forgery.cpp). A port's executor is the only code that touches the
// world.
//
// Threading: sessions are per agent and used by one thread at a time; the gate's shared
// state (verifier caches, rate buckets, policy store) is guarded by `Lock` (a no-op in
// the single-threaded kernel). Budget accounts are lock-free; the audit log serializes
// itself (the hosted durable log shares one fsync among concurrent appenders), so
// appends and executors run outside the lock.
#pragma once

#include <array>
#include <atomic>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "authority/audit/chain.hpp"
#include "authority/budget/account.hpp"
#include "authority/capability/verify.hpp"
#include "authority/core/clock.hpp"
#include "authority/core/static_vector.hpp"
#include "authority/effects.hpp"
#include "authority/pattern/path.hpp"
#include "authority/pattern/pattern.hpp"
#include "authority/policy/store.hpp"
#include "authority/policy/suggest.hpp"

namespace authority {

// enforce: deny what is not authorized. record: policy denials are allowed but logged
// with the reason they would have been denied (to learn a policy with `policy suggest`);
// capability, budget, sequence and validation failures still deny. off: no capability
// or policy checks, only logging — exists only in builds with AUTHORITY_GATE_OFF_MODE.
enum class gate_mode : std::uint8_t {
  enforce = 0,
  record = 1,
#ifdef AUTHORITY_GATE_OFF_MODE
  off = 2,
#endif
};

inline constexpr std::size_t max_target_size = pattern::max_path_length;
using id16 = audit::id16;

// What an agent asks for.
struct effect_request {
  std::uint16_t op = 0;              // effect op code (effects.hpp)
  std::string_view target{};         // path, net target, name … as the agent wrote it
  std::string_view target2{};        // fs.rename: the destination
  std::string_view version{};        // tool.call: the tool's version, if known
  std::uint64_t tokens = 0;          // infer: tokens requested (checked against max_tokens)
  budget::costs cost{};              // declared metered costs (reserved up front)
  policy::label_set labels = 0;      // taint labels of the data flowing in
  bytes_view capability{};           // the capability token, binary form
  std::uint64_t seq = 0;             // per-session request number: 1, 2, … strictly increasing
  bytes_view payload{};              // arguments for the executor (hashed into the audit entry)
};

// What an executor reports.
struct effect_result {
  budget::costs actual{};            // metered costs actually incurred
  bytes_view output{};               // the effect's result (hashed into the outcome entry)
  std::optional<crypto::digest> output_hash{};  // or its SHA-256, when the output is elsewhere
  errc status = errc::ok;            // ok, or why the effect failed
};

// The gate's answer, with what the agent needs to act on a denial.
struct response {
  bool allow = false;
  errc reason = errc::no_policy;
  std::uint16_t op = 0;
  std::uint64_t decision_seq = 0;    // audit sequence number of the decision (0 if not logged)
  std::uint64_t outcome_seq = 0;     // … and of the outcome
  std::uint32_t rule = policy::no_rule;  // the policy rule that decided, if any
  bool recorded = false;             // record mode: allowed although the policy denies
  policy::label_set result_labels = 0;
  // When the capability check failed: what capability would have been needed.
  bool needs_capability = false;
  capability::cap_type needed_type = capability::cap_type::fs;
  std::uint8_t needed_method = 0;
  effect_result result{};            // the executor's report (when it ran)
};

// The last denial of a session, kept for the agent's "why?" query.
struct denial {
  bool present = false;
  std::uint16_t op = 0;
  errc reason = errc::ok;
  std::uint64_t seq = 0;
  std::uint32_t rule = policy::no_rule;
  bool needs_capability = false;
  capability::cap_type needed_type = capability::cap_type::fs;
  std::uint8_t needed_method = 0;
  static_string<max_target_size> target{};  // canonical when it could be canonicalized
};

// Per agent: identity, the sequence counter, its budget and its last denial. Used by one
// thread at a time; holds the buffers for canonical targets so that a kernel stack does
// not have to.
template <std::size_t Reservations = 64>
struct session {
  using account_type = budget::basic_account<Reservations>;
  session(const id16& agent, const id16& run, account_type& budget) noexcept
      : agent_id(agent), run_id(run), account(&budget) {}
  id16 agent_id{};
  id16 run_id{};
  std::uint64_t last_seq = 0;
  account_type* account;
  denial last_denial{};
  std::array<char, max_target_size> target_buffer{};
  std::array<char, max_target_size> target2_buffer{};
};

// Authorization for exactly one effect, as judged. Only the gate constructs it.
class effect_permit {
 public:
  const effect_info& effect() const noexcept { return *info_; }
  std::string_view target() const noexcept { return target_; }    // canonical
  std::string_view target2() const noexcept { return target2_; }  // canonical
  std::uint64_t decision_seq() const noexcept { return decision_seq_; }

 private:
  template <audit::durable_log, class, clock, class>
  friend class gate;
  effect_permit(const effect_info& info, std::string_view target, std::string_view target2, std::uint64_t seq) noexcept
      : info_(&info), target_(target), target2_(target2), decision_seq_(seq) {}
  effect_permit(const effect_permit&) = default;

  const effect_info* info_;
  std::string_view target_;
  std::string_view target2_;
  std::uint64_t decision_seq_;
};

// An authorized effect awaiting its outcome (gate::authorize → gate::complete).
struct pending_effect {
  enum class status : std::uint8_t { none, authorized, completed };
  status state = status::none;
  std::uint16_t op = 0;
  std::uint64_t seq = 0;
  std::uint64_t decision_seq = 0;
  budget::reservation reservation{};
  crypto::digest request_hash{};
  crypto::digest policy_hash{};
  std::size_t target_size = 0;
  std::size_t target2_size = 0;

  bool authorized() const noexcept { return state == status::authorized; }
  // The canonical targets, valid until the session's next request.
  template <class Session>
  std::string_view target(const Session& s) const noexcept {
    return {s.target_buffer.data(), target_size};
  }
  template <class Session>
  std::string_view target2(const Session& s) const noexcept {
    return {s.target2_buffer.data(), target2_size};
  }
};

template <class X>
concept effect_executor = requires(X& x, const effect_permit& p, const effect_request& r) {
  { x.execute(p, r) } -> std::same_as<effect_result>;
};

struct no_lock {
  void lock() noexcept {}
  void unlock() noexcept {}
};

// What the gate shares with its callers, all owned by the port.
struct gate_parts {
  capability::verifier* verifier = nullptr;
  policy::policy_store* policies = nullptr;
  const capability::key_ring* keys = nullptr;  // verifies policy.update blobs
  // Where policy.update keeps the blobs it accepts (the store holds views): three slots,
  // so that the current and the previous policy stay intact while a new one loads. No
  // slots: policy.update fails with capacity_exceeded.
  std::array<mutable_bytes, 3> policy_slots{};
};

// Denials the policy decides (record mode lets these through and logs them).
constexpr bool is_policy_denial(errc e) noexcept {
  return e == errc::not_allowed || e == errc::denied_by_rule || e == errc::taint_violation ||
         e == errc::limit_exceeded;
}
// Denials a budget decides.
constexpr bool is_budget_denial(errc e) noexcept {
  return e == errc::budget_exceeded || e == errc::deadline_exceeded || e == errc::capacity_exceeded;
}

// The budget a policy declares: absent entries are not limited by this policy; 0 means 0.
inline budget::limits limits_from_policy(const policy::compiled_policy& p) noexcept {
  budget::limits out = budget::limits::all_unlimited();
  for (std::size_t i = 0; i < budget::resource_count; ++i) {
    const auto r = static_cast<budget::resource>(i);
    const auto b = p.budget(r);
    if (!b.absent() && !b.unlimited()) out.set(r, budget::limit::of(b.amount));
  }
  return out;
}

namespace gate_detail {

// SHA-256 over a length-prefixed encoding of the request: the audit entry's request_hash.
// docs/gate.md gives the exact bytes. The capability enters as its SHA-256
// (`capability_hash`; the verifier has it cached for a token it has seen).
inline crypto::digest request_hash(const effect_request& r, std::string_view target, std::string_view target2,
                                   const crypto::digest& capability_hash) noexcept {
  // The encoding is gathered on the stack and hashed in one go (a typical request fits):
  // one pass of the block function over contiguous bytes instead of a partial block per
  // field. A field that does not fit is hashed straight from where it is.
  crypto::sha256 h;
  byte run[512];
  std::size_t used = 0;
  auto flush = [&] {
    h.update(bytes_view{run, used});
    used = 0;
  };
  auto raw = [&](bytes_view b) {
    if (b.size() > sizeof run - used) flush();
    if (b.size() > sizeof run) return (void)h.update(b);
    copy_bytes(run + used, b.data(), b.size());
    used += b.size();
  };
  auto u64 = [&](std::uint64_t v) {
    byte le[8];
    store_le64(le, v);
    raw(bytes_view{le});
  };
  auto field = [&](bytes_view b) {
    u64(b.size());
    raw(b);
  };
  raw(as_bytes(std::string_view{"authority.request.v2"}));
  u64(r.op);
  u64(r.seq);
  field(as_bytes(target));
  field(as_bytes(target2));
  field(as_bytes(r.version));
  u64(r.tokens);
  u64(r.labels);
  // Declared costs: how many are non-zero, then each as (resource index, amount).
  std::uint64_t declared = 0;
  for (std::size_t i = 0; i < budget::resource_count; ++i) declared += r.cost.at(i) != 0;
  u64(declared);
  for (std::size_t i = 0; i < budget::resource_count; ++i)
    if (r.cost.at(i) != 0) {
      u64(i);
      u64(r.cost.at(i));
    }
  raw(bytes_view{capability_hash});
  field(r.payload);
  flush();
  return h.finish();
}

template <class L>
struct lock_guard {
  explicit lock_guard(L& l) noexcept : l_(l) { l_.lock(); }
  ~lock_guard() { l_.unlock(); }
  lock_guard(const lock_guard&) = delete;
  lock_guard& operator=(const lock_guard&) = delete;
  L& l_;
};

constexpr bool is_set(resource_set s, std::size_t i) noexcept { return (s >> i) & 1u; }

}  // namespace gate_detail

template <audit::durable_log Log, class Executor, clock Clock, class Lock = no_lock>
class gate {
  static_assert(effect_executor<Executor>);

 public:
  gate(gate_parts parts, Log& log, Executor& executor, Clock& clock, gate_mode mode = gate_mode::enforce) noexcept
      : parts_(parts), log_(log), executor_(executor), clock_(clock), mode_(mode) {}
  // For a Lock that carries state (the C ABI's lock callbacks).
  gate(gate_parts parts, Log& log, Executor& executor, Clock& clock, gate_mode mode, const Lock& lock) noexcept
      : parts_(parts), log_(log), executor_(executor), clock_(clock), mode_(mode), lock_(lock) {}

  gate_mode mode() const noexcept { return mode_; }
  // Closed: the log failed; every request is denied from then on.
  bool closed() const noexcept { return closed_reason() != errc::ok; }
  errc closed_reason() const noexcept { return static_cast<errc>(closed_.load(std::memory_order_acquire)); }

  // The single entry point for in-process executors: authorize, execute, complete.
  template <std::size_t R>
  response authorize_and_execute(session<R>& s, const effect_request& req) noexcept {
    pending_effect p;
    response out = authorize(s, req, p);
    if (!p.authorized()) return out;
    const effect_info& info = *find_effect(req.op);
    const effect_permit permit{info, p.target(s), p.target2(s), p.decision_seq};
    effect_result result = info.id == effect::policy_update ? update_policy(req) : executor_.execute(permit, req);
    return complete(s, p, result, out);
  }

  // Steps 1–7: judge the request, reserve its budget and put the decision on the log.
  // When allowed, `pending` is filled and the caller must complete() it exactly once —
  // the split lets an executor run elsewhere (the daemon's clients act themselves and
  // report back). The canonical targets live in the session until its next request.
  template <std::size_t R>
  response authorize(session<R>& s, const effect_request& req, pending_effect& pending) noexcept {
    pending = pending_effect{};
    response out;
    out.op = req.op;
    const effect_info* info = find_effect(req.op);
    if (info == nullptr) return reject(s, req, out, make_error(errc::unknown_effect, "op"));
    if (closed()) return reject(s, req, out, make_error(closed_reason(), "audit log"));

    // 1. Validate and canonicalize: the target checked is the target the executor gets.
    auto target = canonical_target(*info, req.target, s.target_buffer);
    if (!target) return reject(s, req, out, target.error());
    std::string_view target2{};
    if (info->second_path) {
      auto t2 = canonical_target(*info, req.target2, s.target2_buffer);
      if (!t2) return reject(s, req, out, t2.error());
      target2 = *t2;
    } else if (!req.target2.empty()) {
      return reject(s, req, out, make_error(errc::invalid_argument, "target2"));
    }
    if (auto c = check_costs(*info, req.cost); !c) return reject(s, req, out, c.error());

    // 2. Sequence: strictly increasing per session; a used number is a replay.
    if (req.seq == 0) return reject(s, req, out, make_error(errc::sequence_order, "seq"));
    if (req.seq <= s.last_seq)
      return reject(s, req, out, make_error(req.seq == s.last_seq ? errc::sequence_replay : errc::sequence_order, "seq"));
    s.last_seq = req.seq;

    // 3–5. Capability, policy and taint, under the shared-state lock.
    const time_ns now = clock_.now_ns();
    crypto::digest policy_hash{};
    judgement j{*target};
    {
      gate_detail::lock_guard<Lock> guard(lock_);
      policy_hash = parts_.policies->current().valid() ? parts_.policies->current().hash() : crypto::digest{};
      judge(*info, req, *target, target2, s, now, out, j);
      // Not hashed by the verifier (no token, or off mode): the verifier's cache is shared state.
      if (!j.capability_hash) j.capability_hash = parts_.verifier->wire_hash(req.capability);
    }
    const auto request_hash = gate_detail::request_hash(req, *target, target2, *j.capability_hash);
    if (j.verdict != errc::ok) return deny_logged(s, req, j.blamed, out, j.verdict, request_hash, policy_hash, now);
    const errc recorded_reason = j.recorded_reason;

    // 6. Budget: per-call charges plus the declared metered costs.
    budget::costs estimate = req.cost;
    add_per_call(*info, estimate);
    auto reservation = s.account->reserve(estimate, now);
    if (!reservation) return deny_logged(s, req, *target, out, reservation.code(), request_hash, policy_hash, now);

    // 7. The decision is on the log, durably, before anything happens.
    audit::record decision{};
    decision.kind = audit::entry_kind::decision;
    decision.decision = audit::verdict::allow;
    decision.op = req.op;
    decision.reason = recorded_reason;  // ok, or in record mode what enforce would have said
    fill_identity(decision, s, now, request_hash, policy_hash);
    auto logged = log_.append_durable(decision);
    if (!logged) {
      (void)s.account->release(*reservation);
      close(logged.error());
      return remember_denial(s, req, *target, out, logged.error());
    }
    out.decision_seq = logged->seq;
    out.allow = true;
    out.reason = errc::ok;
    out.recorded = recorded_reason != errc::ok;
    pending.op = req.op;
    pending.seq = req.seq;
    pending.decision_seq = logged->seq;
    pending.reservation = *reservation;
    pending.request_hash = request_hash;
    pending.policy_hash = policy_hash;
    pending.target_size = target->size();
    pending.target2_size = target2.size();
    pending.state = pending_effect::status::authorized;
    return out;
  }

  // Steps 9–11: settle the budget at what the effect used and log the outcome.
  // `authorized` is authorize()'s response; the returned response extends it.
  template <std::size_t R>
  response complete(session<R>& s, pending_effect& p, const effect_result& result, response authorized) noexcept {
    response out = authorized;
    if (!p.authorized()) {
      out.allow = false;
      out.reason = errc::budget_unknown_reservation;
      return out;
    }
    p.state = pending_effect::status::completed;
    const effect_info& info = *find_effect(p.op);
    budget::costs actual = metered_only(info, result.actual);
    add_per_call(info, actual);
    errc settle = errc::ok;
    if (auto committed = s.account->commit(p.reservation, actual); !committed) settle = committed.code();

    audit::record outcome{};
    outcome.kind = audit::entry_kind::outcome;
    outcome.op = p.op;
    const bool succeeded = result.status == errc::ok && settle == errc::ok;
    outcome.decision = succeeded ? audit::verdict::allow : audit::verdict::deny;
    outcome.reason = result.status != errc::ok ? result.status : settle;
    fill_identity(outcome, s, clock_.now_ns(), p.request_hash, p.policy_hash);
    outcome.result_hash = result.output_hash ? *result.output_hash : crypto::sha256::hash(result.output);
    auto outcome_logged = log_.append_durable(outcome);
    if (!outcome_logged) close(outcome_logged.error());
    out.outcome_seq = outcome_logged ? outcome_logged->seq : 0;

    out.reason = result.status != errc::ok ? errc::executor_failed : settle;
    out.result = result;
    if (out.reason != errc::ok) {
      // The effect was authorized and then failed: no rule or capability is to blame, and
      // the canonical target may already have been replaced by a later request's.
      denial& d = s.last_denial;
      d = denial{};
      d.present = true;
      d.op = p.op;
      d.reason = out.reason;
      d.seq = p.seq;
    }
    return out;
  }

  // Makes `blob` the policy in force (it must verify and carry a higher revision) after
  // logging the change: stage → durable policy_change entry → commit. If the log fails
  // nothing changes and the gate closes. The caller keeps `blob` alive while it is in
  // force (policy.update copies its argument into gate_parts::policy_slots first).
  result<policy::policy_change> load_policy(bytes_view blob) noexcept {
    const time_ns now = clock_.now_ns();
    gate_detail::lock_guard<Lock> guard(lock_);
    AUTHORITY_TRY_ASSIGN(const auto staged, parts_.policies->stage(blob, *parts_.keys, now));
    audit::record event{};
    event.kind = audit::entry_kind::policy_change;
    event.decision = audit::verdict::allow;
    event.op = static_cast<std::uint16_t>(effect::policy_update);
    event.time = now;
    event.request_hash = staged.change.from_hash;
    event.policy_hash = staged.change.to_hash;
    if (auto logged = log_.append_durable(event); !logged) {
      close(logged.error());
      return logged.error();
    }
    return parts_.policies->commit(staged);
  }

  // The agent's "why was I denied?".
  template <std::size_t R>
  const denial& last_denial(const session<R>& s) const noexcept {
    return s.last_denial;
  }

  // A snippet in the policy's own format that would allow what `d` asked for (for a
  // policy denial), written into `out`.
  result<std::string_view> suggestion(const denial& d, std::span<char> out) const noexcept {
    const effect_info* info = find_effect(d.op);
    if (info == nullptr || !info->judged_by) return make_error(errc::not_found, "suggestion");
    policy::request r;
    r.kind = *info->judged_by;
    r.target = d.target.view();
    const auto format = parts_.policies->current().valid() ? parts_.policies->current().format()
                                                          : policy::source_format::json;
    return policy::suggest_snippet(r, format, out);
  }

 private:
  // The syntax a target of this effect is canonicalized and validated in (step 1).
  static pattern::syntax target_syntax(const effect_info& info) noexcept {
    return info.judged_by ? policy::target_syntax(*info.judged_by) : capability::find_type(info.cap)->resource_syntax;
  }

  // Canonical targets, in the session's buffer: fs/spawn paths canonicalized (relative →
  // invalid_path), net and DNS targets and names validated.
  static result<std::string_view> canonical_target(const effect_info& info, std::string_view raw,
                                                   std::span<char> buf) noexcept {
    if (raw.size() > max_target_size) return make_error(errc::too_long, "target");
    const auto syntax = target_syntax(info);
    if (syntax == pattern::syntax::path) {
      auto c = pattern::canonicalize_path(raw, buf);
      if (!c) return make_error(c.code(), "target", c.error().offset);
      return *c;
    }
    if (auto v = pattern::validate_target(syntax, raw); !v) return make_error(v.code(), "target", v.error().offset);
    // Copied, so that what the executor gets stays put while the request's bytes change.
    for (std::size_t i = 0; i < raw.size(); ++i) buf[i] = raw[i];
    return std::string_view{buf.data(), raw.size()};
  }

  static result<void> check_costs(const effect_info& info, const budget::costs& cost) noexcept {
    for (std::size_t i = 0; i < budget::resource_count; ++i)
      if (cost.at(i) != 0 && !gate_detail::is_set(info.metered, i))
        return make_error(errc::invalid_argument, budget::resource_table[i].name);
    return success();
  }

  static void add_per_call(const effect_info& info, budget::costs& c) noexcept {
    const auto per_call = per_call_costs(info);
    for (std::size_t i = 0; i < budget::resource_count; ++i) {
      const auto r = static_cast<budget::resource>(i);
      c.set(r, c[r] + per_call[r]);
    }
  }

  static budget::costs metered_only(const effect_info& info, const budget::costs& c) noexcept {
    budget::costs out;
    for (std::size_t i = 0; i < budget::resource_count; ++i)
      if (gate_detail::is_set(info.metered, i)) out.set(static_cast<budget::resource>(i), c.at(i));
    return out;
  }

  // What judge() finds.
  struct judgement {
    std::string_view blamed;             // the path a denial names: a rename's refused destination, else the target
    errc verdict = errc::ok;             // ok or the denial reason
    errc recorded_reason = errc::ok;     // record mode: the policy denial let through
    std::optional<crypto::digest> capability_hash{};  // SHA-256 of the token, when the verifier saw it
  };

  // Capability then policy (with taint).
  template <std::size_t R>
  void judge(const effect_info& info, const effect_request& req, std::string_view target, std::string_view target2,
             session<R>& s, time_ns now, response& out, judgement& j) noexcept {
#ifdef AUTHORITY_GATE_OFF_MODE
    if (mode_ == gate_mode::off) return;
#endif
    // INV-2: the capability must cover the effect (both paths of a rename).
    // Both targets were validated in step 1: neither the verifier nor the policy checks again.
    const auto checked = target_syntax(info);
    const capability::access_request access{info.cap, target, info.method_bit(), s.run_id, checked};
    auto cap = check_capability(req.capability, access, now, j);
    if (cap == errc::ok && info.second_path) {
      const capability::access_request access2{info.cap, target2, info.method_bit(), s.run_id, checked};
      cap = check_capability(req.capability, access2, now, j);
      if (cap != errc::ok) j.blamed = target2;
    }
    if (cap != errc::ok) {
      out.needs_capability = true;
      out.needed_type = info.cap;
      out.needed_method = info.method_bit();
      j.verdict = cap;
      return;
    }
    // Policy: deny by default; effects no policy section covers still need a policy.
    const auto& policy = parts_.policies->current();
    if (!policy.valid()) {
      j.verdict = errc::no_policy;
      return;
    }
    if (!info.judged_by) return;
    errc reason = judge_policy(policy, *info.judged_by, req, target, out);
    if (reason == errc::ok && info.second_path) {
      reason = judge_policy(policy, *info.judged_by, req, target2, out);
      if (reason != errc::ok) j.blamed = target2;
    }
    if (reason != errc::ok && mode_ == gate_mode::record && is_policy_denial(reason)) {
      j.recorded_reason = reason;
      return;
    }
    j.verdict = reason;
  }

  errc check_capability(bytes_view token, const capability::access_request& access, time_ns now,
                        judgement& j) noexcept {
    if (token.empty()) return errc::missing_capability;
    capability::token_view view;
    crypto::digest token_hash{};
    const errc verdict = parts_.verifier->verify(token, access, now, view, token_hash).code();
    j.capability_hash = token_hash;
    return verdict;
  }

  static errc judge_policy(const policy::compiled_policy& p, policy::op op, const effect_request& req,
                           std::string_view target, response& out) noexcept {
    policy::request pr;
    pr.kind = op;
    pr.target = target;
    pr.version = req.version;
    pr.tokens = req.tokens;
    pr.labels = req.labels;
    pr.target_checked = policy::target_syntax(op);  // step 1 validated it so
    const auto d = p.evaluate(pr);
    out.rule = d.rule;
    if (!d.allow) return d.reason;
    out.result_labels = d.result_labels;
    return errc::ok;
  }

  // policy.update: the blob is copied into a slot that neither the current nor the
  // previous policy uses, because the store keeps views and the request's bytes are the
  // agent's.
  effect_result update_policy(const effect_request& req) noexcept {
    effect_result r;
    mutable_bytes* free_slot = nullptr;
    for (auto& slot : parts_.policy_slots) {
      const bool in_use = slot.data() == parts_.policies->current().bytes().data() ||
                          slot.data() == parts_.policies->previous().bytes().data();
      if (!in_use && slot.size() >= req.payload.size()) {
        free_slot = &slot;
        break;
      }
    }
    if (free_slot == nullptr) {
      r.status = errc::capacity_exceeded;
      return r;
    }
    for (std::size_t i = 0; i < req.payload.size(); ++i) (*free_slot)[i] = req.payload[i];
    if (auto change = load_policy(free_slot->first(req.payload.size())); !change) r.status = change.code();
    return r;
  }

  template <std::size_t R>
  void fill_identity(audit::record& rec, const session<R>& s, time_ns now, const crypto::digest& request_hash,
                     const crypto::digest& policy_hash) const noexcept {
    rec.time = now;
    rec.agent_id = s.agent_id;
    rec.run_id = s.run_id;
    rec.request_hash = request_hash;
    rec.policy_hash = policy_hash;
  }

  // A judged request that is denied: logged (durably) before the agent hears.
  template <std::size_t R>
  response deny_logged(session<R>& s, const effect_request& req, std::string_view target, response& out, errc reason,
                       const crypto::digest& request_hash, const crypto::digest& policy_hash, time_ns now) noexcept {
    audit::record rec{};
    rec.kind = audit::entry_kind::decision;
    rec.decision = audit::verdict::deny;
    rec.op = req.op;
    rec.reason = reason;
    fill_identity(rec, s, now, request_hash, policy_hash);
    auto logged = log_.append_durable(rec);
    if (!logged) close(logged.error());
    out.decision_seq = logged ? logged->seq : 0;
    out.allow = false;
    out.reason = reason;
    remember(s, req, target, out);
    return out;
  }

  // A request rejected before it could be judged (unknown effect, malformed target,
  // bad sequence number, closed gate): logged as an agent fault.
  template <std::size_t R>
  response reject(session<R>& s, const effect_request& req, response& out, const error& e) noexcept {
    if (!closed()) {
      audit::record rec{};
      rec.kind = audit::entry_kind::agent_fault;
      rec.decision = audit::verdict::deny;
      rec.op = req.op;
      rec.reason = e.code;
      fill_identity(rec, s, clock_.now_ns(), crypto::digest{}, crypto::digest{});
      rec.request_hash = crypto::sha256::hash(req.payload);
      auto logged = log_.append_durable(rec);
      if (!logged) close(logged.error());
      out.decision_seq = logged ? logged->seq : 0;
    }
    return remember_denial(s, req, req.target, out, e);
  }

  template <std::size_t R>
  response remember_denial(session<R>& s, const effect_request& req, std::string_view target, response& out,
                           const error& e) noexcept {
    out.allow = false;
    out.reason = e.code;
    remember(s, req, target, out);
    return out;
  }

  template <std::size_t R>
  void remember(session<R>& s, const effect_request& req, std::string_view target, const response& out) noexcept {
    denial& d = s.last_denial;
    d.present = true;
    d.op = req.op;
    d.reason = out.reason;
    d.seq = req.seq;
    d.rule = out.rule;
    d.needs_capability = out.needs_capability;
    d.needed_type = out.needed_type;
    d.needed_method = out.needed_method;
    d.target.clear();
    (void)d.target.append(target.substr(0, max_target_size));
  }

  void close(const error& e) noexcept {
    auto expected = static_cast<std::uint16_t>(errc::ok);
    (void)closed_.compare_exchange_strong(expected, static_cast<std::uint16_t>(e.code), std::memory_order_acq_rel);
  }

  gate_parts parts_;
  Log& log_;
  Executor& executor_;
  Clock& clock_;
  gate_mode mode_;
  Lock lock_{};
  std::atomic<std::uint16_t> closed_{static_cast<std::uint16_t>(errc::ok)};
};

}  // namespace authority
