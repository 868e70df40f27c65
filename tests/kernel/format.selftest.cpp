// kernel/format: the console's printf replacement formats every argument kind, pads,
// escapes braces, flags placeholder/argument mismatches and never overruns its buffer.
#include <cstdint>
#include <limits>

#include "../../ports/nanos-kernel/kernel/format.hpp"
#include "selftest/selftest.hpp"

namespace {
template <class... Args>
bool formats_as(std::string_view expected, std::string_view fmt, const Args&... args) {
  char buf[128];
  kernel::fixed_buffer_writer w{buf, sizeof buf};
  kernel::format_to(w, fmt, args...);
  return w.view() == expected && !w.truncated();
}
}  // namespace

SELFTEST("kernel/format integers, text and pointers") {
  ST_CHECK(formats_as("n=42 s=abc c=x", "n={} s={} c={}", 42, "abc", 'x'));
  ST_CHECK(formats_as("0 -1 18446744073709551615", "{} {} {}", 0u, -1, std::numeric_limits<std::uint64_t>::max()));
  ST_CHECK(formats_as("-9223372036854775808", "{}", std::numeric_limits<std::int64_t>::min()));
  ST_CHECK(formats_as("ff 00ff 0x00000000deadbeef", "{:x} {:04x} {:p}", 255, 255u, 0xdeadbeefu));
  ST_CHECK(formats_as("true false", "{} {}", true, false));
  ST_CHECK(formats_as("view", "{}", std::string_view{"view"}));
  ST_CHECK(formats_as("   7", "{:4}", 7));
}

SELFTEST("kernel/format braces and mismatched placeholders") {
  ST_CHECK(formats_as("{literal} 1", "{{literal} {}", 1));
  ST_CHECK(formats_as("a=1 b={?}", "a={} b={}", 1));    // missing argument is visible
  ST_CHECK(formats_as("only", "only", 1, 2));            // surplus arguments are dropped
  ST_CHECK(formats_as("unterminated {", "unterminated {", 5));
}

SELFTEST("kernel/format truncates at the buffer end") {
  char buf[4];
  kernel::fixed_buffer_writer w{buf, sizeof buf};
  kernel::format_to(w, "{}-{}", 12345, "abc");
  ST_CHECK(w.truncated());
  ST_CHECK(w.view() == "1234");
}
