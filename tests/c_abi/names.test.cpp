// The C ABI's names and numbers: authority.h spells every error code, effect, resource,
// capability type, policy op and audit kind of the library with the same number, the lookups answer as the library does, and the link probe covers
// every function the header declares.
#include <catch2/catch.hpp>

#include <cctype>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "authority/audit/entry.hpp"
#include "authority/authority.h"
#include "authority/core/error.hpp"
#include "authority/effects.hpp"

using namespace authority;

namespace {
std::string read_source(const std::string& relative) {
  std::ifstream in(std::string(AUTHORITY_SOURCE_DIR) + "/" + relative);
  REQUIRE(in);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// NAME = number pairs of authority.h's enums.
std::map<std::string, long> header_constants() {
  const std::string header = read_source("include/authority/authority.h");
  std::map<std::string, long> out;
  const std::regex entry(R"(\b(AUTHORITY_[A-Z0-9_]+) = (0x[0-9a-fA-F]+|\d+))");
  for (auto it = std::sregex_iterator(header.begin(), header.end(), entry); it != std::sregex_iterator(); ++it)
    out[(*it)[1].str()] = std::stol((*it)[2].str(), nullptr, 0);
  return out;
}

std::string c_name(std::string_view prefix, std::string_view name) {
  std::string out = std::string(prefix) + upper(name);
  for (auto& c : out)
    if (c == '.') c = '_';
  return out;
}

// Every entry of a library table has a C constant named after it, with its number.
template <class Table, class Name, class Number>
void check_names(const std::map<std::string, long>& constants, std::string_view prefix, const Table& table, Name name,
                 Number number) {
  std::size_t with_prefix = 0;
  for (const auto& [c, v] : constants) with_prefix += c.rfind(prefix, 0) == 0;
  CHECK(with_prefix == std::size(table));
  for (const auto& row : table) {
    const std::string expected = c_name(prefix, name(row));
    INFO(expected);
    const auto it = constants.find(expected);
    REQUIRE(it != constants.end());
    CHECK(it->second == static_cast<long>(number(row)));
  }
}

}  // namespace

TEST_CASE("authority.h names every error code with error.hpp's number", "[c_abi]") {
  auto constants = header_constants();
  REQUIRE(constants.count("AUTHORITY_OK") == 1);
  CHECK(constants["AUTHORITY_OK"] == 0);
  constants.erase("AUTHORITY_OK");
  std::vector<errc_info> codes(std::begin(errc_table) + 1, std::end(errc_table));  // all but ok
  check_names(constants, "AUTHORITY_ERR_", codes, [](const errc_info& i) { return i.name; },
              [](const errc_info& i) { return static_cast<long>(i.code); });
}

TEST_CASE("authority.h names every effect, resource, capability type, policy op and audit kind",
          "[c_abi]") {
  const auto constants = header_constants();
  check_names(constants, "AUTHORITY_EFFECT_", effect_table, [](const effect_info& e) { return e.name; },
              [](const effect_info& e) { return e.op_code(); });
  check_names(constants, "AUTHORITY_RESOURCE_", budget::resource_table,
              [](const budget::resource_info& r) { return r.name; }, [](const budget::resource_info& r) { return r.id; });
  check_names(constants, "AUTHORITY_CAP_", capability::cap_type_table,
              [](const capability::cap_type_info& t) { return t.name; },
              [](const capability::cap_type_info& t) { return t.type; });
  check_names(constants, "AUTHORITY_OP_", policy::op_names, [](std::string_view n) { return n; },
              [](std::string_view n) { return *policy::op_from_name(n); });
  std::vector<audit::entry_kind> kinds;
  for (std::uint8_t k = 1; k <= audit::entry_kind_max; ++k) kinds.push_back(static_cast<audit::entry_kind>(k));
  check_names(constants, "AUTHORITY_AUDIT_", kinds, [](audit::entry_kind k) { return audit::name_of(k); },
              [](audit::entry_kind k) { return k; });
}

TEST_CASE("error names and descriptions are the library's", "[c_abi]") {
  CHECK(std::string(authority_error_name(AUTHORITY_ERR_BAD_MAC)) == "bad_mac");
  CHECK(std::string(authority_error_description(AUTHORITY_ERR_BAD_MAC)) == describe(errc::bad_mac));
  CHECK(std::string(authority_error_name(0)) == "ok");
  CHECK(std::string(authority_error_name(12345)) == "unknown_error");
  CHECK(std::string(authority_error_name(-1)) == "unknown_error");
  CHECK(std::string(authority_error_name(1 << 20)) == "unknown_error");
  CHECK(authority_abi_version() == AUTHORITY_ABI_VERSION);
}

TEST_CASE("name lookups", "[c_abi]") {
  std::uint8_t v = 0;
  CHECK(authority_cap_type_from_name("net", 3, &v) == 0);
  CHECK(v == AUTHORITY_CAP_NET);
  CHECK(authority_cap_type_from_name("nett", 4, &v) == AUTHORITY_ERR_NOT_FOUND);
  CHECK(authority_cap_type_from_name("net", 3, nullptr) == AUTHORITY_ERR_INVALID_ARGUMENT);
  CHECK(authority_cap_type_from_name(nullptr, 3, &v) == AUTHORITY_ERR_INVALID_ARGUMENT);
  CHECK(authority_cap_method_from_name(AUTHORITY_CAP_FS, "write", 5, &v) == 0);
  CHECK(v == 1);
  CHECK(authority_cap_method_from_name(AUTHORITY_CAP_FS, "call", 4, &v) == AUTHORITY_ERR_NOT_FOUND);
  CHECK(authority_cap_method_from_name(0, "read", 4, &v) == AUTHORITY_ERR_OUT_OF_RANGE);
  CHECK(authority_policy_op_from_name("net.connect", 11, &v) == 0);
  CHECK(v == AUTHORITY_OP_NET_CONNECT);
  CHECK(authority_policy_op_from_name("net.*", 5, &v) == AUTHORITY_ERR_NOT_FOUND);
  CHECK(authority_resource_from_name("cpu_ns", 6, &v) == 0);
  CHECK(v == AUTHORITY_RESOURCE_CPU_TIME_NS);
  CHECK(std::string(authority_resource_name(AUTHORITY_RESOURCE_TOOL_CALLS)) == "tool_calls");
  CHECK(std::string(authority_resource_name(AUTHORITY_RESOURCE_COUNT)) == "unknown");
  std::uint16_t op = 0;
  CHECK(authority_effect_from_name("fs.rename", 9, &op) == 0);
  CHECK(op == AUTHORITY_EFFECT_FS_RENAME);
  CHECK(authority_effect_from_name("fs.frobnicate", 13, &op) == AUTHORITY_ERR_NOT_FOUND);
}

TEST_CASE("paths are canonicalized as the gate does", "[c_abi]") {
  char out[4096];
  std::size_t n = 0;
  authority_error err{};
  const std::string in = "/app/../etc//passwd";
  REQUIRE(authority_canonicalize_path(in.data(), in.size(), out, sizeof out, &n, &err) == 0);
  CHECK(std::string(out, n) == "/etc/passwd");
  CHECK(err.code == 0);
  const std::string relative = "etc/passwd";
  CHECK(authority_canonicalize_path(relative.data(), relative.size(), out, sizeof out, &n, &err) ==
        AUTHORITY_ERR_INVALID_PATH);
  CHECK(std::string(err.field) == "path");
  const std::string nul("/a\0b", 4);
  CHECK(authority_canonicalize_path(nul.data(), nul.size(), out, sizeof out, &n, &err) == AUTHORITY_ERR_INVALID_PATH);
  CHECK(err.offset == 2);
}

TEST_CASE("the freestanding link probe calls every function of authority.h", "[c_abi]") {
  const std::string header = read_source("include/authority/authority.h");
  const std::string probe = read_source("tests/c_abi/link_probe.c");
  const std::regex declaration(R"(\b(authority_[a-z0-9_]+)\()");
  std::set<std::string> declared;
  for (auto it = std::sregex_iterator(header.begin(), header.end(), declaration); it != std::sregex_iterator(); ++it)
    declared.insert((*it)[1].str());
  REQUIRE(declared.size() > 50);
  for (const auto& f : declared) {
    INFO(f);
    CHECK(probe.find("ENTRY(" + f + ")") != std::string::npos);
  }
}
