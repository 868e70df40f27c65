// Decisions, one semantic rule of docs/policy-language.md per test case, and the
// "Bad inputs" of the reference README at the decision level.
#include "support.hpp"

using namespace policy_core_test;

TEST_CASE("no policy denies everything with no_policy") {
  compiled_policy none;
  CHECK_FALSE(none.valid());
  for (std::size_t k = 0; k < op_count; ++k) {
    auto d = none.evaluate({static_cast<op>(k), "/etc/hosts"});
    CHECK_FALSE(d.allow);
    CHECK(d.reason == errc::no_policy);
    CHECK(d.rule == no_rule);
  }
  policy_store store;
  CHECK(store.evaluate({op::fs_read, "/tmp/x"}).reason == errc::no_policy);
}

TEST_CASE("empty sections allow nothing: not_allowed for every op") {
  auto p = load(R"({"version": "1.0", "fs": {"read": [], "write": []}, "net": {"dns": [], "connect": []},
                    "tools": {"allow": [], "deny": []}, "wasm": {"modules": []}, "infer": {"models": []},
                    "spawn": {"allow": []}})");
  CHECK(p->reason(op::fs_read, "/etc/hosts") == errc::not_allowed);
  CHECK(p->reason(op::fs_write, "/tmp/a") == errc::not_allowed);
  CHECK(p->reason(op::net_dns, "example.com") == errc::not_allowed);
  CHECK(p->reason(op::net_connect, "dns:example.com:443") == errc::not_allowed);
  CHECK(p->reason(op::net_connect, "ip:10.0.0.1:443") == errc::not_allowed);
  CHECK(p->reason(op::tool_call, "add") == errc::not_allowed);
  CHECK(p->reason(op::wasm_call, "m") == errc::not_allowed);
  CHECK(p->reason(op::infer, "gpt-4") == errc::not_allowed);
  CHECK(p->reason(op::spawn, "/bin/sh") == errc::not_allowed);
  auto empty = load("{}");
  CHECK(empty->reason(op::fs_read, "/") == errc::not_allowed);
}

TEST_CASE("deny beats allow for the same target, and reports the deny rule") {
  auto p = load(R"({"fs": {"read": ["/etc/**", "/etc/shadow"], "deny": ["/etc/shadow"]},
                    "net": {"connect": ["dns:*.example.com:443", "ip:10.0.0.0/8:*"], "deny": ["dns:evil.example.com:*", "ip:10.6.6.6:*"]},
                    "tools": {"allow": ["*"], "deny": ["shell_exec"]},
                    "spawn": {"allow": ["/usr/bin/*"], "deny": ["/usr/bin/sudo"]}})");
  auto d = p->eval(op::fs_read, "/etc/shadow");
  CHECK_FALSE(d.allow);
  CHECK(d.reason == errc::denied_by_rule);
  CHECK(p->policy.rule(d.rule).kind == rule_kind::deny);
  CHECK(p->policy.rule(d.rule).origin == rule_origin::fs_deny);
  CHECK(p->allows(op::fs_read, "/etc/hosts"));
  CHECK(p->reason(op::fs_write, "/etc/shadow") == errc::denied_by_rule);  // fs.deny covers every access
  CHECK(p->reason(op::net_connect, "dns:evil.example.com:443") == errc::denied_by_rule);
  CHECK(p->reason(op::net_connect, "dns:EVIL.example.com.:443") == errc::denied_by_rule);  // case and trailing dot
  CHECK(p->allows(op::net_connect, "dns:good.example.com:443"));
  CHECK(p->reason(op::net_connect, "ip:10.6.6.6:80") == errc::denied_by_rule);
  CHECK(p->allows(op::net_connect, "ip:10.6.6.7:80"));
  // A dns: deny for every port also stops lookups of the name; ip: denies do not apply to lookups.
  CHECK(p->reason(op::net_dns, "evil.example.com") == errc::denied_by_rule);
  CHECK(p->reason(op::tool_call, "shell_exec") == errc::denied_by_rule);
  CHECK(p->allows(op::tool_call, "add"));
  CHECK(p->reason(op::spawn, "/usr/bin/sudo") == errc::denied_by_rule);
  CHECK(p->allows(op::spawn, "/usr/bin/ls"));
}

TEST_CASE("the most specific matching allow is reported, ties go to the first rule") {
  auto p = load(R"({"fs": {"read": ["/**", "/usr/**", "/usr/lib/*.so", "/usr/lib/libc.so", "/usr/*/libc.so"]}})");
  CHECK(p->deciding_pattern(op::fs_read, "/usr/lib/libc.so") == "/usr/lib/libc.so");
  CHECK(p->deciding_pattern(op::fs_read, "/usr/lib/libm.so") == "/usr/lib/*.so");
  CHECK(p->deciding_pattern(op::fs_read, "/usr/share/x") == "/usr/**");
  CHECK(p->deciding_pattern(op::fs_read, "/etc/hosts") == "/**");
  CHECK(p->deciding_pattern(op::fs_read, "/") == "/**");
  auto ties = load(R"({"fs": {"read": ["/a/*", "/*/b"]}})");
  CHECK(ties->deciding_pattern(op::fs_read, "/a/b") == "/a/*");  // equal specificity: file order
}

TEST_CASE("path globs: * stays in a segment, ** crosses, ? is one character, /** matches the directory") {
  auto p = load(R"({"fs": {"read": ["/tmp/**", "/home/*/notes", "/data/file?.txt", "/var/**/log", "/srv/a**b", "**/secret"],
                           "write": ["/"]}})");
  CHECK(p->allows(op::fs_read, "/tmp"));
  CHECK(p->allows(op::fs_read, "/tmp/a/b/c"));
  CHECK_FALSE(p->allows(op::fs_read, "/tmpfoo"));
  CHECK(p->allows(op::fs_read, "/home/ann/notes"));
  CHECK_FALSE(p->allows(op::fs_read, "/home/ann/x/notes"));
  CHECK(p->allows(op::fs_read, "/data/file1.txt"));
  CHECK_FALSE(p->allows(op::fs_read, "/data/file12.txt"));
  CHECK_FALSE(p->allows(op::fs_read, "/data/file/.txt"));
  CHECK(p->allows(op::fs_read, "/var/x/log"));
  CHECK(p->allows(op::fs_read, "/var/x/y/log"));
  CHECK_FALSE(p->allows(op::fs_read, "/var/log"));  // "/**/" needs a segment
  CHECK(p->allows(op::fs_read, "/srv/a/x/b"));
  CHECK(p->allows(op::fs_read, "/x/y/secret"));
  CHECK(p->allows(op::fs_write, "/"));
  CHECK_FALSE(p->allows(op::fs_write, "/a"));
  CHECK_FALSE(p->allows(op::fs_read, "/"));
}

TEST_CASE("paths are checked as given: canonical only, NUL, relative, dot segments and over-long paths are invalid_path") {
  auto p = load(R"({"fs": {"read": ["/app/**", "/etc/passwd"]}})");
  // The caller canonicalizes; "/app/../etc/passwd" is the path that would be opened.
  char buffer[pattern::max_path_length];
  auto canonical = pattern::canonicalize_path("/app/../etc/passwd", buffer);
  REQUIRE(canonical.ok());
  CHECK(*canonical == "/etc/passwd");
  CHECK(p->deciding_pattern(op::fs_read, *canonical) == "/etc/passwd");
  auto escape = pattern::canonicalize_path("/app/../etc/shadow", buffer);
  REQUIRE(escape.ok());
  CHECK(p->reason(op::fs_read, *escape) == errc::not_allowed);  // not under /app any more
  // Uncanonical input is refused, never matched leniently.
  CHECK(p->reason(op::fs_read, "/app/../etc/shadow") == errc::invalid_path);
  CHECK(p->reason(op::fs_read, "/app/./x") == errc::invalid_path);
  CHECK(p->reason(op::fs_read, "/app//x") == errc::invalid_path);
  CHECK(p->reason(op::fs_read, "app/x") == errc::invalid_path);
  CHECK(p->reason(op::fs_read, "") == errc::invalid_path);
  const std::string with_nul{"/app/x\0/../../etc/shadow", 24};
  CHECK(p->reason(op::fs_read, with_nul) == errc::invalid_path);
  CHECK(pattern::canonicalize_path(with_nul, buffer).code() == errc::invalid_path);
  std::string longest = "/app/" + std::string(pattern::max_path_length - 5, 'a');
  REQUIRE(longest.size() == pattern::max_path_length);
  CHECK(p->allows(op::fs_read, longest));
  CHECK(p->reason(op::fs_read, longest + "a") == errc::invalid_path);
  CHECK(p->allows(op::fs_read, "/app/..%2F..%2Fetc%2Fpasswd"));  // stays a literal file name under /app
}

TEST_CASE("DNS: *.example.com is exactly one label, case and trailing dot are ignored") {
  auto p = load(R"({"net": {"dns": ["*.example.com"], "connect": ["dns:*.example.com:443"]}})");
  CHECK(p->allows(op::net_dns, "a.example.com"));
  CHECK(p->allows(op::net_dns, "A.Example.COM."));
  CHECK_FALSE(p->allows(op::net_dns, "example.com"));
  CHECK_FALSE(p->allows(op::net_dns, "a.b.example.com"));
  CHECK_FALSE(p->allows(op::net_dns, "evilexample.com"));
  CHECK(p->allows(op::net_connect, "dns:a.example.com:443"));
  CHECK_FALSE(p->allows(op::net_connect, "dns:example.com:443"));
  CHECK_FALSE(p->allows(op::net_connect, "dns:a.b.example.com:443"));
  CHECK_FALSE(p->allows(op::net_connect, "dns:evilexample.com:443"));
  CHECK_FALSE(p->allows(op::net_connect, "dns:a.example.com:80"));
  // A dns: rule never matches an ip: target, whatever the name resolves to.
  CHECK_FALSE(p->allows(op::net_connect, "ip:93.184.216.34:443"));
  // Punycode labels are ordinary labels; 63 characters is the longest label.
  CHECK(p->allows(op::net_dns, "xn--bcher-kva.example.com"));
  CHECK(p->allows(op::net_dns, std::string(63, 'a') + ".example.com"));
  CHECK(p->reason(op::net_dns, std::string(64, 'a') + ".example.com") == errc::too_long);
  std::string long_name;
  while (long_name.size() < 250) long_name += "abcdefghi.";
  CHECK(p->reason(op::net_dns, long_name + "example.com") == errc::too_long);
  CHECK(p->reason(op::net_dns, "bad_label.example.com") == errc::invalid_argument);
  CHECK(p->reason(op::net_connect, "dns:a.example.com") == errc::invalid_argument);  // no port
}

TEST_CASE("exact DNS names, and the any-host pattern") {
  auto p = load(R"({"net": {"dns": ["api.example.com"], "connect": ["dns:*:8443"]}})");
  CHECK(p->allows(op::net_dns, "api.example.com"));
  CHECK(p->allows(op::net_dns, "API.EXAMPLE.COM"));
  CHECK_FALSE(p->allows(op::net_dns, "x.api.example.com"));
  CHECK_FALSE(p->allows(op::net_dns, "example.com"));
  CHECK(p->allows(op::net_connect, "dns:anything.at.all:8443"));
  CHECK_FALSE(p->allows(op::net_connect, "dns:anything.at.all:443"));
}

TEST_CASE("CIDR: /0, /8, /32, IPv6, IPv4-mapped, ports and port ranges") {
  auto p = load(R"({"net": {"connect": ["ip:10.0.0.0/8:5432", "ip:192.168.1.7/32:22", "ip:[2001:db8::/32]:443",
                                        "ip:[::1]:8080", "ip:172.16.0.0/12:8000-8100,9000"],
                            "bind": ["ip:0.0.0.0/0:80"], "listen": ["ip:*:443"]}})");
  CHECK(p->allows(op::net_connect, "ip:10.1.2.3:5432"));
  CHECK(p->allows(op::net_connect, "ip:10.255.255.255:5432"));
  CHECK_FALSE(p->allows(op::net_connect, "ip:11.0.0.1:5432"));
  CHECK_FALSE(p->allows(op::net_connect, "ip:10.1.2.3:5433"));
  CHECK(p->allows(op::net_connect, "ip:192.168.1.7:22"));
  CHECK_FALSE(p->allows(op::net_connect, "ip:192.168.1.8:22"));
  CHECK(p->allows(op::net_connect, "ip:[2001:db8:1::5]:443"));
  CHECK_FALSE(p->allows(op::net_connect, "ip:[2001:db9::5]:443"));
  CHECK(p->allows(op::net_connect, "ip:[::1]:8080"));
  CHECK(p->allows(op::net_connect, "ip:[0:0:0:0:0:0:0:1]:8080"));
  CHECK(p->allows(op::net_connect, "ip:[::ffff:10.9.8.7]:5432"));  // IPv4-mapped is the IPv4 host
  CHECK(p->allows(op::net_connect, "ip:172.20.0.1:8050"));
  CHECK(p->allows(op::net_connect, "ip:172.20.0.1:9000"));
  CHECK_FALSE(p->allows(op::net_connect, "ip:172.20.0.1:8101"));
  CHECK(p->allows(op::net_bind, "ip:1.2.3.4:80"));
  CHECK_FALSE(p->allows(op::net_bind, "ip:[::1]:80"));  // /0 of IPv4 is not IPv6
  CHECK_FALSE(p->allows(op::net_connect, "ip:1.2.3.4:80"));  // bind grants do not connect
  CHECK(p->allows(op::net_listen, "ip:[::2]:443"));
  CHECK(p->allows(op::net_listen, "ip:8.8.8.8:443"));
  CHECK(p->reason(op::net_connect, "ip:10.0.0.256:5432") == errc::invalid_argument);
  CHECK(p->reason(op::net_connect, "ip:010.0.0.1:5432") == errc::invalid_argument);
  CHECK(p->reason(op::net_connect, "ip:10.1.2.3:0") == errc::invalid_argument);
  CHECK(p->reason(op::net_connect, "ip:10.1.2.3:65536") == errc::invalid_argument);
}

TEST_CASE("CIDR patterns with host bits or .256 do not compile") {
  for (const char* bad : {R"({"net": {"connect": ["ip:10.0.0.1/8:80"]}})", R"({"net": {"connect": ["ip:10.0.0.256/32:80"]}})",
                          R"({"net": {"connect": ["ip:10.0.0.0/33:80"]}})"}) {
    auto parsed = pt::parse(bad, pt::format::json, "bad.json");
    if (!parsed.ok()) continue;  // the parser already refuses it
    auto r = hosted::compile_policy(*parsed.ast, keys());
    REQUIRE_FALSE(r.ok());
    CHECK(r.failure->err.code == errc::invalid_pattern);
    CHECK(r.failure->loc.line == 1);
  }
}

TEST_CASE("tools: deny beats allow, globs, and version constraints") {
  auto p = load(R"({"tools": {"allow": ["http_*", {"name": "db.query", "version": ">=1.2, <2"}, {"name": "git", "version": "^2.3"}],
                              "deny": ["http_post", {"name": "db.query", "version": "=1.4"}]}})");
  CHECK(p->allows(op::tool_call, "http_get"));
  CHECK(p->reason(op::tool_call, "http_post") == errc::denied_by_rule);
  CHECK(p->eval(op::tool_call, "db.query", 0, "1.2").allow);
  CHECK(p->eval(op::tool_call, "db.query", 0, "1.9.9").allow);
  CHECK(p->eval(op::tool_call, "db.query", 0, "2.0").reason == errc::not_allowed);
  CHECK(p->eval(op::tool_call, "db.query", 0, "1.1.9").reason == errc::not_allowed);
  CHECK(p->eval(op::tool_call, "db.query", 0, "1.4.2").reason == errc::denied_by_rule);  // "=1.4" is 1.4.x
  // Unknown or malformed versions: allows with a constraint fail, denies with one hold.
  CHECK(p->eval(op::tool_call, "db.query").reason == errc::denied_by_rule);
  CHECK(p->eval(op::tool_call, "db.query", 0, "1.3-beta").reason == errc::denied_by_rule);
  CHECK(p->eval(op::tool_call, "git", 0, "2.3.0").allow);
  CHECK(p->eval(op::tool_call, "git", 0, "2.99").allow);
  CHECK(p->eval(op::tool_call, "git", 0, "3.0").reason == errc::not_allowed);
  CHECK(p->eval(op::tool_call, "git").reason == errc::not_allowed);
}

TEST_CASE("infer: unknown model, max_tokens exactly at and one over, per-model and policy-wide limits") {
  auto p = load(R"({"infer": {"models": ["gpt-4", "claude-*", {"model": "small", "max_tokens": 100}], "max_tokens": 1000}})");
  CHECK(p->reason(op::infer, "llama") == errc::not_allowed);
  CHECK(p->eval(op::infer, "gpt-4", 0, {}, 1000).allow);
  auto over = p->eval(op::infer, "gpt-4", 0, {}, 1001);
  CHECK(over.reason == errc::limit_exceeded);
  CHECK(p->policy.rule(over.rule).pattern == "gpt-4");
  CHECK(p->eval(op::infer, "claude-3-opus", 0, {}, 1000).allow);
  CHECK(p->eval(op::infer, "small", 0, {}, 100).allow);
  CHECK(p->eval(op::infer, "small", 0, {}, 101).reason == errc::limit_exceeded);
  auto no_limit = load(R"({"infer": {"models": ["m"]}})");
  CHECK(no_limit->eval(op::infer, "m", 0, {}, ~std::uint64_t{0}).allow);
  auto zero = load(R"({"infer": {"models": ["m"], "max_tokens": 0}})");
  CHECK(zero->eval(op::infer, "m", 0, {}, 0).allow);
  CHECK(zero->eval(op::infer, "m", 0, {}, 1).reason == errc::limit_exceeded);
}

TEST_CASE("wasm modules and host calls, spawn, and the sandbox flag") {
  auto p = load(R"({"wasm": {"modules": ["calc", "img-*"], "hostcalls": ["log"]},
                    "spawn": {"allow": ["/usr/bin/**"], "deny": ["/usr/bin/su*"], "sandbox": true}})");
  CHECK(p->allows(op::wasm_call, "calc"));
  CHECK(p->allows(op::wasm_call, "img-resize"));
  CHECK_FALSE(p->allows(op::wasm_call, "log"));
  CHECK(p->allows(op::wasm_hostcall, "log"));
  CHECK_FALSE(p->allows(op::wasm_hostcall, "calc"));
  CHECK(p->allows(op::spawn, "/usr/bin/env"));
  CHECK(p->reason(op::spawn, "/usr/bin/sudo") == errc::denied_by_rule);
  CHECK(p->policy.spawn_sandbox());
  CHECK_FALSE(load("{}")->policy.spawn_sandbox());
}

TEST_CASE("budgets: absent, unlimited, zero and amounts all survive compilation") {
  auto p = load(R"({"budgets": {"tool_calls": 0, "tokens": "unlimited", "heap_bytes": 10485760, "cpu_ns": 5}})");
  CHECK(p->policy.budget(budget::resource::tool_calls) == budget_limit{blob::budget_state::amount, 0});
  CHECK(p->policy.budget(budget::resource::tokens).unlimited());
  CHECK(p->policy.budget(budget::resource::heap_bytes) == budget_limit{blob::budget_state::amount, 10485760});
  CHECK(p->policy.budget(budget::resource::cpu_time_ns) == budget_limit{blob::budget_state::amount, 5});
  CHECK(p->policy.budget(budget::resource::wall_time_ms).absent());
  CHECK_FALSE(p->policy.budget(budget::resource::tool_calls).unlimited());
}

TEST_CASE("profiles expand into fs grants that name the profile") {
  auto p = load(R"({"profiles": ["tier2-glibc"]})");
  for (auto path : {"/proc/self/maps", "/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2",
                    "/etc/ld.so.cache", "/etc/ld.so.preload", "/etc/nsswitch.conf", "/etc/resolv.conf"})
    CHECK(p->allows(op::fs_read, path));
  CHECK_FALSE(p->allows(op::fs_write, "/proc/self/maps"));
  CHECK_FALSE(p->allows(op::fs_read, "/etc/passwd"));
  auto d = p->eval(op::fs_read, "/etc/resolv.conf");
  auto info = p->policy.rule(d.rule);
  CHECK(info.origin == rule_origin::profile);
  CHECK(info.detail == "tier2-glibc");
  CHECK(info.line == 1);
  auto musl = load(R"({"profiles": ["tier1-musl"]})");
  CHECK(musl->allows(op::fs_read, "/proc/self/status"));
  CHECK_FALSE(musl->allows(op::fs_read, "/lib/libc.so"));
}

TEST_CASE("decisions name the rule's source location") {
  auto p = load("{\n  \"fs\": {\n    \"read\": [\"/etc/hosts\",\n             \"/tmp/**\"]\n  }\n}\n");
  auto info = p->policy.rule(p->eval(op::fs_read, "/tmp/x").rule);
  CHECK(info.file == "test.json");
  CHECK(info.line == 4);
  CHECK(info.column == 14);
  CHECK(info.pattern == "/tmp/**");
}

TEST_CASE("TOML and JSON policies compile to the same decisions") {
  auto toml = load(R"(
[policy]
version = "1.0"
[[fs.allow]]
path = "/data/**"
read = true
write = true
[[dns.allow]]
pattern = "*.example.com"
[[net.allow]]
pattern = "dns:api.example.com:443"
connect = true
[[tools.allow]]
name = "git"
version = ">=2"
[[inference.allow]]
model = "gpt-4"
max_tokens = 10
)",
                   pt::format::toml);
  CHECK(toml->policy.format() == source_format::toml);
  CHECK(toml->allows(op::fs_write, "/data/x"));
  CHECK(toml->allows(op::net_dns, "a.example.com"));
  CHECK(toml->allows(op::net_connect, "dns:api.example.com:443"));
  CHECK(toml->eval(op::tool_call, "git", 0, "2.1").allow);
  CHECK(toml->eval(op::infer, "gpt-4", 0, {}, 11).reason == errc::limit_exceeded);
  CHECK(toml->policy.rule(toml->eval(op::fs_write, "/data/x").rule).file == "test.toml");
}

TEST_CASE("unknown ops and targets of the wrong shape are refused, not matched") {
  auto p = load(R"({"tools": {"allow": ["*"]}, "fs": {"read": ["/**"]}})");
  CHECK(p->policy.evaluate({static_cast<op>(12), "x"}).reason == errc::invalid_argument);
  CHECK(p->reason(op::tool_call, "") == errc::invalid_argument);
  CHECK(p->reason(op::tool_call, std::string{"a\0b", 3}) == errc::invalid_argument);
  CHECK(p->reason(op::tool_call, "tab\there") == errc::invalid_argument);
}

TEST_CASE("bad inputs: pathological globs, ***, ** alone, long inputs") {
  auto p = load(R"({"fs": {"read": ["/*?*?*?*?b", "/x/***", "**"], "write": ["/w/*"]}})");
  const std::string long_path = "/" + std::string(pattern::max_path_length - 2, 'a') + "b";
  CHECK(p->allows(op::fs_read, long_path));           // "/*?*?*?*?b" and "**": linear, no backtracking
  CHECK(p->allows(op::fs_read, "/x/a/b"));            // *** is **
  CHECK(p->allows(op::fs_read, "/"));                 // ** alone matches every path
  CHECK(p->allows(op::fs_write, "/w/file"));
  CHECK_FALSE(p->allows(op::fs_write, "/w/dir/file"));  // * does not cross '/'
  auto only_pathological = load(R"({"fs": {"read": ["/*?*?*?*?b"]}})");
  CHECK_FALSE(only_pathological->allows(op::fs_read, "/" + std::string(pattern::max_path_length - 1, 'a')));
  CHECK(only_pathological->allows(op::fs_read, "/aaaab"));
  CHECK_FALSE(only_pathological->allows(op::fs_read, "/aaab"));  // four ? need four characters
  // The empty pattern is refused before it can mean anything.
  auto empty = pt::parse(R"({"fs": {"read": [""]}})", pt::format::json, "empty.json");
  CHECK_FALSE(empty.ok());
}

TEST_CASE("bad inputs: many slashes, relative paths with and without a working directory, the buffer edge") {
  auto p = load(R"({"fs": {"read": ["/etc/hosts", "/home/ann/**"]}})");
  char buffer[pattern::max_path_length];
  auto slashes = pattern::canonicalize_path("//etc///hosts/", buffer);
  REQUIRE(slashes.ok());
  CHECK(p->allows(op::fs_read, *slashes));
  CHECK(p->reason(op::fs_read, "//etc///hosts") == errc::invalid_path);  // uncanonical input is refused
  CHECK(pattern::canonicalize_path("notes.txt", buffer).code() == errc::invalid_path);
  auto with_cwd = pattern::canonicalize_path("notes/../todo.txt", buffer, "/home/ann");
  REQUIRE(with_cwd.ok());
  CHECK(*with_cwd == "/home/ann/todo.txt");
  CHECK(p->allows(op::fs_read, *with_cwd));
  auto escape = pattern::canonicalize_path("../../etc/hosts", buffer, "/home/ann");
  REQUIRE(escape.ok());
  CHECK(*escape == "/etc/hosts");  // the path opened, checked as such
  // At the buffer edge: exactly max_path_length canonicalizes; one more byte is too long.
  const std::string edge = "/home/ann/" + std::string(pattern::max_path_length - 10, 'x');
  auto at_edge = pattern::canonicalize_path(edge, buffer);
  REQUIRE(at_edge.ok());
  CHECK(p->allows(op::fs_read, *at_edge));
  CHECK(pattern::canonicalize_path(edge + "x", buffer).code() == errc::too_long);
}
