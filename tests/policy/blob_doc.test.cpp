// docs/policy-blob.md: its worked example is what the compiler makes, byte count, header
// and SHA-256, and its tables name the sizes and offsets of blob.hpp.
#include <cstring>
#include <regex>

#include "authority/core/encoding.hpp"
#include "authority/hosted/keyfile.hpp"
#include "support.hpp"

using namespace policy_core_test;

TEST_CASE("policy blob document: the worked example") {
  const auto root = std::filesystem::path{AUTHORITY_SOURCE_DIR};
  const std::string doc = read_file(root / "docs" / "policy-blob.md");
  REQUIRE_FALSE(doc.empty());
  std::smatch m;
  REQUIRE(std::regex_search(doc, m, std::regex{"SHA-256 of the blob: `([0-9a-f]{64})`"}));
  const std::string expected_hash = m[1];
  REQUIRE(std::regex_search(doc, m, std::regex{"--revision 1` \\(key id 7\\), is ([0-9]+) bytes"}));
  const std::size_t expected_size = std::stoul(m[1]);

  auto keys = hosted::load_key_file((root / "tests" / "policy" / "data" / "selftest.keys").string());
  REQUIRE(keys.ok());
  const auto ast = parse_ok("{\"fs\": {\"read\": [\"/etc/hosts\"]}}\n", pt::format::json, "tiny.json");
  auto compiled = hosted::compile_policy(ast, *keys.value->ring);
  REQUIRE(compiled.ok());
  CHECK(compiled.blob.size() == expected_size);
  auto p = compiled_policy::open(compiled.blob, *keys.value->ring, now);
  REQUIRE(p.ok());
  char hex[64];
  REQUIRE(encoding::hex_encode(p->hash(), hex).ok());
  CHECK(std::string(hex, 64) == expected_hash);

  // The header bytes the document spells out.
  const std::uint8_t header[] = {0x41, 0x55, 0x54, 0x48, 0x50, 0x4f, 0x4c, 0x00, 0x01, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00,
                                 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x68, 0x04, 0x00, 0x00, 0x0f, 0x00, 0x00, 0x00};
  CHECK(std::equal(std::begin(header), std::end(header), compiled.blob.begin()));
  // The section table rows of the example.
  const std::pair<std::uint32_t, std::uint32_t> sections[] = {{212, 28}, {240, 72},  {312, 8},   {320, 240}, {560, 16},
                                                              {576, 0},  {576, 0},   {576, 0},   {576, 0},   {576, 384},
                                                              {960, 108}, {1068, 24}, {1092, 0}, {1092, 0}, {1092, 4}};
  for (std::uint32_t i = 0; i < blob::section_count; ++i) {
    const auto* e = compiled.blob.data() + blob::header_size + i * blob::section_entry_size;
    CHECK(load_le32(e) == i + 1);
    CHECK(load_le32(e + 4) == sections[i].first);
    CHECK(load_le32(e + 8) == sections[i].second);
  }
}

TEST_CASE("policy blob document: record sizes match blob.hpp") {
  const std::string doc = read_file(std::filesystem::path{AUTHORITY_SOURCE_DIR} / "docs" / "policy-blob.md");
  const std::pair<const char*, std::size_t> rows[] = {
      {"| 2 | rules | ", blob::rule_size},           {"| 3 | labels | ", blob::label_size},
      {"| 4 | budgets | ", blob::budget_size},       {"| 5 | settings | ", blob::settings_size},
      {"| 6 | versions | ", blob::version_size},     {"| 7 | version_terms | ", blob::version_term_size},
      {"| 8 | port_sets | ", blob::port_set_size},   {"| 9 | port_ranges | ", blob::port_range_size},
      {"| 10 | ops | ", blob::op_index_size},        {"| 11 | trie_nodes | ", blob::trie_node_size},
      {"| 12 | trie_edges | ", blob::trie_edge_size}, {"| 13 | residuals | ", blob::residual_size},
      {"| 14 | cidr_nodes | ", blob::cidr_node_size}, {"| 15 | rule_lists | ", blob::rule_list_entry_size}};
  for (const auto& [row, size] : rows) {
    INFO(row);
    const auto at = doc.find(row);
    REQUIRE(at != std::string::npos);
    CHECK(std::stoul(doc.substr(at + std::strlen(row))) == size);
  }
  CHECK(doc.find("| 212") != std::string::npos);
  CHECK(blob::sections_end == 212);
}
