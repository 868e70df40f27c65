// Budget accounts (INV-3), freestanding: runs hosted and inside the kernel.
#include <cstdint>
#include <limits>

#include "authority/budget/account.hpp"
#include "selftest/selftest.hpp"

using namespace authority;
using namespace authority::budget;

namespace {
using small_account = basic_account<8>;
constexpr std::uint64_t u64_max = std::numeric_limits<std::uint64_t>::max();

// Limits as written, with wall and CPU time unlimited unless the list names them, so
// that tests of counters are not stopped by a zero deadline.
struct test_limits : limits {
  test_limits(std::initializer_list<std::pair<resource, limit>> init) noexcept : limits(init) {
    bool wall = false, cpu = false;
    for (const auto& [r, l] : init) {
      wall = wall || r == resource::wall_time_ms;
      cpu = cpu || r == resource::cpu_time_ns;
    }
    if (!wall) set(resource::wall_time_ms, limit::unlimited());
    if (!cpu) set(resource::cpu_time_ns, limit::unlimited());
  }
};
}  // namespace

SELFTEST("budget/exactly at the limit passes, one over fails") {
  small_account a{test_limits{{resource::tool_calls, limit::of(3)}}, 0};
  auto r = a.reserve(costs{{resource::tool_calls, 3}}, 0);
  ST_REQUIRE(r.ok());
  ST_CHECK(a.charged(resource::tool_calls) == 3);
  ST_CHECK(a.commit(*r, costs{{resource::tool_calls, 3}}).ok());
  ST_CHECK(a.committed(resource::tool_calls) == 3);
  auto over = a.reserve(costs{{resource::tool_calls, 1}}, 0);
  ST_CHECK(over.code() == errc::budget_exceeded);
  ST_CHECK(over.error().field == "tool_calls");

  small_account b{test_limits{{resource::tool_calls, limit::of(3)}}, 0};
  ST_CHECK(b.reserve(costs{{resource::tool_calls, 4}}, 0).code() == errc::budget_exceeded);
  ST_CHECK(b.charged(resource::tool_calls) == 0);
}

SELFTEST("budget/zero limit means zero, and is the default") {
  small_account a{test_limits{{resource::tokens, limit::of(0)}}, 0};
  ST_CHECK(a.reserve(costs{{resource::tokens, 1}}, 0).code() == errc::budget_exceeded);
  // Default limits are all zero, CPU time included: nothing at all can be reserved.
  small_account nothing{limits{}, 0};
  ST_CHECK(nothing.reserve(costs{}, 0).code() == errc::deadline_exceeded);
  // A resource the policy does not mention is zero too.
  ST_CHECK(a.reserve(costs{{resource::net_bytes_out, 1}}, 0).code() == errc::budget_exceeded);
  // A zero cost of a zero budget fits.
  auto r = a.reserve(costs{}, 0);
  ST_REQUIRE(r.ok());
  ST_CHECK(a.release(*r).ok());
}

SELFTEST("budget/unlimited is a state, not a number") {
  ST_CHECK(limit::unlimited() != limit::of(0));
  ST_CHECK(limit::unlimited() != limit::of(u64_max));
  small_account a{test_limits{{resource::tokens, limit::unlimited()}}, 0};
  auto r = a.reserve(costs{{resource::tokens, u64_max - 1}}, 0);
  ST_REQUIRE(r.ok());
  // Unlimited still never wraps: the counter cannot pass 2^64-1.
  ST_CHECK(a.reserve(costs{{resource::tokens, 2}}, 0).code() == errc::budget_exceeded);
  ST_CHECK(a.remaining(resource::tokens) == std::nullopt);
  ST_CHECK(a.commit(*r, costs{{resource::tokens, 5}}).ok());
  ST_CHECK(a.committed(resource::tokens) == 5);
  ST_CHECK(a.charged(resource::tokens) == 5);
}

SELFTEST("budget/huge costs fail and never wrap") {
  small_account a{test_limits{{resource::file_bytes, limit::of(u64_max)}, {resource::calls, limit::of(10)}}, 0};
  auto r = a.reserve(costs{{resource::file_bytes, u64_max}}, 0);
  ST_REQUIRE(r.ok());
  ST_CHECK(a.reserve(costs{{resource::file_bytes, 1}}, 0).code() == errc::budget_exceeded);
  ST_CHECK(a.reserve(costs{{resource::file_bytes, u64_max}}, 0).code() == errc::budget_exceeded);
  ST_CHECK(a.reserve(costs{{resource::calls, u64_max}}, 0).code() == errc::budget_exceeded);
  ST_CHECK(a.charged(resource::file_bytes) == u64_max);
  ST_CHECK(a.charged(resource::calls) == 0);
  ST_CHECK(a.release(*r).ok());
  ST_CHECK(a.charged(resource::file_bytes) == 0);
}

SELFTEST("budget/multi-resource reservation is all or nothing") {
  small_account a{test_limits{{resource::calls, limit::of(10)}, {resource::tokens, limit::of(100)}, {resource::bytes, limit::of(5)}},
                  0};
  auto r = a.reserve(costs{{resource::calls, 1}, {resource::tokens, 50}, {resource::bytes, 6}}, 0);
  ST_CHECK(r.code() == errc::budget_exceeded);
  ST_CHECK(r.error().field == "bytes");
  ST_CHECK(a.charged(resource::calls) == 0);
  ST_CHECK(a.charged(resource::tokens) == 0);
  ST_CHECK(a.charged(resource::bytes) == 0);
}

SELFTEST("budget/commit or release exactly once") {
  small_account a{limits::all_unlimited(), 0};
  auto r = a.reserve(costs{{resource::calls, 1}}, 0);
  ST_REQUIRE(r.ok());
  const reservation copy = *r;
  ST_CHECK(a.commit(*r, costs{{resource::calls, 1}}).ok());
  ST_CHECK(a.commit(copy, costs{{resource::calls, 1}}).code() == errc::budget_unknown_reservation);
  ST_CHECK(a.release(copy).code() == errc::budget_unknown_reservation);
  ST_CHECK(a.committed(resource::calls) == 1);

  ST_CHECK(a.release(reservation{}).code() == errc::budget_unknown_reservation);
  small_account other{limits::all_unlimited(), 0};
  auto foreign = other.reserve(costs{{resource::calls, 1}}, 0);
  ST_REQUIRE(foreign.ok());
  ST_CHECK(a.commit(*foreign, costs{}).code() == errc::budget_unknown_reservation);
  ST_CHECK(other.release(*foreign).ok());

  // A slot reused by a new reservation does not accept the old handle.
  for (int i = 0; i < 20; ++i) {
    auto again = a.reserve(costs{{resource::calls, 1}}, 0);
    ST_REQUIRE(again.ok());
    ST_CHECK(a.release(copy).code() == errc::budget_unknown_reservation);
    ST_CHECK(a.release(*again).ok());
  }
}

SELFTEST("budget/release returns the reservation; commit returns the unused part") {
  small_account a{test_limits{{resource::tokens, limit::of(100)}}, 0};
  auto r = a.reserve(costs{{resource::tokens, 80}}, 0);
  ST_REQUIRE(r.ok());
  ST_CHECK(a.in_flight(resource::tokens) == 80);
  ST_CHECK(a.reserve(costs{{resource::tokens, 21}}, 0).code() == errc::budget_exceeded);
  ST_CHECK(a.commit(*r, costs{{resource::tokens, 30}}).ok());
  ST_CHECK(a.committed(resource::tokens) == 30);
  ST_CHECK(a.in_flight(resource::tokens) == 0);
  ST_CHECK(a.remaining(resource::tokens) == std::uint64_t{70});
  auto r2 = a.reserve(costs{{resource::tokens, 70}}, 0);
  ST_REQUIRE(r2.ok());
  ST_CHECK(a.release(*r2).ok());
  ST_CHECK(a.charged(resource::tokens) == 30);
}

SELFTEST("budget/actual above reserved: excess charged if it fits, else saturated and reported") {
  small_account a{test_limits{{resource::tokens, limit::of(100)}}, 0};
  auto r = a.reserve(costs{{resource::tokens, 10}}, 0);
  ST_REQUIRE(r.ok());
  ST_CHECK(a.commit(*r, costs{{resource::tokens, 60}}).ok());
  ST_CHECK(a.committed(resource::tokens) == 60);

  auto r2 = a.reserve(costs{{resource::tokens, 10}}, 0);
  ST_REQUIRE(r2.ok());
  auto c = a.commit(*r2, costs{{resource::tokens, 500}});
  ST_CHECK(c.code() == errc::budget_exceeded);
  ST_CHECK(c.error().field == "tokens");
  ST_CHECK(a.committed(resource::tokens) == 100);  // recorded up to the limit, never past it
  ST_CHECK(a.charged(resource::tokens) == 100);
  ST_CHECK(a.reserve(costs{{resource::tokens, 1}}, 0).code() == errc::budget_exceeded);
  ST_CHECK(a.release(*r2).code() == errc::budget_unknown_reservation);  // finished anyway
}

SELFTEST("budget/wall time is a deadline under a manual clock") {
  manual_clock clock{1'000 * ns_per_s};
  small_account a{test_limits{{resource::wall_time_ms, limit::of(2'000)}, {resource::calls, limit::unlimited()}},
                  clock.now_ns()};
  ST_CHECK(a.time_left(clock.now_ns()).wall == 2 * ns_per_s);
  ST_CHECK(a.reserve(costs{{resource::calls, 1}}, clock.now_ns()).ok());
  clock.advance(2 * ns_per_s - 1);
  ST_CHECK(a.time_left(clock.now_ns()).wall == time_ns{1});
  auto r = a.reserve(costs{{resource::calls, 1}}, clock.now_ns());
  ST_CHECK(r.ok());
  clock.advance(1);
  auto late = a.reserve(costs{{resource::calls, 1}}, clock.now_ns());
  ST_CHECK(late.code() == errc::deadline_exceeded);
  ST_CHECK(late.error().field == "wall_time_ms");
  ST_CHECK(a.time_left(clock.now_ns()).wall == time_ns{0});
  // An effect already reserved can still be committed after the deadline.
  ST_CHECK(a.commit(*r, costs{{resource::calls, 1}}).ok());
  // wall time is not a cost.
  small_account b{limits::all_unlimited(), 0};
  ST_CHECK(b.reserve(costs{{resource::wall_time_ms, 1}}, 0).code() == errc::invalid_argument);
  ST_CHECK(b.time_left(0).wall == std::nullopt);
  ST_CHECK(b.time_left(0).cpu == std::nullopt);
}

SELFTEST("budget/cpu time is charged at commit and checked at reserve") {
  small_account a{test_limits{{resource::cpu_time_ns, limit::of(1'000)}, {resource::calls, limit::unlimited()}}, 0};
  auto r = a.reserve(costs{{resource::calls, 1}}, 0);
  ST_REQUIRE(r.ok());
  ST_CHECK(a.commit(*r, costs{{resource::calls, 1}, {resource::cpu_time_ns, 999}}).ok());
  ST_CHECK(a.time_left(0).cpu == std::uint64_t{1});
  auto r2 = a.reserve(costs{{resource::calls, 1}}, 0);
  ST_REQUIRE(r2.ok());
  auto over = a.commit(*r2, costs{{resource::calls, 1}, {resource::cpu_time_ns, 50}});
  ST_CHECK(over.code() == errc::deadline_exceeded);
  ST_CHECK(over.error().field == "cpu_time_ns");
  ST_CHECK(a.committed(resource::cpu_time_ns) == 1'000);
  auto late = a.reserve(costs{{resource::calls, 1}}, 0);
  ST_CHECK(late.code() == errc::deadline_exceeded);
  ST_CHECK(late.error().field == "cpu_time_ns");
}

SELFTEST("budget/child carve and return, recursively") {
  small_account parent{test_limits{{resource::tokens, limit::of(1'000)}, {resource::calls, limit::of(10)}}, 0};
  auto grant = parent.carve(test_limits{{resource::tokens, limit::of(300)}, {resource::calls, limit::of(4)}}, 0);
  ST_REQUIRE(grant.ok());
  ST_CHECK(parent.in_flight(resource::tokens) == 300);
  small_account child{grant->child_limits, grant->start};

  auto grandchild_grant = child.carve(test_limits{{resource::tokens, limit::of(100)}, {resource::calls, limit::of(2)}}, 0);
  ST_REQUIRE(grandchild_grant.ok());
  small_account grandchild{grandchild_grant->child_limits, grandchild_grant->start};
  auto g = grandchild.reserve(costs{{resource::tokens, 100}, {resource::calls, 1}}, 0);
  ST_REQUIRE(g.ok());
  ST_CHECK(grandchild.reserve(costs{{resource::tokens, 1}}, 0).code() == errc::budget_exceeded);
  ST_CHECK(grandchild.commit(*g, costs{{resource::tokens, 40}, {resource::calls, 1}}).ok());
  ST_CHECK(child.settle_child(*grandchild_grant, grandchild).ok());
  ST_CHECK(child.committed(resource::tokens) == 40);
  ST_CHECK(child.charged(resource::tokens) == 40);  // the unused 60 came back

  // The child cannot spend more than was carved, whatever the parent has left.
  ST_CHECK(child.reserve(costs{{resource::tokens, 261}}, 0).code() == errc::budget_exceeded);
  auto c = child.reserve(costs{{resource::tokens, 260}}, 0);
  ST_REQUIRE(c.ok());
  ST_CHECK(child.commit(*c, costs{{resource::tokens, 260}}).ok());
  ST_CHECK(parent.settle_child(*grant, child).ok());
  ST_CHECK(parent.committed(resource::tokens) == 300);
  ST_CHECK(parent.committed(resource::calls) == 1);
  ST_CHECK(parent.in_flight(resource::tokens) == 0);
  ST_CHECK(parent.settle_child(*grant, child).code() == errc::budget_unknown_reservation);

  // More than the parent has, or unlimited from a limited parent, cannot be carved.
  ST_CHECK(parent.carve(test_limits{{resource::tokens, limit::of(701)}}, 0).code() == errc::budget_exceeded);
  ST_CHECK(parent.carve(test_limits{{resource::tokens, limit::unlimited()}}, 0).code() == errc::budget_exceeded);
}

SELFTEST("budget/an exhausted child does not touch its siblings' carve") {
  small_account parent{test_limits{{resource::calls, limit::of(10)}}, 0};
  auto ga = parent.carve(test_limits{{resource::calls, limit::of(4)}}, 0);
  auto gb = parent.carve(test_limits{{resource::calls, limit::of(4)}}, 0);
  ST_REQUIRE(ga.ok() && gb.ok());
  ST_CHECK(parent.carve(test_limits{{resource::calls, limit::of(3)}}, 0).code() == errc::budget_exceeded);
  small_account a{ga->child_limits, 0};
  small_account b{gb->child_limits, 0};
  for (int i = 0; i < 4; ++i) {
    auto r = a.reserve(costs{{resource::calls, 1}}, 0);
    ST_REQUIRE(r.ok());
    ST_CHECK(a.commit(*r, costs{{resource::calls, 1}}).ok());
  }
  ST_CHECK(a.reserve(costs{{resource::calls, 1}}, 0).code() == errc::budget_exceeded);
  // b still has its whole carve, and the parent its uncarved 2.
  auto rb = b.reserve(costs{{resource::calls, 4}}, 0);
  ST_CHECK(rb.ok());
  auto rp = parent.reserve(costs{{resource::calls, 2}}, 0);
  ST_CHECK(rp.ok());
}

SELFTEST("budget/child wall time never outlives the parent") {
  small_account parent{test_limits{{resource::wall_time_ms, limit::of(1'000)}, {resource::calls, limit::unlimited()}}, 0};
  auto g = parent.carve(test_limits{{resource::wall_time_ms, limit::unlimited()}, {resource::calls, limit::unlimited()}},
                        400 * ns_per_ms);
  ST_REQUIRE(g.ok());
  ST_CHECK(g->child_limits[resource::wall_time_ms] == limit::of(600));
  small_account child{g->child_limits, g->start};
  ST_CHECK(child.reserve(costs{{resource::calls, 1}}, 999 * ns_per_ms).ok());
  ST_CHECK(child.reserve(costs{{resource::calls, 1}}, 1'000 * ns_per_ms).code() == errc::deadline_exceeded);
  ST_CHECK(parent.carve(test_limits{}, 1'000 * ns_per_ms).code() == errc::deadline_exceeded);
}

SELFTEST("budget/reservation slots run out without side effects") {
  basic_account<2> a{test_limits{{resource::calls, limit::of(10)}}, 0};
  auto r1 = a.reserve(costs{{resource::calls, 1}}, 0);
  auto r2 = a.reserve(costs{{resource::calls, 1}}, 0);
  ST_REQUIRE(r1.ok() && r2.ok());
  ST_CHECK(a.reserve(costs{{resource::calls, 1}}, 0).code() == errc::capacity_exceeded);
  ST_CHECK(a.charged(resource::calls) == 2);
  ST_CHECK(a.release(*r1).ok());
  ST_CHECK(a.reserve(costs{{resource::calls, 1}}, 0).ok());
}
