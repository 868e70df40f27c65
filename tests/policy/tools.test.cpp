// explain, lint, record mode, deny snippets and request lines.
#include "authority/hosted/request_line.hpp"
#include "support.hpp"

using namespace policy_core_test;

namespace {

bool has_finding(const std::vector<hosted::lint_finding>& findings, std::string_view check, std::uint32_t line,
                 hosted::lint_severity severity) {
  return std::any_of(findings.begin(), findings.end(), [&](const hosted::lint_finding& f) {
    return f.check == check && f.loc.line == line && f.severity == severity;
  });
}

std::string all(const std::vector<hosted::lint_finding>& findings) {
  std::string s;
  for (const auto& f : findings) s += f.loc.to_string() + " " + f.check + ": " + f.message + "\n";
  return s;
}

}  // namespace

TEST_CASE("explain: deciding rule with location, the other matching rules, and the reason") {
  auto p = load("{\n\"fs\": {\"read\": [\"/etc/**\", \"/etc/hosts\"],\n\"deny\": [\"/etc/shadow\"]}\n}\n");
  auto allowed = hosted::explain(p->policy, {op::fs_read, "/etc/hosts"});
  CHECK(allowed.decision.allow);
  REQUIRE(allowed.deciding.has_value());
  CHECK(allowed.deciding->location == "test.json:2:28");
  CHECK(allowed.deciding->text == "allow fs.read \"/etc/hosts\"");
  REQUIRE(allowed.others.size() == 1);
  CHECK(allowed.others[0].text == "allow fs.read \"/etc/**\"");
  CHECK(allowed.reason.find("allowed by") == 0);
  CHECK_FALSE(allowed.missing.has_value());

  auto denied = hosted::explain(p->policy, {op::fs_read, "/etc/shadow"});
  CHECK(denied.decision.reason == errc::denied_by_rule);
  CHECK(denied.deciding->text == "deny fs.read,fs.write,fs.exec \"/etc/shadow\"");
  CHECK(denied.deciding->location == "test.json:3:10");
  CHECK(denied.others.size() == 1);
  CHECK_FALSE(denied.suggestion.has_value());

  auto missing = hosted::explain(p->policy, {op::fs_write, "/etc/hosts"});
  CHECK(missing.decision.reason == errc::not_allowed);
  CHECK_FALSE(missing.deciding.has_value());
  CHECK(missing.missing == std::optional<std::string>{"fs.write grant for /etc/hosts"});
  CHECK(missing.suggestion == std::optional<std::string>{R"({"fs": {"write": ["/etc/hosts"]}})"});
}

TEST_CASE("explain: limits, taint and invalid targets") {
  auto p = load(R"({"infer": {"models": [{"model": "m", "max_tokens": 50}], "max_tokens": 40},
                    "tools": {"allow": ["send"]},
                    "taint": {"sinks": [{"effect": "tool.call", "target": "send", "deny": ["untrusted"]}]}})");
  auto limit = hosted::explain(p->policy, {op::infer, "m", {}, 45});
  CHECK(limit.decision.reason == errc::limit_exceeded);
  CHECK(limit.missing == std::optional<std::string>{"max_tokens >= 45 for model m and infer.max_tokens >= 45"});
  CHECK(limit.suggestion == std::optional<std::string>{R"({"infer": {"models": [{"model": "m", "max_tokens": 45}]}})"});
  auto taint = hosted::explain(p->policy, {op::tool_call, "send", {}, 0, untrusted_label});
  CHECK(taint.decision.reason == errc::taint_violation);
  CHECK(taint.deciding->text == "sink tool.call \"send\" denies [untrusted]");
  CHECK(taint.missing->find("sanitizer") != std::string::npos);
  auto bad = hosted::explain(p->policy, {op::fs_read, "relative/path"});
  CHECK(bad.decision.reason == errc::invalid_path);
  CHECK(bad.reason.find("not a valid path") != std::string::npos);
}

TEST_CASE("deny snippets parse in their own format and allow exactly the request") {
  const request requests[] = {
      {op::fs_read, "/etc/ho\"sts"},      {op::fs_write, "/tmp/a b"},        {op::fs_exec, "/bin/true"},
      {op::net_dns, "api.example.com"},   {op::net_connect, "dns:api.example.com:443"},
      {op::net_bind, "ip:[::1]:8080"},    {op::net_listen, "ip:0.0.0.0:80"}, {op::tool_call, "git", "2.1.0"},
      {op::tool_call, "tab\\name"},       {op::wasm_call, "calc"},           {op::wasm_hostcall, "log"},
      {op::infer, "gpt-4", {}, 500},      {op::infer, "small"},              {op::spawn, "/usr/bin/env"},
      {op::fs_read, "/données/été"}};
  for (auto f : {source_format::json, source_format::toml})
    for (const auto& r : requests) {
      char buffer[512];
      auto snippet = suggest_snippet(r, f, buffer);
      REQUIRE(snippet.ok());
      INFO(*snippet);
      auto p = load(parse_ok(*snippet, f == source_format::json ? pt::format::json : pt::format::toml));
      auto d = p->policy.evaluate(r);
      CHECK(d.allow);
      // Nothing wider: a sibling target is not allowed.
      std::string sibling{r.target};
      sibling.back() = sibling.back() == 'x' ? 'y' : 'x';
      if (r.kind == op::net_bind || r.kind == op::net_listen || r.kind == op::net_connect) sibling = std::string{r.target} + "1";
      CHECK_FALSE(p->policy.evaluate({r.kind, sibling, r.version, r.tokens}).allow);
      if (r.kind == op::infer && r.tokens > 0) CHECK(p->policy.evaluate({r.kind, r.target, {}, r.tokens + 1}).reason == errc::limit_exceeded);
      if (!r.version.empty()) CHECK_FALSE(p->policy.evaluate({r.kind, r.target, "2.1.1"}).allow);
    }
  char small[8];
  CHECK(suggest_snippet({op::fs_read, "/etc/hosts"}, source_format::json, small).code() == errc::capacity_exceeded);
  char buffer[64];
  CHECK(suggest_snippet({op::fs_read, "/\xff"}, source_format::json, buffer).code() == errc::invalid_encoding);
}

TEST_CASE("lint: shadowed, unreachable, over-broad, unused labels, dead sinks, invalid patterns") {
  auto ast = parse_ok(R"({
  "fs": {"read": ["/usr/**", "/usr/lib/**", "/**"],
         "write": ["/**", "/etc/passwd"],
         "deny": ["/etc/**"]},
  "net": {"dns": ["*"], "connect": ["ip:*:*", "dns:api.example.com:*"]},
  "tools": {"allow": ["*", "git"]},
  "profiles": ["tier1-musl"],
  "taint": {"labels": ["pii", "spare"],
            "sinks": [{"effect": "tool.call", "deny": ["pii"]}]}
})");
  // A pattern the parser may not check yet: host bits set in 10.0.0.1/8.
  pt::source_location at_99;
  at_99.line = 99;
  ast.net.allow.push_back({"ip:10.0.0.1/8:80", true, false, false, at_99});
  auto findings = hosted::lint_policy(ast);
  INFO(all(findings));
  using hosted::lint_severity;
  CHECK(has_finding(findings, "shadowed", 2, lint_severity::warning));        // /usr/lib/** under /usr/**
  CHECK(has_finding(findings, "over-broad", 2, lint_severity::warning));      // read /**
  CHECK(has_finding(findings, "over-broad", 3, lint_severity::error));        // write /**
  CHECK(has_finding(findings, "unreachable", 3, lint_severity::error));       // write /etc/passwd under deny /etc/**
  CHECK(has_finding(findings, "over-broad", 5, lint_severity::warning));      // dns *, ip:*:*, every port
  CHECK(has_finding(findings, "invalid", 99, lint_severity::error));          // host bits set in 10.0.0.1/8
  CHECK(has_finding(findings, "over-broad", 6, lint_severity::warning));      // tool *
  CHECK(has_finding(findings, "shadowed", 6, lint_severity::warning));        // git under *
  CHECK(has_finding(findings, "shadowed", 7, lint_severity::warning));        // profile /proc/self/** under /**
  CHECK(has_finding(findings, "unused-label", 8, lint_severity::warning));    // spare
  CHECK(has_finding(findings, "dead-sink", 9, lint_severity::warning));       // nothing produces pii
  auto clean = hosted::lint_policy(parse_ok(R"({"fs": {"read": ["/data/**"]}, "net": {"connect": ["dns:api.example.com:443"]}})"));
  INFO(all(clean));
  CHECK(clean.empty());
}

TEST_CASE("record mode: the narrowest policy that allows exactly the recorded requests") {
  std::vector<hosted::recorded_request> log{
      {op::fs_read, "/etc/hosts", {}, 0, {}, {}},
      {op::fs_write, "/etc/hosts", {}, 0, {}, {}},
      {op::net_connect, "dns:api.example.com:443", {}, 0, {}, {}},
      {op::tool_call, "git", "2.1.0", 0, budget::costs{{budget::resource::tool_calls, 1}}, {budget::resource::tool_calls}},
      {op::tool_call, "git", "2.1.0", 0, budget::costs{{budget::resource::tool_calls, 1}}, {budget::resource::tool_calls}},
      {op::tool_call, "jq", "1", 0, {}, {}},
      {op::tool_call, "jq", "2", 0, {}, {}},
      {op::infer, "gpt-4", {}, 300, {}, {}},
      {op::infer, "gpt-4", {}, 700, {}, {}},
      {op::spawn, "/usr/bin/env", {}, 0, {}, {}},
  };
  for (auto f : {pt::format::json, pt::format::toml}) {
    auto recorded = hosted::record_policy(log, f);
    REQUIRE(recorded.ok());
    // Printed and parsed back, it compiles and allows each request, nothing near it.
    const auto text = pt::print(*recorded, f);
    INFO(text);
    auto p = load(parse_ok(text, f));
    for (const auto& r : log) CHECK(p->policy.evaluate({r.kind, r.target, r.version, r.tokens}).allow);
    CHECK_FALSE(p->allows(op::fs_read, "/etc/passwd"));
    CHECK_FALSE(p->allows(op::fs_exec, "/etc/hosts"));
    CHECK_FALSE(p->allows(op::net_connect, "dns:api.example.com:80"));
    CHECK_FALSE(p->eval(op::tool_call, "git", 0, "2.1.1").allow);  // pinned to the one version seen
    CHECK(p->eval(op::tool_call, "jq", 0, "3").allow);             // two versions seen: not pinned
    CHECK(p->eval(op::infer, "gpt-4", 0, {}, 701).reason == errc::limit_exceeded);
    CHECK(p->policy.budget(budget::resource::tool_calls) == budget_limit{blob::budget_state::amount, 2});
    CHECK(p->policy.budget(budget::resource::tokens).absent());
    CHECK(hosted::lint_policy(*recorded).empty());
  }
  std::vector<hosted::recorded_request> bad{{op::fs_read, "relative", {}, 0, {}, {}}};
  CHECK(hosted::record_policy(bad, pt::format::json).code() == errc::invalid_path);
}

TEST_CASE("request lines: fields, gate fields, and errors that name the field") {
  auto ok = hosted::parse_request_line(
      R"({"effect":"tool.call","target":"git","version":"2.1","labels":["untrusted"],"cost":{"tool_calls":1,"cpu_ns":5},)"
      R"("cap":"tok","seq":7,"run":"00112233445566778899aabbccddeeff","agent":3})");
  INFO(ok.error);
  REQUIRE(ok.ok());
  CHECK(ok.value->effect == op::tool_call);
  CHECK(ok.value->target == "git");
  CHECK(ok.value->version == std::optional<std::string>{"2.1"});
  CHECK(ok.value->labels == std::vector<std::string>{"untrusted"});
  CHECK(ok.value->cost[budget::resource::tool_calls] == 1);
  CHECK(ok.value->cost[budget::resource::cpu_time_ns] == 5);
  CHECK(ok.value->cap == std::optional<std::string>{"tok"});
  CHECK(ok.value->seq == std::optional<std::uint64_t>{7});
  CHECK(ok.value->agent == std::optional<std::uint64_t>{3});
  REQUIRE(ok.value->run.has_value());
  CHECK((*ok.value->run)[15] == 0xff);
  auto infer = hosted::parse_request_line(R"(  {"effect": "infer", "target": "gpt-4", "tokens": 18446744073709551615}  )");
  REQUIRE(infer.ok());
  CHECK(infer.value->tokens == ~std::uint64_t{0});
  auto nul = hosted::parse_request_line(R"({"effect":"fs.read","target":"/a\u0000b"})");
  REQUIRE(nul.ok());
  CHECK(nul.value->target == std::string{"/a\0b", 4});

  // Every gate effect, including those only a capability decides and fs.rename's two paths.
  auto rename = hosted::parse_request_line(R"({"effect":"fs.rename","target":"/a","target2":"/b","payload":"x"})");
  REQUIRE(rename.ok());
  REQUIRE(rename.value->gate_effect != nullptr);
  CHECK(rename.value->gate_effect->name == "fs.rename");
  CHECK(rename.value->target2 == std::optional<std::string>{"/b"});
  CHECK(rename.value->payload == std::optional<std::string>{"x"});
  auto heap = hosted::parse_request_line(R"({"effect":"heap.alloc","target":"counter"})");
  REQUIRE(heap.ok());
  CHECK_FALSE(heap.value->judged);
  CHECK(heap.value->gate_effect->name == "heap.alloc");
  auto exec = hosted::parse_request_line(R"({"effect":"fs.exec","target":"/bin/sh"})");
  REQUIRE(exec.ok());
  CHECK(exec.value->gate_effect == nullptr);  // a policy operation, not an agent's effect
  CHECK(exec.value->effect == op::fs_exec);
  const std::string long_token(40000, 'A');
  CHECK(hosted::parse_request_line(R"({"effect":"fs.read","target":"/a","cap":")" + long_token + "\"}").ok());

  const std::pair<const char*, const char*> errors[] = {
      {R"({"effect":"fs.rename","target":"/a"})", "missing field \"target2\""},
      {R"({"effect":"fs.read","target":"/a","target2":"/b"})", "\"target2\" is only for fs.rename"},
      {R"({"effect":"fs.read","target":"/x","colour":1})", "unknown field \"colour\""},
      {R"({"effect":"fs.read","target":"/x","targte":1})", "unknown field \"targte\""},
      {R"({"effect":"fs.raed","target":"/x"})", "unknown effect \"fs.raed\""},
      {R"({"effect":"net.*","target":"x"})", "unknown effect"},
      {R"({"target":"/x"})", "missing field \"effect\""},
      {R"({"effect":"fs.read"})", "missing field \"target\""},
      {R"({"effect":"fs.read","target":"/x","target":"/y"})", "duplicate field \"target\""},
      {R"({"effect":"infer","target":"m","tokens":-1})", "\"tokens\" must be a non-negative whole number"},
      {R"({"effect":"infer","target":"m","tokens":1.5})", "\"tokens\""},
      {R"({"effect":"infer","target":"m","tokens":18446744073709551616})", "\"tokens\""},
      {R"({"effect":"fs.read","target":7})", "\"target\" must be a string"},
      {R"({"effect":"fs.read","target":"/x","cost":{"gold":1}})", "unknown budget resource \"gold\""},
      {R"({"effect":"fs.read","target":"/x","cost":{"wall_time_ms":1}})", "deadline"},
      {R"({"effect":"fs.read","target":"/x","run":"abc"})", "\"run\" must be 32 hex digits"},
      {R"({"effect":"fs.read","target":"/x","labels":"untrusted"})", "\"labels\" must be an array"},
      {R"(["fs.read","/x"])", "must be a JSON object"},
      {R"({"effect":"fs.read","target":"/x",})", "not JSON"},
      {R"({"effect":"fs.read","target":"/x"} trailing)", "not JSON"},
      {"", "not JSON"},
      {"{\"effect\":\"fs.read\",\"target\":\"\xff\"}", "not JSON"},
  };
  for (const auto& [line, message] : errors) {
    auto r = hosted::parse_request_line(line);
    INFO(line << " → " << r.error);
    CHECK_FALSE(r.ok());
    CHECK(r.error.find(message) != std::string::npos);
  }
}
