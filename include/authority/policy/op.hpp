// The operations a policy rules on, their policy spellings, and the pattern syntax their
// targets use. Numbers are stable (they index the compiled blob's op table and equal
// policy_text::effect_kind, which the compiler checks).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "authority/pattern/pattern.hpp"

namespace authority::policy {

enum class op : std::uint8_t {
  fs_read, fs_write, fs_exec, net_dns, net_connect, net_bind, net_listen,
  tool_call, wasm_call, wasm_hostcall, infer, spawn,
};
inline constexpr std::size_t op_count = 12;
using op_set = std::uint16_t;  // bit (1 << op)

constexpr op_set op_bit(op o) noexcept { return static_cast<op_set>(1u << static_cast<unsigned>(o)); }
inline constexpr op_set all_ops = static_cast<op_set>((1u << op_count) - 1);
inline constexpr op_set net_ops = op_bit(op::net_connect) | op_bit(op::net_bind) | op_bit(op::net_listen);
inline constexpr op_set fs_ops = op_bit(op::fs_read) | op_bit(op::fs_write) | op_bit(op::fs_exec);

inline constexpr std::array<std::string_view, op_count> op_names{
    "fs.read",   "fs.write",  "fs.exec",   "net.dns",       "net.connect", "net.bind",
    "net.listen", "tool.call", "wasm.call", "wasm.hostcall", "infer",       "spawn"};

constexpr std::string_view name_of(op o) noexcept {
  const auto i = static_cast<std::size_t>(o);
  return i < op_count ? op_names[i] : std::string_view{"unknown"};
}

// "fs.read" → op::fs_read. Selectors such as "net.*" are not operations.
constexpr std::optional<op> op_from_name(std::string_view name) noexcept {
  for (std::size_t i = 0; i < op_count; ++i)
    if (op_names[i] == name) return static_cast<op>(i);
  return std::nullopt;
}

// The syntax of a request's target for `o`: fs and spawn name canonical paths, net.dns a
// host, net.connect/bind/listen a net target (dns:host:port, ip:addr:port), the rest names.
constexpr pattern::syntax target_syntax(op o) noexcept {
  switch (o) {
    case op::fs_read:
    case op::fs_write:
    case op::fs_exec:
    case op::spawn: return pattern::syntax::path;
    case op::net_dns: return pattern::syntax::host;
    case op::net_connect:
    case op::net_bind:
    case op::net_listen: return pattern::syntax::net;
    default: return pattern::syntax::name;
  }
}

}  // namespace authority::policy
