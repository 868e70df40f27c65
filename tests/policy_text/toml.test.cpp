// TOML policies: the reference's layout ([[fs.allow]], [[net.allow]], ...), the TOML
// subset that policies need, and precise errors for everything else.
#include "support.hpp"

using namespace policy_test;
using authority::errc;
using authority::budget::resource;

namespace {

const char* const full_toml = R"(# Every section, in TOML.
[policy]
version = "1.0"
name = "combined"
description = """
Multi-line \
  description with "quotes" and a tab\t."""
profiles = ["tier1-musl"]

[[fs.allow]]
path = "/etc/**"
read = true

[[fs.allow]]
path = '/tmp/**'   # literal string
read = true
write = true

[[fs.deny]]
path = "/etc/shadow"

[[dns.allow]]
pattern = "*.example.com"

[[net.allow]]
pattern = "ip:*:443"
connect = true

[[net.deny]]
pattern = "ip:10.0.0.0/8:*"

[[tools.allow]]
name = "http_get"
version = ">=1.2"

[[tools.deny]]
name = "rm"

[[wasm.allow]]
module = "calculator.wasm"

[[wasm.hostcalls]]
name = "fs_read"

[inference]
max_tokens = 100_000

[[inference.allow]]
model = "claude-*"
max_tokens = 0x1000

[[inference.allow]]
model = "gpt-4"

[budgets]
tool_calls = 100
tokens = "unlimited"
cpu_ns = 1_000_000

[spawn]
allow = [
  "/usr/bin/*",   # a comment inside an array
  "/bin/*",
]
sandbox = true

[taint]
labels = ["sanitized:html"]

[[taint.sources]]
effect = "net.*"
label = "untrusted"

[[taint.sinks]]
effect = "tool.call"
target = "email.send"
deny = ["untrusted"]

[[taint.sanitizers]]
tool = "html_escape"
removes = ["untrusted"]
adds = ["sanitized:html"]
)";

const char* const full_json = R"({
  "version": "1.0",
  "name": "combined",
  "description": "Multi-line description with \"quotes\" and a tab\t.",
  "profiles": ["tier1-musl"],
  "fs": {"read": ["/etc/**", "/tmp/**"], "write": ["/tmp/**"], "deny": ["/etc/shadow"]},
  "net": {"dns": ["*.example.com"], "connect": ["ip:*:443"], "deny": ["ip:10.0.0.0/8:*"]},
  "tools": {"allow": [{"name": "http_get", "version": ">=1.2"}], "deny": ["rm"]},
  "wasm": {"modules": ["calculator.wasm"], "hostcalls": ["fs_read"]},
  "infer": {"models": [{"model": "claude-*", "max_tokens": 4096}, "gpt-4"], "max_tokens": 100000},
  "budgets": {"tool_calls": 100, "tokens": "unlimited", "cpu_time_ns": 1000000},
  "spawn": {"allow": ["/usr/bin/*", "/bin/*"], "sandbox": true},
  "taint": {
    "labels": ["sanitized:html"],
    "sources": [{"effect": "net.*", "label": "untrusted"}],
    "sinks": [{"effect": "tool.call", "target": "email.send", "deny": ["untrusted"]}],
    "sanitizers": [{"tool": "html_escape", "removes": ["untrusted"], "adds": ["sanitized:html"]}]
  }
})";

}  // namespace

TEST_CASE("TOML: every section parses and means the same as its JSON", "[policy_text][toml]") {
  const auto t = parse_ok(full_toml, pt::format::toml);
  const auto j = parse_ok(full_json);
  CHECK(pt::same_meaning(t, j));
  CHECK(t.source_format == pt::format::toml);

  CHECK(*t.description == "Multi-line description with \"quotes\" and a tab\t.");
  REQUIRE(t.fs.allow.size() == 2);
  CHECK(t.fs.allow[1].path == "/tmp/**");
  CHECK(t.fs.allow[1].read);
  CHECK(t.fs.allow[1].write);
  CHECK_FALSE(t.fs.allow[1].exec);
  // A [[table]] entry is located at its header.
  CHECK(t.fs.allow[1].loc.line == 14);
  CHECK(t.fs.allow[1].loc.column == 1);
  CHECK(t.fs.allow[1].loc.file_name() == "test.toml");
  CHECK(*t.infer.models[0].max_tokens == 4096);
  CHECK_FALSE(t.infer.models[1].max_tokens);
  CHECK(*t.infer.max_tokens == 100000);
  CHECK(t.budgets[2].resource == resource::cpu_time_ns);
  CHECK(t.spawn.allow.size() == 2);
  CHECK(t.spawn.allow[1].loc.line == 63);
  CHECK(t.spawn.allow[1].loc.column == 3);
}

TEST_CASE("TOML: strings, numbers, keys and tables in all their forms", "[policy_text][toml]") {
  SECTION("strings") {
    const auto p = parse_ok(
        "[policy]\nname = \"a\\\"b\\\\c\\u00e9\\U0001F600\\n\"\ndescription = 'C:\\path\\no escapes'\n", pt::format::toml);
    CHECK(*p.name == "a\"b\\c\xC3\xA9\xF0\x9F\x98\x80\n");
    CHECK(*p.description == "C:\\path\\no escapes");
    const auto ml = parse_ok("[policy]\nname = '''\nline one\nline 'two'\n'''\ndescription = \"\"\"a\"\"\"\"\"\n",
                             pt::format::toml);
    CHECK(*ml.name == "line one\nline 'two'\n");
    CHECK(*ml.description == "a\"\"");
  }
  SECTION("integers") {
    const auto p = parse_ok("[budgets]\ntokens = 1_000\ncalls = 0xff\nbytes = 0o17\nblob_bytes = 0b101\nheap_bytes = +7\n",
                            pt::format::toml);
    CHECK(p.budgets[0].amount == 1000);
    CHECK(p.budgets[1].amount == 255);
    CHECK(p.budgets[2].amount == 15);
    CHECK(p.budgets[3].amount == 5);
    CHECK(p.budgets[4].amount == 7);
  }
  SECTION("dotted keys, quoted keys, inline tables, dotted headers") {
    const auto p = parse_ok(R"(
policy.version = "1.0"
"budgets" = { tokens = 5, 'calls' = 6 }
fs.allow = [ { path = "/a/**", read = true }, { path = "/b", exec = true } ]
[ tools ]
deny = [ { name = "rm" } ]
[[ tools.allow ]]
name = "ls"
)",
                            pt::format::toml);
    CHECK(p.version->major == 1);
    CHECK(p.budgets.size() == 2);
    REQUIRE(p.fs.allow.size() == 2);
    CHECK(p.fs.allow[1].exec);
    CHECK(p.fs.allow[1].loc.column == 47);  // the inline table's '{'
    CHECK(p.tools.deny[0].name == "rm");
    CHECK(p.tools.allow[0].name == "ls");
  }
  SECTION("profiles at the top level, CRLF line ends, comments everywhere") {
    const auto p = parse_ok("# c\r\nprofiles = [\"tier2-glibc\"] # c\r\n\r\n[policy] # c\r\nname = \"x\"\r\n# end", pt::format::toml);
    CHECK(p.profiles[0].name == "tier2-glibc");
    CHECK(*p.name == "x");
  }
  SECTION("an empty document is the empty policy") { CHECK(pt::same_meaning(parse_ok("", pt::format::toml), parse_ok("{}"))); }
}

TEST_CASE("TOML: table rules — nothing is defined twice", "[policy_text][toml]") {
  toml_error("[budgets]\ntokens = 1\ntokens = 2\n", {errc::policy_duplicate_key, 3, 1, "duplicate key \"tokens\" (first at 2:1)"});
  toml_error("[budgets]\ntokens = 1\n[budgets]\n", {errc::policy_duplicate_key, 3, 2, "table [budgets] is defined twice"});
  toml_error("[policy]\nname = \"a\"\n[policy.name]\n", {errc::policy_duplicate_key, 3, 9, "already a string"});
  toml_error("budgets = {tokens = 1}\n[budgets]\n", {errc::policy_duplicate_key, 2, 2, "already an inline table"});
  toml_error("[budgets]\n[[budgets]]\n", {errc::policy_duplicate_key, 2, 3, "cannot append [[budgets]]"});
  toml_error("budgets.tokens = 1\n[budgets]\n", {errc::policy_duplicate_key, 2, 2, "table [budgets] is defined twice"});
  toml_error("spawn.allow = [\"/a\"]\n[[spawn.allow]]\n", {errc::policy_duplicate_key, 2, 9, "an array value"});
  toml_error("budgets = {tokens = 1, tokens = 2}\n", {errc::policy_duplicate_key, 1, 24, "duplicate key \"tokens\""});
  toml_error("profiles = [\"tier1-musl\"]\n[policy]\nprofiles = [\"tier1-musl\"]\n",
             {errc::policy_duplicate_key, 1, 12, "profiles are given twice"});
}

TEST_CASE("TOML: unknown keys get a did-you-mean, JSON spellings a hint", "[policy_text][toml]") {
  toml_error("[[fs.allow]]\npth = \"/x\"\nread = true\n",
             {errc::policy_unknown_key, 2, 1, "unknown key \"pth\" in \"fs.allow[0]\"; did you mean \"path\"?"});
  toml_error("[fs]\nread = [\"/x\"]\n", {errc::policy_unknown_key, 2, 1, "in TOML write [[fs.allow]]"});
  toml_error("[infer]\n", {errc::policy_unknown_key, 1, 2, "in TOML the section is [inference]"});
  toml_error("version = \"1.0\"\n", {errc::policy_unknown_key, 1, 1, "in TOML version goes in the [policy] table"});
  toml_error("[policy]\nverison = \"1.0\"\n", {errc::policy_unknown_key, 2, 1, "did you mean \"version\"?"});
}

TEST_CASE("TOML: entries need their keys and must grant something", "[policy_text][toml]") {
  toml_error("[[fs.allow]]\npath = \"/x\"\n", {errc::policy_missing_key, 1, 1, "grants nothing: set at least one of read, write, exec"});
  toml_error("[[fs.allow]]\nread = true\n", {errc::policy_missing_key, 1, 1, "needs the key \"path\""});
  toml_error("[[net.allow]]\npattern = \"ip:*:443\"\nconnect = false\n", {errc::policy_missing_key, 1, 1, "grants nothing"});
  toml_error("[fs]\nallow = 1\n", {errc::policy_type, 2, 9, "\"fs.allow\" must be an array of tables ([[fs.allow]])"});
  toml_error("fs.allow = [\"/x\"]\n", {errc::policy_type, 1, 13, "\"fs.allow[0]\" must be a table, found a string"});
  toml_error("[[fs.allow]]\npath = \"/x\"\nread = \"yes\"\n", {errc::policy_type, 3, 8, "must be a boolean"});
}

TEST_CASE("TOML: numbers out of range or of the wrong kind", "[policy_text][toml]") {
  toml_error("[inference]\nmax_tokens = 1.5\n", {errc::policy_type, 2, 14, "must be a whole number, found 1.5"});
  toml_error("[inference]\nmax_tokens = inf\n", {errc::policy_type, 2, 14, "whole number"});
  toml_error("[budgets]\ntokens = -1\n", {errc::out_of_range, 2, 10, "must not be negative"});
  toml_error("[budgets]\ntokens = 9_223_372_036_854_775_808\n", {errc::out_of_range, 2, 10, "2^63-1"});
  toml_error("[budgets]\ntokens = 012\n", {errc::policy_syntax, 2, 10, "leading zeros"});
  toml_error("[budgets]\ntokens = 1__0\n", {errc::policy_syntax, 2, 11, "expected the end of the line, found '_'"});
  toml_error("[policy]\nversion = 1979-05-27\n", {errc::policy_type, 2, 11, "dates and times are not supported"});
  toml_error("[budgets]\ntokens = 0x\n", {errc::policy_syntax, 2, 12, "expected hex digits"});
  CHECK(parse_ok("[budgets]\ntokens = 9_223_372_036_854_775_807\n", pt::format::toml).budgets[0].amount ==
        9223372036854775807ULL);
}

TEST_CASE("TOML: syntax errors say where and what was expected", "[policy_text][toml]") {
  toml_error("[policy]\nname = \"abc\n", {errc::policy_syntax, 2, 12, "line break inside a one-line string"});
  toml_error("[policy]\nname = \"\\q\"\n", {errc::policy_syntax, 2, 10, "expected an escape"});
  toml_error("[policy]\nname = \"\\uD800\"\n", {errc::invalid_encoding, 2, 9, "not a Unicode scalar value"});
  toml_error("[policy]\nname = \"a\" \"b\"\n", {errc::policy_syntax, 2, 12, "expected the end of the line, found '\"'"});
  toml_error("= 1\n", {errc::policy_syntax, 1, 1, "expected key = value, a [table] header or an [[array of tables]] header"});
  toml_error("[policy\n", {errc::policy_syntax, 1, 8, "expected ']' to end the header, found a line break"});
  toml_error("[policy]\nname\n", {errc::policy_syntax, 2, 5, "expected '=' after the key"});
  toml_error("[policy]\nname =\n", {errc::policy_syntax, 2, 7, "expected a value, found a line break"});
  toml_error("budgets = {tokens = 1,\n calls = 2}\n", {errc::policy_syntax, 1, 23, "expected key = value, found a line break"});
  toml_error("# a\x01" "b\n", {errc::policy_syntax, 1, 4, "expected the end of the line, found control character U+0001"});
  toml_error("[policy]\nname = \"\xC3\x28\"\n", {errc::invalid_encoding, 2, 9, "invalid UTF-8"});
  toml_error("a = " + std::string(65, '[') + std::string(65, ']') + "\n", {errc::too_complex, 1, 69, "deeper than 64"});
  toml_error("[policy]\nname = \"" + std::string(4097, 'x') + "\"\n", {errc::too_long, 2, 8, "longer than 4096"});
  toml_error("[policy]\nname = \"\"\"\nabc", {errc::policy_syntax, 3, 4, "expected '\"\"\"' to end the string"});
}
