// Helpers for the policy engine's Catch2 tests: a fixed key ring, text → blob → opened
// policy, and short request builders. Everything goes through the public entry points:
// policy_text::parse, hosted::compile_policy, policy::compiled_policy::open.
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "authority/hosted/policy_compiler.hpp"
#include "authority/hosted/policy_text.hpp"
#include "authority/policy/policy.hpp"

namespace policy_core_test {

using namespace authority;
using namespace authority::policy;
namespace pt = authority::policy_text;

inline constexpr time_ns now = 1'700'000'000ull * ns_per_s;
inline constexpr std::uint32_t test_key_id = 7;

inline capability::key_secret test_secret(byte seed = 1) {
  capability::key_secret s{};
  for (std::size_t i = 0; i < s.size(); ++i) s[i] = static_cast<byte>(seed + 5 * i);
  return s;
}

inline std::unique_ptr<capability::key_ring> test_ring(std::uint32_t id = test_key_id, byte seed = 1) {
  auto ring = std::make_unique<capability::key_ring>();
  REQUIRE(ring->add_active(id, test_secret(seed), now).ok());
  return ring;
}

inline const capability::key_ring& keys() {
  static const auto ring = test_ring();
  return *ring;
}

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline std::filesystem::path shared_dir() { return std::filesystem::path{AUTHORITY_SHARED_DIR}; }

inline pt::policy parse_ok(std::string_view text, pt::format f = pt::format::json, std::string_view file = "") {
  if (file.empty()) file = f == pt::format::json ? "test.json" : "test.toml";
  auto r = pt::parse(text, f, file);
  std::string diagnostics;
  for (const auto& d : r.diagnostics) diagnostics += d.to_string();
  INFO(diagnostics);
  REQUIRE(r.ok());
  return *r.ast;
}

inline std::vector<std::uint8_t> compile_ok(const pt::policy& p, std::uint64_t revision = 1) {
  hosted::policy_compile_options options;
  options.revision = revision;
  auto r = hosted::compile_policy(p, keys(), options);
  INFO((r.failure ? r.failure->loc.to_string() + ": " + r.failure->message : std::string{}));
  REQUIRE(r.ok());
  return r.blob;
}

// A compiled, opened policy that owns its blob.
struct loaded {
  std::vector<std::uint8_t> blob;
  compiled_policy policy;

  decision eval(op kind, std::string_view target, label_set labels = 0, std::string_view version = {},
                std::uint64_t tokens = 0) const {
    return policy.evaluate(request{kind, target, version, tokens, labels});
  }
  bool allows(op kind, std::string_view target, label_set labels = 0) const { return eval(kind, target, labels).allow; }
  errc reason(op kind, std::string_view target, label_set labels = 0) const { return eval(kind, target, labels).reason; }
  label_set label(std::string_view name) const {
    auto i = policy.label_from_name(name);
    REQUIRE(i.has_value());
    return label_set{1} << *i;
  }
  // The pattern text of the rule that decided.
  std::string deciding_pattern(op kind, std::string_view target, label_set labels = 0) const {
    auto d = eval(kind, target, labels);
    if (d.rule == no_rule) return "<none>";
    return std::string{policy.rule(d.rule).pattern};
  }
};

inline std::unique_ptr<loaded> load(const pt::policy& p, std::uint64_t revision = 1) {
  auto out = std::make_unique<loaded>();
  out->blob = compile_ok(p, revision);
  auto opened = compiled_policy::open(out->blob, keys(), now);
  INFO("open: " << name_of(opened.code()) << " field " << opened.error().field << " at " << opened.error().offset);
  REQUIRE(opened.ok());
  out->policy = *opened;
  return out;
}

inline std::unique_ptr<loaded> load(std::string_view text, pt::format f = pt::format::json) {
  return load(parse_ok(text, f));
}

}  // namespace policy_core_test
