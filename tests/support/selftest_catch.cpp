// Runs the freestanding self-tests linked into this binary under Catch2, one section
// per self-test, so hosted ctest sees the same checks the kernel runs.
#include <catch2/catch.hpp>

#include <string>

#include "selftest/selftest.hpp"

namespace {
std::string* capture = nullptr;
void write_to_capture(std::string_view s) {
  if (capture != nullptr) capture->append(s);
}
}  // namespace

TEST_CASE("freestanding self-tests", "[selftest]") {
  using namespace authority::selftest;
  for (test_case* t = registry_head(); t != nullptr; t = t->next) {
    DYNAMIC_SECTION(t->name) {
      std::string output;
      capture = &output;
      context ctx{write_to_capture};
      t->run(ctx);
      capture = nullptr;
      INFO(output);
      CHECK(ctx.failures() == 0);
      CHECK(ctx.checks() > 0);
    }
  }
}
