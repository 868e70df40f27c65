// One request as a JSON Lines record: what `authority eval` reads, and what a full-gate
// mode reads too (the gate fields cap, seq, run and agent are parsed and returned; the
// policy-only evaluator ignores them). Hosted-only.
//
//   {"effect": "fs.read", "target": "/etc/hosts"}
//   {"effect": "tool.call", "target": "email.send", "version": "1.2.0", "labels": ["untrusted"]}
//   {"effect": "infer", "target": "gpt-4", "tokens": 1200, "cost": {"tokens": 1200}}
//   {"effect": "net.connect", "target": "dns:api.example.com:443", "cap": "...", "seq": 7,
//    "run": "00112233445566778899aabbccddeeff", "agent": 3}
//   {"effect": "fs.rename", "target": "/tmp/a", "target2": "/tmp/b"}
//   {"effect": "heap.alloc", "target": "counter", "payload": "0", "cost": {"heap_bytes": 8}}
//
// "effect" is any effect of the gate's catalog (effects.hpp) or a policy operation.
//
// Strict: unknown fields are errors that name the field, as are duplicate fields, wrong
// types, negative or fractional numbers, unknown effects and unknown cost resources.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "authority/budget/limits.hpp"
#include "authority/core/bytes.hpp"
#include "authority/effects.hpp"
#include "authority/policy/compiled_policy.hpp"
#include "authority/policy/op.hpp"

namespace authority::hosted {

struct request_line {
  // The effect: a row of the gate's catalog (effects.hpp) when the name is one of its
  // effects, and the policy operation that judges it. `judged` is false for effects the
  // capability alone decides (heap.*, secret.get, ipc.*, …): no policy op applies.
  // "fs.exec" is a policy operation only (no agent effect): gate_effect stays empty.
  const effect_info* gate_effect = nullptr;
  policy::op effect = policy::op::fs_read;
  bool judged = true;
  std::string target;                    // as written (eval canonicalizes paths)
  std::optional<std::string> target2;    // fs.rename: the destination
  std::optional<std::string> payload;    // the effect's arguments (the executor's input)
  std::optional<std::string> version;    // tool.call
  std::uint64_t tokens = 0;              // infer
  std::vector<std::string> labels;       // label names of the data flowing in
  budget::costs cost{};                  // "cost": {"<resource>": N, ...}
  std::vector<budget::resource> costed;  // the resources "cost" named, in order
  // Gate fields.
  std::optional<std::string> cap;        // capability token text
  std::optional<std::uint64_t> seq;      // request sequence number
  std::optional<byte_array<16>> run;     // run id, 32 hex digits
  std::optional<std::uint64_t> agent;    // agent id
};

struct request_line_result {
  std::optional<request_line> value;
  std::string error;  // when !value: what is wrong, naming the field
  bool ok() const noexcept { return value.has_value(); }
};

// Parses one line (a JSON object). Blank lines are the caller's business.
request_line_result parse_request_line(std::string_view line);

// The policy request a line stands for, against policy `p`: fs and spawn targets are
// canonicalized (the path checked is the path opened; a path that cannot be canonicalized
// is passed on as written, so the evaluator refuses it with invalid_path or too_long);
// label names are looked up in p's label table. The request's views point into `line`
// and `storage`. Errors name the unknown label.
struct resolved_request {
  policy::request request{};
  std::string error;
  bool ok() const noexcept { return error.empty(); }
};
resolved_request resolve_request(const request_line& line, const policy::compiled_policy& p, std::string& storage);

// The fields parse_request_line accepts, for help texts.
inline constexpr std::string_view request_line_fields[] = {"effect", "target", "target2", "payload", "version", "tokens",
                                                           "labels", "cost",   "cap",     "seq",  "run",     "agent"};

}  // namespace authority::hosted
