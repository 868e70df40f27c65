// `authority keys ...` and `authority cap ...`: key files and capability tokens.
#include <unistd.h>

#include <iostream>
#include <memory>
#include <sstream>

#include "authority/capability/issue.hpp"
#include "authority/capability/verify.hpp"
#include "authority/hosted/keyfile.hpp"
#include "authority/hosted/platform.hpp"
#include "authority/pattern/path.hpp"
#include "command.hpp"
#include "util.hpp"

namespace authority::cli {
namespace {

using namespace authority::capability;

// A loaded key file with its revocation list, and what a verifier needs alongside.
struct issuer_state {
  hosted::key_file keys;
  std::string revocation_path;
  std::unique_ptr<hosted::revocation_store> revoked = std::make_unique<hosted::revocation_store>();
};

std::optional<issuer_state> load_issuer(const std::string& key_path) {
  auto kf = hosted::load_key_file(key_path);
  if (!kf.ok()) {
    std::cerr << "error: " << kf.failure->message << "\n"
              << "hint: create a key file with `authority keys gen -o " << key_path << "`\n";
    return std::nullopt;
  }
  issuer_state st{std::move(*kf.value), key_path + ".revoked", nullptr};
  st.revoked = std::make_unique<hosted::revocation_store>();
  auto r = hosted::load_revocations(st.revocation_path, st.keys, *st.revoked);
  if (!r.ok()) {
    std::cerr << "error: " << r.failure->message << "\n"
              << "hint: the revocation list must be signed by this key file's state key; refusing to "
                 "continue without it (fail closed)\n";
    return std::nullopt;
  }
  return st;
}

time_ns now_or(std::optional<std::uint64_t> now_ms) {
  if (now_ms) return *now_ms * ns_per_ms;
  hosted::system_clock clock;
  return clock.now_ns();
}

std::optional<token> parse_token(const std::string& arg) {
  const auto text = read_token_argument(arg);
  token t;
  auto r = decode_text(text, t);
  if (!r) {
    std::cerr << "error: not a valid capability token: " << explain(r.error()) << " at offset " << r.error().offset
              << "\n";
    return std::nullopt;
  }
  return t;
}

std::optional<cap_type> parse_type(const std::string& name) {
  auto t = type_from_name(name);
  if (!t) {
    std::cerr << "error: unknown capability type \"" << name << "\"; one of:";
    for (const auto& info : cap_type_table) std::cerr << " " << info.name;
    std::cerr << "\n";
  }
  return t;
}

std::optional<method_set> parse_methods(cap_type type, const std::string& list) {
  if (list == "all") return method_set::everything();
  if (list == "none" || list.empty()) return method_set::none();
  method_set m = method_set::none();
  std::stringstream ss(list);
  for (std::string name; std::getline(ss, name, ',');) {
    auto bit = method_from_name(type, name);
    if (!bit) {
      std::cerr << "error: \"" << name << "\" is not a method of " << name_of(type) << "; methods:";
      for (std::size_t i = 0; i < method_count(type); ++i) std::cerr << " " << method_name(type, static_cast<std::uint8_t>(i));
      std::cerr << " (or all, none)\n";
      return std::nullopt;
    }
    m.bits |= std::uint32_t{1} << *bit;
  }
  return m;
}

std::string methods_text(const token& t, const method_set& m) {
  if (m.all) return "all";
  std::string s;
  for (std::size_t i = 0; i < method_count(t.type); ++i)
    if (m.contains(static_cast<std::uint8_t>(i))) {
      if (!s.empty()) s += ",";
      s += method_name(t.type, static_cast<std::uint8_t>(i));
    }
  return s.empty() ? "none" : s;
}

std::string rate_text(const rate_limit& r) {
  return r.limited ? std::to_string(r.count) + "/" + format_duration_ms(r.window_ms) : "unlimited";
}

void print_token(const token& t, bool json) {
  if (json) {
    std::cout << "{\"version\":" << unsigned{t.version} << ",\"key_id\":" << t.key_id << ",\"type\":\""
              << name_of(t.type) << "\",\"resource\":\"" << json_escape(t.resource.view()) << "\",\"methods\":\""
              << methods_text(t, t.methods) << "\",\"issued_at_ms\":" << t.issued_at_ms << ",\"ttl_ms\":" << t.ttl_ms
              << ",\"expires_at_ms\":" << t.effective_expiry_ms() << ",\"rate\":\"" << rate_text(t.rate)
              << "\",\"run_id\":" << (t.bound_to_run() ? "\"" + hex_of(t.run_id) + "\"" : "null")
              << ",\"token_id\":\"" << hex_of(t.token_id) << "\",\"depth\":" << t.depth() << ",\"lineage\":[";
    for (std::size_t i = 0; i < t.lineage.size(); ++i)
      std::cout << (i ? "," : "") << "{\"token_id\":\"" << hex_of(t.lineage[i].token_id) << "\",\"rate\":\""
                << rate_text(t.lineage[i].rate) << "\"}";
    std::cout << "],\"caveats\":[";
    for (std::size_t i = 0; i < t.caveats.size(); ++i) {
      const auto& c = t.caveats[i];
      std::cout << (i ? "," : "");
      switch (c.kind) {
        case caveat_kind::expires_before: std::cout << "{\"expires_before_ms\":" << c.value << "}"; break;
        case caveat_kind::resource: std::cout << "{\"resource\":\"" << json_escape(c.pattern.view()) << "\"}"; break;
        case caveat_kind::methods:
          std::cout << "{\"methods\":\"" << methods_text(t, method_set::of(static_cast<std::uint32_t>(c.value))) << "\"}";
          break;
        case caveat_kind::bind_run: std::cout << "{\"run_id\":\"" << hex_of(c.run) << "\"}"; break;
      }
    }
    std::cout << "],\"mac\":\"" << hex_of(t.mac) << "\"}\n";
    return;
  }
  std::cout << "type        " << name_of(t.type) << "\n"
            << "resource    " << t.resource.view() << "\n"
            << "methods     " << methods_text(t, t.methods) << "\n"
            << "issued at   " << t.issued_at_ms << " ms\n"
            << "ttl         " << format_duration_ms(t.ttl_ms) << " (expires at " << t.effective_expiry_ms() << " ms)\n"
            << "rate        " << rate_text(t.rate) << "\n"
            << "run         " << (t.bound_to_run() ? hex_of(t.run_id) : std::string("unbound")) << "\n"
            << "token id    " << hex_of(t.token_id) << "\n"
            << "key id      " << t.key_id << "\n"
            << "depth       " << t.depth() << "\n";
  for (const auto& a : t.lineage) std::cout << "ancestor    " << hex_of(a.token_id) << " rate " << rate_text(a.rate) << "\n";
  for (const auto& c : t.caveats) {
    std::cout << "caveat      ";
    switch (c.kind) {
      case caveat_kind::expires_before: std::cout << "expires before " << c.value << " ms\n"; break;
      case caveat_kind::resource: std::cout << "resource " << c.pattern.view() << "\n"; break;
      case caveat_kind::methods: std::cout << "methods " << methods_text(t, method_set::of(static_cast<std::uint32_t>(c.value))) << "\n"; break;
      case caveat_kind::bind_run: std::cout << "run " << hex_of(c.run) << "\n"; break;
    }
  }
}

bool print_token_text(const token& t) {
  std::string text(max_text_size, '\0');
  auto s = encode_text(t, std::span<char>(text.data(), text.size()));
  if (!s) {
    std::cerr << "error: cannot encode token: " << explain(s.error()) << "\n";
    return false;
  }
  std::cout << *s << "\n";
  return true;
}

// The canonical target for an access: fs and spawn paths are canonicalized first, so
// the path checked is the path that would be opened.
std::optional<std::string> canonical_target(cap_type type, const std::string& resource) {
  if (find_type(type)->resource_syntax != pattern::syntax::path) return resource;
  std::string out(pattern::max_path_length, '\0');
  auto c = pattern::canonicalize_path(resource, std::span<char>(out.data(), out.size()));
  if (!c) {
    std::cout << "deny: " << explain(c.error()) << " at offset " << c.error().offset << "\n";
    return std::nullopt;
  }
  return std::string(*c);
}

struct mint_options {
  std::string key, type, resource, methods, ttl = "1h", rate, run_id;
  std::optional<std::uint64_t> now_ms;
};

int run_mint(const mint_options& o) {
  auto st = load_issuer(o.key);
  if (!st) return exit_usage;
  auto type = parse_type(o.type);
  if (!type) return exit_usage;
  auto methods = parse_methods(*type, o.methods);
  if (!methods) return exit_usage;
  grant g;
  g.type = *type;
  g.resource = o.resource;
  g.methods = *methods;
  auto ttl = parse_duration_ms(o.ttl);
  if (!ttl) {
    std::cerr << "error: --ttl \"" << o.ttl << "\" is not a duration (e.g. 90s, 15m, 1h, 7d)\n";
    return exit_usage;
  }
  g.ttl_ms = *ttl;
  if (!o.rate.empty()) {
    auto rate = parse_rate(o.rate);
    if (!rate) {
      std::cerr << "error: --rate \"" << o.rate << "\" must be COUNT/PERIOD with COUNT ≥ 1, e.g. 10/1m or 5/s\n";
      return exit_usage;
    }
    g.rate = *rate;
  }
  if (!o.run_id.empty()) {
    auto run = parse_id128(o.run_id);
    if (!run) {
      std::cerr << "error: --run-id must be 32 hex digits\n";
      return exit_usage;
    }
    g.run_id = *run;
  }
  hosted::sodium_entropy entropy;
  auto t = std::make_unique<token>();
  auto r = mint(*st->keys.ring, g, now_or(o.now_ms), entropy, *t);
  if (!r) {
    std::cerr << "error: cannot mint: " << explain(r.error()) << "\n";
    return exit_usage;
  }
  std::cerr << "minted " << name_of(t->type) << " " << t->resource.view() << " [" << methods_text(*t, t->methods)
            << "] ttl " << format_duration_ms(t->ttl_ms) << ", token id " << hex_of(t->token_id) << "\n";
  return print_token_text(*t) ? exit_allow : exit_usage;
}

struct verify_options {
  std::string key, type, resource, method, run_id, token_arg;
  std::optional<std::uint64_t> now_ms;
};

int run_verify(const verify_options& o) {
  auto st = load_issuer(o.key);
  if (!st) return exit_usage;
  auto type = parse_type(o.type);
  if (!type) return exit_usage;
  auto method = method_from_name(*type, o.method);
  if (!method) {
    std::cerr << "error: \"" << o.method << "\" is not a method of " << o.type << "\n";
    return exit_usage;
  }
  id128 run{};
  if (!o.run_id.empty()) {
    auto r = parse_id128(o.run_id);
    if (!r) {
      std::cerr << "error: --run-id must be 32 hex digits\n";
      return exit_usage;
    }
    run = *r;
  }
  const auto target = canonical_target(*type, o.resource);
  if (!target) return exit_deny;
  verifier v{*st->keys.ring, st->revoked->list()};
  auto t = std::make_unique<token>();
  auto r = v.verify_text(read_token_argument(o.token_arg), access_request{*type, *target, *method, run},
                         now_or(o.now_ms), *t);
  if (!r) {
    std::cout << "deny: " << explain(r.error()) << "\n";
    return exit_deny;
  }
  std::cout << "allow: " << o.type << " " << o.method << " " << *target << " (token " << hex_of(t->token_id) << ")\n";
  return exit_allow;
}

struct attenuate_options {
  std::string key, token_arg, resource, methods, ttl, rate, run_id;
  std::optional<std::uint64_t> now_ms;
};

int run_attenuate(const attenuate_options& o) {
  auto parent = parse_token(o.token_arg);
  if (!parent) return exit_usage;
  std::optional<method_set> methods;
  if (!o.methods.empty()) {
    methods = parse_methods(parent->type, o.methods);
    if (!methods) return exit_usage;
  }
  std::optional<std::uint64_t> ttl;
  if (!o.ttl.empty()) {
    ttl = parse_duration_ms(o.ttl);
    if (!ttl) {
      std::cerr << "error: --ttl is not a duration\n";
      return exit_usage;
    }
  }
  std::optional<id128> run;
  if (!o.run_id.empty()) {
    run = parse_id128(o.run_id);
    if (!run) {
      std::cerr << "error: --run-id must be 32 hex digits\n";
      return exit_usage;
    }
  }
  const time_ns now = now_or(o.now_ms);
  auto child = std::make_unique<token>();
  if (o.key.empty()) {
    // Holder-side: append caveats; no key needed.
    if (!o.rate.empty()) {
      std::cerr << "error: --rate needs the issuer (--key): a holder can narrow resource, methods, ttl and run\n";
      return exit_usage;
    }
    *child = *parent;
    auto add = [&](const caveat& c) {
      auto r = add_caveat(*child, c);
      if (!r) std::cerr << "error: cannot add caveat: " << explain(r.error()) << "\n";
      return r.ok();
    };
    if (!o.resource.empty()) {
      caveat c;
      c.kind = caveat_kind::resource;
      auto p = static_string<max_resource_size>::from(o.resource);
      if (!p) {
        std::cerr << "error: --resource longer than " << max_resource_size << " bytes\n";
        return exit_usage;
      }
      c.pattern = *p;
      if (!add(c)) return exit_usage;
    }
    if (methods) {
      if (methods->all) {
        std::cerr << "error: a caveat narrows; \"all\" would not\n";
        return exit_usage;
      }
      caveat c;
      c.kind = caveat_kind::methods;
      c.value = methods->bits;
      if (!add(c)) return exit_usage;
    }
    if (ttl) {
      caveat c;
      c.kind = caveat_kind::expires_before;
      c.value = now / ns_per_ms + *ttl;
      if (!add(c)) return exit_usage;
    }
    if (run) {
      caveat c;
      c.kind = caveat_kind::bind_run;
      c.run = *run;
      if (!add(c)) return exit_usage;
    }
    if (child->caveats.size() == parent->caveats.size()) {
      std::cerr << "error: nothing to narrow: give --resource, --methods, --ttl or --run-id\n";
      return exit_usage;
    }
    std::cerr << "added " << child->caveats.size() - parent->caveats.size() << " caveat(s) without the key\n";
    return print_token_text(*child) ? exit_allow : exit_usage;
  }
  // Issuer-side delegation: a new token whose unspecified fields default to the parent's.
  auto st = load_issuer(o.key);
  if (!st) return exit_usage;
  grant g;
  g.type = parent->type;
  g.resource = o.resource.empty() ? parent->resource.view() : std::string_view(o.resource);
  g.methods = methods.value_or(parent->methods);
  const std::uint64_t now_ms = now / ns_per_ms;
  const std::uint64_t parent_left = parent->effective_expiry_ms() > now_ms ? parent->effective_expiry_ms() - now_ms : 0;
  g.ttl_ms = ttl.value_or(parent_left);
  g.rate = parent->rate;
  if (!o.rate.empty()) {
    auto rate = parse_rate(o.rate);
    if (!rate) {
      std::cerr << "error: --rate must be COUNT/PERIOD, e.g. 10/1m\n";
      return exit_usage;
    }
    g.rate = *rate;
  }
  g.run_id = run.value_or(parent->run_id);
  verifier v{*st->keys.ring, st->revoked->list()};
  hosted::sodium_entropy entropy;
  auto r = delegate(v, *parent, g, now, entropy, *child);
  if (!r) {
    std::cout << "deny: " << explain(r.error()) << "\n";
    return exit_deny;
  }
  std::cerr << "delegated " << name_of(child->type) << " " << child->resource.view() << " [" << methods_text(*child, child->methods)
            << "] depth " << child->depth() << ", token id " << hex_of(child->token_id) << "\n";
  return print_token_text(*child) ? exit_allow : exit_usage;
}

struct revoke_options {
  std::string key, token_arg, token_id, run_id;
};

int run_revoke(const revoke_options& o) {
  auto st = load_issuer(o.key);
  if (!st) return exit_usage;
  const int given = !o.token_arg.empty() + !o.token_id.empty() + !o.run_id.empty();
  if (given != 1) {
    std::cerr << "error: give exactly one of TOKEN, --token-id or --run-id\n";
    return exit_usage;
  }
  revocation_kind kind = revocation_kind::token;
  id128 id{};
  if (!o.token_arg.empty()) {
    auto t = parse_token(o.token_arg);
    if (!t) return exit_usage;
    id = t->token_id;
  } else {
    auto parsed = parse_id128(o.token_id.empty() ? o.run_id : o.token_id);
    if (!parsed) {
      std::cerr << "error: ids are 32 hex digits\n";
      return exit_usage;
    }
    id = *parsed;
    if (!o.run_id.empty()) kind = revocation_kind::run;
  }
  auto r = st->revoked->revoke(kind, id);
  if (!r) {
    std::cerr << "error: " << explain(r.error()) << "\n";
    return exit_usage;
  }
  auto saved = hosted::save_revocations(st->revocation_path, st->keys, *st->revoked);
  if (!saved.ok()) {
    std::cerr << "error: " << saved.failure->message << "\n";
    return exit_usage;
  }
  std::cout << "revoked " << (kind == revocation_kind::run ? "run " : "token ") << hex_of(id)
            << (kind == revocation_kind::token ? " and every token delegated from it" : "") << " ("
            << st->revoked->list().size() << " entries in " << st->revocation_path << ")\n";
  return exit_allow;
}

void install(CLI::App& root, std::function<void(int)> set_exit) {
  auto* keys = root.add_subcommand("keys", "Create and rotate capability key files");
  keys->require_subcommand(1);
  {
    auto* gen = keys->add_subcommand("gen", "Create a key file with one fresh HMAC-SHA256 key");
    auto out = std::make_shared<std::string>();
    auto grace = std::make_shared<std::string>("24h");
    auto force = std::make_shared<bool>(false);
    gen->add_option("-o,--output", *out, "Key file to create (mode 0600)")->required();
    gen->add_option("--grace", *grace, "How long a retired key still verifies (e.g. 24h)");
    gen->add_flag("--force", *force, "Overwrite an existing file");
    gen->callback([=] {
      auto g = parse_duration_ms(*grace);
      if (!g) {
        std::cerr << "error: --grace is not a duration\n";
        return set_exit(exit_usage);
      }
      if (!*force && ::access(out->c_str(), F_OK) == 0) {
        std::cerr << "error: " << *out << " exists; use --force to replace it (tokens signed by it stop verifying)\n";
        return set_exit(exit_usage);
      }
      hosted::system_clock clock;
      auto kf = hosted::generate_key_file(clock.now_ns(), *g * ns_per_ms);
      if (!kf) {
        std::cerr << "error: " << explain(kf.error()) << "\n";
        return set_exit(exit_usage);
      }
      auto saved = hosted::save_key_file(*out, *kf);
      if (!saved.ok()) {
        std::cerr << "error: " << saved.failure->message << "\n";
        return set_exit(exit_usage);
      }
      std::cout << "wrote " << *out << " (key 1 active, grace " << format_duration_ms(*g) << ")\n";
      set_exit(exit_allow);
    });
  }
  {
    auto* rotate = keys->add_subcommand("rotate", "Add a new signing key; the old one verifies for the grace period");
    auto path = std::make_shared<std::string>();
    rotate->add_option("KEYFILE", *path, "Key file")->required();
    rotate->callback([=] {
      auto st = load_issuer(*path);
      if (!st) return set_exit(exit_usage);
      hosted::system_clock clock;
      auto id = hosted::rotate_key(st->keys, clock.now_ns());
      if (!id) {
        std::cerr << "error: " << explain(id.error()) << "\n";
        return set_exit(exit_usage);
      }
      auto saved = hosted::save_key_file(*path, st->keys);
      if (!saved.ok()) {
        std::cerr << "error: " << saved.failure->message << "\n";
        return set_exit(exit_usage);
      }
      std::cout << "key " << *id << " now signs; earlier keys retired\n";
      set_exit(exit_allow);
    });
  }
  {
    auto* list = keys->add_subcommand("list", "List the keys of a key file (ids and states, never secrets)");
    auto path = std::make_shared<std::string>();
    list->add_option("KEYFILE", *path, "Key file")->required();
    list->callback([=] {
      auto st = load_issuer(*path);
      if (!st) return set_exit(exit_usage);
      for (const auto& s : st->keys.ring->slots()) {
        if (s.state == key_state::active) std::cout << "key " << s.id << " active (signs)\n";
        if (s.state == key_state::retired) std::cout << "key " << s.id << " retired at " << s.retired_at / ns_per_ms << " ms\n";
      }
      std::cout << "grace " << format_duration_ms(st->keys.ring->grace_period() / ns_per_ms) << ", "
                << st->revoked->list().size() << " revocations\n";
      set_exit(exit_allow);
    });
  }

  auto* cap = root.add_subcommand("cap", "Mint, inspect, verify, attenuate and revoke capability tokens");
  cap->require_subcommand(1);
  {
    auto* c = cap->add_subcommand("mint", "Mint a capability; prints its text form as the last line");
    auto o = std::make_shared<mint_options>();
    c->add_option("--key", o->key, "Key file")->required();
    c->add_option("--type", o->type, "fs, net, tool, wasm, infer, spawn, heap, secrets, ipc or admin")->required();
    c->add_option("--resource", o->resource, "Resource pattern, e.g. /data/** or dns:*.example.com:443")->required();
    c->add_option("--methods", o->methods, "Comma-separated methods, or all / none")->required();
    c->add_option("--ttl", o->ttl, "Lifetime, e.g. 90s, 15m, 1h (default 1h)");
    c->add_option("--rate", o->rate, "Rate limit COUNT/PERIOD, e.g. 10/1m (default: none)");
    c->add_option("--run-id", o->run_id, "Bind to a run (32 hex digits)");
    c->add_option("--now-ms", o->now_ms, "Use this time instead of the clock (tests)");
    c->callback([=] { set_exit(run_mint(*o)); });
  }
  {
    auto* c = cap->add_subcommand("inspect", "Show a token's fields (no key needed; use verify to check it)");
    auto token_arg = std::make_shared<std::string>();
    auto json = std::make_shared<bool>(false);
    c->add_option("TOKEN", *token_arg, "Token text, or - for standard input")->required();
    c->add_flag("--json", *json, "Print JSON");
    c->callback([=] {
      auto t = parse_token(*token_arg);
      if (!t) return set_exit(exit_usage);
      print_token(*t, *json);
      set_exit(exit_allow);
    });
  }
  {
    auto* c = cap->add_subcommand("verify", "Check a token against an access: exit 0 allow, 1 deny (with the reason)");
    auto o = std::make_shared<verify_options>();
    c->add_option("--key", o->key, "Key file")->required();
    c->add_option("--type", o->type, "Capability type the access needs")->required();
    c->add_option("--resource", o->resource, "The concrete target (paths are canonicalized)")->required();
    c->add_option("--method", o->method, "The method the access needs")->required();
    c->add_option("--run-id", o->run_id, "The run making the access (32 hex digits)");
    c->add_option("--now-ms", o->now_ms, "Use this time instead of the clock (tests)");
    c->add_option("TOKEN", o->token_arg, "Token text, or - for standard input")->required();
    c->callback([=] { set_exit(run_verify(*o)); });
  }
  {
    auto* c = cap->add_subcommand("attenuate",
                                  "Narrow a token. Without --key: append caveats (holder side, no secret needed). "
                                  "With --key: delegate a new child token (issuer side)");
    auto o = std::make_shared<attenuate_options>();
    c->add_option("TOKEN", o->token_arg, "Parent token text, or -")->required();
    c->add_option("--key", o->key, "Key file: delegate a new token instead of adding caveats");
    c->add_option("--resource", o->resource, "Narrower resource pattern");
    c->add_option("--methods", o->methods, "Subset of methods");
    c->add_option("--ttl", o->ttl, "Shorter lifetime from now");
    c->add_option("--rate", o->rate, "Stricter rate limit (needs --key)");
    c->add_option("--run-id", o->run_id, "Bind to a run");
    c->add_option("--now-ms", o->now_ms, "Use this time instead of the clock (tests)");
    c->callback([=] { set_exit(run_attenuate(*o)); });
  }
  {
    auto* c = cap->add_subcommand("revoke", "Revoke a token (and its descendants) or a whole run");
    auto o = std::make_shared<revoke_options>();
    c->add_option("--key", o->key, "Key file (its revocation list is KEYFILE.revoked)")->required();
    c->add_option("TOKEN", o->token_arg, "Token text, or -");
    c->add_option("--token-id", o->token_id, "Token id (32 hex digits)");
    c->add_option("--run-id", o->run_id, "Run id (32 hex digits)");
    c->callback([=] { set_exit(run_revoke(*o)); });
  }
}

register_group cap_commands{"cap", install};

}  // namespace
}  // namespace authority::cli
