// Capability types and their methods. A token's methods are a bit set over its type's
// methods; "all" is an explicit flag, distinct from the empty set (the reference used
// an empty list for "all", so a child could widen by dropping its list).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "authority/pattern/pattern.hpp"

namespace authority::capability {

// Stable numbers: they are on the wire.
enum class cap_type : std::uint8_t {
  fs = 1,
  net = 2,
  tool = 3,
  wasm = 4,
  infer = 5,
  spawn = 6,
  heap = 7,
  secrets = 8,
  ipc = 9,
  admin = 10,
};
inline constexpr std::uint8_t cap_type_min = 1;
inline constexpr std::uint8_t cap_type_max = 10;

struct cap_type_info {
  cap_type type;
  std::string_view name;
  pattern::syntax resource_syntax;
  std::array<std::string_view, 16> methods;  // bit i = methods[i]; empty names end the list
};

// Method order is stable: bit positions are on the wire.
inline constexpr cap_type_info cap_type_table[] = {
    {cap_type::fs, "fs", pattern::syntax::path,
     {"read", "write", "exec", "stat", "list", "create", "delete", "mkdir", "rename"}},
    {cap_type::net, "net", pattern::syntax::net, {"dns", "connect", "bind", "listen", "send", "recv"}},
    {cap_type::tool, "tool", pattern::syntax::name, {"call"}},
    {cap_type::wasm, "wasm", pattern::syntax::name, {"call", "hostcall"}},
    {cap_type::infer, "infer", pattern::syntax::name, {"invoke"}},
    {cap_type::spawn, "spawn", pattern::syntax::path, {"exec"}},
    {cap_type::heap, "heap", pattern::syntax::name, {"alloc", "read", "write", "cas", "free"}},
    {cap_type::secrets, "secrets", pattern::syntax::name, {"get"}},
    {cap_type::ipc, "ipc", pattern::syntax::name, {"send", "recv"}},
    {cap_type::admin, "admin", pattern::syntax::name,
     {"policy_update", "revoke", "audit_read", "key_rotate", "approve"}},
};

constexpr const cap_type_info* find_type(cap_type t) noexcept {
  for (const auto& info : cap_type_table)
    if (info.type == t) return &info;
  return nullptr;
}
constexpr bool is_valid_type(std::uint8_t raw) noexcept { return raw >= cap_type_min && raw <= cap_type_max; }

constexpr std::optional<cap_type> type_from_name(std::string_view name) noexcept {
  for (const auto& info : cap_type_table)
    if (info.name == name) return info.type;
  return std::nullopt;
}
constexpr std::string_view name_of(cap_type t) noexcept {
  const auto* info = find_type(t);
  return info ? info->name : std::string_view{"unknown"};
}

constexpr std::size_t method_count(cap_type t) noexcept {
  const auto* info = find_type(t);
  if (!info) return 0;
  std::size_t n = 0;
  while (n < info->methods.size() && !info->methods[n].empty()) ++n;
  return n;
}

// Bit index of a method of a type, if it exists.
constexpr std::optional<std::uint8_t> method_from_name(cap_type t, std::string_view name) noexcept {
  const auto* info = find_type(t);
  if (!info) return std::nullopt;
  for (std::size_t i = 0; i < method_count(t); ++i)
    if (info->methods[i] == name) return static_cast<std::uint8_t>(i);
  return std::nullopt;
}
constexpr std::string_view method_name(cap_type t, std::uint8_t bit) noexcept {
  const auto* info = find_type(t);
  if (!info || bit >= method_count(t)) return "unknown";
  return info->methods[bit];
}

// A name lookup (net, method "dns") names a host, not a dns:HOST:PORT endpoint: its
// target has host syntax, and a net pattern dns:HOSTS:PORTS covers looking up any of
// its HOSTS whatever the ports (verify.hpp).
constexpr bool is_name_lookup(cap_type t, std::uint8_t method) noexcept {
  return t == cap_type::net && method_from_name(cap_type::net, "dns") == method;
}

constexpr std::uint32_t valid_method_bits(cap_type t) noexcept {
  const auto n = method_count(t);
  return n >= 32 ? ~std::uint32_t{0} : (std::uint32_t{1} << n) - 1;
}

// A set of methods: either explicitly all of the type's methods (now and future ones),
// or an explicit bit set, possibly empty ("none").
struct method_set {
  bool all = false;
  std::uint32_t bits = 0;  // meaningful only when !all

  static constexpr method_set everything() noexcept { return {true, 0}; }
  static constexpr method_set none() noexcept { return {false, 0}; }
  static constexpr method_set of(std::uint32_t b) noexcept { return {false, b}; }

  constexpr bool contains(std::uint8_t bit) const noexcept { return all || (bit < 32 && ((bits >> bit) & 1u)); }
  // Is every method of *this also in `other`?
  constexpr bool subset_of(const method_set& other) const noexcept {
    if (other.all) return true;
    if (all) return false;
    return (bits & ~other.bits) == 0;
  }
  constexpr method_set intersect(const method_set& other) const noexcept {
    if (all) return other;
    if (other.all) return *this;
    return of(bits & other.bits);
  }
  constexpr bool operator==(const method_set&) const = default;
};

}  // namespace authority::capability
