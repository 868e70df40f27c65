// The effect catalog: complete, unique, consistent (also checked by static_asserts in
// effects.hpp; these run the same lookups the gate uses, in the kernel too).
#include "authority/effects.hpp"
#include "selftest/selftest.hpp"

using namespace authority;

SELFTEST("gate/effect catalog lookups by name and op code agree") {
  std::size_t found = 0;
  for (const auto& e : effect_table) {
    const auto* by_code = find_effect(e.op_code());
    const auto* by_name = find_effect(e.name);
    ST_CHECK(by_code == &e);
    ST_CHECK(by_name == &e);
    ST_CHECK(e.method_bit() < capability::method_count(e.cap));
    found += by_code != nullptr;
  }
  ST_CHECK(found == effect_count);
  ST_CHECK(find_effect(std::uint16_t{0}) == nullptr);
  ST_CHECK(find_effect("fs.readx") == nullptr);
}

SELFTEST("gate/effect catalog rows say what the gate checks and charges") {
  constexpr auto read = row_of<effect::fs_read>();
  static_assert(read.cap == capability::cap_type::fs);
  static_assert(read.judged_by == policy::op::fs_read);
  ST_CHECK(read.name == "fs.read");
  constexpr auto tool = row_of<effect::tool_call>();
  ST_CHECK((tool.per_call >> static_cast<unsigned>(budget::resource::tool_calls)) & 1u);
  constexpr auto heap = row_of<effect::heap_alloc>();
  ST_CHECK(!heap.judged_by.has_value());  // the capability alone decides
  ST_CHECK(row_of<effect::fs_rename>().second_path);
  ST_CHECK(row_of<effect::audit_read>().cap == capability::cap_type::admin);
}
