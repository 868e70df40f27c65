// The policy compiler and the tools around it (hosted): AST → signed blob
// (docs/policy-blob.md), explanations of decisions, the linter, and record mode (the
// narrowest policy that allows a list of requests). The kernel never sees any of this:
// it opens the blob with policy::compiled_policy.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "authority/budget/limits.hpp"
#include "authority/capability/key_ring.hpp"
#include "authority/core/bytes.hpp"
#include "authority/hosted/policy_ast.hpp"
#include "authority/policy/compiled_policy.hpp"

namespace authority::hosted {

// A problem with a place in the policy text.
struct policy_problem {
  error err;                          // code, field, offset into the source text
  policy_text::source_location loc;   // file:line:column (line 0: not tied to the text)
  std::string message;
};

using ed25519_signature = std::array<std::uint8_t, 64>;

struct policy_compile_options {
  std::uint64_t revision = 1;
  // When set, the blob carries an Ed25519 signature over header and sections, made by
  // this function (the CLI passes libsodium's crypto_sign_detached); the MAC follows it.
  std::function<ed25519_signature(bytes_view)> sign;
};

struct policy_compile_result {
  std::vector<std::uint8_t> blob;
  std::optional<policy_problem> failure;
  bool ok() const noexcept { return !failure.has_value(); }
};

// Validates every pattern (pattern::validate), version constraint and label again, so a
// blob never holds what the evaluator would misread; builds the matching structures;
// MACs the blob with the ring's signing key (its id goes in the header). Deterministic:
// the same AST, revision and key give the same bytes. Errors: invalid_pattern, too_long,
// invalid_argument (version constraint, target on a mixed effect selector),
// capacity_exceeded (more than 64 labels), key_unknown (no signing key).
policy_compile_result compile_policy(const policy_text::policy& p, const capability::key_ring& keys,
                                     const policy_compile_options& options = {});

// ---- explain ---------------------------------------------------------------------------

struct rule_summary {
  std::uint32_t index = policy::no_rule;
  policy::rule_info info;
  std::string location;  // "policy.json:12:7"
  std::string text;      // e.g. allow fs.read "/usr/**", sink tool.call "email.send" denies [untrusted]
};

struct explanation {
  policy::decision decision;
  std::optional<rule_summary> deciding;  // the rule that decided, if one did
  std::vector<rule_summary> others;      // every other rule that applies to the request
  std::string reason;                    // one sentence
  std::optional<std::string> missing;    // the grant (or sanitizer, or limit) that is missing
  std::optional<std::string> suggestion; // a snippet in the policy's format that would allow it
};

rule_summary summarize_rule(const policy::compiled_policy& p, std::uint32_t index);
// Label names of a set, in label order ("untrusted", ...).
std::vector<std::string> label_names(const policy::compiled_policy& p, policy::label_set labels);
explanation explain(const policy::compiled_policy& p, const policy::request& r);

// ---- lint ------------------------------------------------------------------------------

enum class lint_severity : std::uint8_t { warning, error };

struct lint_finding {
  lint_severity severity = lint_severity::warning;
  std::string check;  // "shadowed", "unreachable", "over-broad", "unused-label", "dead-sink", "invalid"
  policy_text::source_location loc;
  std::string message;
};

// Shadowed allows (contained in another allow of the same access), unreachable allows
// (contained in a deny), over-broad grants (write/exec to "/**", "ip:*:*", any-host DNS,
// tool "*", ...), declared labels nothing uses, sinks whose labels no source produces.
// Errors: unreachable rules, invalid patterns, write/exec/spawn of "/**". The rest warn.
std::vector<lint_finding> lint_policy(const policy_text::policy& p);

// ---- record mode -----------------------------------------------------------------------

struct recorded_request {
  policy::op kind = policy::op::fs_read;
  std::string target;                  // canonical, as for evaluation
  std::string version;                 // tool.call; empty when unknown
  std::uint64_t tokens = 0;            // infer
  budget::costs cost{};                // summed into budgets
  std::vector<budget::resource> costed; // resources the requests named (a zero cost still counts)
};

// The narrowest policy that allows exactly these requests: exact targets (no wildcards),
// tools pinned to "=version" when every request for the tool gave the same valid
// version, each model's max_tokens the largest request, budgets the sum of the costs.
// Errors: invalid_argument when a target is not valid for its op.
result<policy_text::policy> record_policy(std::span<const recorded_request> requests, policy_text::format f);

}  // namespace authority::hosted
