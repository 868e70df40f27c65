// result<T>: a value or an error, returned everywhere instead of exceptions.
// AUTHORITY_TRY keeps error paths one line long (SerenityOS's TRY, using the GNU
// statement-expression extension that both g++ and clang accept).
#pragma once

#include <optional>
#include <type_traits>
#include <utility>

#include "authority/core/error.hpp"

namespace authority {

template <class T>
class [[nodiscard]] result {
  static_assert(!std::is_reference_v<T>, "result<T&> is not supported; return a pointer");

 public:
  using value_type = T;

  constexpr result(const T& v) : value_(v) {}                   // NOLINT: implicit by design
  constexpr result(T&& v) : value_(std::move(v)) {}              // NOLINT
  constexpr result(authority::error e) : error_(e) {}            // NOLINT
  constexpr result(errc code) : error_(make_error(code)) {}      // NOLINT

  constexpr bool ok() const noexcept { return value_.has_value(); }
  constexpr explicit operator bool() const noexcept { return ok(); }

  // Precondition: ok(). Never throws; checking is the caller's job.
  constexpr T& value() & noexcept { return *value_; }
  constexpr const T& value() const& noexcept { return *value_; }
  constexpr T&& value() && noexcept { return std::move(*value_); }
  constexpr T* operator->() noexcept { return &*value_; }
  constexpr const T* operator->() const noexcept { return &*value_; }
  constexpr T& operator*() & noexcept { return *value_; }
  constexpr const T& operator*() const& noexcept { return *value_; }

  constexpr authority::error error() const noexcept { return ok() ? make_error(errc::ok) : error_; }
  constexpr errc code() const noexcept { return ok() ? errc::ok : error_.code; }

  template <class U>
  constexpr T value_or(U&& fallback) const& {
    return ok() ? *value_ : static_cast<T>(std::forward<U>(fallback));
  }

  // Used by AUTHORITY_TRY: the value, moved out.
  constexpr T release_value() noexcept { return std::move(*value_); }

 private:
  std::optional<T> value_{};
  authority::error error_{};
};

template <>
class [[nodiscard]] result<void> {
 public:
  constexpr result() = default;
  constexpr result(authority::error e) : error_(e), ok_(e.code == errc::ok) {}  // NOLINT
  constexpr result(errc code) : error_(make_error(code)), ok_(code == errc::ok) {}  // NOLINT

  constexpr bool ok() const noexcept { return ok_; }
  constexpr explicit operator bool() const noexcept { return ok_; }
  constexpr authority::error error() const noexcept { return ok_ ? make_error(errc::ok) : error_; }
  constexpr errc code() const noexcept { return ok_ ? errc::ok : error_.code; }
  constexpr void release_value() const noexcept {}

 private:
  authority::error error_{errc::ok, {}, 0};
  bool ok_ = true;
};

inline constexpr result<void> success() noexcept { return {}; }

}  // namespace authority

// Evaluate a result-returning expression; on error return the error from the enclosing
// function, otherwise yield the value. Statement expressions cannot return during
// constant evaluation, so constexpr code uses AUTHORITY_TRY_ASSIGN / AUTHORITY_TRY_VOID.
#define AUTHORITY_TRY(expression)                                  \
  ({                                                               \
    auto _authority_try_result = (expression);                     \
    if (!_authority_try_result.ok()) [[unlikely]]                  \
      return _authority_try_result.error();                        \
    _authority_try_result.release_value();                         \
  })

#define AUTHORITY_CONCAT_INNER(a, b) a##b
#define AUTHORITY_CONCAT(a, b) AUTHORITY_CONCAT_INNER(a, b)

// `AUTHORITY_TRY_ASSIGN(auto x, f());` declares x from f()'s value or returns its error.
#define AUTHORITY_TRY_ASSIGN(declaration, expression)                                 \
  auto AUTHORITY_CONCAT(_authority_try_, __LINE__) = (expression);                     \
  if (!AUTHORITY_CONCAT(_authority_try_, __LINE__).ok()) [[unlikely]]                  \
    return AUTHORITY_CONCAT(_authority_try_, __LINE__).error();                        \
  declaration = AUTHORITY_CONCAT(_authority_try_, __LINE__).release_value()

// `AUTHORITY_TRY_VOID(f());` returns f()'s error, if any.
#define AUTHORITY_TRY_VOID(expression)                                                 \
  do {                                                                                 \
    auto _authority_try_void = (expression);                                           \
    if (!_authority_try_void.ok()) [[unlikely]]                                        \
      return _authority_try_void.error();                                              \
  } while (0)
