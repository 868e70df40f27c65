// `authority demo caps`: a guided, in-process tour of capabilities (INV-2) — mint,
// delegate, caveat, verify, revoke — printing each decision and the reason for each
// denial. Everything goes through the same library calls the gate uses.
#include <iomanip>
#include <iostream>
#include <memory>
#include <vector>

#include "authority/capability/issue.hpp"
#include "authority/capability/verify.hpp"
#include "authority/hosted/platform.hpp"
#include "command.hpp"
#include "util.hpp"

namespace authority::cli {
namespace {

using namespace authority::capability;

struct demo_world {
  key_ring keys{3600 * ns_per_s};
  std::vector<revocation_slot> revocation_storage = std::vector<revocation_slot>(256);
  revocation_list revoked{revocation_storage};
  std::vector<bucket_slot> buckets = std::vector<bucket_slot>(256);
  rate_limiter rates{buckets};
  std::vector<verified_slot> cache_storage = std::vector<verified_slot>(64);
  verified_cache cache{cache_storage};
  verifier v{keys, revoked, &rates, &cache};
  hosted::sodium_entropy entropy;
  time_ns now = 0;
  int allowed = 0, denied = 0, surprises = 0;
};

std::string describe_access(const access_request& a) {
  return std::string(name_of(a.type)) + "." + std::string(method_name(a.type, a.method)) + " " + std::string(a.target);
}

void check(demo_world& w, std::string_view who, const token& t, const access_request& a, errc expected) {
  byte buf[max_token_size];
  auto wire = encode(t, buf);
  auto scratch = std::make_unique<token>();
  auto r = wire ? w.v.verify(*wire, a, w.now, *scratch) : result<void>{wire.error()};
  std::cout << "  " << std::left << std::setw(14) << who << std::setw(40) << describe_access(a);
  if (r) {
    ++w.allowed;
    std::cout << "ALLOW\n";
  } else {
    ++w.denied;
    std::cout << "DENY  " << explain(r.error()) << "\n";
  }
  if (r.code() != expected) {
    std::cout << "  !! expected " << name_of(expected) << "\n";
    ++w.surprises;
  }
}

void step(std::string_view title) { std::cout << "\n== " << title << "\n"; }

int run_caps_demo() {
  if (!hosted::init_sodium()) {
    std::cerr << "error: libsodium failed to initialize\n";
    return exit_usage;
  }
  auto w = std::make_unique<demo_world>();
  hosted::system_clock clock;
  w->now = clock.now_ns();
  key_secret secret{};
  w->entropy.fill(secret.data(), secret.size());
  (void)w->keys.add_active(1, secret, w->now);
  const id128 run{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

  step("mint: the issuer grants an agent read/write on /workspace/** for 1 h, 100 uses per minute");
  auto root = std::make_unique<token>();
  grant g{cap_type::fs, "/workspace/**", method_set::of(0b11), 3'600'000, rate_limit::per(100, 60'000), run};
  if (!mint(w->keys, g, w->now, w->entropy, *root)) return exit_usage;
  std::cout << "  token " << hex_of(root->token_id) << " bound to run " << hex_of(run) << "\n";
  check(*w, "agent", *root, {cap_type::fs, "/workspace/notes.md", 0, run}, errc::ok);
  check(*w, "agent", *root, {cap_type::fs, "/workspace/out/report.csv", 1, run}, errc::ok);
  check(*w, "agent", *root, {cap_type::fs, "/etc/shadow", 0, run}, errc::resource_not_covered);
  check(*w, "agent", *root, {cap_type::fs, "/workspace/run.sh", 2, run}, errc::method_not_allowed);
  check(*w, "other run", *root, {cap_type::fs, "/workspace/notes.md", 0, id128{9}}, errc::run_mismatch);
  check(*w, "agent", *root, {cap_type::net, "dns:example.com:443", 1, run}, errc::wrong_type);

  step("delegate: the agent asks the issuer for a read-only child for a sub-agent");
  auto child = std::make_unique<token>();
  grant cg{cap_type::fs, "/workspace/docs/*.md", method_set::of(0b01), 600'000, rate_limit::per(10, 60'000), run};
  if (!delegate(w->v, *root, cg, w->now, w->entropy, *child)) return exit_usage;
  std::cout << "  child " << hex_of(child->token_id) << " depth " << child->depth() << "\n";
  check(*w, "sub-agent", *child, {cap_type::fs, "/workspace/docs/api.md", 0, run}, errc::ok);
  check(*w, "sub-agent", *child, {cap_type::fs, "/workspace/docs/api.md", 1, run}, errc::method_not_allowed);
  struct widening {
    std::string_view what;
    grant g;
  };
  const widening attempts[] = {
      {"resource /** (not inside /workspace/**)", {cap_type::fs, "/**", method_set::of(1), 60'000, rate_limit::per(10, 60'000), run}},
      {"methods all (parent has read,write)", {cap_type::fs, "/workspace/*", method_set::everything(), 60'000, rate_limit::per(10, 60'000), run}},
      {"ttl 2 h (parent has 1 h)", {cap_type::fs, "/workspace/*", method_set::of(1), 7'200'000, rate_limit::per(10, 60'000), run}},
      {"no rate limit (parent: 100/min)", {cap_type::fs, "/workspace/*", method_set::of(1), 60'000, rate_limit::unlimited(), run}},
      {"unbound run (parent is bound)", {cap_type::fs, "/workspace/*", method_set::of(1), 60'000, rate_limit::per(10, 60'000), id128{}}},
  };
  auto scratch = std::make_unique<token>();
  for (const auto& a : attempts) {
    auto r = delegate(w->v, *root, a.g, w->now, w->entropy, *scratch);
    std::cout << "  widen " << std::left << std::setw(44) << a.what << (r ? "ALLOWED (bug!)" : "REFUSED " + explain(r.error()))
              << "\n";
    if (r) return exit_usage;
  }

  step("caveat: the sub-agent narrows its own token further, without any key (macaroon style)");
  auto narrowed = std::make_unique<token>(*child);
  caveat c;
  c.kind = caveat_kind::resource;
  c.pattern = static_string<max_resource_size>::from("/workspace/docs/public-*.md").value();
  (void)add_caveat(*narrowed, c);
  check(*w, "narrowed", *narrowed, {cap_type::fs, "/workspace/docs/public-faq.md", 0, run}, errc::ok);
  check(*w, "narrowed", *narrowed, {cap_type::fs, "/workspace/docs/api.md", 0, run}, errc::resource_not_covered);
  auto stripped = std::make_unique<token>(*narrowed);
  stripped->caveats.pop_back();
  check(*w, "stripped", *stripped, {cap_type::fs, "/workspace/docs/api.md", 0, run}, errc::bad_mac);

  step("forgery: an agent edits its token to cover /**");
  auto forged = std::make_unique<token>(*root);
  forged->resource = static_string<max_resource_size>::from("/**").value();
  check(*w, "forger", *forged, {cap_type::fs, "/etc/shadow", 0, run}, errc::bad_mac);

  step("rate limit: the child allows 10 uses per minute (token bucket)");
  int used = 0;
  for (; used < 20; ++used) {
    byte buf[max_token_size];
    if (!w->v.verify(*encode(*child, buf), {cap_type::fs, "/workspace/docs/a.md", 0, run}, w->now, *scratch)) break;
  }
  std::cout << "  " << used << " more uses passed in the same instant (the bucket is shared with the narrowed copy), then:\n";
  check(*w, "sub-agent", *child, {cap_type::fs, "/workspace/docs/a.md", 0, run}, errc::rate_limited);

  step("revoke: the issuer revokes the root token; everything delegated from it dies too");
  (void)w->revoked.revoke_token(root->token_id);
  check(*w, "agent", *root, {cap_type::fs, "/workspace/notes.md", 0, run}, errc::revoked);
  check(*w, "sub-agent", *child, {cap_type::fs, "/workspace/docs/api.md", 0, run}, errc::revoked);
  check(*w, "narrowed", *narrowed, {cap_type::fs, "/workspace/docs/public-faq.md", 0, run}, errc::revoked);

  step("expiry: one hour later");
  auto fresh = std::make_unique<token>();
  (void)mint(w->keys, g, w->now, w->entropy, *fresh);
  w->now += 3600 * ns_per_s;
  check(*w, "agent", *fresh, {cap_type::fs, "/workspace/notes.md", 0, run}, errc::token_expired);

  std::cout << "\n" << w->allowed << " allowed, " << w->denied << " denied — every denial with its reason.\n";
  if (w->surprises > 0) {
    std::cout << w->surprises << " decision(s) differed from what the library guarantees\n";
    return exit_deny;
  }
  return exit_allow;
}

void install(CLI::App& root, std::function<void(int)> set_exit) {
  auto* demo = root.add_subcommand("demo", "Guided tours of what Authority enforces");
  demo->require_subcommand(1);
  auto* caps = demo->add_subcommand("caps", "Capabilities (INV-2): mint, delegate, caveat, verify, revoke");
  caps->callback([=] { set_exit(run_caps_demo()); });
}

register_group demo_commands{"demo", install};

}  // namespace
}  // namespace authority::cli
