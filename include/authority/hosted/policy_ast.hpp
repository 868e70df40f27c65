// The policy AST: what a policy file says, independent of whether it was written in JSON
// or TOML. Both parsers (src/policy_json.cpp, src/policy_toml.cpp) produce it, both
// printers read it, and the policy compiler walks it. Hosted-only (std::string/vector).
//
// Shape: one `policy` with one member per section. Every rule keeps the place it came
// from (`source_location`) so a decision can name "the rule at policy.json:12:7".
// Lists keep file order; order carries no meaning (the evaluator picks the most
// specific rule, deny beats allow), which is why `same_meaning` compares them as sets.
//
// Defaults when a key is absent: an empty list (nothing allowed: deny by default), no
// budget entry (the resource is not limited by this policy), `sandbox = false`, no
// `max_tokens` limit. Absent and empty sections mean the same and print the same.
// Every string here has been validated: patterns by pattern::validate in the syntax of
// their list, names of profiles, effects and labels against what exists. The language
// itself, in both formats: docs/policy-language.md.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "authority/budget/resource.hpp"

namespace authority::policy_text {

enum class format : std::uint8_t { json, toml };

// Where something was written. line and column are 1-based; column counts Unicode code
// points (a tab counts as one). line == 0 means "not from a file" (built in code).
struct source_location {
  std::shared_ptr<const std::string> file;  // shared by every location of one parse
  std::uint32_t line = 0;
  std::uint32_t column = 0;
  std::uint32_t offset = 0;  // byte offset into the input

  std::string_view file_name() const noexcept { return file ? std::string_view{*file} : std::string_view{}; }
  std::string to_string() const;  // "policy.json:12:7"
  bool operator==(const source_location& other) const noexcept {
    return file_name() == other.file_name() && line == other.line && column == other.column &&
           offset == other.offset;
  }
};

// `version`: "1.0" (also "1" or "1.N"); major versions other than 1 are rejected.
struct policy_version {
  std::uint32_t major = 1;
  std::uint32_t minor = 0;
  source_location loc;
  bool operator==(const policy_version&) const = default;
};

// A pattern with no extra attributes (fs.deny, net.deny, net.dns, wasm names, spawn).
// Its syntax (path / net / host / name glob) is fixed by the list that holds it.
struct pattern_entry {
  std::string pattern;
  source_location loc;
  bool operator==(const pattern_entry&) const = default;
};

// JSON fs.read / fs.write / fs.exec entries, TOML [[fs.allow]] tables. A JSON entry
// sets exactly one flag; a TOML table may set several. At least one flag is true.
struct fs_grant {
  std::string path;  // path glob
  bool read = false;
  bool write = false;
  bool exec = false;
  source_location loc;
  bool operator==(const fs_grant&) const = default;
};

struct fs_section {
  std::vector<fs_grant> allow;
  std::vector<pattern_entry> deny;  // path globs denied for every fs access (extension)
  bool operator==(const fs_section&) const = default;
};

// JSON net.connect / net.bind / net.listen entries, TOML [[net.allow]] tables.
struct net_grant {
  std::string pattern;  // net pattern: dns:HOST:PORTS, ip:ADDR|CIDR|*:PORTS, ip:[v6]:PORTS
  bool connect = false;
  bool bind = false;
  bool listen = false;
  source_location loc;
  bool operator==(const net_grant&) const = default;
};

struct net_section {
  std::vector<pattern_entry> dns;    // host patterns allowed for net.dns (TOML [[dns.allow]])
  std::vector<net_grant> allow;
  std::vector<pattern_entry> deny;   // net patterns denied for every net operation (extension)
  bool operator==(const net_section&) const = default;
};

// A tool name glob with an optional version constraint. JSON writes a plain string, or
// {"name": "...", "version": "..."} when there is a constraint; TOML [[tools.allow]] /
// [[tools.deny]] with name and version. Constraint grammar (checked by the parser):
// comma-separated terms `[op]N[.N[.N]]` with op one of = == != >= <= > < ^ ~ (none: =),
// e.g. ">=1.2, <2". Its meaning is the evaluator's (semver-style comparison).
struct tool_rule {
  std::string name;
  std::optional<std::string> version;
  source_location loc;
  bool operator==(const tool_rule&) const = default;
};

struct tools_section {
  std::vector<tool_rule> allow;
  std::vector<tool_rule> deny;  // deny beats allow
  bool operator==(const tools_section&) const = default;
};

struct wasm_section {
  std::vector<pattern_entry> modules;    // module name globs (TOML [[wasm.allow]] module)
  std::vector<pattern_entry> hostcalls;  // host-call name globs (TOML [[wasm.hostcalls]] name)
  bool operator==(const wasm_section&) const = default;
};

// An allowed model with its own per-request token limit (TOML [[inference.allow]]; JSON
// a plain string, or {"model": "...", "max_tokens": N}).
struct model_rule {
  std::string model;  // name glob
  std::optional<std::uint64_t> max_tokens;
  source_location loc;
  bool operator==(const model_rule&) const = default;
};

// The limit for one request to model m is the smaller of m's own max_tokens and the
// policy-wide max_tokens (JSON infer.max_tokens, TOML [inference] max_tokens), where set.
struct infer_section {
  std::vector<model_rule> models;
  std::optional<std::uint64_t> max_tokens;
  source_location max_tokens_loc;
  bool operator==(const infer_section&) const = default;
};

// Budget amounts are 0 .. 2^63-1; 0 means zero (nothing may be spent), never unlimited.
inline constexpr std::uint64_t max_amount = 0x7fff'ffff'ffff'ffffULL;

struct budget_entry {
  budget::resource resource = budget::resource::tokens;
  bool unlimited = false;      // the string "unlimited"
  std::uint64_t amount = 0;    // when !unlimited
  source_location loc;
  bool operator==(const budget_entry&) const = default;
};

// Built-in profiles: named bundles of fs grants (see expand_profile).
struct profile_ref {
  std::string name;
  source_location loc;
  bool operator==(const profile_ref&) const = default;
};

// spawn.sandbox == true: every child must run with capabilities attenuated from the
// parent's (a strict subset, with a share of its budget), never with the parent's own.
struct spawn_section {
  std::vector<pattern_entry> allow;  // executable path globs
  std::vector<pattern_entry> deny;
  bool sandbox = false;
  source_location sandbox_loc;
  bool operator==(const spawn_section&) const = default;
};

// The effect kinds a policy names (taint rules). Stable numbers: bits of effect_set.
enum class effect_kind : std::uint8_t {
  fs_read, fs_write, fs_exec, net_dns, net_connect, net_bind, net_listen,
  tool_call, wasm_call, wasm_hostcall, infer, spawn,
};
inline constexpr std::size_t effect_kind_count = 12;
using effect_set = std::uint16_t;  // bit (1 << effect_kind)

constexpr effect_set effect_bit(effect_kind k) noexcept {
  return static_cast<effect_set>(1u << static_cast<unsigned>(k));
}

// The policy spelling of each kind ("fs.read", ..., "infer", "spawn").
std::string_view effect_name(effect_kind k) noexcept;

// "net.connect" → one kind; "net.*" → every kind of the family (fs, net, tool, wasm).
// Empty when the spelling is not an effect selector.
std::optional<effect_set> parse_effect_selector(std::string_view text) noexcept;

struct effect_selector {
  std::string text;        // as written and validated, e.g. "net.*"
  effect_set kinds = 0;    // what it selects
  bool operator==(const effect_selector&) const = default;
};

// Data produced by a matching effect carries `label`.
struct taint_source {
  effect_selector effect;
  std::optional<std::string> target;  // pattern in the syntax of the effect's kinds
  std::string label;
  source_location loc;
  bool operator==(const taint_source&) const = default;
};

// Data carrying any label in `deny` may not flow into a matching effect.
struct taint_sink {
  effect_selector effect;
  std::optional<std::string> target;
  std::vector<std::string> deny;
  source_location loc;
  bool operator==(const taint_sink&) const = default;
};

// The output of tool `tool` loses `removes` and gains `adds`.
struct taint_sanitizer {
  std::string tool;  // tool name
  std::vector<std::string> removes;
  std::vector<std::string> adds;
  source_location loc;
  bool operator==(const taint_sanitizer&) const = default;
};

inline constexpr std::string_view builtin_label = "untrusted";

// Label names: 1-64 characters of [A-Za-z0-9_.-] in parts joined by ':' ("sanitized:html").
// A label used anywhere must be declared in `labels` or be the built-in `untrusted`.
struct taint_section {
  std::vector<pattern_entry> labels;  // declared labels (pattern_entry: name + location)
  std::vector<taint_source> sources;
  std::vector<taint_sink> sinks;
  std::vector<taint_sanitizer> sanitizers;
  bool operator==(const taint_section&) const = default;
};

struct policy {
  format source_format = format::json;
  std::optional<policy_version> version;  // absent: the file did not say (1.0 applies)
  std::optional<std::string> name;
  std::optional<std::string> description;
  std::vector<profile_ref> profiles;
  fs_section fs;
  net_section net;
  tools_section tools;
  wasm_section wasm;
  infer_section infer;
  std::vector<budget_entry> budgets;  // at most one entry per resource
  spawn_section spawn;
  taint_section taint;

  // Equality includes source locations and the source format; see same_meaning.
  bool operator==(const policy&) const = default;
};

// True when a and b say the same thing: source locations and the source format are
// ignored, lists are compared as sets, and fs/net grants are compared per access flag
// (a TOML grant `read = true, write = true` equals JSON's separate read and write entries).
bool same_meaning(const policy& a, const policy& b);

// A copy with every source location cleared (line 0, no file).
policy without_locations(policy p);

// Built-in profiles.
struct profile_grant {
  std::string_view path;  // path glob
  bool read = false;
  bool write = false;
  bool exec = false;
};

// The fs grants a built-in profile stands for; empty for an unknown name.
std::optional<std::span<const profile_grant>> expand_profile(std::string_view name) noexcept;
std::span<const std::string_view> builtin_profiles() noexcept;

}  // namespace authority::policy_text
