// Stable numeric error codes. They appear in audit entries, in the C ABI and on the
// wire, so a number, once given, never changes meaning. Ranges group the layers:
//   0 ok · 1xx decoding/encoding · 2xx capabilities · 3xx policy · 4xx budgets
//   5xx audit · 6xx gate/requests · 7xx platform/ports.
// docs/error-codes.md lists them; a test keeps that table and this one equal.
#pragma once

#include <cstdint>
#include <string_view>

namespace authority {

// X(name, number, description)
#define AUTHORITY_ERROR_CODES(X)                                                           \
  X(ok, 0, "success")                                                                      \
  /* 1xx: decoding and encoding */                                                         \
  X(truncated, 100, "input ends before the structure does")                                \
  X(trailing_bytes, 101, "bytes left over after a complete structure")                     \
  X(non_canonical, 102, "valid but not the one canonical encoding")                        \
  X(unsupported_version, 103, "version not understood by this build")                      \
  X(bad_magic, 104, "input does not start with the expected magic")                        \
  X(too_long, 105, "a field or input exceeds its maximum length")                          \
  X(invalid_encoding, 106, "not valid hex / base64url / varint / UTF-8")                   \
  X(out_of_range, 107, "a number is outside its allowed range")                            \
  X(capacity_exceeded, 108, "a fixed-capacity container or table is full")                 \
  X(invalid_argument, 109, "an argument is malformed")                                     \
  X(bad_checksum, 110, "a checksum or frame check failed")                                 \
  X(too_complex, 111, "bounded work limit reached; refused rather than guessed")          \
  X(not_found, 112, "the named item does not exist")                                       \
  X(invalid_pattern, 113, "a glob, DNS or CIDR pattern is malformed")                      \
  X(invalid_path, 114, "a path is empty, relative, too long or contains NUL")             \
  /* 2xx: capabilities (INV-2) */                                                          \
  X(key_unknown, 200, "capability key id is not in the key ring")                          \
  X(key_expired, 201, "capability key was retired and its grace period is over")           \
  X(bad_mac, 202, "capability MAC does not verify")                                        \
  X(token_expired, 203, "capability TTL has run out")                                      \
  X(token_not_yet_valid, 204, "capability issued in the future")                           \
  X(revoked, 205, "capability, its run or an ancestor is revoked")                         \
  X(wrong_type, 206, "capability type does not match the effect")                          \
  X(resource_not_covered, 207, "capability resource pattern does not cover the target")    \
  X(method_not_allowed, 208, "capability does not grant the method")                       \
  X(run_mismatch, 209, "capability is bound to another run")                               \
  X(rate_limited, 210, "capability rate limit exhausted")                                  \
  X(widens_type, 211, "delegation changes the capability type")                            \
  X(widens_resource, 212, "delegated resource is not contained in the parent's")          \
  X(widens_methods, 213, "delegated methods are not a subset of the parent's")            \
  X(widens_ttl, 214, "delegated TTL outlives the parent")                                  \
  X(widens_rate, 215, "delegated rate limit is looser than the parent's")                  \
  X(widens_run, 216, "delegation changes or drops the run binding")                        \
  X(depth_exceeded, 217, "delegation chain is deeper than allowed")                        \
  X(missing_capability, 218, "the effect needs a capability and none was presented")       \
  /* 3xx: policy */                                                                        \
  X(no_policy, 300, "no policy is loaded: everything is denied")                           \
  X(denied_by_rule, 301, "a deny rule matches")                                            \
  X(not_allowed, 302, "no allow rule matches (deny by default)")                           \
  X(taint_violation, 303, "untrusted data would reach a sink unsanitized")                 \
  X(policy_syntax, 304, "policy text does not parse")                                      \
  X(policy_unknown_key, 305, "policy has a key this version does not know")                \
  X(policy_duplicate_key, 306, "policy repeats a key")                                     \
  X(policy_type, 307, "policy value has the wrong type")                                   \
  X(policy_mac, 308, "compiled policy blob signature does not verify")                     \
  X(policy_rollback, 309, "policy version does not increase")                              \
  X(limit_exceeded, 310, "a per-request limit in the policy is exceeded")                  \
  X(policy_missing_key, 311, "policy omits a key that is required")                       \
  /* 4xx: budgets (INV-3) */                                                               \
  X(budget_exceeded, 400, "reservation would exceed the budget")                           \
  X(deadline_exceeded, 401, "wall-time or CPU-time budget has run out")                    \
  X(budget_unknown_reservation, 402, "commit or release of an unknown reservation")       \
  /* 5xx: audit (INV-4) */                                                                 \
  X(chain_broken, 500, "previous-hash link does not match")                                \
  X(entry_hash, 501, "entry hash does not match its content")                              \
  X(sequence_gap, 502, "sequence number is not the next one")                              \
  X(sink_failure, 503, "audit sink could not make the entry durable")                      \
  X(log_full, 504, "audit log has no room; effects are refused")                           \
  X(checkpoint_signature, 505, "checkpoint signature does not verify")                     \
  X(proof_invalid, 506, "Merkle inclusion or consistency proof does not verify")           \
  /* 6xx: gate and requests (INV-1) */                                                     \
  X(sequence_replay, 600, "request sequence number was already used")                      \
  X(sequence_order, 601, "request sequence number is not increasing")                      \
  X(agent_mismatch, 602, "request agent or run id does not match the session")             \
  X(unknown_effect, 603, "effect kind is not in the catalog")                              \
  X(executor_failed, 604, "the effect ran and failed")                                     \
  X(pending_approval, 605, "the effect waits for human approval")                          \
  X(abandoned, 606, "the agent went away before reporting the effect's outcome")           \
  X(bad_address, 607, "a system-call pointer is not the agent's own memory with that access") \
  X(bad_syscall, 608, "unknown system-call number")                                         \
  X(agent_page_fault, 609, "the agent touched memory it has not mapped, or without the access") \
  X(agent_privileged, 610, "the agent ran a privileged instruction or port I/O")            \
  X(agent_illegal_instruction, 611, "the agent ran an undefined instruction")               \
  X(agent_arithmetic, 612, "the agent's arithmetic trapped (divide error, FP exception)")   \
  X(agent_trap, 613, "the agent raised another exception (breakpoint, alignment, ...)")     \
  X(bad_executable, 614, "the agent's ELF is refused (format, arch, segments, W+X, range)") \
  /* 7xx: platform and ports */                                                            \
  X(io_error, 700, "operating system I/O error")                                           \
  X(entropy_failure, 701, "no randomness available")                                       \
  X(not_supported, 702, "this port's executor does not implement the effect")              \
  X(internal, 799, "internal invariant broken; failed closed")

enum class errc : std::uint16_t {
#define AUTHORITY_X(name, number, text) name = number,
  AUTHORITY_ERROR_CODES(AUTHORITY_X)
#undef AUTHORITY_X
};

struct errc_info {
  errc code;
  std::string_view name;
  std::string_view description;
};

inline constexpr errc_info errc_table[] = {
#define AUTHORITY_X(name, number, text) {errc::name, #name, text},
    AUTHORITY_ERROR_CODES(AUTHORITY_X)
#undef AUTHORITY_X
};

constexpr const errc_info* find_errc(errc code) noexcept {
  for (const auto& info : errc_table)
    if (info.code == code) return &info;
  return nullptr;
}

constexpr std::string_view name_of(errc code) noexcept {
  const auto* info = find_errc(code);
  return info ? info->name : std::string_view{"unknown_error"};
}

constexpr std::string_view describe(errc code) noexcept {
  const auto* info = find_errc(code);
  return info ? info->description : std::string_view{"unknown error code"};
}

constexpr bool table_is_strictly_increasing() noexcept {
  for (std::size_t i = 1; i < sizeof(errc_table) / sizeof(errc_table[0]); ++i)
    if (static_cast<unsigned>(errc_table[i - 1].code) >= static_cast<unsigned>(errc_table[i].code))
      return false;
  return true;
}
static_assert(table_is_strictly_increasing(), "error codes must be unique and in order");

// An error says what failed (code), where (a static field name such as "ttl" or
// "resource") and, for byte or text input, the offset at which it was found.
struct error {
  errc code = errc::internal;
  std::string_view field{};   // static string: the failing field, or empty
  std::uint32_t offset = 0;   // byte offset into the input, when meaningful

  constexpr bool operator==(const error&) const = default;
};

constexpr error make_error(errc code, std::string_view field = {}, std::uint32_t offset = 0) noexcept {
  return error{code, field, offset};
}

}  // namespace authority
