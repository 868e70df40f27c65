// docs/gate.md's effect table must list exactly the catalog's rows.
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <regex>
#include <string>

#include "authority/effects.hpp"

TEST_CASE("docs/gate.md lists every effect of the catalog", "[gate][docs]") {
  std::ifstream doc(AUTHORITY_SOURCE_DIR "/docs/gate.md");
  REQUIRE(doc.good());
  const std::regex row(R"(^\| 0x([0-9a-f]{4}) \| `([a-z.]+)` \| ([a-z]+)\.([a-z_]+) \| (.*) \| (.*) \| (.*) \|$)");
  std::map<std::string, std::smatch> rows;
  std::size_t count = 0;
  for (std::string line; std::getline(doc, line);) {
    std::smatch m;
    if (!std::regex_match(line, m, row)) continue;
    ++count;
    const auto* e = authority::find_effect(m[2].str());
    INFO(line);
    REQUIRE(e != nullptr);
    CHECK(std::stoul(m[1].str(), nullptr, 16) == e->op_code());
    CHECK(m[3].str() == authority::capability::name_of(e->cap));
    CHECK(m[4].str() == e->method);
    CHECK(m[5].str() == (e->judged_by ? std::string(authority::policy::name_of(*e->judged_by))
                                      : std::string("— (capability only)")));
  }
  CHECK(count == authority::effect_count);
}
