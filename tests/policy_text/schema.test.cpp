// Keys, types, ranges, profiles, effects and labels: the schema walk rejects what it does
// not understand, says where and suggests the key that was probably meant.
#include "support.hpp"

using namespace policy_test;
using authority::errc;
using authority::budget::resource;

TEST_CASE("unknown keys are always errors, with a did-you-mean", "[policy_text][schema]") {
  json_error("{\n  \"fs\": {\n    \"raed\": [\"/tmp/**\"]\n  }\n}",
             {errc::policy_unknown_key, 3, 5, "unknown key \"raed\" in \"fs\"; did you mean \"read\"?"});
  json_error(R"({"budget": {}})", {errc::policy_unknown_key, 1, 2, "did you mean \"budgets\"?"});
  json_error(R"({"net": {"conect": []}})", {errc::policy_unknown_key, 1, 10, "did you mean \"connect\"?"});
  json_error(R"({"tools": {"alow": []}})", {errc::policy_unknown_key, 1, 12, "did you mean \"allow\"?"});
  json_error(R"({"budgets": {"tokenz": 5}})", {errc::policy_unknown_key, 1, 14, "did you mean \"tokens\"?"});
  json_error(R"({"fs": {"zzz": []}})", {errc::policy_unknown_key, 1, 9, "expected one of: read, write, exec, deny"});
  json_error(R"({"infer": {"models": [{"model": "m", "max_token": 5}]}})",
             {errc::policy_unknown_key, 1, 38, "did you mean \"max_tokens\"?"});
  // Keys of the other format get a hint.
  json_error(R"({"inference": {}})", {errc::policy_unknown_key, 1, 2, "in JSON the section is \"infer\""});
}

TEST_CASE("duplicate keys are errors that point at both places", "[policy_text][schema]") {
  json_error("{\"fs\": {},\n \"fs\": {}}", {errc::policy_duplicate_key, 2, 2, "duplicate key \"fs\" at the top level (first at 1:2)"});
  json_error(R"({"fs": {"read": [], "read": []}})", {errc::policy_duplicate_key, 1, 21, "duplicate key \"read\" in \"fs\""});
  json_error(R"({"budgets": {"cpu_ns": 1, "cpu_time_ns": 2}})",
             {errc::policy_duplicate_key, 1, 27, "duplicate budget for cpu_time_ns"});
  // The same pattern twice in one list is a mistake too.
  json_error("{\"fs\": {\"read\": [\"/a\",\n \"/a\"]}}", {errc::policy_duplicate_key, 2, 2, "first at 1:18"});
  json_error(R"({"profiles": ["tier1-musl", "tier1-musl"]})", {errc::policy_duplicate_key, 1, 29, "duplicate profile"});
}

TEST_CASE("wrong types are errors naming the field and what was found", "[policy_text][schema]") {
  json_error(R"({"fs": {"read": "/tmp/**"}})", {errc::policy_type, 1, 17, "\"fs.read\" must be an array, found a string"});
  json_error(R"({"fs": []})", {errc::policy_type, 1, 8, "\"fs\" must be an object, found an array"});
  json_error(R"({"fs": {"read": [7]}})", {errc::policy_type, 1, 18, "\"fs.read\" must be a string, found an integer"});
  json_error(R"({"version": 1.0})", {errc::policy_type, 1, 13, "\"version\" must be a string"});
  json_error(R"({"spawn": {"sandbox": "yes"}})", {errc::policy_type, 1, 23, "must be a boolean"});
  json_error(R"({"tools": "x"})", {errc::policy_type, 1, 11, "\"tools\" must be an object"});
  json_error(R"([])", {errc::policy_type, 1, 1, "a policy must be a JSON object, found an array"});
  json_error(R"({"budgets": {"tokens": "lots"}})", {errc::policy_type, 1, 24, "a non-negative integer or \"unlimited\""});
  json_error(R"({"budgets": {"tokens": null}})", {errc::policy_type, 1, 24, "found null"});
}

TEST_CASE("numbers: negative, fractional and too large are errors", "[policy_text][schema]") {
  json_error(R"({"budgets": {"tokens": -1}})", {errc::out_of_range, 1, 24, "must not be negative"});
  json_error(R"({"budgets": {"tokens": 1.5}})", {errc::policy_type, 1, 24, "must be a whole number, found 1.5"});
  json_error(R"({"budgets": {"tokens": 1e3}})", {errc::policy_type, 1, 24, "whole number"});
  json_error(R"({"budgets": {"tokens": 9223372036854775808}})", {errc::out_of_range, 1, 24, "2^63-1"});
  json_error(R"({"budgets": {"tokens": 18446744073709551616}})", {errc::out_of_range, 1, 24, "2^63-1"});
  json_error(R"({"infer": {"max_tokens": -5}})", {errc::out_of_range, 1, 26, "negative"});
  const auto p = parse_ok(R"({"budgets": {"tokens": 9223372036854775807}})");
  CHECK(p.budgets[0].amount == 9223372036854775807ULL);
}

TEST_CASE("budgets: zero is zero, \"unlimited\" is unlimited, cpu_ns is cpu_time_ns", "[policy_text][schema]") {
  const auto p = parse_ok(R"({"budgets": {"tokens": 0, "tool_calls": "unlimited", "cpu_ns": 5, "net_bytes_out": 7}})");
  REQUIRE(p.budgets.size() == 4);
  CHECK(p.budgets[0].resource == resource::tokens);
  CHECK(p.budgets[0].amount == 0);
  CHECK_FALSE(p.budgets[0].unlimited);
  CHECK(p.budgets[1].resource == resource::tool_calls);
  CHECK(p.budgets[1].unlimited);
  CHECK(p.budgets[2].resource == resource::cpu_time_ns);
  CHECK(p.budgets[2].amount == 5);
  CHECK(p.budgets[3].resource == resource::net_bytes_out);
  CHECK(p.budgets[0].loc.column == 14);
  // Every resource name is accepted.
  std::string all = "{\"budgets\": {";
  for (const auto& info : authority::budget::resource_table) {
    all += '"';
    all += info.name;
    all += "\": 1,";
  }
  all.back() = '}';
  all.push_back('}');
  CHECK(parse_ok(all).budgets.size() == authority::budget::resource_count);
  // The canonical printout spells cpu_ns as cpu_time_ns.
  CHECK(pt::print_json(p).find("\"cpu_time_ns\": 5") != std::string::npos);
}

TEST_CASE("empty sections are valid and mean nothing is allowed", "[policy_text][schema]") {
  const auto p = parse_ok(
      R"({"fs": {}, "net": {"connect": [], "dns": []}, "tools": {}, "wasm": {}, "infer": {}, "budgets": {},
          "spawn": {}, "taint": {}, "profiles": []})");
  CHECK(pt::same_meaning(p, parse_ok("{}")));
  CHECK(pt::same_meaning(parse_ok(R"({"tools": []})"), parse_ok("{}")));
  CHECK(pt::print_json(p) == "{}\n");
}

TEST_CASE("version: 1.x is read, other majors are refused clearly", "[policy_text][schema]") {
  CHECK(parse_ok(R"({"version": "1"})").version->minor == 0);
  CHECK(parse_ok(R"({"version": "1.3"})").version->minor == 3);
  json_error(R"({"version": "2.0"})", {errc::unsupported_version, 1, 13, "this build reads version 1.x"});
  json_error(R"({"version": "0.9"})", {errc::unsupported_version, 1, 13, "unsupported policy version \"0.9\""});
  json_error(R"({"version": "one"})", {errc::invalid_argument, 1, 13, "not of the form \"1.0\""});
  json_error(R"({"version": "1.0.0"})", {errc::invalid_argument, 1, 13, "not of the form"});
}

TEST_CASE("profiles: built-ins only, expand_profile lists their grants", "[policy_text][schema]") {
  json_error(R"({"profiles": ["tier3-musl"]})", {errc::not_found, 1, 15, "unknown profile \"tier3-musl\"; did you mean \"tier1-musl\"?"});
  json_error(R"({"profiles": ["glibc"]})", {errc::not_found, 1, 15, "built-in profiles are tier1-musl, tier2-glibc"});
  const auto musl = pt::expand_profile("tier1-musl");
  REQUIRE(musl);
  REQUIRE(musl->size() == 1);
  CHECK((*musl)[0].path == "/proc/self/**");
  CHECK((*musl)[0].read);
  CHECK_FALSE((*musl)[0].write);
  const auto glibc = pt::expand_profile("tier2-glibc");
  REQUIRE(glibc);
  std::vector<std::string_view> paths;
  for (const auto& g : *glibc) paths.push_back(g.path);
  CHECK(paths == std::vector<std::string_view>{"/proc/self/**", "/lib/**", "/lib64/**", "/etc/ld.so.cache",
                                               "/etc/ld.so.preload", "/etc/nsswitch.conf", "/etc/resolv.conf"});
  CHECK_FALSE(pt::expand_profile("tier3"));
}

TEST_CASE("tools: versions in object form, models with their own limits", "[policy_text][schema]") {
  const auto p = parse_ok(
      R"({"tools": {"allow": ["add", {"name": "http_get", "version": ">=1.2, <2"}], "deny": [{"name": "sh"}]},
          "infer": {"models": ["gpt-4", {"model": "claude-*", "max_tokens": 4096}], "max_tokens": 100000}})");
  REQUIRE(p.tools.allow.size() == 2);
  CHECK_FALSE(p.tools.allow[0].version);
  CHECK(p.tools.allow[1].name == "http_get");
  CHECK(*p.tools.allow[1].version == ">=1.2, <2");
  CHECK(p.tools.deny[0].name == "sh");
  REQUIRE(p.infer.models.size() == 2);
  CHECK_FALSE(p.infer.models[0].max_tokens);
  CHECK(*p.infer.models[1].max_tokens == 4096);
  CHECK(*p.infer.max_tokens == 100000);
  json_error(R"({"tools": {"allow": [{"name": "x", "version": "latest"}]}})",
             {errc::invalid_argument, 1, 48, "invalid version constraint \"latest\""});
  json_error(R"({"tools": {"allow": [{"name": "x", "version": ">=1.2,"}]}})", {errc::invalid_argument, 1, 54, "version constraint"});
  json_error(R"({"tools": {"allow": [{"version": "1"}]}})", {errc::policy_missing_key, 1, 22, "needs the key \"name\""});
  json_error(R"({"tools": {"allow": [true]}})", {errc::policy_type, 1, 22, "must be a tool name or an object"});
  json_error(R"({"infer": {"models": [{"max_tokens": 1}]}})", {errc::policy_missing_key, 1, 23, "needs the key \"model\""});
}

TEST_CASE("spawn: allow, deny and sandbox", "[policy_text][schema]") {
  const auto p = parse_ok(R"({"spawn": {"allow": ["/usr/bin/*"], "deny": ["/usr/bin/sudo"], "sandbox": true}})");
  CHECK(p.spawn.allow[0].pattern == "/usr/bin/*");
  CHECK(p.spawn.deny[0].pattern == "/usr/bin/sudo");
  CHECK(p.spawn.sandbox);
  CHECK_FALSE(parse_ok(R"({"spawn": {"sandbox": false}})").spawn.sandbox);
}

TEST_CASE("deny and allow for the same target are both kept (deny wins when evaluated)", "[policy_text][schema]") {
  const auto p = parse_ok(R"({"fs": {"read": ["/a/**"], "deny": ["/a/**"]}, "tools": {"allow": ["x"], "deny": ["x"]},
                              "spawn": {"allow": ["/bin/sh"], "deny": ["/bin/sh"]}})");
  CHECK(p.fs.allow[0].path == p.fs.deny[0].pattern);
  CHECK(p.tools.allow[0].name == p.tools.deny[0].name);
  CHECK(p.spawn.allow[0].pattern == p.spawn.deny[0].pattern);
}

TEST_CASE("no policy: empty or blank input is an error, not an empty policy", "[policy_text][schema]") {
  json_error("", {errc::policy_syntax, 1, 1, "expected a JSON value, found the end of the input"});
  json_error("  \n\n", {errc::policy_syntax, 3, 1, "found the end of the input"});
  json_error("null", {errc::policy_type, 1, 1, "a policy must be a JSON object, found null"});
}

TEST_CASE("extensions: fs.deny and net.deny", "[policy_text][schema]") {
  const auto p = parse_ok(R"({"fs": {"deny": ["/etc/shadow"]}, "net": {"deny": ["ip:10.0.0.0/8:*"], "bind": ["ip:[::1]:8080"]}})");
  CHECK(p.fs.deny[0].pattern == "/etc/shadow");
  CHECK(p.net.deny[0].pattern == "ip:10.0.0.0/8:*");
  REQUIRE(p.net.allow.size() == 1);
  CHECK(p.net.allow[0].bind);
  CHECK_FALSE(p.net.allow[0].connect);
}

TEST_CASE("taint: sources, sinks, sanitizers, effects and labels are checked", "[policy_text][schema][taint]") {
  const auto p = parse_ok(R"({
  "taint": {
    "labels": ["sanitized:html"],
    "sources": [{"effect": "net.*", "label": "untrusted"},
                {"effect": "fs.read", "target": "/uploads/**", "label": "untrusted"}],
    "sinks": [{"effect": "tool.call", "target": "email.send", "deny": ["untrusted"]}],
    "sanitizers": [{"tool": "html_escape", "removes": ["untrusted"], "adds": ["sanitized:html"]}]
  }
})");
  REQUIRE(p.taint.sources.size() == 2);
  const auto net = pt::effect_bit(pt::effect_kind::net_dns) | pt::effect_bit(pt::effect_kind::net_connect) |
                   pt::effect_bit(pt::effect_kind::net_bind) | pt::effect_bit(pt::effect_kind::net_listen);
  CHECK(p.taint.sources[0].effect.kinds == net);
  CHECK_FALSE(p.taint.sources[0].target);
  CHECK(*p.taint.sources[1].target == "/uploads/**");
  CHECK(p.taint.sources[1].loc.line == 5);
  CHECK(p.taint.sinks[0].effect.kinds == pt::effect_bit(pt::effect_kind::tool_call));
  CHECK(p.taint.sinks[0].deny == std::vector<std::string>{"untrusted"});
  CHECK(p.taint.sanitizers[0].adds == std::vector<std::string>{"sanitized:html"});

  const char* undeclared = R"({"taint": {"sinks": [{"effect": "infer", "deny": ["secret"]}]}})";
  json_error(undeclared, {errc::not_found, 1, 51, "label \"secret\" in \"taint.sinks[0].deny\" is not declared"});
  json_error(R"({"taint": {"sources": [{"effect": "net.conect", "label": "untrusted"}]}})",
             {errc::unknown_effect, 1, 35, "unknown effect \"net.conect\"; did you mean \"net.connect\"?"});
  json_error(R"({"taint": {"sources": [{"effect": "spawn.*", "label": "untrusted"}]}})",
             {errc::unknown_effect, 1, 35, "unknown effect"});
  json_error(R"({"taint": {"sources": [{"effect": "net.*", "target": "a.com", "label": "untrusted"}]}})",
             {errc::invalid_argument, 1, 54, "mixes host and network patterns"});
  json_error(R"({"taint": {"sources": [{"effect": "net.dns"}]}})", {errc::policy_missing_key, 1, 24, "needs the key \"label\""});
  json_error(R"({"taint": {"sinks": [{"effect": "infer", "deny": []}]}})", {errc::invalid_argument, 1, 50, "names no label"});
  json_error(R"({"taint": {"sanitizers": [{"tool": "t"}]}})", {errc::policy_missing_key, 1, 27, "neither removes nor adds"});
  json_error(R"({"taint": {"labels": ["bad label"]}})", {errc::invalid_argument, 1, 23, "invalid label \"bad label\""});
  json_error(R"({"taint": {"labels": ["a::b"]}})", {errc::invalid_argument, 1, 23, "invalid label"});
  CHECK(pt::parse_effect_selector("wasm.*") ==
        (pt::effect_bit(pt::effect_kind::wasm_call) | pt::effect_bit(pt::effect_kind::wasm_hostcall)));
  CHECK_FALSE(pt::parse_effect_selector("*"));
  CHECK_FALSE(pt::parse_effect_selector("net."));
  CHECK(pt::effect_name(pt::effect_kind::wasm_hostcall) == "wasm.hostcall");
}

TEST_CASE("every error in a file is reported, up to a cap", "[policy_text][schema]") {
  const auto r = pt::parse_json(R"({
  "fss": {},
  "net": {"dns": [1]},
  "budgets": {"tokens": -1, "tokenz": 1},
  "profiles": ["nope"]
})",
                                "many.json");
  REQUIRE_FALSE(r.ok());
  REQUIRE(r.diagnostics.size() == 5);
  CHECK(r.diagnostics[0].loc.line == 2);
  CHECK(r.diagnostics[1].loc.line == 3);
  CHECK(r.diagnostics[2].code == errc::out_of_range);
  CHECK(r.diagnostics[3].code == errc::policy_unknown_key);
  CHECK(r.diagnostics[4].code == errc::not_found);

  std::string lots = "{";
  for (int i = 0; i < 200; ++i) lots += "\"k" + std::to_string(i) + "\": 1,";
  lots.back() = '}';
  pt::parse_options capped;
  capped.max_errors = 7;
  CHECK(pt::parse_json(lots, "lots.json", capped).diagnostics.size() == 7);
  CHECK(pt::parse_json(lots, "lots.json").diagnostics.size() == 50);
}

TEST_CASE("patterns are validated by the pattern layer, located inside the string", "[policy_text][schema][pattern]") {
  json_error(R"({"fs": {"read": ["tmp/**"]}})", {errc::invalid_pattern, 1, 19, "invalid path pattern \"tmp/**\" in \"fs.read\""});
  json_error(R"({"fs": {"read": [""]}})", {errc::invalid_pattern, 1, 19, "it is empty"});
  json_error(R"({"net": {"dns": ["*.*.example.com"]}})", {errc::invalid_pattern, 1, 21, "invalid host pattern"});
  json_error(R"({"net": {"connect": ["ip:10.0.0.0/33:*"]}})", {errc::invalid_pattern, 1, 36, "malformed prefix"});
  json_error(R"({"net": {"listen": ["ip:*:0"]}})", {errc::invalid_pattern, 1, 27, "malformed ports"});
  json_error(R"({"spawn": {"deny": ["bin/sh"]}})", {errc::invalid_pattern, 1, 22, "invalid path pattern"});
  // With escapes in the string, the error points at the string itself.
  json_error(R"({"fs": {"read": ["\u0074mp"]}})", {errc::invalid_pattern, 1, 18, "invalid path pattern \"tmp\""});
  toml_error("[[net.allow]]\npattern = \"ip:*:70000\"\nconnect = true\n", {errc::invalid_pattern, 2, 21, "malformed ports"});
  toml_error("[[taint.sinks]]\neffect = \"fs.write\"\ntarget = \"relative\"\ndeny = [\"untrusted\"]\n",
             {errc::invalid_pattern, 3, 11, "invalid path pattern"});
  // Valid forms from the reference documentation.
  parse_ok(R"({"net": {"connect": ["dns:api.example.com:443", "ip:10.0.0.0/8:5432", "ip:*:443", "ip:[::1]:8080"]}})");
}

TEST_CASE("tables with many keys: duplicates are still found, in linear time", "[policy_text][schema]") {
  std::string json = "{";
  std::string toml = "[budgets]\n";
  for (int i = 0; i < 30000; ++i) {
    json += "\"k" + std::to_string(i) + "\": 1, ";
    toml += "k" + std::to_string(i) + " = 1\n";
  }
  json += "\"k7\": 2}";
  toml += "k7 = 2\n";
  pt::parse_options options;
  options.max_errors = 100000;
  const auto j = pt::parse_json(json, "many.json", options);
  REQUIRE(j.diagnostics.size() == 30001);
  CHECK(j.diagnostics.back().code == errc::policy_duplicate_key);
  CHECK(j.diagnostics.back().message.find("first at 1:") != std::string::npos);
  const auto t = pt::parse_toml(toml, "many.toml", options);
  REQUIRE_FALSE(t.ok());
  CHECK(t.diagnostics[0].code == errc::policy_duplicate_key);
  CHECK(t.diagnostics[0].loc.line == 30002);
  CHECK(t.diagnostics[0].message.find("(first at 9:1)") != std::string::npos);
}
