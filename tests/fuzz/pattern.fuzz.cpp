// Fuzzes validate, matches and contains of every syntax. Input: "A\nB" (the seed format
// of the reference's pattern corpus: pattern line, target line). Checks, besides not
// crashing: a match implies a valid pattern and target; containment is an answer or
// too_complex for valid patterns and an error otherwise; a pattern contains itself; a
// literal target is contained exactly when it matches; and when A contains B, texts
// built from B that B matches, A matches too.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "authority/pattern/pattern.hpp"

using namespace authority;
using namespace authority::pattern;

namespace {
void require(bool ok) {
  if (!ok) std::abort();
}

// B with each `?` as `one`, each lone `*` as `star` and each longer run as `globstar`.
std::string fill(std::string_view p, std::string_view one, std::string_view star, std::string_view globstar) {
  std::string out;
  for (std::size_t i = 0; i < p.size();) {
    if (p[i] == '?') {
      out += one;
      ++i;
    } else if (p[i] != '*') {
      out += p[i++];
    } else {
      std::size_t run = 0;
      while (i + run < p.size() && p[i + run] == '*') ++run;
      out += run == 1 ? star : globstar;
      i += run;
    }
  }
  return out;
}

bool literal(std::string_view s) { return s.find_first_of("*?") == std::string_view::npos; }

void check(syntax s, std::string_view a, std::string_view b) {
  const bool a_valid = validate(s, a).ok(), b_valid = validate(s, b).ok();
  const bool m = matches(s, a, b);
  if (m) require(a_valid && validate_target(s, b).ok());
  auto c = contains(s, a, b);
  if (!a_valid || !b_valid) {
    require(!c.ok() && (c.code() == errc::invalid_pattern || c.code() == errc::too_long));
    return;
  }
  require(c.ok() || c.code() == errc::too_complex);
  auto self = contains(s, a, a);
  require(self.ok() && *self);
  if (c.ok() && validate_target(s, b).ok() && literal(b)) require(*c == m);
  if (c.ok() && *c && (s == syntax::path || s == syntax::name)) {
    for (auto text : {fill(b, "q", "", ""), fill(b, "q", "x", "x/y"), fill(b, "/", "ab", "/")}) {
      if (matches(s, b, text)) require(matches(s, a, text));
    }
  }
  (void)specificity(s, a);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in{reinterpret_cast<const char*>(data), size};
  const auto nl = in.find('\n');
  const std::string_view a = in.substr(0, nl);
  const std::string_view b = nl == std::string_view::npos ? std::string_view{} : in.substr(nl + 1);
  for (auto s : {syntax::path, syntax::net, syntax::host, syntax::name}) {
    check(s, a, b);
    check(s, b, a);
  }
  (void)glob_match(a, b, glob_flavor::path);
  (void)glob_match(a, b, glob_flavor::name);
  return 0;
}
