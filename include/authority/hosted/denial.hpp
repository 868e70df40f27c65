// Why a request was denied, in words an agent (or its developer) can act on: the rule
// that decided, what was missing (a capability, a policy grant, budget) and what would
// fix it (a `cap mint` command or a policy snippet in the policy's own format). Shared by
// `authority serve`, `authority eval` and `authority run`.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "authority/gate.hpp"
#include "authority/policy/compiled_policy.hpp"

namespace authority::hosted {

struct denial_detail {
  bool present = false;
  std::uint64_t seq = 0;
  std::uint16_t op = 0;
  std::string target;
  std::string message;                     // one sentence
  std::optional<std::string> rule;         // "policy.json:12:7"
  std::optional<std::string> missing;      // the capability, grant or budget that is missing
  std::optional<std::string> suggestion;   // a command or policy snippet that would allow it
  std::optional<std::string> capability_type, capability_method;
};

// What a budget had left when a request was judged.
struct budget_snapshot {
  budget::limits limits{};
  std::array<std::optional<std::uint64_t>, budget::resource_count> remaining{};  // nullopt: unlimited
  std::optional<time_ns> wall_left;                                              // nullopt: no deadline
};

template <std::size_t R>
budget_snapshot snapshot_of(const budget::basic_account<R>& account, time_ns now) {
  budget_snapshot s;
  s.limits = account.account_limits();
  for (std::size_t i = 0; i < budget::resource_count; ++i) s.remaining[i] = account.remaining(static_cast<budget::resource>(i));
  s.wall_left = account.time_left(now).wall;
  return s;
}

// `target` is the canonical target the gate judged; `key_path` names the key file in the
// `cap mint` suggestion; `budget` (optional) explains budget denials.
denial_detail explain_denial(const policy::compiled_policy& policy, const effect_info& info, const effect_request& request,
                             std::string_view target, const response& out, std::string_view key_path,
                             const budget_snapshot* budget);

}  // namespace authority::hosted
