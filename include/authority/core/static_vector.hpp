// Fixed-capacity containers: storage is part of the object, never the heap. Elements
// must be default-constructible (keeps them usable in constexpr without placement new).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <type_traits>

#include "authority/core/result.hpp"

namespace authority {

template <class T, std::size_t Capacity>
class static_vector {
  static_assert(std::is_default_constructible_v<T>);

 public:
  using value_type = T;
  using size_type = std::size_t;
  using iterator = T*;
  using const_iterator = const T*;

  constexpr static_vector() = default;
  constexpr static_vector(std::initializer_list<T> init) {
    for (const auto& v : init) (void)push_back(v);
  }

  static constexpr size_type capacity() noexcept { return Capacity; }
  constexpr size_type size() const noexcept { return size_; }
  constexpr bool empty() const noexcept { return size_ == 0; }
  constexpr bool full() const noexcept { return size_ == Capacity; }

  // Returns false (and changes nothing) when full.
  [[nodiscard]] constexpr bool push_back(const T& v) noexcept(std::is_nothrow_copy_assignable_v<T>) {
    if (size_ == Capacity) return false;
    data_[size_++] = v;
    return true;
  }
  [[nodiscard]] constexpr bool push_back(T&& v) noexcept(std::is_nothrow_move_assignable_v<T>) {
    if (size_ == Capacity) return false;
    data_[size_++] = static_cast<T&&>(v);
    return true;
  }
  constexpr void pop_back() noexcept {
    if (size_ > 0) data_[--size_] = T{};
  }
  constexpr void clear() noexcept {
    for (size_type i = 0; i < size_; ++i) data_[i] = T{};
    size_ = 0;
  }
  // Shrinks or grows (growth fills with T{}); returns false if n > capacity.
  [[nodiscard]] constexpr bool resize(size_type n) noexcept {
    if (n > Capacity) return false;
    for (size_type i = n; i < size_; ++i) data_[i] = T{};
    size_ = n;
    return true;
  }

  constexpr T& operator[](size_type i) noexcept { return data_[i]; }
  constexpr const T& operator[](size_type i) const noexcept { return data_[i]; }
  constexpr T& back() noexcept { return data_[size_ - 1]; }
  constexpr const T& back() const noexcept { return data_[size_ - 1]; }
  constexpr T* data() noexcept { return data_.data(); }
  constexpr const T* data() const noexcept { return data_.data(); }
  constexpr iterator begin() noexcept { return data_.data(); }
  constexpr iterator end() noexcept { return data_.data() + size_; }
  constexpr const_iterator begin() const noexcept { return data_.data(); }
  constexpr const_iterator end() const noexcept { return data_.data() + size_; }

  constexpr std::span<T> span() noexcept { return {data_.data(), size_}; }
  constexpr std::span<const T> span() const noexcept { return {data_.data(), size_}; }

  constexpr bool operator==(const static_vector& o) const noexcept {
    if (size_ != o.size_) return false;
    for (size_type i = 0; i < size_; ++i)
      if (!(data_[i] == o.data_[i])) return false;
    return true;
  }

 private:
  std::array<T, Capacity> data_{};
  size_type size_ = 0;
};

// A byte string of bounded length (resource patterns, names). Compares by content.
template <std::size_t Capacity>
class static_string {
 public:
  constexpr static_string() = default;

  // Fails with too_long instead of truncating.
  static constexpr result<static_string> from(std::string_view s) noexcept {
    if (s.size() > Capacity) return make_error(errc::too_long);
    static_string out;
    for (std::size_t i = 0; i < s.size(); ++i) out.data_[i] = s[i];
    out.size_ = s.size();
    return out;
  }

  static constexpr std::size_t capacity() noexcept { return Capacity; }
  constexpr std::size_t size() const noexcept { return size_; }
  constexpr bool empty() const noexcept { return size_ == 0; }
  constexpr std::string_view view() const noexcept { return {data_.data(), size_}; }
  constexpr operator std::string_view() const noexcept { return view(); }  // NOLINT
  constexpr const char* data() const noexcept { return data_.data(); }

  [[nodiscard]] constexpr bool append(std::string_view s) noexcept {
    if (s.size() > Capacity - size_) return false;
    for (char c : s) data_[size_++] = c;
    return true;
  }
  [[nodiscard]] constexpr bool push_back(char c) noexcept {
    if (size_ == Capacity) return false;
    data_[size_++] = c;
    return true;
  }
  constexpr void clear() noexcept { size_ = 0; }

  constexpr bool operator==(const static_string& o) const noexcept { return view() == o.view(); }
  constexpr bool operator==(std::string_view o) const noexcept { return view() == o; }

 private:
  std::array<char, Capacity> data_{};
  std::size_t size_ = 0;
};

}  // namespace authority
