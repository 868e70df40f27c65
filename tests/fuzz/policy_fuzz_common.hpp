// Shared body of the policy text fuzz targets: parse; a failure must come with
// diagnostics located inside the input; a success must print and re-parse, in both
// formats, to the same meaning and to a fixed-point text.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "authority/hosted/policy_text.hpp"

namespace policy_fuzz {

namespace pt = authority::policy_text;

inline void require(bool condition) {
  if (!condition) std::abort();
}

inline void check_round_trip(const pt::policy& p, pt::format f) {
  const auto printed = pt::print(p, f);
  const auto again = pt::parse(printed, f, "printed");
  require(again.ok());
  require(pt::same_meaning(p, *again.ast));
  require(pt::print(*again.ast, f) == printed);
}

inline int run(const std::uint8_t* data, std::size_t size, pt::format f) {
  const std::string_view text{reinterpret_cast<const char*>(data), size};
  pt::parse_options options;
  options.max_errors = 8;
  const auto r = pt::parse(text, f, "fuzz", options);
  if (!r.ok()) {
    require(!r.diagnostics.empty() && r.diagnostics.size() <= options.max_errors);
    for (const auto& d : r.diagnostics) {
      require(d.loc.offset <= size);
      require(d.loc.line >= 1 && d.loc.column >= 1);
      require(!d.message.empty());
    }
    return 0;
  }
  require(r.diagnostics.empty());
  check_round_trip(*r.ast, pt::format::json);
  check_round_trip(*r.ast, pt::format::toml);
  return 0;
}

}  // namespace policy_fuzz
