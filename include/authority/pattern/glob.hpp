// Globs for paths and names: matching in O(len(pattern) * len(text)) time with bounded
// stack and no backtracking, and exact containment (every text one glob matches, the
// other matches too) with fixed memory and a work limit.
//
// Syntax: `?` is one character, a run of `*` is a star, everything else is literal (no
// escapes, no brackets). The two flavors differ only in how they treat '/':
//   path: `*` matches a run (possibly empty) of non-'/' characters, `?` one non-'/'
//         character, `**` any run including '/'. A run of three or more stars is the
//         same as `**`. A trailing "/**" also matches the directory itself: "/tmp/**"
//         matches "/tmp" and "/tmp/a/b", not "/tmpfoo". "/**/" in the middle does not
//         match "/": "/a/**/b" needs at least one segment between a and b.
//   name: no '/' semantics: any run of stars matches any run of characters.
//
// How it works: a glob is an NFA whose states are the offsets at which its tokens start,
// plus its end. The general matcher keeps the set of live states as a bitset (a Thompson
// simulation), so it never backtracks. Most globs have a simpler shape, and glob_match
// matches those with equivalent direct algorithms, each within the same
// O(len(pattern) * len(text)) bound: a literal compare; a literal prefix before a
// trailing `**`; segment by segment, with the classic algorithm that retries only the
// last star, when no `**` crosses a '/' (or only a trailing one); a literal prefix, one
// `**`, then such segments matched from the end. tests/pattern/glob_fast_path.test.cpp
// checks them against the NFA on random inputs. Containment walks the child's states in order
// (glob NFAs only move forward or loop on a star) and keeps, for the current child state,
// the sets of parent states the parent can be in after the same text, each with the
// state of a small DFA for "is a real target" (canonical path, or name), so the answer
// is exact for real targets. The alphabet is symbolic: the literal characters of both
// globs, '/' and '.', and one class for all others.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "authority/core/result.hpp"
#include "authority/pattern/path.hpp"

namespace authority::pattern {

// Longest pattern of any syntax.
inline constexpr std::size_t max_pattern_length = 4096;

enum class glob_flavor : std::uint8_t { path, name };

// Work done by a match or containment check: NFA state visits. Matching visits at most
// (len(pattern) + 1) states per character of text, plus as many for the closure.
struct glob_work {
  std::uint64_t steps = 0;
};

// What a glob is made of, for specificity and for linters.
struct glob_shape {
  std::size_t literals = 0;   // literal characters
  std::size_t any_ones = 0;   // `?`
  std::size_t stars = 0;      // `*` that stops at '/' (path flavor only)
  std::size_t globstars = 0;  // `**` (path) or any star run (name): crosses everything
  constexpr bool exact() const noexcept { return any_ones + stars + globstars == 0; }
};

namespace glob_detail {

inline constexpr std::size_t npos = static_cast<std::size_t>(-1);

enum class token_kind : std::uint8_t { literal, any_one, star, globstar };

struct token {
  token_kind kind = token_kind::literal;
  std::size_t length = 1;  // bytes of pattern
  char ch = 0;             // the literal character
};

constexpr token token_at(std::string_view p, std::size_t i, glob_flavor flavor) noexcept {
  const char c = p[i];
  if (c == '?') return {token_kind::any_one, 1, c};
  if (c != '*') return {token_kind::literal, 1, c};
  std::size_t n = 1;
  while (i + n < p.size() && p[i + n] == '*') ++n;
  const bool crosses_slash = flavor == glob_flavor::name || n >= 2;
  return {crosses_slash ? token_kind::globstar : token_kind::star, n, '*'};
}

constexpr bool is_star(token t) noexcept {
  return t.kind == token_kind::star || t.kind == token_kind::globstar;
}

// The offset of the '/' of a trailing "/**" (path flavor): that state also accepts, which
// is how "/tmp/**" matches "/tmp". npos when there is none.
constexpr std::size_t directory_accept_state(std::string_view p, glob_flavor flavor) noexcept {
  if (flavor != glob_flavor::path) return npos;
  std::size_t stars = 0;
  while (stars < p.size() && p[p.size() - 1 - stars] == '*') ++stars;
  if (stars < 2 || stars == p.size() || p[p.size() - 1 - stars] != '/') return npos;
  return p.size() - 1 - stars;
}

template <std::size_t Bits>
class state_set {
 public:
  constexpr void set(std::size_t i) noexcept { words_[i >> 6] |= std::uint64_t{1} << (i & 63); }
  constexpr bool test(std::size_t i) const noexcept { return ((words_[i >> 6] >> (i & 63)) & 1u) != 0; }
  constexpr void clear() noexcept {
    for (auto& w : words_) w = 0;
  }
  constexpr bool empty() const noexcept {
    for (auto w : words_)
      if (w != 0) return false;
    return true;
  }
  constexpr bool subset_of(const state_set& o) const noexcept {
    for (std::size_t i = 0; i < word_count; ++i)
      if ((words_[i] & ~o.words_[i]) != 0) return false;
    return true;
  }
  // The smallest member >= i, or npos.
  constexpr std::size_t next(std::size_t i) const noexcept {
    std::size_t w = i >> 6;
    if (w >= word_count) return npos;
    std::uint64_t bits = words_[w] & (~std::uint64_t{0} << (i & 63));
    while (bits == 0) {
      if (++w == word_count) return npos;
      bits = words_[w];
    }
    return (w << 6) + static_cast<std::size_t>(std::countr_zero(bits));
  }
  constexpr bool operator==(const state_set&) const = default;

 private:
  static constexpr std::size_t word_count = (Bits + 63) / 64;
  std::array<std::uint64_t, word_count> words_{};
};

// A glob as an NFA. A star state loops on what it may consume and moves to the next
// token without consuming (the closure); every other state consumes one character.
template <std::size_t Bits>
class automaton {
 public:
  using set = state_set<Bits>;

  constexpr automaton(std::string_view pattern, glob_flavor flavor) noexcept
      : p_(pattern), flavor_(flavor), directory_accept_(directory_accept_state(pattern, flavor)) {}

  constexpr set start(glob_work& work) const noexcept {
    set s;
    s.set(0);
    close(s, work);
    return s;
  }

  // to = the states reachable from `from` by consuming c.
  constexpr void step(const set& from, char c, set& to, glob_work& work) const noexcept {
    to.clear();
    for (auto i = from.next(0); i != npos && i < p_.size(); i = from.next(i + 1)) {
      ++work.steps;
      const auto t = token_at(p_, i, flavor_);
      switch (t.kind) {
        case token_kind::literal:
          if (c == t.ch) to.set(i + 1);
          break;
        case token_kind::any_one:
          if (flavor_ == glob_flavor::name || c != '/') to.set(i + 1);
          break;
        case token_kind::star:  // path flavor only
          if (c != '/') to.set(i);
          break;
        case token_kind::globstar:
          to.set(i);
          break;
      }
    }
    close(to, work);
  }

  constexpr bool accepts(const set& s) const noexcept {
    return s.test(p_.size()) || (directory_accept_ != npos && s.test(directory_accept_));
  }

 private:
  // Stars may match nothing; empty moves only go forward, so one ascending pass suffices.
  constexpr void close(set& s, glob_work& work) const noexcept {
    for (auto i = s.next(0); i != npos && i < p_.size(); i = s.next(i + 1)) {
      ++work.steps;
      const auto t = token_at(p_, i, flavor_);
      if (is_star(t)) s.set(i + t.length);
    }
  }

  std::string_view p_;
  glob_flavor flavor_;
  std::size_t directory_accept_;
};

template <std::size_t Bits>
constexpr bool match_with(std::string_view pattern, std::string_view text, glob_flavor flavor,
                          glob_work& work) noexcept {
  const automaton<Bits> nfa{pattern, flavor};
  typename automaton<Bits>::set sets[2] = {nfa.start(work), {}};
  int cur = 0;
  for (char c : text) {
    nfa.step(sets[cur], c, sets[1 - cur], work);
    cur = 1 - cur;
    if (sets[cur].empty()) return false;
  }
  return nfa.accepts(sets[cur]);
}

// ---- fast paths: shapes of globs that need no automaton ------------------------------

constexpr bool literal_equal(std::string_view a, std::string_view b, glob_work& work) noexcept {
  if (a.size() != b.size()) return false;
  work.steps += a.size();
  return detail::same_bytes(a, b);
}

constexpr bool literal_prefix(std::string_view prefix, std::string_view text, glob_work& work) noexcept {
  return prefix.size() <= text.size() && literal_equal(prefix, detail::slice(text, 0, prefix.size()), work);
}

// Which part of a text a glob must match: all of it, or only a prefix (a `**` follows
// the glob) or a suffix (a `**` precedes it).
enum class anchor : std::uint8_t { whole, prefix, suffix };

// A glob in which every star matches any run of characters and `?` any one character,
// against text in which that is so: a name glob, or one segment of a path glob without
// `**` against one segment of a path (neither contains '/'). The classic algorithm: stars
// match as little as possible, and a mismatch retries from the last star with one more
// character in it (earlier stars never need to change: the last one can absorb any
// later choice); `suffix` behaves as if a star came first. Its loop runs at most
// (len(text) + 1) * (len(glob) + 1) times: the retry point only moves forward.
constexpr bool wildcard_match(std::string_view p, std::string_view t, anchor a, glob_work& work) noexcept {
  std::size_t pi = 0, ti = 0;
  // Just after the last star, and the text offset where that star's run ends.
  std::size_t retry_p = a == anchor::suffix ? 0 : npos, retry_t = 0;
  while (ti < t.size()) {
    ++work.steps;
    if (pi < p.size()) {
      const char c = p[pi];
      if (c == '*') {
        while (pi < p.size() && p[pi] == '*') ++pi;
        retry_p = pi;
        retry_t = ti;
        continue;
      }
      if (c == '?' || c == t[ti]) {
        ++pi;
        ++ti;
        continue;
      }
    } else if (a == anchor::prefix) {
      return true;
    }
    if (retry_p == npos) return false;
    pi = retry_p;
    ti = ++retry_t;
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

constexpr std::size_t next_slash(std::string_view s, std::size_t from) noexcept {
  return detail::find_byte(s, from, '/');
}

// A path glob without `**` (each `*` stays in its segment): its segments and the
// text's, split at every '/', pair up one to one. `last` says how the last segments
// pair: anchor::prefix when a `**` follows the glob (the glob's last segment matches a
// prefix of its text segment, the `**` takes the rest of the text). `directory`: the
// glob ends in '/' before a `**`, and a text that ends where that '/' would be matches
// too ("/tmp/**" matches "/tmp").
constexpr bool match_segments(std::string_view p, std::string_view t, anchor last, bool directory,
                              glob_work& work) noexcept {
  std::size_t pi = 0, ti = 0;
  for (;;) {
    const std::size_t pe = next_slash(p, pi);
    const std::size_t te = next_slash(t, ti);
    work.steps += (pe - pi) + (te - ti) + 1;
    const auto p_segment = detail::slice(p, pi, pe);
    const auto t_segment = detail::slice(t, ti, te);
    if (pe == p.size())
      return (last == anchor::prefix || te == t.size()) && wildcard_match(p_segment, t_segment, last, work);
    if (te == t.size())
      return directory && pe + 1 == p.size() && wildcard_match(p_segment, t_segment, anchor::whole, work);
    if (!wildcard_match(p_segment, t_segment, anchor::whole, work)) return false;
    pi = pe + 1;
    ti = te + 1;
  }
}

// `**` followed by a path glob `rest` without `**`: rest has k slashes, so it matches the
// text's last k segments one to one, and its first segment a suffix of the text's segment
// before those (the `**` takes everything in front).
constexpr bool match_after_globstar(std::string_view rest, std::string_view t, glob_work& work) noexcept {
  std::size_t rest_slashes = 0, text_slashes = 0;
  for (std::size_t i = next_slash(rest, 0); i < rest.size(); i = next_slash(rest, i + 1)) ++rest_slashes;
  for (std::size_t i = next_slash(t, 0); i < t.size(); i = next_slash(t, i + 1)) ++text_slashes;
  work.steps += rest.size() + t.size() + 1;
  if (text_slashes < rest_slashes) return false;
  // The text segment that rest's first segment must end: the one before the last k.
  std::size_t start = 0;
  for (std::size_t skip = text_slashes - rest_slashes; skip > 0; --skip) start = next_slash(t, start) + 1;
  const std::size_t rest_end = next_slash(rest, 0), text_end = next_slash(t, start);
  if (!wildcard_match(detail::slice(rest, 0, rest_end), detail::slice(t, start, text_end), anchor::suffix, work))
    return false;
  if (rest_end == rest.size()) return true;
  return match_segments(detail::slice(rest, rest_end + 1, rest.size()), detail::slice(t, text_end + 1, t.size()),
                        anchor::whole, false, work);
}

// Which matcher a glob needs. `head` is what comes before a star run that crosses '/'
// (a globstar: any run of two or more stars in a path glob, any star run in a name glob)
// at its end, or in a path glob also before its only inner globstar, then `rest` follows.
struct glob_plan {
  enum class kind : std::uint8_t {
    literal,          // head has no wildcard (and then a globstar tail, or nothing)
    segments,         // head has `*` or `?`, no globstar (and then a globstar tail, or nothing)
    inner_globstar,   // path: literal head, a globstar, and `rest` without a globstar
    general,          // anything else: the automaton
  } body = kind::literal;
  std::string_view head{};
  std::string_view rest{};
  bool globstar_tail = false;   // the pattern ends in a globstar
  bool directory_tail = false;  // … that follows a '/' (path): "/tmp/**" matches "/tmp"
};

constexpr glob_plan plan_for(std::string_view p, glob_flavor flavor) noexcept {
  using enum glob_plan::kind;
  glob_plan plan;
  std::size_t stars = 0;
  while (stars < p.size() && p[p.size() - 1 - stars] == '*') ++stars;
  const bool tail = stars >= (flavor == glob_flavor::path ? 2u : 1u);
  plan.head = detail::slice(p, 0, p.size() - (tail ? stars : 0));
  plan.globstar_tail = tail;
  plan.directory_tail = tail && flavor == glob_flavor::path && !plan.head.empty() && plan.head.back() == '/';
  const auto head = plan.head;
  const auto next_wildcard = [&](std::size_t from) { return detail::find_either(head, from, '*', '?'); };
  for (auto i = next_wildcard(0); i < head.size(); i = next_wildcard(i + 1)) {
    const bool globstar = head[i] == '*' && flavor == glob_flavor::path && i + 1 < head.size() && head[i + 1] == '*';
    if (!globstar) {
      plan.body = segments;
      continue;
    }
    // An inner globstar: fast only as the one globstar, after a literal head.
    if (plan.body != literal || tail) return {general, p, {}, false, false};
    std::size_t run_end = i;
    while (run_end < p.size() && p[run_end] == '*') ++run_end;
    const auto rest = detail::slice(p, run_end, p.size());
    for (auto k = detail::find_byte(rest, 0, '*'); k + 1 < rest.size(); k = detail::find_byte(rest, k + 1, '*'))
      if (rest[k + 1] == '*') return {general, p, {}, false, false};
    return {inner_globstar, detail::slice(p, 0, i), rest, false, false};
  }
  return plan;
}

}  // namespace glob_detail

// The general matcher: the NFA simulation, for any glob. glob_match gives the same answer
// (faster for common shapes); this one is the reference the fast paths are tested
// against. A pattern longer than max_pattern_length matches nothing.
constexpr bool glob_match_nfa(std::string_view pattern, std::string_view text, glob_flavor flavor,
                              glob_work* work = nullptr) noexcept {
  glob_work local;
  glob_work& w = work != nullptr ? *work : local;
  // Size the state bitset to the pattern: short patterns are the common case.
  if (pattern.size() < 64) return glob_detail::match_with<64>(pattern, text, flavor, w);
  if (pattern.size() < 256) return glob_detail::match_with<256>(pattern, text, flavor, w);
  if (pattern.size() <= max_pattern_length)
    return glob_detail::match_with<max_pattern_length + 1>(pattern, text, flavor, w);
  return false;
}

// Matches `text` against `pattern` as written, without validating either (the
// syntax-level functions in pattern.hpp validate first). A pattern longer than
// max_pattern_length matches nothing. `work` counts steps, at most
// 2 * (len(pattern) + 1) * (len(text) + 1).
constexpr bool glob_match(std::string_view pattern, std::string_view text, glob_flavor flavor,
                          glob_work* work = nullptr) noexcept {
  using namespace glob_detail;
  if (pattern.size() > max_pattern_length) return false;
  glob_work local;
  glob_work& w = work != nullptr ? *work : local;
  const glob_plan plan = plan_for(pattern, flavor);
  const anchor last = plan.globstar_tail ? anchor::prefix : anchor::whole;
  switch (plan.body) {
    case glob_plan::kind::literal:
      if (!plan.globstar_tail) return literal_equal(plan.head, text, w);
      // The directory itself: "/tmp/**" matches "/tmp".
      if (plan.directory_tail && text.size() + 1 == plan.head.size())
        return literal_equal(detail::slice(plan.head, 0, text.size()), text, w);
      return literal_prefix(plan.head, text, w);
    case glob_plan::kind::segments:
      if (flavor == glob_flavor::name) return wildcard_match(plan.head, text, last, w);
      return match_segments(plan.head, text, last, plan.directory_tail, w);
    case glob_plan::kind::inner_globstar:
      return literal_prefix(plan.head, text, w) &&
             match_after_globstar(plan.rest, detail::slice(text, plan.head.size(), text.size()), w);
    case glob_plan::kind::general: break;
  }
  return glob_match_nfa(pattern, text, flavor, &w);
}

constexpr glob_shape shape_of(std::string_view pattern, glob_flavor flavor) noexcept {
  glob_shape shape;
  for (std::size_t i = 0; i < pattern.size();) {
    const auto t = glob_detail::token_at(pattern, i, flavor);
    switch (t.kind) {
      case glob_detail::token_kind::literal: ++shape.literals; break;
      case glob_detail::token_kind::any_one: ++shape.any_ones; break;
      case glob_detail::token_kind::star: ++shape.stars; break;
      case glob_detail::token_kind::globstar: ++shape.globstars; break;
    }
    i += t.length;
  }
  return shape;
}

// A path glob is absolute (starts with '/' or `**`), at most max_pattern_length bytes,
// and names no path a canonical path could never be: no NUL, no empty segment ("//"),
// no "." or ".." segment, no trailing '/' (except "/" itself). Errors: invalid_pattern
// or too_long, field "pattern", offset of the problem.
constexpr result<void> validate_path_glob(std::string_view p) noexcept {
  using detail::at;
  if (p.empty()) return at(errc::invalid_pattern, "pattern", 0);
  if (p.size() > max_pattern_length) return at(errc::too_long, "pattern", max_pattern_length);
  if (p[0] != '/' && !p.starts_with("**")) return at(errc::invalid_pattern, "pattern", 0);
  if (p.size() > 1 && p.back() == '/') return at(errc::invalid_pattern, "pattern", p.size() - 1);
  // Segment by segment, left to right: the first problem is the one reported.
  for (std::size_t start = 0, i = 0;; start = ++i) {
    i = detail::segment_end(p, start);
    if (i < p.size() && p[i] == '\0') return at(errc::invalid_pattern, "pattern", i);
    const auto segment = detail::slice(p, start, i);
    if (start > 0 && i < p.size() && segment.empty()) return at(errc::invalid_pattern, "pattern", i);
    if (detail::is_dot(segment) || detail::is_dot_dot(segment)) return at(errc::invalid_pattern, "pattern", start);
    if (i == p.size()) return success();
  }
}

// Containment limits: beyond them glob_contains says too_complex and callers deny.
inline constexpr std::size_t max_contains_parent_length = 256;  // parent glob bytes
inline constexpr std::size_t max_contains_frontier = 64;        // parent state sets per child state
inline constexpr std::uint64_t max_contains_steps = std::uint64_t{1} << 22;

// Lower limits than the maxima, for callers that want a smaller budget (and for tests).
struct contains_limits {
  std::size_t frontier = max_contains_frontier;  // at most max_contains_frontier
  std::uint64_t steps = max_contains_steps;
};

namespace glob_detail {

using parent_automaton = automaton<max_contains_parent_length + 1>;
using parent_set = parent_automaton::set;

// What globs are matched against, as a DFA: containment only has to hold for real
// targets. Paths: canonical (no empty, "." or ".." segment, no trailing '/', no NUL);
// names: non-empty, no control characters. (The length limit is not modelled: a witness
// longer than that only makes the answer "not contained", which is safe.)
enum class domain_state : std::uint8_t { start, root, slash, dot, dot_dot, segment, name, dead };

constexpr domain_state domain_step(glob_flavor flavor, domain_state s, char c) noexcept {
  using enum domain_state;
  if (s == dead) return dead;
  if (flavor == glob_flavor::name) return detail::is_control(c) ? dead : name;
  if (c == '\0') return dead;
  switch (s) {
    case start: return c == '/' ? root : dead;
    case root:
    case slash: return c == '/' ? dead : c == '.' ? dot : segment;
    case dot: return c == '/' ? dead : c == '.' ? dot_dot : segment;
    case dot_dot: return c == '/' ? dead : segment;
    case segment: return c == '/' ? slash : segment;
    default: return dead;
  }
}

constexpr bool domain_accepts(domain_state s) noexcept {
  return s == domain_state::root || s == domain_state::segment || s == domain_state::name;
}

// What one child state can be paired with: the set of parent states and the domain
// state, after the same text. Only minimal sets per domain state are kept: a set that
// includes another reaches acceptance whenever the smaller one does.
class frontier {
 public:
  constexpr explicit frontier(std::size_t capacity) noexcept
      : capacity_(capacity < max_contains_frontier ? capacity : max_contains_frontier) {}

  // False when full. Slots of superseded sets are reused only by compact(), so indices
  // stay stable while a caller iterates.
  constexpr bool add(const parent_set& s, domain_state d) noexcept {
    for (std::size_t i = 0; i < size_; ++i)
      if (live_[i] && domains_[i] == d && sets_[i].subset_of(s)) return true;
    for (std::size_t i = 0; i < size_; ++i)
      if (live_[i] && domains_[i] == d && s.subset_of(sets_[i])) live_[i] = false;
    if (size_ == capacity_) return false;
    sets_[size_] = s;
    domains_[size_] = d;
    live_[size_++] = true;
    return true;
  }
  constexpr void compact() noexcept {
    std::size_t kept = 0;
    for (std::size_t i = 0; i < size_; ++i)
      if (live_[i]) {
        sets_[kept] = sets_[i];
        domains_[kept] = domains_[i];
        live_[kept++] = true;
      }
    size_ = kept;
  }
  constexpr void clear() noexcept { size_ = 0; }
  constexpr std::size_t size() const noexcept { return size_; }
  constexpr bool live(std::size_t i) const noexcept { return live_[i]; }
  constexpr const parent_set& set(std::size_t i) const noexcept { return sets_[i]; }
  constexpr domain_state domain(std::size_t i) const noexcept { return domains_[i]; }

  // Some pair here is a real target the parent does not match.
  constexpr bool has_witness(const parent_automaton& parent) const noexcept {
    for (std::size_t i = 0; i < size_; ++i)
      if (live_[i] && domain_accepts(domains_[i]) && !parent.accepts(sets_[i])) return true;
    return false;
  }

 private:
  std::array<parent_set, max_contains_frontier> sets_{};
  std::array<domain_state, max_contains_frontier> domains_{};
  std::array<bool, max_contains_frontier> live_{};
  std::size_t size_ = 0;
  std::size_t capacity_;
};

// One representative character per class of characters that both globs and the domain
// treat alike.
class alphabet {
 public:
  constexpr alphabet(std::string_view a, std::string_view b, glob_flavor flavor) noexcept {
    if (flavor == glob_flavor::path) literal_['/'] = literal_['.'] = true;
    mark_literals(a, flavor);
    mark_literals(b, flavor);
    for (std::size_t c = 0; c < 256; ++c)
      if (literal_[c]) chars_[size_++] = static_cast<char>(c);
    // One character for all the others; prefer printable ASCII, which names and paths
    // may always contain, then other bytes.
    constexpr std::size_t search_order[][2] = {{0x20, 0x7f}, {0x80, 0x100}, {0x01, 0x20}, {0x7f, 0x80}};
    for (const auto& range : search_order)
      for (std::size_t c = range[0]; c < range[1]; ++c)
        if (!literal_[c]) {
          chars_[size_++] = static_cast<char>(c);
          return;
        }
  }
  constexpr std::size_t size() const noexcept { return size_; }
  constexpr char operator[](std::size_t i) const noexcept { return chars_[i]; }

 private:
  constexpr void mark_literals(std::string_view p, glob_flavor flavor) noexcept {
    for (std::size_t i = 0; i < p.size();) {
      const auto t = token_at(p, i, flavor);
      if (t.kind == token_kind::literal) literal_[static_cast<unsigned char>(t.ch)] = true;
      i += t.length;
    }
  }
  std::array<bool, 256> literal_{};
  std::array<char, 257> chars_{};
  std::size_t size_ = 0;
};

constexpr bool consumes(token t, char c, glob_flavor flavor) noexcept {
  switch (t.kind) {
    case token_kind::literal: return c == t.ch;
    case token_kind::any_one: return flavor == glob_flavor::name || c != '/';
    case token_kind::star: return c != '/';
    case token_kind::globstar: return true;
  }
  return false;
}

// Feeds every class the child token `t` consumes to every pair of `from`, adding the
// results to `to` (which may be `from`: then this runs to a fixpoint, for a star).
// False when a limit is reached.
constexpr bool advance(const parent_automaton& parent, const alphabet& sigma, token t, glob_flavor flavor,
                       frontier& from, frontier& to, glob_work& work, std::uint64_t max_steps) noexcept {
  for (std::size_t j = 0; j < from.size(); ++j) {
    if (!from.live(j)) continue;
    for (std::size_t k = 0; k < sigma.size(); ++k) {
      if (!consumes(t, sigma[k], flavor)) continue;
      const auto domain = domain_step(flavor, from.domain(j), sigma[k]);
      if (domain == domain_state::dead) continue;  // no target continues this way
      parent_set next;
      parent.step(from.set(j), sigma[k], next, work);
      if (!to.add(next, domain) || work.steps > max_steps) return false;
    }
  }
  return true;
}

}  // namespace glob_detail

// True when every target (canonical path, or name) that `child` matches is also matched
// by `parent`; both are taken as written (validate first). Exact, not just sound, within
// the limits above; past them too_complex (field "contains"). A child without wildcards
// is just matched, whatever the parent's length.
constexpr result<bool> glob_contains(glob_flavor flavor, std::string_view parent, std::string_view child,
                                     contains_limits limits = {}) noexcept {
  using namespace glob_detail;
  if (parent == child) return true;
  if (shape_of(child, flavor).exact()) return glob_match(parent, child, flavor);
  if (parent.size() > max_contains_parent_length)
    return detail::at(errc::too_complex, "contains", max_contains_parent_length);

  const parent_automaton nfa{parent, flavor};
  const alphabet sigma{parent, child, flavor};
  glob_work work;
  frontier pairs[2] = {frontier{limits.frontier}, frontier{limits.frontier}};
  int cur = 0;
  (void)pairs[cur].add(nfa.start(work), domain_state::start);
  const auto child_directory_accept = directory_accept_state(child, flavor);
  for (std::size_t i = 0;;) {
    if (i == child.size() || i == child_directory_accept) {
      if (pairs[cur].has_witness(nfa)) return false;
      if (i == child.size()) return true;
    }
    const auto t = token_at(child, i, flavor);
    // A star loops in its own state (a fixpoint in place); other tokens move on.
    frontier& to = is_star(t) ? pairs[cur] : pairs[1 - cur];
    if (&to != &pairs[cur]) to.clear();
    if (!advance(nfa, sigma, t, flavor, pairs[cur], to, work, limits.steps))
      return detail::at(errc::too_complex, "contains", i);
    if (&to != &pairs[cur]) cur = 1 - cur;
    pairs[cur].compact();
    i += t.length;
  }
}

}  // namespace authority::pattern
