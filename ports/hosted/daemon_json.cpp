#include "daemon_json.hpp"

#include "authority/core/encoding.hpp"
#include "authority/hosted/json_escape.hpp"

namespace authority::hosted::daemon_json {

const value* value::find(std::string_view key) const noexcept {
  for (const auto& [k, v] : members)
    if (k == key) return &v;
  return nullptr;
}

std::optional<std::uint64_t> value::as_u64() const noexcept {
  if (type != kind::number || source.empty()) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : source) {
    if (c < '0' || c > '9') return std::nullopt;  // sign, fraction or exponent
    const auto d = static_cast<std::uint64_t>(c - '0');
    if (v > (~std::uint64_t{0} - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  return v;
}

std::string_view kind_name(value::kind k) noexcept {
  switch (k) {
    case value::kind::null: return "null";
    case value::kind::boolean: return "a boolean";
    case value::kind::number: return "a number";
    case value::kind::string: return "a string";
    case value::kind::array: return "an array";
    case value::kind::object: return "an object";
  }
  return "a value";
}

namespace {

class reader {
 public:
  reader(std::string_view text, std::size_t max_depth) : text_(text), max_depth_(max_depth) {}

  parse_result run() {
    parse_result out;
    value v;
    skip_space();
    if (parse_value(v, 0)) {
      skip_space();
      if (pos_ == text_.size()) {
        out.root = std::move(v);
        return out;
      }
      fail("unexpected text after the JSON value");
    }
    out.error = error_;
    out.offset = error_at_;
    return out;
  }

 private:
  bool fail(std::string message) {
    if (error_.empty()) {
      error_ = std::move(message);
      error_at_ = pos_;
    }
    return false;
  }
  bool at_end() const noexcept { return pos_ >= text_.size(); }
  char peek() const noexcept { return at_end() ? '\0' : text_[pos_]; }
  void skip_space() {
    while (!at_end() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r'))
      ++pos_;
  }
  bool literal(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return fail("invalid literal (expected " + std::string(word) + ")");
    pos_ += word.size();
    return true;
  }

  bool parse_value(value& v, std::size_t depth) {
    const std::size_t start = pos_;
    bool ok = false;
    switch (peek()) {
      case '{': ok = parse_object(v, depth + 1); break;
      case '[': ok = parse_array(v, depth + 1); break;
      case '"': v.type = value::kind::string; ok = parse_string(v.text); break;
      case 't': v.type = value::kind::boolean; v.boolean = true; ok = literal("true"); break;
      case 'f': v.type = value::kind::boolean; ok = literal("false"); break;
      case 'n': v.type = value::kind::null; ok = literal("null"); break;
      default:
        if (peek() == '-' || (peek() >= '0' && peek() <= '9')) {
          v.type = value::kind::number;
          ok = parse_number();
        } else {
          return fail(at_end() ? "the line ends where a value should start" : "expected a JSON value");
        }
    }
    if (ok) v.source = text_.substr(start, pos_ - start);
    return ok;
  }

  bool parse_object(value& v, std::size_t depth) {
    if (depth > max_depth_) return fail("nested deeper than " + std::to_string(max_depth_) + " levels");
    v.type = value::kind::object;
    ++pos_;
    skip_space();
    if (peek() == '}') {
      ++pos_;
      return true;
    }
    for (;;) {
      skip_space();
      if (peek() != '"') return fail("expected a member name in double quotes");
      std::string key;
      const std::size_t key_at = pos_;
      if (!parse_string(key)) return false;
      for (const auto& m : v.members)
        if (m.key == key) {
          pos_ = key_at;
          return fail("duplicate field \"" + key + "\"");
        }
      skip_space();
      if (peek() != ':') return fail("expected ':' after a member name");
      ++pos_;
      skip_space();
      value member_value;
      if (!parse_value(member_value, depth)) return false;
      v.members.push_back({std::move(key), std::move(member_value)});
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() == '}') {
        ++pos_;
        return true;
      }
      return fail("expected ',' or '}' in an object");
    }
  }

  bool parse_array(value& v, std::size_t depth) {
    if (depth > max_depth_) return fail("nested deeper than " + std::to_string(max_depth_) + " levels");
    v.type = value::kind::array;
    ++pos_;
    skip_space();
    if (peek() == ']') {
      ++pos_;
      return true;
    }
    for (;;) {
      skip_space();
      value item;
      if (!parse_value(item, depth)) return false;
      v.items.push_back(std::move(item));
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() == ']') {
        ++pos_;
        return true;
      }
      return fail("expected ',' or ']' in an array");
    }
  }

  bool parse_number() {
    if (peek() == '-') ++pos_;
    if (peek() == '0') {
      ++pos_;
    } else if (peek() >= '1' && peek() <= '9') {
      while (peek() >= '0' && peek() <= '9') ++pos_;
    } else {
      return fail("a number needs digits");
    }
    if (peek() >= '0' && peek() <= '9') return fail("numbers may not have leading zeros");
    if (peek() == '.') {
      ++pos_;
      if (!(peek() >= '0' && peek() <= '9')) return fail("expected digits after '.'");
      while (peek() >= '0' && peek() <= '9') ++pos_;
    }
    if (peek() == 'e' || peek() == 'E') {
      ++pos_;
      if (peek() == '+' || peek() == '-') ++pos_;
      if (!(peek() >= '0' && peek() <= '9')) return fail("expected digits in the exponent");
      while (peek() >= '0' && peek() <= '9') ++pos_;
    }
    return true;
  }

  static void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xc0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xe0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
      out += static_cast<char>(0xf0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    }
  }

  bool hex4(std::uint32_t& out) {
    out = 0;
    for (int i = 0; i < 4; ++i) {
      const int d = encoding::hex_value(peek());
      if (d < 0) return fail("\\u needs four hex digits");
      out = (out << 4) | static_cast<std::uint32_t>(d);
      ++pos_;
    }
    return true;
  }

  // One UTF-8 sequence starting at pos_ (RFC 3629: no overlongs, no surrogates).
  bool utf8_sequence(std::string& out) {
    const auto b0 = static_cast<unsigned char>(text_[pos_]);
    std::size_t n = 0;
    std::uint32_t cp = 0, min = 0;
    if (b0 >= 0xc2 && b0 <= 0xdf) {
      n = 1, cp = b0 & 0x1fu, min = 0x80;
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
      n = 2, cp = b0 & 0x0fu, min = 0x800;
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
      n = 3, cp = b0 & 0x07u, min = 0x10000;
    } else {
      return fail("invalid UTF-8");
    }
    if (pos_ + n >= text_.size()) return fail("invalid UTF-8 (truncated sequence)");
    for (std::size_t i = 1; i <= n; ++i) {
      const auto b = static_cast<unsigned char>(text_[pos_ + i]);
      if ((b & 0xc0) != 0x80) return fail("invalid UTF-8");
      cp = (cp << 6) | (b & 0x3fu);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return fail("invalid UTF-8");
    out.append(text_.substr(pos_, n + 1));
    pos_ += n + 1;
    return true;
  }

  bool parse_string(std::string& out) {
    ++pos_;  // opening quote
    for (;;) {
      if (at_end()) return fail("unterminated string");
      const char c = text_[pos_];
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (static_cast<unsigned char>(c) < 0x20) return fail("control character in a string (escape it)");
      if (static_cast<unsigned char>(c) >= 0x80) {
        if (!utf8_sequence(out)) return false;
        continue;
      }
      if (c != '\\') {
        out += c;
        ++pos_;
        continue;
      }
      ++pos_;
      const char e = peek();
      ++pos_;
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          std::uint32_t cp = 0;
          if (!hex4(cp)) return false;
          if (cp >= 0xdc00 && cp <= 0xdfff) return fail("unpaired low surrogate in \\u escape");
          if (cp >= 0xd800 && cp <= 0xdbff) {
            std::uint32_t low = 0;
            if (text_.substr(pos_, 2) != "\\u") return fail("unpaired high surrogate in \\u escape");
            pos_ += 2;
            if (!hex4(low)) return false;
            if (low < 0xdc00 || low > 0xdfff) return fail("unpaired high surrogate in \\u escape");
            cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
          }
          append_utf8(out, cp);
          break;
        }
        default:
          --pos_;
          return fail("invalid escape in a string");
      }
    }
  }

  std::string_view text_;
  std::size_t max_depth_;
  std::size_t pos_ = 0;
  std::string error_;
  std::size_t error_at_ = 0;
};

}  // namespace

parse_result parse(std::string_view text, std::size_t max_depth) { return reader{text, max_depth}.run(); }

void writer::separate() {
  if (need_comma_) out_ += ',';
  need_comma_ = false;
}

writer& writer::begin_object() {
  separate();
  out_ += '{';
  return *this;
}
writer& writer::end_object() {
  out_ += '}';
  need_comma_ = true;
  return *this;
}
writer& writer::begin_array() {
  separate();
  out_ += '[';
  return *this;
}
writer& writer::end_array() {
  out_ += ']';
  need_comma_ = true;
  return *this;
}
writer& writer::key(std::string_view k) {
  string(k);
  out_ += ':';
  need_comma_ = false;
  return *this;
}
writer& writer::string(std::string_view s) {
  separate();
  out_ += '"';
  append_json_escaped(out_, s, true);
  out_ += '"';
  need_comma_ = true;
  return *this;
}
writer& writer::number(std::uint64_t v) {
  separate();
  out_ += std::to_string(v);
  need_comma_ = true;
  return *this;
}
writer& writer::boolean(bool b) {
  separate();
  out_ += b ? "true" : "false";
  need_comma_ = true;
  return *this;
}
writer& writer::null() {
  separate();
  out_ += "null";
  need_comma_ = true;
  return *this;
}
writer& writer::raw(std::string_view json) {
  separate();
  out_ += json;
  need_comma_ = true;
  return *this;
}

}  // namespace authority::hosted::daemon_json
