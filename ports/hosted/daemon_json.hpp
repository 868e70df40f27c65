// JSON for the daemon's protocol (docs/daemon.md): a strict RFC 8259 reader for one
// request line (bounded depth, valid UTF-8, no duplicate keys) that keeps each value's
// source text, and a writer for response lines. Internal to ports/hosted.
//
// The policy text's JSON grammar (src/) is private to the policy parsers; the request
// object inside an authorize line is still read by hosted::parse_request_line.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace authority::hosted::daemon_json {

struct member;

struct value {
  enum class kind : std::uint8_t { null, boolean, number, string, array, object };
  kind type = kind::null;
  bool boolean = false;
  std::string text;                                     // string: decoded
  std::string_view source;                              // the value as written (views the line)
  std::vector<value> items;                             // array
  std::vector<member> members;                         // object, in order

  const value* find(std::string_view key) const noexcept;
  // A number that is a whole number in [0, 2^64): no sign, fraction or exponent.
  std::optional<std::uint64_t> as_u64() const noexcept;
};

struct member {
  std::string key;
  value val;
};

std::string_view kind_name(value::kind k) noexcept;

struct parse_result {
  std::optional<value> root;
  std::string error;      // when !root
  std::size_t offset = 0; // byte offset of the problem
};

// Parses exactly one JSON value spanning `text` (surrounding whitespace allowed).
parse_result parse(std::string_view text, std::size_t max_depth);

// Appends JSON to a string: objects are written key by key, commas handled here.
class writer {
 public:
  writer& begin_object();
  writer& end_object();
  writer& begin_array();
  writer& end_array();
  writer& key(std::string_view k);
  writer& string(std::string_view s);
  writer& number(std::uint64_t v);
  writer& boolean(bool b);
  writer& null();
  writer& raw(std::string_view json);  // already valid JSON (an echoed id)
  // key + value shorthands
  writer& field(std::string_view k, std::string_view s) { return key(k).string(s); }
  writer& field(std::string_view k, const char* s) { return key(k).string(s); }
  writer& field(std::string_view k, std::uint64_t v) { return key(k).number(v); }
  writer& flag(std::string_view k, bool b) { return key(k).boolean(b); }
  writer& field_or_null(std::string_view k, const std::optional<std::string>& s) {
    key(k);
    return s ? string(*s) : null();
  }

  const std::string& str() const noexcept { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void separate();
  std::string out_;
  bool need_comma_ = false;
};

}  // namespace authority::hosted::daemon_json
