// Budget limits and costs (INV-3). A limit is a number (0 means nothing may be spent)
// or `unlimited`, a separate state: never 0 and never a maximum that arithmetic can
// reach, which is the reference tracker's mistake (0 meant both "deny" and "unlimited").
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <utility>

#include "authority/budget/resource.hpp"

namespace authority::budget {

constexpr std::size_t index_of(resource r) noexcept { return static_cast<std::size_t>(r); }

class limit {
 public:
  // The default limit is zero: a resource the policy does not mention cannot be spent.
  constexpr limit() noexcept = default;

  static constexpr limit of(std::uint64_t amount) noexcept {
    limit l;
    l.amount_ = amount;
    return l;
  }
  static constexpr limit unlimited() noexcept {
    limit l;
    l.unlimited_ = true;
    return l;
  }

  constexpr bool is_unlimited() const noexcept { return unlimited_; }
  // The finite amount; 0 for an unlimited limit (check is_unlimited() first).
  constexpr std::uint64_t amount() const noexcept { return unlimited_ ? 0 : amount_; }

  constexpr bool operator==(const limit&) const noexcept = default;

 private:
  std::uint64_t amount_ = 0;
  bool unlimited_ = false;
};

// One limit per resource kind. From a policy: gate.hpp's limits_from_policy (a resource
// the policy's budgets do not name is not limited by it; 0 means zero).
class limits {
 public:
  // Every resource zero, so a limits object nobody filled in allows nothing.
  constexpr limits() noexcept = default;
  constexpr limits(std::initializer_list<std::pair<resource, limit>> init) noexcept {
    for (const auto& [r, l] : init) set(r, l);
  }

  static constexpr limits all_unlimited() noexcept {
    limits out;
    for (auto& l : out.by_resource_) l = limit::unlimited();
    return out;
  }

  constexpr limits& set(resource r, limit l) noexcept {
    if (index_of(r) < resource_count) by_resource_[index_of(r)] = l;
    return *this;
  }
  constexpr limit operator[](resource r) const noexcept {
    return index_of(r) < resource_count ? by_resource_[index_of(r)] : limit{};
  }

  constexpr bool operator==(const limits&) const noexcept = default;

 private:
  std::array<limit, resource_count> by_resource_{};
};

// An amount per resource kind: what a reservation asks for, what an effect actually used.
class costs {
 public:
  constexpr costs() noexcept = default;
  constexpr costs(std::initializer_list<std::pair<resource, std::uint64_t>> init) noexcept {
    for (const auto& [r, amount] : init) set(r, amount);
  }

  constexpr costs& set(resource r, std::uint64_t amount) noexcept {
    if (index_of(r) < resource_count) amounts_[index_of(r)] = amount;
    return *this;
  }
  constexpr std::uint64_t operator[](resource r) const noexcept {
    return index_of(r) < resource_count ? amounts_[index_of(r)] : 0;
  }
  constexpr std::uint64_t at(std::size_t i) const noexcept { return amounts_[i]; }

  constexpr bool is_zero() const noexcept {
    for (auto a : amounts_)
      if (a != 0) return false;
    return true;
  }

  constexpr bool operator==(const costs&) const noexcept = default;

 private:
  std::array<std::uint64_t, resource_count> amounts_{};
};

}  // namespace authority::budget
