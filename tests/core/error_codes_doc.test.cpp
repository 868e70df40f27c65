// docs/error-codes.md must list exactly the codes in core/error.hpp, in order.
#include <catch2/catch.hpp>

#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include "authority/core/error.hpp"

TEST_CASE("docs/error-codes.md matches the error table", "[core][docs]") {
  std::ifstream doc(AUTHORITY_SOURCE_DIR "/docs/error-codes.md");
  REQUIRE(doc.good());
  const std::regex row(R"(^\| (\d+) \| `(\w+)` \| (.*) \|$)");
  std::vector<std::tuple<unsigned, std::string, std::string>> rows;
  for (std::string line; std::getline(doc, line);) {
    std::smatch m;
    if (std::regex_match(line, m, row)) rows.emplace_back(std::stoul(m[1]), m[2], m[3]);
  }
  const auto& table = authority::errc_table;
  REQUIRE(rows.size() == std::size(table));
  for (std::size_t i = 0; i < rows.size(); ++i) {
    INFO("row " << i);
    CHECK(std::get<0>(rows[i]) == static_cast<unsigned>(table[i].code));
    CHECK(std::get<1>(rows[i]) == table[i].name);
    CHECK(std::get<2>(rows[i]) == table[i].description);
  }
}
