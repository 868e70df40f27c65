// A reference model of capability attenuation, written from docs/capability-format.md
// and the glob syntax in docs/policy-language.md, independently of
// include/authority/capability/: no production code is called here.
//
// The model's idea is the definition of attenuation: a token is a chain of links, root
// first, and a request is allowed only if EVERY link allows it. Delegation appends a
// link, a caveat adds a constraint to the last one. Production tokens carry only their
// own link (containment was checked when they were made), so production agrees with the
// model on every request exactly when it never let a child widen its parent.
//
// Kept deliberately naive: vectors, strings, backtracking glob matching.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cap_model {

using run_id = std::array<unsigned char, 16>;  // all zero = none

inline bool is_none(const run_id& r) {
  return std::all_of(r.begin(), r.end(), [](unsigned char c) { return c == 0; });
}

// ---- globs, by backtracking over the documented syntax ----
// path: `*` any run without '/', `?` one character other than '/', `**` (two or more
// stars) any run; a trailing "/**" also matches the directory itself.
// name: any run of stars matches any run; `?` one character.
inline bool glob_here(std::string_view p, std::string_view t, bool path) {
  if (p.empty()) return t.empty();
  if (p[0] == '*') {
    std::size_t stars = 0;
    while (stars < p.size() && p[stars] == '*') ++stars;
    const bool crosses_slash = !path || stars >= 2;
    for (std::size_t k = 0; k <= t.size(); ++k) {
      if (glob_here(p.substr(stars), t.substr(k), path)) return true;
      if (k < t.size() && t[k] == '/' && !crosses_slash) return false;
    }
    return false;
  }
  if (t.empty()) return false;
  if (p[0] == '?') return (!path || t[0] != '/') && glob_here(p.substr(1), t.substr(1), path);
  return p[0] == t[0] && glob_here(p.substr(1), t.substr(1), path);
}

inline bool glob_matches(std::string_view p, std::string_view t, bool path) {
  if (glob_here(p, t, path)) return true;
  return path && p.size() >= 3 && p.substr(p.size() - 3) == "/**" && glob_here(p.substr(0, p.size() - 3), t, path);
}

// What a request may name: a canonical absolute path ("/" or "/seg/seg", no empty, "."
// or ".." segment), or a non-empty name without control characters.
inline bool valid_target(std::string_view t, bool path) {
  if (t.empty()) return false;
  if (!path) {
    for (char c : t)
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
    return true;
  }
  if (t == "/") return true;
  if (t[0] != '/') return false;
  std::size_t start = 1;
  while (true) {
    const std::size_t end = std::min(t.find('/', start), t.size());
    const auto seg = t.substr(start, end - start);
    if (seg.empty() || seg == "." || seg == ".." || seg.find('\0') != std::string_view::npos) return false;
    if (end == t.size()) return true;
    start = end + 1;
  }
}

inline bool has_wildcard(std::string_view p) { return p.find_first_of("*?") != std::string_view::npos; }

// ---- tokens ----
struct rate {
  bool limited = false;
  std::uint64_t count = 0, window_ms = 0;
};

// "Not raised": no more uses per window (no larger burst) and no higher average rate.
inline bool rate_within(const rate& child, const rate& parent) {
  if (!parent.limited) return true;
  if (!child.limited) return false;
  // child.count / child.window <= parent.count / parent.window, in long double: the
  // values the generator uses are small, so this is exact.
  return child.count <= parent.count &&
         static_cast<long double>(child.count) * static_cast<long double>(parent.window_ms) <=
             static_cast<long double>(parent.count) * static_cast<long double>(child.window_ms);
}

struct link {
  std::string name;                  // the production token id, as an opaque name
  int type = 0;
  bool path_syntax = true;
  std::vector<std::string> patterns;  // the token's resource and every resource caveat
  bool all_methods = false;
  std::uint32_t methods = 0;            // when !all_methods
  std::vector<std::uint32_t> method_caveats;
  std::uint64_t issued_ms = 0, expires_ms = 0;  // expires = issued + ttl
  std::vector<std::uint64_t> expires_before;    // caveats
  std::vector<run_id> runs;                     // the token's run (if any) and bind_run caveats
  rate r;
  std::size_t caveats = 0;

  bool method_ok(unsigned m) const {
    if (!all_methods && ((methods >> m) & 1u) == 0) return false;
    for (auto c : method_caveats)
      if (((c >> m) & 1u) == 0) return false;
    return true;
  }
  std::uint64_t effective_expiry() const {
    std::uint64_t e = expires_ms;
    for (auto b : expires_before) e = std::min(e, b);
    return e;
  }
};

struct request {
  int type = 0;
  std::string target;
  unsigned method = 0;
  run_id run{};
  std::uint64_t now_ms = 0;
};

inline constexpr std::uint64_t skew_ms = 5000;  // issued up to 5 s in the future is valid
inline constexpr std::size_t max_depth = 8;     // links after the root
inline constexpr std::size_t max_caveats = 8;

struct revocations {
  std::vector<std::string> tokens;
  std::vector<run_id> runs;
  bool token(const std::string& n) const { return std::find(tokens.begin(), tokens.end(), n) != tokens.end(); }
  bool run(const run_id& r) const { return !is_none(r) && std::find(runs.begin(), runs.end(), r) != runs.end(); }
};

// Is the chain (links[0..=last]) alive at `now`: issued, unexpired, unrevoked?
inline bool alive(const std::vector<link>& links, std::size_t last, std::uint64_t now_ms, const revocations& rev) {
  for (std::size_t i = 0; i <= last; ++i) {
    const auto& l = links[i];
    if (l.issued_ms > now_ms + skew_ms) return false;
    if (now_ms >= l.effective_expiry()) return false;
    if (rev.token(l.name)) return false;
    for (const auto& r : l.runs)
      if (rev.run(r)) return false;
  }
  return true;
}

// Does every link up to `last` allow the request (rate aside)?
inline bool allows(const std::vector<link>& links, std::size_t last, const request& q, const revocations& rev) {
  if (!alive(links, last, q.now_ms, rev) || rev.run(q.run)) return false;
  if (!valid_target(q.target, links[last].path_syntax)) return false;
  for (std::size_t i = 0; i <= last; ++i) {
    const auto& l = links[i];
    if (l.type != q.type) return false;
    for (const auto& p : l.patterns)
      if (!glob_matches(p, q.target, l.path_syntax)) return false;
    if (!l.method_ok(q.method)) return false;
    for (const auto& r : l.runs)
      if (r != q.run) return false;
  }
  return true;
}

// Rate: every rate-limited link of the chain has a bucket of `count` uses; all requests
// of one case happen at the same instant, so nothing refills. A use takes one from each.
struct buckets {
  std::vector<std::uint64_t> used;  // per link
  bool take(const std::vector<link>& links, std::size_t last) {
    used.resize(links.size(), 0);
    for (std::size_t i = 0; i <= last; ++i)
      if (links[i].r.limited && used[i] >= links[i].r.count) return false;
    for (std::size_t i = 0; i <= last; ++i)
      if (links[i].r.limited) ++used[i];
    return true;
  }
};

// What a delegation asks for.
struct child_grant {
  int type = 0;
  std::string resource;
  bool all_methods = false;
  std::uint32_t methods = 0;
  std::uint64_t ttl_ms = 0;
  rate r;
  run_id run{};
};

// Must a delegation of `c` from the chain's last link at `now` succeed? Only when the
// parent is alive and the child is narrower in every respect the model can decide
// exactly: the resource only when it is the parent's own pattern (without resource
// caveats) or a literal path or name every parent pattern matches.
inline bool must_accept(const std::vector<link>& links, const child_grant& c, std::uint64_t now_ms,
                        const revocations& rev) {
  const auto& p = links.back();
  if (!alive(links, links.size() - 1, now_ms, rev)) return false;
  if (links.size() - 1 + 1 > max_depth) return false;
  if (c.type != p.type) return false;
  const bool same_pattern = p.patterns.size() == 1 && c.resource == p.patterns[0];
  bool literal_inside = !has_wildcard(c.resource);
  for (const auto& pat : p.patterns) literal_inside = literal_inside && glob_matches(pat, c.resource, p.path_syntax);
  if (!same_pattern && !literal_inside) return false;
  // Methods: within the parent's methods and every methods caveat.
  if (c.all_methods) {
    if (!p.all_methods || !p.method_caveats.empty()) return false;
  } else {
    for (unsigned m = 0; m < 32; ++m)
      if (((c.methods >> m) & 1u) && !p.method_ok(m)) return false;
  }
  if (c.ttl_ms == 0 || now_ms + c.ttl_ms > p.effective_expiry()) return false;
  if (!rate_within(c.r, p.r)) return false;
  // Run: the parent's bindings, all the same run, kept by the child. A binding to no run
  // (a caveat with the zero id) admits only run-less requests, which a child token cannot
  // express (its zero run means unbound): no delegation has to succeed from there.
  for (const auto& r : p.runs)
    if (is_none(r)) return false;
  if (!p.runs.empty()) {
    for (const auto& r : p.runs)
      if (r != p.runs[0]) return false;
    if (c.run != p.runs[0]) return false;
  }
  return true;
}

// May a delegation that production accepted have been accepted? False when the child
// provably widens: a respect decided exactly above, or a target of `probe` that the
// child's pattern matches and a parent pattern does not.
inline const char* widening(const std::vector<link>& links, const child_grant& c, std::uint64_t now_ms,
                            const revocations& rev, const std::vector<std::string>& probe) {
  const auto& p = links.back();
  if (!alive(links, links.size() - 1, now_ms, rev)) return "parent not alive";
  if (links.size() - 1 + 1 > max_depth) return "depth";
  if (c.type != p.type) return "type";
  for (const auto& t : probe)
    if (glob_matches(c.resource, t, p.path_syntax))
      for (const auto& pat : p.patterns)
        if (!glob_matches(pat, t, p.path_syntax)) return "resource";
  if (c.all_methods ? !(p.all_methods && p.method_caveats.empty()) : false) return "methods";
  for (unsigned m = 0; m < 32; ++m)
    if (!c.all_methods && ((c.methods >> m) & 1u) && !p.method_ok(m)) return "methods";
  if (c.ttl_ms == 0 || now_ms + c.ttl_ms > p.effective_expiry()) return "ttl";
  if (!rate_within(c.r, p.r)) return "rate";
  for (const auto& r : p.runs)
    if (c.run != r) return "run";
  return nullptr;
}

}  // namespace cap_model
