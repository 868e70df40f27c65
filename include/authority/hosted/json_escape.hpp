// JSON string escaping, the one spelling every hosted printer uses: the CLI's JSON Lines,
// the daemon's responses, policy printing (a JSON string is also a TOML basic string)
// and diagnostics that quote input.
#pragma once

#include <string>
#include <string_view>

namespace authority::hosted {

// Appends `s` escaped for the inside of a JSON string literal: `"` and `\`, the control
// characters (short forms \b \f \n \r \t, else \u00XX), and DEL when `escape_del` (TOML
// forbids it raw). Every other byte is copied, so UTF-8 passes through unchanged.
inline void append_json_escaped(std::string& out, std::string_view s, bool escape_del = false) {
  static constexpr char digits[] = "0123456789ABCDEF";
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || (escape_del && c == 0x7f)) {
          out += "\\u00";
          out += digits[c >> 4];
          out += digits[c & 0xF];
        } else {
          out += ch;
        }
    }
  }
}

// `s` as a JSON string literal, quotes included.
inline std::string json_quoted(std::string_view s, bool escape_del = false) {
  std::string out = "\"";
  append_json_escaped(out, s, escape_del);
  out += '"';
  return out;
}

}  // namespace authority::hosted
