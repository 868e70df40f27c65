// The deny message's fix: a policy snippet, in the policy's own format, that grants
// exactly the request's target (no wildcards, nothing wider). Freestanding: written into
// caller memory, so the kernel can put it in a deny response too.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "authority/core/result.hpp"
#include "authority/policy/compiled_policy.hpp"
#include "authority/policy/op.hpp"
#include "authority/policy/version.hpp"

namespace authority::policy {

namespace suggest_detail {

// Length of the valid UTF-8 sequence starting at s[i], or 0.
constexpr std::size_t utf8_sequence(std::string_view s, std::size_t i) noexcept {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  if (c < 0x80) return 1;
  std::size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
  if (n == 0 || c > 0xf4 || i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k)
    if ((b(i + k) & 0xc0) != 0x80) return 0;
  const unsigned char d = b(i + 1);
  if ((c == 0xe0 && d < 0xa0) || (c == 0xed && d > 0x9f) || (c == 0xf0 && d < 0x90) || (c == 0xf4 && d > 0x8f))
    return 0;  // overlong, surrogate, or past U+10FFFF
  return n;
}

class text_writer {
 public:
  constexpr explicit text_writer(std::span<char> out) noexcept : out_(out) {}

  constexpr void raw(std::string_view s) noexcept {
    for (char c : s) put(c);
  }
  constexpr void number(std::uint64_t v) noexcept {
    char digits[20];
    std::size_t n = 0;
    do {
      digits[n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    while (n > 0) put(digits[--n]);
  }
  // A double-quoted string valid in both JSON and TOML basic strings.
  constexpr void quoted(std::string_view s) noexcept {
    put('"');
    for (std::size_t i = 0; i < s.size();) {
      const auto c = static_cast<unsigned char>(s[i]);
      if (c == '"' || c == '\\') {
        put('\\');
        put(static_cast<char>(c));
      } else if (c < 0x20 || c == 0x7f) {
        raw("\\u00");
        put("0123456789abcdef"[c >> 4]);
        put("0123456789abcdef"[c & 15]);
      } else if (c >= 0x80) {
        const auto n = utf8_sequence(s, i);
        if (n == 0) {
          bad_text_ = true;
          return;
        }
        for (std::size_t k = 0; k < n; ++k) put(s[i + k]);
        i += n;
        continue;
      } else {
        put(static_cast<char>(c));
      }
      ++i;
    }
    put('"');
  }

  constexpr result<std::string_view> finish() const noexcept {
    if (bad_text_) return make_error(errc::invalid_encoding, "target");
    if (overflow_) return make_error(errc::capacity_exceeded, "snippet");
    return std::string_view{out_.data(), size_};
  }

 private:
  constexpr void put(char c) noexcept {
    if (size_ == out_.size()) {
      overflow_ = true;
      return;
    }
    out_[size_++] = c;
  }
  std::span<char> out_;
  std::size_t size_ = 0;
  bool overflow_ = false;
  bool bad_text_ = false;
};

}  // namespace suggest_detail

namespace suggest_detail {

// The snippet around the quoted target, per op, for the ops whose grant is one string.
// JSON ends with "]}}"; TOML's tail ends the table.
struct plain_grant {
  std::string_view json_head, toml_head, toml_tail;
};

constexpr plain_grant plain_grants[op_count] = {
    {R"({"fs": {"read": [)", "[[fs.allow]]\npath = ", "\nread = true\n"},
    {R"({"fs": {"write": [)", "[[fs.allow]]\npath = ", "\nwrite = true\n"},
    {R"({"fs": {"exec": [)", "[[fs.allow]]\npath = ", "\nexec = true\n"},
    {R"({"net": {"dns": [)", "[[dns.allow]]\npattern = ", "\n"},
    {R"({"net": {"connect": [)", "[[net.allow]]\npattern = ", "\nconnect = true\n"},
    {R"({"net": {"bind": [)", "[[net.allow]]\npattern = ", "\nbind = true\n"},
    {R"({"net": {"listen": [)", "[[net.allow]]\npattern = ", "\nlisten = true\n"},
    {R"({"tools": {"allow": [)", "[[tools.allow]]\nname = ", "\n"},
    {R"({"wasm": {"modules": [)", "[[wasm.allow]]\nmodule = ", "\n"},
    {R"({"wasm": {"hostcalls": [)", "[[wasm.hostcalls]]\nname = ", "\n"},
    {R"({"infer": {"models": [)", "[[inference.allow]]\nmodel = ", "\n"},
    {R"({"spawn": {"allow": [)", "[spawn]\nallow = [", "]\n"},
};

}  // namespace suggest_detail

// JSON: one line, e.g. {"fs": {"read": ["/etc/hosts"]}}. TOML: a table, one key per
// line, ending in a newline. A tool version that is a valid version becomes "=V"; infer
// tokens become the model's max_tokens. Errors: invalid_argument (unknown op),
// invalid_encoding (a target that is not UTF-8 cannot be written in a policy),
// capacity_exceeded (`out` too small; 2 * target size + 128 bytes always suffice).
constexpr result<std::string_view> suggest_snippet(const request& r, source_format f, std::span<char> out) noexcept {
  const auto index = static_cast<std::size_t>(r.kind);
  if (index >= op_count) return make_error(errc::invalid_argument, "op");
  const auto& grant = suggest_detail::plain_grants[index];
  suggest_detail::text_writer w{out};
  // Tools with a known version and models with a token count need a second key.
  const bool versioned = r.kind == op::tool_call && !r.version.empty() && parse_version(r.version).ok();
  const bool limited = r.kind == op::infer && r.tokens > 0;
  if (f == source_format::json) {
    w.raw(grant.json_head);
    if (versioned || limited) {
      w.raw(versioned ? "{\"name\": " : "{\"model\": ");
      w.quoted(r.target);
      if (versioned) {
        w.raw(", \"version\": \"=");
        w.raw(r.version);
        w.raw("\"}");
      } else {
        w.raw(", \"max_tokens\": ");
        w.number(r.tokens);
        w.raw("}");
      }
    } else {
      w.quoted(r.target);
    }
    w.raw("]}}");
  } else {
    w.raw(grant.toml_head);
    w.quoted(r.target);
    w.raw(grant.toml_tail);
    if (versioned) {
      w.raw("version = \"=");
      w.raw(r.version);
      w.raw("\"\n");
    } else if (limited) {
      w.raw("max_tokens = ");
      w.number(r.tokens);
      w.raw("\n");
    }
  }
  return w.finish();
}

}  // namespace authority::policy
