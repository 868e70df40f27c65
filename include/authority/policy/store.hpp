// The policy in force and the one before it. A new blob must carry a higher revision
// than any blob this store has accepted (else policy_rollback), so an old signed policy
// cannot be replayed, not even one that rollback() stepped back from. rollback() returns
// to the previous policy once. Every change is returned as a policy_change; a gate that
// must log a change before it takes effect uses stage() → log → commit().
//
// Not synchronized: the caller serializes load/rollback against evaluations (the gate
// holds the store behind its own lock or swaps stores). Blob bytes are the caller's and
// must outlive their use here.
#pragma once

#include <cstdint>

#include "authority/capability/key_ring.hpp"
#include "authority/core/bytes.hpp"
#include "authority/core/clock.hpp"
#include "authority/core/result.hpp"
#include "authority/policy/compiled_policy.hpp"

namespace authority::policy {

struct policy_change {
  enum class kind : std::uint8_t { load, rollback };
  kind what = kind::load;
  std::uint64_t from_revision = 0;  // 0 and an all-zero hash: there was no policy
  crypto::digest from_hash{};
  std::uint64_t to_revision = 0;
  crypto::digest to_hash{};
};

// A verified blob that has not taken effect yet (policy_store::stage).
struct staged_policy {
  compiled_policy policy;
  policy_change change;
};

class policy_store {
 public:
  // Verifies the blob (compiled_policy::open) and makes it current. Errors: open()'s, or
  // policy_rollback (field "revision") when its revision is not above every accepted one.
  result<policy_change> load(bytes_view blob, const capability::key_ring& keys, time_ns now) noexcept {
    AUTHORITY_TRY_ASSIGN(auto staged, stage(blob, keys, now));
    return commit(staged);
  }

  // The same checks as load() without changing anything, for a caller that must make the
  // change durable (audit log) before it takes effect: stage, log staged.change, commit.
  result<staged_policy> stage(bytes_view blob, const capability::key_ring& keys, time_ns now) const noexcept {
    AUTHORITY_TRY_ASSIGN(auto next, compiled_policy::open(blob, keys, now));
    AUTHORITY_TRY_VOID(check_revision(next.revision()));
    return staged_policy{next, {policy_change::kind::load, current_.revision(), current_.hash(), next.revision(), next.hash()}};
  }

  // Makes a staged policy current. Errors: policy_rollback when another policy with an
  // equal or higher revision was accepted since it was staged.
  result<policy_change> commit(const staged_policy& staged) noexcept {
    AUTHORITY_TRY_VOID(check_revision(staged.policy.revision()));
    policy_change change = staged.change;
    change.from_revision = current_.revision();
    change.from_hash = current_.hash();
    previous_ = current_;
    current_ = staged.policy;
    highest_revision_ = staged.policy.revision();
    accepted_any_ = true;
    return change;
  }

  // Back to the previous policy (at most one step). Errors: not_found when there is none.
  result<policy_change> rollback() noexcept {
    if (!previous_.valid()) return make_error(errc::not_found, "previous policy");
    policy_change change{policy_change::kind::rollback, current_.revision(), current_.hash(), previous_.revision(),
                         previous_.hash()};
    current_ = previous_;
    previous_ = compiled_policy{};
    return change;
  }

  // The policy in force; !valid() when none is loaded (everything is denied).
  const compiled_policy& current() const noexcept { return current_; }
  const compiled_policy& previous() const noexcept { return previous_; }
  bool has_previous() const noexcept { return previous_.valid(); }
  std::uint64_t highest_revision() const noexcept { return highest_revision_; }

  decision evaluate(const request& r) const noexcept { return current_.evaluate(r); }

 private:
  result<void> check_revision(std::uint64_t revision) const noexcept {
    if (accepted_any_ && revision <= highest_revision_)
      return make_error(errc::policy_rollback, "revision", blob::at_revision);
    return success();
  }

  compiled_policy current_{};
  compiled_policy previous_{};
  std::uint64_t highest_revision_ = 0;
  bool accepted_any_ = false;
};

}  // namespace authority::policy
