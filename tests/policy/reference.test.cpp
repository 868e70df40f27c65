// Every reference policy (../shared/reference/policies/) compiles, and its decisions mean
// what its keys say.
#include "support.hpp"

using namespace policy_core_test;

namespace {

std::unique_ptr<loaded> load_reference(const std::string& name) {
  const auto path = shared_dir() / "reference" / "policies" / name;
  if (!std::filesystem::exists(path)) return nullptr;
  return load(parse_ok(read_file(path), pt::format::json, name));
}

#define LOAD_OR_SKIP(var, name)                                                              \
  auto var = load_reference(name);                                                           \
  if (!var) {                                                                                \
    WARN("SKIPPED: " << (shared_dir() / "reference/policies" / name) << " does not exist");  \
    return;                                                                                  \
  }

// The keys every reference policy but e2e shares.
void check_common(const loaded& p) {
  for (auto path : {"/usr/bin/ls", "/lib/libc.so", "/bin/sh", "/etc/hosts", "/proc/self/maps"})
    CHECK(p.allows(op::fs_read, path));
  CHECK(p.allows(op::fs_write, "/tmp/out.txt"));
  CHECK(p.reason(op::fs_write, "/etc/hosts") == errc::not_allowed);
  CHECK(p.reason(op::fs_read, "/home/user/.ssh/id_rsa") == errc::not_allowed);
  CHECK(p.reason(op::fs_exec, "/bin/sh") == errc::not_allowed);
  CHECK(p.policy.budget(budget::resource::heap_objects) == budget_limit{blob::budget_state::amount, 1000});
  CHECK(p.policy.budget(budget::resource::heap_bytes) == budget_limit{blob::budget_state::amount, 10485760});
  CHECK(p.policy.budget(budget::resource::tool_calls) == budget_limit{blob::budget_state::amount, 100});
  CHECK(p.policy.budget(budget::resource::tokens) == budget_limit{blob::budget_state::amount, 100000});
  CHECK(p.policy.budget(budget::resource::wall_time_ms) == budget_limit{blob::budget_state::amount, 60000});
  CHECK(p.policy.budget(budget::resource::cpu_time_ns).absent());
  CHECK(p.policy.format() == source_format::json);
}

}  // namespace

TEST_CASE("reference 01_heap_policy: fs grants, profile, budgets") {
  LOAD_OR_SKIP(p, "01_heap_policy.json");
  check_common(*p);
  CHECK(p->reason(op::net_connect, "dns:api.example.com:443") == errc::not_allowed);
  CHECK(p->reason(op::tool_call, "add") == errc::not_allowed);
  auto info = p->policy.rule(p->eval(op::fs_read, "/usr/bin/ls").rule);
  CHECK(info.file == "01_heap_policy.json");
  CHECK(info.line == 5);
  CHECK(info.pattern == "/usr/**");
}

TEST_CASE("reference 02_authorization_policy: DNS and dns: connect rules") {
  LOAD_OR_SKIP(p, "02_authorization_policy.json");
  check_common(*p);
  CHECK(p->allows(op::net_connect, "dns:api.example.com:443"));
  CHECK(p->reason(op::net_connect, "dns:evil.com:443") == errc::not_allowed);
  CHECK(p->allows(op::net_connect, "dns:cdn.example.com:443"));
  CHECK(p->reason(op::net_connect, "dns:api.example.com:80") == errc::not_allowed);
  CHECK(p->reason(op::net_connect, "dns:a.b.example.com:443") == errc::not_allowed);
  CHECK(p->reason(op::net_connect, "dns:evilexample.com:443") == errc::not_allowed);
  CHECK(p->reason(op::net_connect, "ip:93.184.216.34:443") == errc::not_allowed);
  CHECK(p->allows(op::net_dns, "api.example.com"));
  CHECK(p->allows(op::net_dns, "www.example.com"));
  CHECK(p->reason(op::net_dns, "example.com") == errc::not_allowed);
  CHECK(p->reason(op::net_bind, "ip:0.0.0.0:8080") == errc::not_allowed);
  // The exact rule is more specific than the wildcard.
  CHECK(p->deciding_pattern(op::net_connect, "dns:api.example.com:443") == "dns:api.example.com:443");
}

TEST_CASE("reference 03_tool_policy: tool allow and deny lists") {
  LOAD_OR_SKIP(p, "03_tool_policy.json");
  check_common(*p);
  for (auto tool : {"add", "concat", "http_get", "http_post", "file_read"}) CHECK(p->allows(op::tool_call, tool));
  auto d = p->eval(op::tool_call, "shell_exec");
  CHECK(d.reason == errc::denied_by_rule);
  CHECK(p->policy.rule(d.rule).pattern == "shell_exec");
  CHECK(p->reason(op::tool_call, "rm") == errc::not_allowed);
}

TEST_CASE("reference 04_inference_policy: models, max_tokens, API hosts") {
  LOAD_OR_SKIP(p, "04_inference_policy.json");
  check_common(*p);
  CHECK(p->eval(op::infer, "gpt-4", 0, {}, 100000).allow);
  CHECK(p->eval(op::infer, "gpt-4", 0, {}, 100001).reason == errc::limit_exceeded);
  CHECK(p->eval(op::infer, "gpt-3.5-turbo", 0, {}, 10).allow);
  CHECK(p->eval(op::infer, "claude-3-opus", 0, {}, 10).allow);
  CHECK(p->eval(op::infer, "llama-3", 0, {}, 10).reason == errc::not_allowed);
  CHECK(p->eval(op::infer, "gpt-4o", 0, {}, 10).reason == errc::not_allowed);
  CHECK(p->allows(op::net_connect, "dns:api.openai.com:443"));
  CHECK(p->allows(op::net_connect, "dns:api.anthropic.com:443"));
  CHECK(p->reason(op::net_connect, "dns:api.mistral.ai:443") == errc::not_allowed);
  CHECK(p->allows(op::net_dns, "api.openai.com"));
  CHECK(p->policy.max_tokens() == std::optional<std::uint64_t>{100000});
}

TEST_CASE("reference 05_audit_policy: /ak/** readable") {
  LOAD_OR_SKIP(p, "05_audit_policy.json");
  check_common(*p);
  CHECK(p->allows(op::fs_read, "/ak/log/0001"));
  CHECK(p->allows(op::fs_read, "/ak"));
  CHECK(p->reason(op::fs_write, "/ak/log/0001") == errc::not_allowed);
}

TEST_CASE("reference e2e_test_policy: tools: [] denies every tool, zero budgets are zero") {
  LOAD_OR_SKIP(p, "e2e_test_policy.json");
  for (auto tool : {"add", "shell_exec", "anything"}) CHECK(p->reason(op::tool_call, tool) == errc::not_allowed);
  CHECK(p->policy.budget(budget::resource::tool_calls) == budget_limit{blob::budget_state::amount, 0});
  CHECK(p->policy.budget(budget::resource::tokens) == budget_limit{blob::budget_state::amount, 0});
  CHECK(p->policy.budget(budget::resource::heap_objects) == budget_limit{blob::budget_state::amount, 10000});
  CHECK(p->allows(op::fs_exec, "/test_basic"));
  CHECK(p->reason(op::fs_exec, "/test_basic2") == errc::not_allowed);
  CHECK(p->allows(op::fs_read, "/etc/passwd"));
  CHECK(p->allows(op::fs_read, "/etc/hosts"));
  CHECK(p->reason(op::fs_read, "/etc/shadow") == errc::not_allowed);
  CHECK(p->allows(op::fs_read, "/usr/lib/x86_64-linux-gnu/libc.so.6"));
  CHECK(p->reason(op::fs_read, "/usr/bin/ls") == errc::not_allowed);
  CHECK(p->allows(op::fs_write, "/tmp/out"));
  CHECK(p->reason(op::net_connect, "dns:example.com:443") == errc::not_allowed);
  CHECK(p->reason(op::net_listen, "ip:0.0.0.0:80") == errc::not_allowed);
  CHECK(p->reason(op::net_dns, "example.com") == errc::not_allowed);
}

TEST_CASE("every reference policy compiles, opens and has a rule per entry") {
  const auto dir = shared_dir() / "reference" / "policies";
  if (!std::filesystem::is_directory(dir)) {
    WARN("SKIPPED: " << dir << " does not exist");
    return;
  }
  std::size_t count = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() != ".json") continue;
    INFO(e.path());
    auto ast = parse_ok(read_file(e.path()), pt::format::json, e.path().filename().string());
    auto p = load(ast);
    std::size_t entries = ast.fs.allow.size() + ast.net.dns.size() + ast.net.allow.size() + ast.tools.allow.size() +
                          ast.tools.deny.size() + ast.infer.models.size();
    for (const auto& ref : ast.profiles) entries += pt::expand_profile(ref.name)->size();
    CHECK(p->policy.rule_count() == entries);
    ++count;
  }
  CHECK(count == 6);
}
