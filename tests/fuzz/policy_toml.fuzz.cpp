// libFuzzer target: the TOML policy parser (Spirit X3 grammar, table rules, schema walk)
// and, for inputs that parse, both printers. Must not crash, leak or hang.
#include "policy_fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return policy_fuzz::run(data, size, authority::policy_text::format::toml);
}
