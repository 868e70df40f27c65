// JSON is read strictly (RFC 8259), and every syntax error says where, exactly.
#include "support.hpp"

using namespace policy_test;
using authority::errc;

TEST_CASE("JSON: trailing commas, comments, quotes and number forms are rejected", "[policy_text][json]") {
  json_error("{\n  \"fs\": {\n    \"read\": [\n      \"/a\",\n    ]\n  }\n}",
             {errc::policy_syntax, 4, 11, "trailing comma before ']'"});
  json_error("{\"fs\": {},}", {errc::policy_syntax, 1, 10, "trailing comma before '}'"});
  json_error("{\n  // a note\n  \"fs\": {}\n}", {errc::policy_syntax, 2, 3, "comments are not allowed"});
  json_error("{/* a note */}", {errc::policy_syntax, 1, 2, "comments are not allowed"});
  json_error("{'fs': {}}", {errc::policy_syntax, 1, 2, "double quotes"});
  json_error("{\"budgets\": {\"tokens\": 012}}", {errc::policy_syntax, 1, 24, "leading zeros"});
  json_error("{\"budgets\": {\"tokens\": NaN}}", {errc::policy_syntax, 1, 24, "NaN and Infinity"});
  json_error("{\"budgets\": {\"tokens\": -Infinity}}", {errc::policy_syntax, 1, 24, "NaN and Infinity"});
  json_error("{\"budgets\": {\"tokens\": 1.}}", {errc::policy_syntax, 1, 26, "expected a digit"});
  json_error("{\"budgets\": {\"tokens\": +1}}", {errc::policy_syntax, 1, 24, "expected a JSON value, found '+'"});
}

TEST_CASE("JSON: structural errors say what was expected", "[policy_text][json]") {
  json_error("", {errc::policy_syntax, 1, 1, "expected a JSON value, found the end of the input"});
  json_error("{\"fs\" {}}", {errc::policy_syntax, 1, 7, "expected ':' after the key, found '{'"});
  json_error("{\"fs\": {}\n \"net\": {}}", {errc::policy_syntax, 2, 2, "expected ',' or '}', found '\"'"});
  json_error("{fs: {}}", {errc::policy_syntax, 1, 2, "expected a string key or '}', found 'f'"});
  json_error("{\"a", {errc::policy_syntax, 1, 4, "expected '\"' to end the string, found the end of the input"});
  json_error("{} x", {errc::trailing_bytes, 1, 4, "after the end of the JSON value"});
  json_error("{\"fs\": tru}", {errc::policy_syntax, 1, 8, "expected a JSON value"});
  json_error("[1, 2", {errc::policy_syntax, 1, 6, "expected ',' or ']', found the end of the input"});
}

TEST_CASE("JSON: every escape decodes, surrogate pairs become one code point", "[policy_text][json]") {
  const auto p = parse_ok(R"({"description": "q\" b\\ s\/ \b\f\n\r\t \u00e9 \u4e2d \ud83d\ude00 \u0041"})");
  REQUIRE(p.description);
  CHECK(*p.description == "q\" b\\ s/ \b\f\n\r\t \xC3\xA9 \xE4\xB8\xAD \xF0\x9F\x98\x80 A");
}

TEST_CASE("JSON: bad escapes and surrogates are errors at the escape", "[policy_text][json]") {
  json_error(R"({"description": "a\x"})", {errc::policy_syntax, 1, 20, "expected an escape"});
  json_error(R"({"description": "\u12G4"})", {errc::policy_syntax, 1, 20, "expected four hex digits"});
  json_error(R"({"description": "\ud800x"})", {errc::invalid_encoding, 1, 18, "high surrogate \\uD800 is not followed"});
  json_error(R"({"description": "\ud800"})", {errc::invalid_encoding, 1, 18, "high surrogate"});
  json_error(R"({"description": "ab\ud800\u0041"})", {errc::invalid_encoding, 1, 20, "high surrogate"});
  json_error(R"({"description": "\ud800\ud800"})", {errc::invalid_encoding, 1, 18, "high surrogate"});
  json_error(R"({"description": "\udc00"})", {errc::invalid_encoding, 1, 18, "lone low surrogate \\uDC00"});
  json_error(R"({"description": "\ude00\ud83d"})", {errc::invalid_encoding, 1, 18, "lone low surrogate"});
}

TEST_CASE("JSON: raw control characters in strings are errors", "[policy_text][json]") {
  json_error("{\"description\": \"a\tb\"}", {errc::policy_syntax, 1, 19, "control character U+0009"});
  json_error("{\"description\": \"a\nb\"}", {errc::policy_syntax, 1, 19, "control character U+000A"});
  json_error(std::string("{\"description\": \"a") + '\0' + "b\"}", {errc::policy_syntax, 1, 19, "control character U+0000"});
}

TEST_CASE("JSON: invalid UTF-8 is an error at the first bad byte", "[policy_text][json][utf8]") {
  json_error("{\"description\": \"\xC3\x28\"}", {errc::invalid_encoding, 1, 18, "invalid UTF-8 (byte 0xC3)"});
  json_error("{\"description\": \"\xC0\xAF\"}", {errc::invalid_encoding, 1, 18, "byte 0xC0"});
  json_error("{\"description\": \"\xED\xA0\x80\"}", {errc::invalid_encoding, 1, 18, "byte 0xED"});  // UTF-8 surrogate
  json_error("{\"description\": \"\xF4\x90\x80\x80\"}", {errc::invalid_encoding, 1, 18, "byte 0xF4"});  // > U+10FFFF
  json_error("{\"description\": \"\xE4\xB8\"}", {errc::invalid_encoding, 1, 18, "byte 0xE4"});  // truncated
  // Columns count code points: "é" before the bad byte is one column.
  json_error("{\"description\": \"\xC3\xA9\",\n \"name\": \"\xC3\xA9\xFF\"}", {errc::invalid_encoding, 2, 12, "byte 0xFF"});
  json_error("\xEF\xBB\xBF{}", {errc::invalid_encoding, 1, 1, "byte order mark"});
}

TEST_CASE("JSON: NUL inside a pattern or name is an error", "[policy_text][json]") {
  json_error(R"({"fs": {"read": ["/tmp/\u0000x"]}})", {errc::invalid_argument, 1, 18, "NUL"});
  json_error(R"({"tools": {"allow": ["a\u0000"]}})", {errc::invalid_argument, 1, 22, "NUL"});
  json_error(R"({"description": "\u0000"})", {errc::invalid_argument, 1, 17, "NUL"});
}

TEST_CASE("JSON: limits are errors with a location, never a crash", "[policy_text][json][limits]") {
  SECTION("nesting depth") {
    std::string deep(64, '[');
    deep += std::string(64, ']');
    // 64 levels parse (then the schema says the policy is not an object).
    json_error(deep, {errc::policy_type, 1, 1, "must be a JSON object"});
    std::string deeper = "{\"fs\": " + std::string(64, '[') + std::string(64, ']') + "}";
    json_error(deeper, {errc::too_complex, 1, 71, "nesting is deeper than 64"});
    // Far deeper than any stack could take recursively.
    json_error(std::string(1'000'000, '['), {errc::too_complex, 1, 65, "deeper than 64"});
    // Brackets inside strings do not count.
    const auto p = parse_ok("{\"description\": \"" + std::string(200, '[') + "\"}");
    CHECK(p.description->size() == 200);
  }
  SECTION("string length") {
    parse_ok("{\"description\": \"" + std::string(4096, 'x') + "\"}");
    json_error("{\"description\": \"" + std::string(4097, 'x') + "\"}",
               {errc::too_long, 1, 17, "longer than 4096 bytes"});
    // Counted after decoding: 2,049 escaped two-byte characters are 4,098 bytes.
    std::string escaped;
    for (int i = 0; i < 2049; ++i) escaped += "\\u00e9";
    json_error("{\"description\": \"" + escaped + "\"}", {errc::too_long, 1, 17, "longer than 4096"});
  }
  SECTION("array length") {
    pt::parse_options small;
    small.max_array_items = 3;
    auto ok = pt::parse_json(R"({"fs": {"read": ["/a", "/b", "/c"]}})", "t.json", small);
    CHECK(ok.ok());
    auto r = pt::parse_json(R"({"fs": {"read": ["/a", "/b", "/c", "/d"]}})", "t.json", small);
    REQUIRE_FALSE(r.ok());
    CHECK(r.diagnostics[0].code == errc::capacity_exceeded);
    CHECK(r.diagnostics[0].loc.column == 36);
  }
  SECTION("input size") {
    pt::parse_options small;
    small.max_input_bytes = 10;
    auto r = pt::parse_json(R"({"fs": {}, "net": {}})", "t.json", small);
    REQUIRE_FALSE(r.ok());
    CHECK(r.diagnostics[0].code == errc::too_long);
    CHECK(r.diagnostics[0].message.find("the limit is 10") != std::string::npos);
    // The default is 16 MiB.
    CHECK(pt::parse_options{}.max_input_bytes == 16u << 20);
  }
}

TEST_CASE("JSON: a diagnostic prints file:line:column, the line and a caret", "[policy_text][json]") {
  auto r = pt::parse_json("{\n  \"fs\": {\n    \"raed\": [\"/tmp/**\"]\n  }\n}", "policy.json");
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(r.diagnostics[0].to_string() ==
        "policy.json:3:5: error: unknown key \"raed\" in \"fs\"; did you mean \"read\"?\n"
        "        \"raed\": [\"/tmp/**\"]\n"
        "        ^\n");
  // A tab before the spot is copied so the caret lines up.
  auto t = pt::parse_json("{\n\t\"fss\": {}}", "p.json");
  REQUIRE(t.diagnostics.size() == 1);
  CHECK(t.diagnostics[0].to_string() ==
        "p.json:2:2: error: unknown key \"fss\" at the top level; did you mean \"fs\"?\n"
        "    \t\"fss\": {}}\n"
        "    \t^\n");
  // A very long line is shown as a window around the spot.
  std::string long_line = "{\"fs\": {\"read\": [";
  for (int i = 0; i < 1000; ++i) long_line += "\"/a" + std::to_string(i) + "\", ";
  long_line += "\"x\"]}}";  // a relative path: invalid, at the 'x'
  const auto at = long_line.find("\"x\"") + 1;
  auto w = pt::parse_json(long_line, "long.json");
  REQUIRE(w.diagnostics.size() == 1);
  CHECK(w.diagnostics[0].loc.column == at + 1);
  CHECK(w.diagnostics[0].source_line == "..." + long_line.substr(at - 60));
  CHECK(w.diagnostics[0].caret_column == 64);
  CHECK(w.diagnostics[0].to_string().ends_with(std::string(63, ' ') + "^\n"));
  // to_result carries the code and the byte offset.
  auto res = r.to_result();
  REQUIRE_FALSE(res.ok());
  CHECK(res.code() == errc::policy_unknown_key);
  CHECK(res.error().offset == 16);
}
