// core/result, core/error, core/static_vector.
#include "authority/core/error.hpp"
#include "authority/core/result.hpp"
#include "authority/core/static_vector.hpp"
#include "selftest/selftest.hpp"

using namespace authority;

namespace {
result<int> parse_positive(int x) {
  if (x <= 0) return make_error(errc::out_of_range, "x", 7);
  return x;
}
result<int> doubled(int x) {
  int v = AUTHORITY_TRY(parse_positive(x));
  return 2 * v;
}
constexpr result<int> doubled_constexpr(int x) {
  if (x <= 0) return errc::out_of_range;
  AUTHORITY_TRY_ASSIGN(int v, result<int>{x});
  return 2 * v;
}
static_assert(doubled_constexpr(4).value() == 8);
static_assert(doubled_constexpr(-4).code() == errc::out_of_range);
}  // namespace

SELFTEST("core/result carries value or error with field and offset") {
  auto ok = doubled(21);
  ST_CHECK(ok.ok() && *ok == 42);
  auto bad = doubled(-1);
  ST_CHECK(!bad.ok());
  ST_CHECK(bad.code() == errc::out_of_range);
  ST_CHECK(bad.error().field == "x");
  ST_CHECK(bad.error().offset == 7);
  ST_CHECK(bad.value_or(5) == 5);
  result<void> v = success();
  ST_CHECK(v.ok() && v.code() == errc::ok);
  result<void> e = errc::revoked;
  ST_CHECK(!e.ok() && e.code() == errc::revoked);
}

SELFTEST("core/error codes are stable and named") {
  ST_CHECK(static_cast<unsigned>(errc::bad_mac) == 202);
  ST_CHECK(static_cast<unsigned>(errc::budget_exceeded) == 400);
  ST_CHECK(name_of(errc::revoked) == "revoked");
  ST_CHECK(!describe(errc::chain_broken).empty());
  ST_CHECK(name_of(static_cast<errc>(9999)) == "unknown_error");
}

SELFTEST("core/static_vector and static_string refuse to overflow") {
  static_vector<int, 2> v;
  ST_CHECK(v.push_back(1));
  ST_CHECK(v.push_back(2));
  ST_CHECK(!v.push_back(3));
  ST_CHECK(v.size() == 2 && v[1] == 2);
  v.pop_back();
  ST_CHECK(v.size() == 1);
  ST_CHECK(!v.resize(3));
  auto s = static_string<4>::from("abcd");
  ST_CHECK(s.ok() && s->view() == "abcd");
  ST_CHECK(static_string<4>::from("abcde").code() == errc::too_long);
  static_string<4> t;
  ST_CHECK(t.append("ab") && !t.append("cde") && t.view() == "ab");
}
