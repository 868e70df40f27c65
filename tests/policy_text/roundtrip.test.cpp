// Printing is lossless: parse(print(p)) means the same as p, in both formats and across
// them (JSON → TOML → JSON), on the reference policies and on generated ones; and the
// canonical text is a fixed point (printing a reparsed printout gives the same text).
#include <random>

#include "support.hpp"

using namespace policy_test;

namespace {

pt::policy reparse(const pt::policy& p, pt::format f) {
  const auto text = pt::print(p, f);
  auto r = pt::parse(text, f, f == pt::format::json ? "printed.json" : "printed.toml");
  INFO("printed:\n" << text);
  INFO(all_diagnostics(r));
  REQUIRE(r.ok());
  return *r.ast;
}

void check_round_trips(const pt::policy& p) {
  const auto json = reparse(p, pt::format::json);
  const auto toml = reparse(p, pt::format::toml);
  CHECK(pt::same_meaning(p, json));
  CHECK(pt::same_meaning(p, toml));
  const auto toml_json = reparse(toml, pt::format::json);
  const auto json_toml_json = reparse(reparse(json, pt::format::toml), pt::format::json);
  CHECK(pt::same_meaning(p, toml_json));
  CHECK(pt::same_meaning(p, json_toml_json));
  // Canonical text is stable.
  CHECK(pt::print_json(json) == pt::print_json(p));
  CHECK(pt::print_toml(toml) == pt::print_toml(p));
  CHECK(pt::print_json(toml_json) == pt::print_json(json));
}

// ---- a generator of valid policies ----------------------------------------------------

class generator {
 public:
  explicit generator(std::uint32_t seed) : rng_(seed) {}

  pt::policy make() {
    pt::policy p;
    if (coin()) p.version = pt::policy_version{1, pick(0u, 3u), {}};
    if (coin()) p.name = text();
    if (coin()) p.description = text();
    for (auto& n : subset(std::vector<std::string>{"tier1-musl", "tier2-glibc"})) p.profiles.push_back({n, {}});
    for (auto& path : subset(paths_)) {
      pt::fs_grant g{path, coin(), coin(), coin(), {}};
      if (!g.read && !g.write && !g.exec) g.read = true;
      p.fs.allow.push_back(g);
    }
    for (auto& path : subset(paths_)) p.fs.deny.push_back({path, {}});
    for (auto& host : subset(hosts_)) p.net.dns.push_back({host, {}});
    for (auto& net : subset(nets_)) {
      pt::net_grant g{net, coin(), coin(), coin(), {}};
      if (!g.connect && !g.bind && !g.listen) g.connect = true;
      p.net.allow.push_back(g);
    }
    for (auto& net : subset(nets_)) p.net.deny.push_back({net, {}});
    for (auto& name : subset(names_)) p.tools.allow.push_back(tool(name));
    for (auto& name : subset(names_)) p.tools.deny.push_back(tool(name));
    for (auto& name : subset(names_)) p.wasm.modules.push_back({name, {}});
    for (auto& name : subset(names_)) p.wasm.hostcalls.push_back({name, {}});
    for (auto& name : subset(names_)) {
      pt::model_rule m{name, std::nullopt, {}};
      if (coin()) m.max_tokens = amount();
      p.infer.models.push_back(m);
    }
    if (coin()) p.infer.max_tokens = amount();
    for (const auto& info : authority::budget::resource_table) {
      if (!coin()) continue;
      pt::budget_entry b;
      b.resource = info.id;
      b.unlimited = pick(0, 4) == 0;
      if (!b.unlimited) b.amount = amount();
      p.budgets.push_back(b);
    }
    for (auto& path : subset(paths_)) p.spawn.allow.push_back({path, {}});
    for (auto& path : subset(paths_)) p.spawn.deny.push_back({path, {}});
    p.spawn.sandbox = coin();
    const auto labels = subset(labels_);
    for (const auto& l : labels) p.taint.labels.push_back({l, {}});
    auto usable = labels;
    usable.push_back("untrusted");
    for (int i = pick(0, 3); i > 0; --i) {
      pt::taint_source s;
      s.effect = effect();
      s.label = usable[pick<std::size_t>(0, usable.size() - 1)];
      p.taint.sources.push_back(s);
    }
    for (int i = pick(0, 3); i > 0; --i) {
      pt::taint_sink s;
      s.effect = {"tool.call", pt::effect_bit(pt::effect_kind::tool_call)};
      if (coin()) s.target = names_[pick<std::size_t>(0, names_.size() - 1)];
      s.deny = {usable[pick<std::size_t>(0, usable.size() - 1)]};
      p.taint.sinks.push_back(s);
    }
    for (int i = pick(0, 2); i > 0; --i) {
      pt::taint_sanitizer s;
      s.tool = names_[pick<std::size_t>(0, names_.size() - 1)];
      s.removes = {"untrusted"};
      if (coin()) s.adds = {usable[pick<std::size_t>(0, usable.size() - 1)]};
      p.taint.sanitizers.push_back(s);
    }
    return p;
  }

 private:
  template <class T>
  T pick(T lo, T hi) {
    return std::uniform_int_distribution<T>{lo, hi}(rng_);
  }
  bool coin() { return pick(0, 1) == 1; }

  std::uint64_t amount() {
    switch (pick(0, 3)) {
      case 0: return 0;
      case 1: return pt::max_amount;
      default: return pick<std::uint64_t>(0, pt::max_amount);
    }
  }

  // Text with the characters printers must escape: quotes, backslashes, controls, DEL,
  // non-ASCII, and the strings TOML and JSON treat specially.
  std::string text() {
    static const std::vector<std::string> pieces = {
        "a", "policy ", "\"", "\\", "\n", "\t", "\r", "\x01", "\x1f", "\x7f", "'''", "\"\"\"", "#", "=", "[x]",
        "{", "}", "\xC3\xA9", "\xE4\xB8\xAD", "\xF0\x9F\x98\x80", "\\u0041", " ", ","};
    std::string s;
    for (int i = pick(0, 12); i > 0; --i) s += pieces[pick<std::size_t>(0, pieces.size() - 1)];
    return s;
  }

  pt::tool_rule tool(const std::string& name) {
    pt::tool_rule t{name, std::nullopt, {}};
    static const std::vector<std::string> versions = {"1", ">=1.2", "^2.0.1", "~1.4, !=1.4.3", ">= 1 , < 2"};
    if (coin()) t.version = versions[pick<std::size_t>(0, versions.size() - 1)];
    return t;
  }

  pt::effect_selector effect() {
    static const std::vector<std::string> effects = {"net.*", "fs.read", "tool.call", "infer", "wasm.*", "spawn"};
    auto e = effects[pick<std::size_t>(0, effects.size() - 1)];
    return {e, *pt::parse_effect_selector(e)};
  }

  std::vector<std::string> subset(std::vector<std::string> pool) {
    std::shuffle(pool.begin(), pool.end(), rng_);
    pool.resize(pick<std::size_t>(0, std::min<std::size_t>(pool.size(), 4)));
    return pool;
  }

  std::mt19937 rng_;
  const std::vector<std::string> paths_ = {"/usr/**", "/tmp/*.log", "/home/*/docs/**", "/data/file?.txt",
                                           "/\xD0\xBE\xD0\xBF\xD1\x82/**", "/with space/*", "/etc/passwd"};
  const std::vector<std::string> hosts_ = {"api.example.com", "*.example.com", "xn--bcher-kva.example"};
  const std::vector<std::string> nets_ = {"dns:api.example.com:443", "ip:10.0.0.0/8:5432", "ip:*:443",
                                          "ip:[::1]:8080", "dns:*.example.com:80-90"};
  const std::vector<std::string> names_ = {"add", "http_get", "claude-*", "gpt-?", "email.send", "calc.wasm"};
  const std::vector<std::string> labels_ = {"sanitized:html", "pii", "secret.v2"};
};

}  // namespace

TEST_CASE("reference policies round-trip through both printers", "[policy_text][roundtrip]") {
  auto files = shared_files("reference/policies", ".json");
  const auto seeds = shared_files("reference/fuzz-corpus/json", ".json");
  files.insert(files.end(), seeds.begin(), seeds.end());
  if (files.empty()) {
    WARN("skipped: no reference policies under " << shared_dir().string());
    return;
  }
  for (const auto& f : files) {
    INFO(f.string());
    check_round_trips(parse_ok(read_file(f)));
  }
}

TEST_CASE("generated policies round-trip through both printers", "[policy_text][roundtrip][property]") {
  for (std::uint32_t seed = 1; seed <= 300; ++seed) {
    INFO("seed " << seed);
    const auto p = generator{seed}.make();
    check_round_trips(p);
  }
}

TEST_CASE("same_meaning sees every difference that matters", "[policy_text][roundtrip]") {
  const auto base = parse_ok(R"({"fs": {"read": ["/a", "/b"], "write": ["/a"]}, "budgets": {"tokens": 5},
                                 "infer": {"models": [{"model": "m", "max_tokens": 3}]}})");
  // Order and grouping do not matter; locations and source format do not either.
  CHECK(pt::same_meaning(base, parse_ok(R"({"budgets": {"tokens": 5}, "infer": {"models": [{"model": "m", "max_tokens": 3}]},
                                            "fs": {"write": ["/a"], "read": ["/b", "/a"]}})")));
  CHECK(pt::same_meaning(base, parse_ok("[[fs.allow]]\npath = \"/b\"\nread = true\n[[fs.allow]]\npath = \"/a\"\nread = true\n"
                                        "write = true\n[budgets]\ntokens = 5\n[[inference.allow]]\nmodel = \"m\"\nmax_tokens = 3\n",
                                        pt::format::toml)));
  // Any change of content does.
  CHECK_FALSE(pt::same_meaning(base, parse_ok(R"({"fs": {"read": ["/a", "/b"]}, "budgets": {"tokens": 5},
                                                 "infer": {"models": [{"model": "m", "max_tokens": 3}]}})")));
  CHECK_FALSE(pt::same_meaning(base, parse_ok(R"({"fs": {"read": ["/a", "/b"], "write": ["/a"]}, "budgets": {"tokens": 6},
                                                 "infer": {"models": [{"model": "m", "max_tokens": 3}]}})")));
  CHECK_FALSE(pt::same_meaning(base, parse_ok(R"({"fs": {"read": ["/a", "/b"], "write": ["/a"]}, "budgets": {"tokens": 5},
                                                 "infer": {"models": ["m"], "max_tokens": 3}})")));
  CHECK_FALSE(pt::same_meaning(parse_ok(R"({"budgets": {"tokens": 0}})"), parse_ok(R"({"budgets": {"tokens": "unlimited"}})")));
  CHECK_FALSE(pt::same_meaning(parse_ok(R"({"budgets": {"tokens": 0}})"), parse_ok("{}")));
  // Equality with locations sees where a rule came from.
  CHECK_FALSE(base == parse_ok(R"({"fs": {"read": ["/a", "/b"], "write": ["/a"]},   "budgets": {"tokens": 5},
                                  "infer": {"models": [{"model": "m", "max_tokens": 3}]}})"));
  CHECK(pt::without_locations(base).fs.allow[0].loc.line == 0);
}

TEST_CASE("canonical text: key order, spelling and layout", "[policy_text][roundtrip]") {
  const auto p = parse_ok(R"({"budgets": {"cpu_ns": 1, "tokens": "unlimited"}, "version": "1",
                              "tools": ["a", {"name": "b", "version": "^1"}], "infer": {"max_tokens": 9}})");
  CHECK(pt::print_json(p) == R"({
  "version": "1.0",
  "tools": {
    "allow": [
      "a",
      {"name": "b", "version": "^1"}
    ]
  },
  "infer": {
    "max_tokens": 9
  },
  "budgets": {
    "tokens": "unlimited",
    "cpu_time_ns": 1
  }
}
)");
  CHECK(pt::print_toml(p) == R"([policy]
version = "1.0"

[[tools.allow]]
name = "a"

[[tools.allow]]
name = "b"
version = "^1"

[inference]
max_tokens = 9

[budgets]
tokens = "unlimited"
cpu_time_ns = 1
)");
}
