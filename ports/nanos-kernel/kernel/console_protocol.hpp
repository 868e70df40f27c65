// The lines a kernel writes on its console for the host (`authority run`) to read,
// among its ordinary console text. A protocol line starts with '@' and its tag:
//
//   @log <base64url>        the audit log's 32-byte header (audit/frame.hpp), once,
//                           before the first entry
//   @audit <base64url>      one audit frame, written as the entry is appended; the frame
//                           carries its own CRC-32C, the entry its hash chain
//   @decision <request seq> <audit seq> <effect> <allow|deny> <reason> <result> <target>
//                           one per request, after its audit entries: what the gate
//                           answered (reason and the executor's result status as error
//                           names, the target %-escaped)
//   @refused <bundle|policy> <error> <field> <offset>
//                           what was refused at boot and why
//   @head <entries> <sha256 hex>   the chain's head after the workload
//   @stats <decisions> <elapsed ns> <console ns>
//                           the workload's time on the kernel's own counter, and how
//                           much of it went to the console (frames until drained, lines)
//
// Nothing an agent controls is written unescaped: targets are %-escaped (every byte
// outside '!'..'~', and '%'), so a target cannot end a line or forge a protocol line.
// The same code writes the hosted conformance run's stream, which the host reads with
// the same parser.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "authority/core/encoding.hpp"
#include "authority/gate.hpp"
#include "format.hpp"

namespace kernel::protocol {

inline constexpr std::string_view log_tag = "@log";
inline constexpr std::string_view audit_tag = "@audit";
inline constexpr std::string_view decision_tag = "@decision";
inline constexpr std::string_view refused_tag = "@refused";
inline constexpr std::string_view head_tag = "@head";
inline constexpr std::string_view stats_tag = "@stats";

// The longest audit frame or log header a line carries, decoded.
inline constexpr std::size_t max_line_bytes = 4096;

template <text_writer W>
void write_base64url(W& out, authority::bytes_view b) {
  // Three input bytes make four characters: encode in chunks a small buffer holds.
  char chunk[64];
  while (!b.empty()) {
    const std::size_t n = b.size() < 48 ? b.size() : 48;
    const auto written = authority::encoding::base64url_encode(b.first(n), chunk);
    out(std::string_view{chunk, written.value_or(0)});
    b = b.subspan(n);
  }
}

template <text_writer W>
void write_line(W& out, std::string_view tag, authority::bytes_view b) {
  out(tag);
  out(std::string_view{" "});
  write_base64url(out, b);
  out(std::string_view{"\n"});
}

constexpr bool needs_escape(char c) noexcept { return c < '!' || c > '~' || c == '%'; }

template <text_writer W>
void write_escaped(W& out, std::string_view s) {
  if (s.empty()) {
    out(std::string_view{"%"});  // a lone '%' stands for the empty string
    return;
  }
  std::size_t plain = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (!needs_escape(s[i])) continue;
    out(s.substr(plain, i - plain));
    const auto v = static_cast<unsigned char>(s[i]);
    const char hex[3] = {'%', authority::encoding::hex_digit(v >> 4), authority::encoding::hex_digit(v)};
    out(std::string_view{hex, 3});
    plain = i + 1;
  }
  out(s.substr(plain));
}

// The inverse of write_escaped into `buf`; invalid_encoding at a bad escape.
inline authority::result<std::string_view> unescape(std::string_view s, std::span<char> buf) noexcept {
  if (s == "%") return std::string_view{};
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (n == buf.size()) return authority::make_error(authority::errc::too_long, "target", static_cast<std::uint32_t>(i));
    char c = s[i];
    if (c == '%') {
      const int hi = i + 2 < s.size() ? authority::encoding::hex_value(s[i + 1]) : -1;
      const int lo = i + 2 < s.size() ? authority::encoding::hex_value(s[i + 2]) : -1;
      if (hi < 0 || lo < 0) return authority::make_error(authority::errc::invalid_encoding, "target", static_cast<std::uint32_t>(i));
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (needs_escape(c)) {
      return authority::make_error(authority::errc::invalid_encoding, "target", static_cast<std::uint32_t>(i));
    }
    buf[n++] = c;
  }
  return std::string_view{buf.data(), n};
}

// The name of an effect op code, or "-" when the catalog has no such effect.
constexpr std::string_view effect_name(std::uint16_t op) noexcept {
  const auto* info = authority::find_effect(op);
  return info ? info->name : std::string_view{"-"};
}

template <text_writer W>
void write_decision(W& out, std::uint64_t request_seq, std::string_view target, const authority::response& r) {
  format_to(out, "{} {} {} {} {} {} {} ", decision_tag, request_seq, r.decision_seq, effect_name(r.op),
            r.allow ? "allow" : "deny", authority::name_of(r.reason), authority::name_of(r.result.status));
  write_escaped(out, target);
  out(std::string_view{"\n"});
}

}  // namespace kernel::protocol
