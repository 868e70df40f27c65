// A test harness that runs the same test sources hosted (under Catch2/ctest) and inside
// the bare-metal kernel, where there is no C++ runtime: no exceptions, no heap, no
// stdio. Tests register themselves at static-initialization time; a runner walks the
// list and reports through a caller-provided write function.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace authority::selftest {

using write_fn = void (*)(std::string_view);

class context {
 public:
  explicit context(write_fn write) noexcept : write_(write) {}

  void fail(const char* file, int line, std::string_view what) noexcept {
    ++failures_;
    write_("  FAIL ");
    write_(file);
    write_(":");
    write_number(static_cast<std::uint64_t>(line));
    write_(": ");
    write_(what);
    write_("\n");
  }
  void pass() noexcept { ++checks_; }

  void write(std::string_view s) noexcept { write_(s); }
  void write_number(std::uint64_t v) noexcept {
    char buf[24];
    std::size_t n = 0;
    do {
      buf[sizeof buf - 1 - n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    write_(std::string_view{buf + sizeof buf - n, n});
  }

  std::uint64_t checks() const noexcept { return checks_; }
  std::uint64_t failures() const noexcept { return failures_; }

 private:
  write_fn write_;
  std::uint64_t checks_ = 0;
  std::uint64_t failures_ = 0;
};

struct test_case {
  const char* name;
  void (*run)(context&);
  test_case* next;
};

inline test_case*& registry_head() noexcept {
  static test_case* head = nullptr;
  return head;
}

struct registrar {
  explicit registrar(test_case& t) noexcept {
    // Append, so tests run in the order the linker placed their constructors.
    test_case** slot = &registry_head();
    while (*slot != nullptr) slot = &(*slot)->next;
    *slot = &t;
  }
};

struct summary {
  std::uint64_t passed = 0;  // test cases with no failed check
  std::uint64_t failed = 0;  // test cases with at least one failed check
};

// Runs every registered test (or those whose name starts with `filter`) and prints
// one line per failing test plus the final "N passed, M failed" line.
inline summary run_all(write_fn write, std::string_view filter = {}) noexcept {
  summary s;
  for (test_case* t = registry_head(); t != nullptr; t = t->next) {
    if (!std::string_view{t->name}.starts_with(filter)) continue;
    context ctx{write};
    t->run(ctx);
    if (ctx.failures() == 0) {
      ++s.passed;
    } else {
      ++s.failed;
      write("test failed: ");
      write(t->name);
      write("\n");
    }
  }
  context out{write};
  out.write_number(s.passed);
  write(" passed, ");
  out.write_number(s.failed);
  write(" failed\n");
  return s;
}

}  // namespace authority::selftest

#define AUTHORITY_ST_CONCAT_INNER(a, b) a##b
#define AUTHORITY_ST_CONCAT(a, b) AUTHORITY_ST_CONCAT_INNER(a, b)

// SELFTEST("layer/what it checks") { ST_CHECK(...); }
#define SELFTEST(name) SELFTEST_IMPL(name, AUTHORITY_ST_CONCAT(selftest_fn_, __LINE__))
#define SELFTEST_IMPL(name, fn)                                                              \
  static void fn(::authority::selftest::context&);                                           \
  static ::authority::selftest::test_case AUTHORITY_ST_CONCAT(fn, _case){name, &fn, nullptr}; \
  static ::authority::selftest::registrar AUTHORITY_ST_CONCAT(fn, _reg){                     \
      AUTHORITY_ST_CONCAT(fn, _case)};                                                       \
  static void fn([[maybe_unused]] ::authority::selftest::context& selftest_ctx)

#define ST_CHECK(expr)                                          \
  do {                                                          \
    if (expr)                                                   \
      selftest_ctx.pass();                                      \
    else                                                        \
      selftest_ctx.fail(__FILE__, __LINE__, "CHECK(" #expr ")"); \
  } while (0)

// Stops the test case on failure (for checks later ones depend on).
#define ST_REQUIRE(expr)                                          \
  do {                                                            \
    if (expr) {                                                   \
      selftest_ctx.pass();                                        \
    } else {                                                      \
      selftest_ctx.fail(__FILE__, __LINE__, "REQUIRE(" #expr ")"); \
      return;                                                     \
    }                                                             \
  } while (0)
