// The C and C++ runtime support a freestanding kernel must provide itself: the memory
// functions the compiler emits calls to, the ABI hooks that static objects and
// libstdc++ headers reference, and the constructors in .init_array.
//
// Deliberately absent: operator new/delete and malloc/free. The library core must not
// allocate, and a link error naming _Znwm or malloc is how a violation shows up.
#include <bits/functexcept.h>  // the exact declarations of std::__throw_*

#include <cstddef>
#include <cstdint>

#include "console.hpp"
#include "runtime.hpp"

extern "C" {

void* memcpy(void* dst, const void* src, std::size_t n) {
  auto* d = static_cast<unsigned char*>(dst);
  const auto* s = static_cast<const unsigned char*>(src);
  while (n--) *d++ = *s++;
  return dst;
}

void* memmove(void* dst, const void* src, std::size_t n) {
  auto* d = static_cast<unsigned char*>(dst);
  const auto* s = static_cast<const unsigned char*>(src);
  if (d < s) {
    while (n--) *d++ = *s++;
  } else {
    while (n--) d[n] = s[n];
  }
  return dst;
}

void* memset(void* dst, int c, std::size_t n) {
  auto* d = static_cast<unsigned char*>(dst);
  while (n--) *d++ = static_cast<unsigned char>(c);
  return dst;
}

int memcmp(const void* a, const void* b, std::size_t n) {
  const auto* x = static_cast<const unsigned char*>(a);
  const auto* y = static_cast<const unsigned char*>(b);
  for (; n--; ++x, ++y)
    if (*x != *y) return *x < *y ? -1 : 1;
  return 0;
}

void* memchr(const void* p, int c, std::size_t n) {
  const auto* s = static_cast<const unsigned char*>(p);
  for (; n--; ++s)
    if (*s == static_cast<unsigned char>(c)) return const_cast<unsigned char*>(s);
  return nullptr;
}

std::size_t strlen(const char* s) {
  std::size_t n = 0;
  while (s[n] != 0) ++n;
  return n;
}

[[noreturn]] void abort() { kernel::panic("abort() called"); }

[[noreturn]] void __assert_fail(const char* expr, const char* file, unsigned line, const char* fn) {
  kernel::panic("assertion failed: {} at {}:{} in {}", expr, file, line, fn);
}

[[noreturn]] void __cxa_pure_virtual() { kernel::panic("pure virtual function called"); }

// Destructors of static objects would run at exit; the kernel never returns, so they
// are never registered anywhere.
int __cxa_atexit(void (*)(void*), void*, void*) { return 0; }
void* __dso_handle = nullptr;

// Bounds from the linker script.
using constructor = void (*)();
extern constructor __init_array_start[];
extern constructor __init_array_end[];
}

namespace kernel {

void run_constructors() noexcept {
  for (constructor* c = __init_array_start; c != __init_array_end; ++c) (*c)();
}

}  // namespace kernel

// libstdc++ headers call these where hosted code would throw (e.g. .at(), substr).
// Without exceptions the only safe answer is to stop.
namespace std {
void __throw_bad_exception() { kernel::panic("std::bad_exception"); }
void __throw_bad_alloc() { kernel::panic("std::bad_alloc"); }
void __throw_bad_array_new_length() { kernel::panic("std::bad_array_new_length"); }
void __throw_bad_cast() { kernel::panic("std::bad_cast"); }
void __throw_bad_typeid() { kernel::panic("std::bad_typeid"); }
void __throw_logic_error(const char* m) { kernel::panic("std::logic_error: {}", m); }
void __throw_domain_error(const char* m) { kernel::panic("std::domain_error: {}", m); }
void __throw_invalid_argument(const char* m) { kernel::panic("std::invalid_argument: {}", m); }
void __throw_length_error(const char* m) { kernel::panic("std::length_error: {}", m); }
void __throw_out_of_range(const char* m) { kernel::panic("std::out_of_range: {}", m); }
void __throw_out_of_range_fmt(const char* m, ...) { kernel::panic("std::out_of_range: {}", m); }
void __throw_runtime_error(const char* m) { kernel::panic("std::runtime_error: {}", m); }
void __throw_range_error(const char* m) { kernel::panic("std::range_error: {}", m); }
void __throw_overflow_error(const char* m) { kernel::panic("std::overflow_error: {}", m); }
void __throw_underflow_error(const char* m) { kernel::panic("std::underflow_error: {}", m); }
void __throw_system_error(int e) { kernel::panic("std::system_error: {}", e); }
void __throw_bad_function_call() { kernel::panic("std::bad_function_call"); }
}  // namespace std
