// The reference system's example policies and JSON fuzz seeds (../shared/reference) all
// load, and each key means what it says.
#include "support.hpp"

using namespace policy_test;
using authority::budget::resource;

namespace {

std::vector<std::string> patterns(const std::vector<pt::pattern_entry>& list) {
  std::vector<std::string> out;
  for (const auto& e : list) out.push_back(e.pattern);
  return out;
}

std::vector<std::string> fs_paths(const pt::policy& p, bool pt::fs_grant::*flag) {
  std::vector<std::string> out;
  for (const auto& g : p.fs.allow)
    if (g.*flag) out.push_back(g.path);
  return out;
}

std::vector<std::string> connects(const pt::policy& p) {
  std::vector<std::string> out;
  for (const auto& g : p.net.allow)
    if (g.connect) out.push_back(g.pattern);
  return out;
}

const pt::budget_entry* budget(const pt::policy& p, resource r) {
  for (const auto& b : p.budgets)
    if (b.resource == r) return &b;
  return nullptr;
}

pt::policy load_reference(const std::string& name) {
  const auto path = shared_dir() / "reference/policies" / name;
  const auto text = read_file(path);
  auto r = pt::parse_json(text, path.filename().string());
  INFO(all_diagnostics(r));
  REQUIRE(r.ok());
  return *r.ast;
}

const std::vector<std::string> standard_reads = {"/usr/**", "/lib/**", "/bin/**", "/etc/**", "/proc/self/**"};

void check_standard_budgets(const pt::policy& p) {
  REQUIRE(p.budgets.size() == 5);
  CHECK(budget(p, resource::heap_objects)->amount == 1000);
  CHECK(budget(p, resource::heap_bytes)->amount == 10485760);
  CHECK(budget(p, resource::tool_calls)->amount == 100);
  CHECK(budget(p, resource::tokens)->amount == 100000);
  CHECK(budget(p, resource::wall_time_ms)->amount == 60000);
  for (const auto& b : p.budgets) CHECK_FALSE(b.unlimited);
}

}  // namespace

TEST_CASE("every reference policy and JSON seed parses", "[policy_text][reference]") {
  auto files = shared_files("reference/policies", ".json");
  const auto seeds = shared_files("reference/fuzz-corpus/json", ".json");
  if (files.empty() && seeds.empty()) {
    WARN("skipped: no reference policies under " << shared_dir().string());
    return;
  }
  files.insert(files.end(), seeds.begin(), seeds.end());
  CHECK(files.size() >= 21);
  for (const auto& f : files) {
    INFO(f.string());
    auto r = pt::parse_json(read_file(f), f.filename().string());
    INFO(all_diagnostics(r));
    CHECK(r.ok());
  }
}

TEST_CASE("reference policies mean what their keys say", "[policy_text][reference]") {
  if (!std::filesystem::is_directory(shared_dir() / "reference/policies")) {
    WARN("skipped: no reference policies under " << shared_dir().string());
    return;
  }

  SECTION("01 heap: fs, budgets, profiles") {
    const auto p = load_reference("01_heap_policy.json");
    REQUIRE(p.version);
    CHECK(p.version->major == 1);
    CHECK(p.version->minor == 0);
    CHECK(p.version->loc.line == 2);
    CHECK(p.version->loc.column == 14);
    CHECK(fs_paths(p, &pt::fs_grant::read) == standard_reads);
    CHECK(fs_paths(p, &pt::fs_grant::write) == std::vector<std::string>{"/tmp/**"});
    CHECK(fs_paths(p, &pt::fs_grant::exec).empty());
    // Each JSON entry is its own grant, located at its string.
    REQUIRE(p.fs.allow.size() == 6);
    CHECK_FALSE(p.fs.allow[0].write);
    CHECK(p.fs.allow[0].loc.line == 5);
    CHECK(p.fs.allow[0].loc.column == 7);
    CHECK(p.fs.allow[0].loc.file_name() == "01_heap_policy.json");
    check_standard_budgets(p);
    REQUIRE(p.profiles.size() == 1);
    CHECK(p.profiles[0].name == "tier1-musl");
    CHECK(p.net.allow.empty());
    CHECK(p.tools.allow.empty());
  }

  SECTION("02 authorization: net.dns and net.connect") {
    const auto p = load_reference("02_authorization_policy.json");
    CHECK(patterns(p.net.dns) == std::vector<std::string>{"api.example.com", "*.example.com"});
    CHECK(connects(p) == std::vector<std::string>{"dns:api.example.com:443", "dns:*.example.com:443"});
    for (const auto& g : p.net.allow) {
      CHECK_FALSE(g.bind);
      CHECK_FALSE(g.listen);
    }
    check_standard_budgets(p);
  }

  SECTION("03 tools: allow and deny") {
    const auto p = load_reference("03_tool_policy.json");
    REQUIRE(p.tools.allow.size() == 5);
    CHECK(p.tools.allow[0].name == "add");
    CHECK(p.tools.allow[4].name == "file_read");
    CHECK_FALSE(p.tools.allow[0].version);
    REQUIRE(p.tools.deny.size() == 1);
    CHECK(p.tools.deny[0].name == "shell_exec");
  }

  SECTION("04 inference: models and the policy-wide max_tokens") {
    const auto p = load_reference("04_inference_policy.json");
    REQUIRE(p.infer.models.size() == 3);
    CHECK(p.infer.models[2].model == "claude-*");
    for (const auto& m : p.infer.models) CHECK_FALSE(m.max_tokens);
    REQUIRE(p.infer.max_tokens);
    CHECK(*p.infer.max_tokens == 100000);
    CHECK(connects(p) == std::vector<std::string>{"dns:api.openai.com:443", "dns:api.anthropic.com:443"});
  }

  SECTION("05 audit: one more read path") {
    const auto p = load_reference("05_audit_policy.json");
    auto reads = standard_reads;
    reads.push_back("/ak/**");
    CHECK(fs_paths(p, &pt::fs_grant::read) == reads);
  }

  SECTION("e2e: description, exec, empty sections, zero budgets, tools as an array") {
    const auto p = load_reference("e2e_test_policy.json");
    REQUIRE(p.description);
    CHECK(p.description->starts_with("E2E Test Policy"));
    CHECK(fs_paths(p, &pt::fs_grant::exec) == std::vector<std::string>{"/test_basic"});
    CHECK(fs_paths(p, &pt::fs_grant::read).size() == 6);
    CHECK(p.net.allow.empty());  // "connect": [], "listen": [] allow nothing
    CHECK(p.net.dns.empty());
    CHECK(p.tools.allow.empty());  // "tools": []
    CHECK(p.profiles.empty());
    // 0 is zero, not unlimited.
    REQUIRE(budget(p, resource::tool_calls));
    CHECK(budget(p, resource::tool_calls)->amount == 0);
    CHECK_FALSE(budget(p, resource::tool_calls)->unlimited);
    CHECK(budget(p, resource::tokens)->amount == 0);
    CHECK(budget(p, resource::heap_bytes)->amount == 104857600);
  }
}

TEST_CASE("reference JSON seeds: wasm, infer, unicode and escapes", "[policy_text][reference]") {
  const auto dir = shared_dir() / "reference/fuzz-corpus/json";
  if (!std::filesystem::is_directory(dir)) {
    WARN("skipped: no fuzz corpus under " << shared_dir().string());
    return;
  }
  const auto wasm = parse_ok(read_file(dir / "wasm_infer.json"));
  CHECK(patterns(wasm.wasm.modules) == std::vector<std::string>{"calculator.wasm", "encoder.wasm"});
  CHECK(patterns(wasm.wasm.hostcalls) == std::vector<std::string>{"fs_read", "net_fetch"});
  CHECK(wasm.infer.models.size() == 2);

  const auto unicode = parse_ok(read_file(dir / "edge_unicode.json"));
  CHECK(fs_paths(unicode, &pt::fs_grant::read) ==
        std::vector<std::string>{"/path/\xE4\xB8\xAD\xE6\x96\x87/**", "/path/\xD0\x90\xD0\x91\xD0\x92/**"});

  const auto special = parse_ok(read_file(dir / "edge_special_chars.json"));
  CHECK(fs_paths(special, &pt::fs_grant::read) ==
        std::vector<std::string>{"/path/with spaces/**", "/path/with\\\"quotes/**", "/path/with\\\\backslash/**"});

  const auto profiles = parse_ok(read_file(dir / "profiles.json"));
  REQUIRE(profiles.profiles.size() == 2);
  CHECK(profiles.profiles[1].name == "tier2-glibc");

  const auto combined = parse_ok(read_file(dir / "combined_policy.json"));
  CHECK(connects(combined) == std::vector<std::string>{"ip:*:443", "ip:*:80"});
  CHECK(combined.tools.deny.size() == 2);
}
