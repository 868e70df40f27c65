// Rate limiting: one token bucket per token id (no fixed windows, so no 2× bursts at
// window edges). A bucket holds up to `count` uses and refills at count per window,
// in exact integer arithmetic, deterministic under an injected clock.
//
// A use is charged to the token's own bucket and to the bucket of every rate-limited
// ancestor, all or nothing, so delegating ten children cannot multiply a parent's rate.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "authority/capability/revocation.hpp"
#include "authority/capability/token.hpp"
#include "authority/core/clock.hpp"

namespace authority::capability {

struct bucket_slot {
  bool used = false;
  id128 id{};
  rate_limit rate{};
  // Level in units of (uses × ns): a use costs window_ns, capacity is count × window_ns.
  unsigned __int128 level = 0;
  time_ns last = 0;
};

// Set-associative over caller-provided storage (a multiple of the group size). A
// bucket that has refilled completely is indistinguishable from a new one, so it may
// be evicted; if a group holds only partly drained buckets, the use is refused
// (fail closed) rather than forgetting a limit.
class rate_limiter {
 public:
  static constexpr std::size_t group_size = 8;

  explicit rate_limiter(std::span<bucket_slot> storage) noexcept : slots_(storage) {
    for (auto& s : slots_) s = {};
  }

  // Charges one use of `t` at `now`; rate_limited if the token or an ancestor is exhausted.
  result<void> consume(const token_view& t, time_ns now) noexcept {
    bucket_slot* charged[max_depth + 1]{};
    std::size_t n = 0;
    if (t.rate.limited) {
      auto* b = AUTHORITY_TRY(bucket(t.token_id, t.rate, now, {charged, n}));
      charged[n++] = b;
    }
    for (const auto& a : t.lineage)
      if (a.rate.limited) {
        auto* b = AUTHORITY_TRY(bucket(a.token_id, a.rate, now, {charged, n}));
        charged[n++] = b;
      }
    for (std::size_t i = 0; i < n; ++i)
      if (charged[i]->level < window_ns(charged[i]->rate)) return make_error(errc::rate_limited, i == 0 && t.rate.limited ? "rate" : "lineage");
    for (std::size_t i = 0; i < n; ++i) charged[i]->level -= window_ns(charged[i]->rate);
    return success();
  }
  result<void> consume(const token& t, time_ns now) noexcept {
    token_view v;
    view_of(t, v);
    return consume(v, now);
  }

 private:
  static unsigned __int128 window_ns(const rate_limit& r) noexcept {
    return static_cast<unsigned __int128>(r.window_ms) * ns_per_ms;
  }
  static unsigned __int128 capacity(const rate_limit& r) noexcept { return window_ns(r) * r.count; }

  static void refill(bucket_slot& s, time_ns now) noexcept {
    if (now <= s.last) return;
    const unsigned __int128 add = static_cast<unsigned __int128>(now - s.last) * s.rate.count;
    const unsigned __int128 cap = capacity(s.rate);
    s.level = (cap - s.level <= add) ? cap : s.level + add;
    s.last = now;
  }

  // The refilled bucket for `id`, created full if absent. Buckets already taken by this
  // use (`pinned`) are never evicted to make room.
  result<bucket_slot*> bucket(const id128& id, const rate_limit& rate, time_ns now,
                              std::span<bucket_slot* const> pinned) noexcept {
    if (slots_.size() < group_size) return make_error(errc::rate_limited, "rate table");
    const std::size_t groups = slots_.size() / group_size;
    const std::size_t g = static_cast<std::size_t>(id_hash(id, revocation_kind::token) % groups) * group_size;
    bucket_slot* free = nullptr;
    for (std::size_t i = g; i < g + group_size; ++i) {
      auto& s = slots_[i];
      if (s.used && s.id == id) {
        if (!(s.rate == rate)) s.rate = rate;  // same signed id ⇒ same rate; keep it exact anyway
        refill(s, now);
        if (s.level > capacity(s.rate)) s.level = capacity(s.rate);
        return &s;
      }
      if (free == nullptr && !is_pinned(&s, pinned)) {
        if (!s.used) {
          free = &s;
        } else {
          refill(s, now);
          if (s.level == capacity(s.rate)) free = &s;  // full again: forgetting it changes nothing
        }
      }
    }
    if (free == nullptr) return make_error(errc::rate_limited, "rate table");
    *free = bucket_slot{true, id, rate, capacity(rate), now};
    return free;
  }

  static bool is_pinned(const bucket_slot* s, std::span<bucket_slot* const> pinned) noexcept {
    for (const auto* p : pinned)
      if (p == s) return true;
    return false;
  }

  std::span<bucket_slot> slots_;
};

}  // namespace authority::capability
