// A budget account (INV-3): for every resource, in-flight plus committed cost never
// exceeds the limit, under any interleaving of threads.
//
// How the gate uses it:
//   auto r = account.reserve(estimate, now);      // before executing; fails closed
//   ... append the decision to the audit log, execute ...
//   account.commit(*r, actual);                   // or account.release(*r) if nothing ran
//
// Design:
// - Per resource one atomic `charged` counter = in-flight + committed. Reserving is a CAS
//   loop that adds only if the sum stays within the limit, so two agents can never both
//   pass a check and then both commit (the reference's two-step race). A second atomic
//   `committed` records what was actually spent; committed <= charged <= limit always.
// - A multi-resource reservation is all-or-nothing: resources are taken in order and the
//   ones already taken are given back if a later one does not fit.
// - Reservations live in a fixed table of MaxReservations slots (no heap). A handle names
//   its account, slot and the slot's generation; finishing a reservation (commit or
//   release) wins a CAS on the slot's tag exactly once, so a second commit, a release
//   after a commit, or a handle from another account is budget_unknown_reservation.
// - Commit with actual > reserved: the excess is charged if it fits. If it does not, the
//   account records the resource up to its limit (so INV-3 still holds and every later
//   reservation of it fails) and commit returns budget_exceeded (deadline_exceeded for
//   cpu_time_ns) naming the resource, so the gate can audit the overrun. The reservation
//   is finished either way.
// - Wall time is a deadline, not a counter: wall_time_ms is the time the account may
//   run from its start; reserve(…, now) fails with deadline_exceeded from
//   start + limit on. A cost for wall_time_ms is invalid_argument.
// - CPU time is a counter the port charges at commit; reserve fails with
//   deadline_exceeded once nothing is left of it.
// - A child agent's budget is carved from its parent: carve() reserves the child's
//   limits in the parent as in-flight; when the child exits the parent commits the
//   child's spent() against that reservation, which returns the unused rest.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>

#include "authority/budget/limits.hpp"
#include "authority/budget/resource.hpp"
#include "authority/core/clock.hpp"
#include "authority/core/result.hpp"

namespace authority::budget {

static_assert(std::atomic<std::uint64_t>::is_always_lock_free,
              "budgets need lock-free 64-bit atomics on every target");

// Names one reservation of one account. Trivially copyable; finishing it twice fails.
struct reservation {
  const void* owner = nullptr;
  std::uint32_t slot = 0;
  std::uint64_t generation = 0;
  constexpr bool operator==(const reservation&) const noexcept = default;
};

// What a child account starts with: its limits, its start time, and the reservation in
// the parent that holds the carved amounts until the child is returned.
struct child_grant {
  reservation in_parent{};
  limits child_limits{};
  time_ns start = 0;
};

// Remaining time for ports that arm a timer. nullopt: that clock is unlimited.
struct time_left_report {
  std::optional<time_ns> wall;  // ns until the wall-time deadline (0 when over)
  std::optional<time_ns> cpu;   // CPU ns left to spend (0 when over)
};

namespace detail {
constexpr std::uint64_t saturating_mul(std::uint64_t a, std::uint64_t b) noexcept {
  if (a != 0 && b > std::numeric_limits<std::uint64_t>::max() / a) return std::numeric_limits<std::uint64_t>::max();
  return a * b;
}
}  // namespace detail

template <std::size_t MaxReservations>
class basic_account {
  static_assert(MaxReservations > 0 && MaxReservations <= 0xffffffffu);

 public:
  basic_account(const limits& l, time_ns start) noexcept : limits_(l), start_(start) {}
  basic_account(const basic_account&) = delete;
  basic_account& operator=(const basic_account&) = delete;

  static constexpr std::size_t max_reservations() noexcept { return MaxReservations; }

  const limits& account_limits() const noexcept { return limits_; }
  time_ns start() const noexcept { return start_; }

  // Reserves `estimate` for one effect. Fails with deadline_exceeded (wall or CPU time
  // over), budget_exceeded (field = the resource that does not fit; nothing is taken),
  // invalid_argument (a wall_time_ms cost), capacity_exceeded (no free reservation slot).
  result<reservation> reserve(const costs& estimate, time_ns now) noexcept {
    if (estimate[resource::wall_time_ms] != 0) return make_error(errc::invalid_argument, "wall_time_ms");
    AUTHORITY_TRY(check_deadlines(now));
    const auto slot = claim_slot();
    if (!slot) return make_error(errc::capacity_exceeded, "reservations");
    for (std::size_t i = 0; i < resource_count; ++i) {
      if (!try_charge(i, estimate.at(i))) {
        for (std::size_t j = 0; j < i; ++j) uncharge(j, estimate.at(j));
        abandon_slot(*slot);
        return make_error(errc::budget_exceeded, resource_table[i].name);
      }
    }
    return publish_slot(*slot, estimate);
  }

  // Finishes a reservation, charging what the effect actually used (see the header
  // comment for actual > reserved). budget_unknown_reservation if `r` is not an active
  // reservation of this account.
  result<void> commit(const reservation& r, const costs& actual) noexcept {
    if (actual[resource::wall_time_ms] != 0) return make_error(errc::invalid_argument, "wall_time_ms");
    AUTHORITY_TRY_ASSIGN(auto* slot, begin_finish(r));
    authority::error overrun = make_error(errc::ok);
    for (std::size_t i = 0; i < resource_count; ++i) {
      const std::uint64_t reserved = slot->amounts[i];
      const std::uint64_t used = actual.at(i);
      if (used <= reserved) {
        // Committed first, then the unused part returned: committed <= charged throughout.
        if (used != 0) committed_[i].fetch_add(used, std::memory_order_acq_rel);
        if (reserved != used) charged_[i].fetch_sub(reserved - used, std::memory_order_acq_rel);
        continue;
      }
      const std::uint64_t excess = used - reserved;
      const std::uint64_t taken = charge_up_to(i, excess);
      committed_[i].fetch_add(reserved + taken, std::memory_order_acq_rel);
      if (taken < excess && overrun.code == errc::ok)
        overrun = make_error(i == index_of(resource::cpu_time_ns) ? errc::deadline_exceeded : errc::budget_exceeded,
                             resource_table[i].name);
    }
    end_finish(r);
    if (overrun.code != errc::ok) return overrun;
    return success();
  }

  // Returns an unused reservation (the effect did not run).
  result<void> release(const reservation& r) noexcept {
    AUTHORITY_TRY_ASSIGN(auto* slot, begin_finish(r));
    for (std::size_t i = 0; i < resource_count; ++i)
      if (slot->amounts[i] != 0) charged_[i].fetch_sub(slot->amounts[i], std::memory_order_acq_rel);
    end_finish(r);
    return success();
  }

  // Carves a child's budget out of this one. Counters are reserved here as in-flight; a
  // child cannot be unlimited in a resource this account limits (budget_exceeded). The
  // child's wall time is clamped so that its deadline is not after this account's.
  result<child_grant> carve(const limits& wanted, time_ns now) noexcept {
    costs carved;
    limits granted = wanted;
    for (std::size_t i = 0; i < resource_count; ++i) {
      const auto r = static_cast<resource>(i);
      if (r == resource::wall_time_ms) continue;
      if (wanted[r].is_unlimited()) {
        if (!limits_[r].is_unlimited()) return make_error(errc::budget_exceeded, resource_table[i].name);
        continue;
      }
      carved.set(r, wanted[r].amount());
    }
    if (const auto left = wall_left(now)) {
      const std::uint64_t left_ms = *left / ns_per_ms;
      const limit w = wanted[resource::wall_time_ms];
      if (w.is_unlimited() || w.amount() > left_ms) granted.set(resource::wall_time_ms, limit::of(left_ms));
    }
    AUTHORITY_TRY_ASSIGN(auto held, reserve(carved, now));
    return child_grant{held, granted, now};
  }

  // What this account has spent so far, in-flight included: what a parent commits when
  // the child returns (a child that exits with effects in flight is charged for them).
  costs spent() const noexcept {
    costs out;
    for (std::size_t i = 0; i < resource_count; ++i)
      out.set(static_cast<resource>(i), charged_[i].load(std::memory_order_acquire));
    return out;
  }

  // Returns a child: charges what it spent against its carve and frees the rest.
  template <std::size_t ChildReservations>
  result<void> settle_child(const child_grant& grant, const basic_account<ChildReservations>& child) noexcept {
    return commit(grant.in_parent, child.spent());
  }

  // In-flight + committed (the quantity INV-3 bounds).
  std::uint64_t charged(resource r) const noexcept {
    return charged_[index_of(r)].load(std::memory_order_acquire);
  }
  std::uint64_t committed(resource r) const noexcept {
    return committed_[index_of(r)].load(std::memory_order_acquire);
  }
  // Committed is loaded first: committed only grows and never passes charged, so the
  // difference is never negative even while other threads work.
  std::uint64_t in_flight(resource r) const noexcept {
    const std::uint64_t c = committed(r);
    return charged(r) - c;
  }
  // What can still be reserved; nullopt when unlimited.
  std::optional<std::uint64_t> remaining(resource r) const noexcept {
    const limit l = limits_[r];
    if (l.is_unlimited()) return std::nullopt;
    const std::uint64_t c = charged(r);
    return c >= l.amount() ? 0 : l.amount() - c;
  }

  time_left_report time_left(time_ns now) const noexcept {
    return {wall_left(now), remaining(resource::cpu_time_ns)};
  }

 private:
  // Slot tag: generation << 2 | state. Only the thread that moved a slot out of `free`
  // touches its amounts until it publishes them with a release store.
  enum : std::uint64_t { slot_free = 0, slot_claiming = 1, slot_active = 2, slot_finishing = 3 };
  struct slot_data {
    std::atomic<std::uint64_t> tag{0};
    std::array<std::uint64_t, resource_count> amounts{};
  };
  static constexpr std::uint64_t tag_of(std::uint64_t generation, std::uint64_t state) noexcept {
    return (generation << 2) | state;
  }

  std::optional<time_ns> wall_left(time_ns now) const noexcept {
    const limit l = limits_[resource::wall_time_ms];
    if (l.is_unlimited()) return std::nullopt;
    const time_ns allowed = detail::saturating_mul(l.amount(), ns_per_ms);
    const time_ns elapsed = now > start_ ? now - start_ : 0;
    return elapsed >= allowed ? 0 : allowed - elapsed;
  }

  result<void> check_deadlines(time_ns now) const noexcept {
    if (const auto w = wall_left(now); w && *w == 0) return make_error(errc::deadline_exceeded, "wall_time_ms");
    if (const auto c = remaining(resource::cpu_time_ns); c && *c == 0)
      return make_error(errc::deadline_exceeded, "cpu_time_ns");
    return success();
  }

  // Adds `amount` to resource i if the result stays within its limit (or, unlimited,
  // does not overflow). Never wraps.
  bool try_charge(std::size_t i, std::uint64_t amount) noexcept {
    if (amount == 0) return true;
    const limit l = limits_[static_cast<resource>(i)];
    const std::uint64_t cap = l.is_unlimited() ? std::numeric_limits<std::uint64_t>::max() : l.amount();
    std::uint64_t cur = charged_[i].load(std::memory_order_relaxed);
    do {
      if (cur > cap || amount > cap - cur) return false;
    } while (!charged_[i].compare_exchange_weak(cur, cur + amount, std::memory_order_acq_rel,
                                                std::memory_order_relaxed));
    return true;
  }
  // Takes as much of `amount` as fits; returns what was taken.
  std::uint64_t charge_up_to(std::size_t i, std::uint64_t amount) noexcept {
    const limit l = limits_[static_cast<resource>(i)];
    const std::uint64_t cap = l.is_unlimited() ? std::numeric_limits<std::uint64_t>::max() : l.amount();
    std::uint64_t cur = charged_[i].load(std::memory_order_relaxed);
    std::uint64_t take = 0;
    do {
      const std::uint64_t room = cur >= cap ? 0 : cap - cur;
      take = amount < room ? amount : room;
      if (take == 0) return 0;
    } while (!charged_[i].compare_exchange_weak(cur, cur + take, std::memory_order_acq_rel,
                                                std::memory_order_relaxed));
    return take;
  }
  void uncharge(std::size_t i, std::uint64_t amount) noexcept {
    if (amount != 0) charged_[i].fetch_sub(amount, std::memory_order_acq_rel);
  }

  std::optional<std::uint32_t> claim_slot() noexcept {
    const std::uint32_t first = next_slot_.fetch_add(1, std::memory_order_relaxed);
    for (std::size_t k = 0; k < MaxReservations; ++k) {
      const auto index = static_cast<std::uint32_t>((first + k) % MaxReservations);
      std::uint64_t tag = slots_[index].tag.load(std::memory_order_relaxed);
      if ((tag & 3) != slot_free) continue;
      if (slots_[index].tag.compare_exchange_strong(tag, tag_of(tag >> 2, slot_claiming), std::memory_order_acquire,
                                                    std::memory_order_relaxed))
        return index;
    }
    return std::nullopt;
  }
  void abandon_slot(std::uint32_t index) noexcept {
    const std::uint64_t tag = slots_[index].tag.load(std::memory_order_relaxed);
    slots_[index].tag.store(tag_of(tag >> 2, slot_free), std::memory_order_release);
  }
  reservation publish_slot(std::uint32_t index, const costs& amounts) noexcept {
    auto& s = slots_[index];
    for (std::size_t i = 0; i < resource_count; ++i) s.amounts[i] = amounts.at(i);
    const std::uint64_t generation = s.tag.load(std::memory_order_relaxed) >> 2;
    s.tag.store(tag_of(generation, slot_active), std::memory_order_release);
    return reservation{this, index, generation};
  }
  // Wins the right to finish `r` exactly once.
  result<slot_data*> begin_finish(const reservation& r) noexcept {
    if (r.owner != this || r.slot >= MaxReservations) return make_error(errc::budget_unknown_reservation);
    auto& s = slots_[r.slot];
    std::uint64_t expected = tag_of(r.generation, slot_active);
    if (!s.tag.compare_exchange_strong(expected, tag_of(r.generation, slot_finishing), std::memory_order_acquire,
                                       std::memory_order_relaxed))
      return make_error(errc::budget_unknown_reservation);
    return &s;
  }
  void end_finish(const reservation& r) noexcept {
    // The next generation makes every copy of this handle stale.
    slots_[r.slot].tag.store(tag_of(r.generation + 1, slot_free), std::memory_order_release);
  }

  const limits limits_;
  const time_ns start_;
  std::array<std::atomic<std::uint64_t>, resource_count> charged_{};
  std::array<std::atomic<std::uint64_t>, resource_count> committed_{};
  std::atomic<std::uint32_t> next_slot_{0};
  std::array<slot_data, MaxReservations> slots_{};
};

// The account a gate keeps per agent: up to 32 effects in flight at once.
using account = basic_account<32>;

}  // namespace authority::budget
