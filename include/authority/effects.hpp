// The catalog of effects (INV-1): every kind of thing an agent can do to the world, one
// row each. A row says which capability type and method the effect needs, which policy
// section judges it (if any), which budget resources it charges and its audit op code.
// The table is a Boost.Hana map keyed by the effect as a compile-time constant, so that
// it is checked completely at compile time (the static_asserts below: one row per
// effect, unique op codes and names, methods that exist, sections that fit) and looked
// up at compile time (row_of<E>()); the gate uses the runtime projection `effect_table`.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include <boost/hana/at_key.hpp>
#include <boost/hana/contains.hpp>
#include <boost/hana/integral_constant.hpp>
#include <boost/hana/keys.hpp>
#include <boost/hana/map.hpp>
#include <boost/hana/pair.hpp>
#include <boost/hana/size.hpp>
#include <boost/hana/unpack.hpp>

#include "authority/budget/limits.hpp"
#include "authority/budget/resource.hpp"
#include "authority/capability/types.hpp"
#include "authority/policy/op.hpp"

namespace authority {

// Op codes: high byte = family, low byte = member. They are written into audit entries,
// so they never change meaning.
enum class effect : std::uint16_t {
  fs_read = 0x0101, fs_write = 0x0102, fs_stat = 0x0103, fs_list = 0x0104,
  fs_unlink = 0x0105, fs_mkdir = 0x0106, fs_rename = 0x0107,
  net_dns = 0x0201, net_connect = 0x0202, net_bind = 0x0203, net_listen = 0x0204,
  net_send = 0x0205, net_recv = 0x0206,
  tool_call = 0x0301,
  wasm_call = 0x0401, wasm_hostcall = 0x0402,
  infer = 0x0501,
  spawn = 0x0601,
  heap_alloc = 0x0701, heap_read = 0x0702, heap_write = 0x0703, heap_cas = 0x0704, heap_free = 0x0705,
  secret_get = 0x0801,
  ipc_send = 0x0901, ipc_recv = 0x0902,
  policy_update = 0x0a01, audit_read = 0x0a02,
};
inline constexpr std::size_t effect_count = 28;

// A set of budget resources (bit = resource number).
using resource_set = std::uint16_t;
constexpr resource_set charges(std::initializer_list<budget::resource> rs) noexcept {
  resource_set s = 0;
  for (auto r : rs) s = static_cast<resource_set>(s | (1u << static_cast<unsigned>(r)));
  return s;
}

// One row. `per_call` resources are charged 1 per effect by the gate itself; `metered`
// resources are charged what the request declares (reserved up front) and settled at
// what the executor reports.
struct effect_info {
  effect id;
  std::string_view name;
  capability::cap_type cap;
  std::string_view method;
  std::optional<policy::op> judged_by;  // empty: the capability alone decides
  resource_set per_call;
  resource_set metered;
  bool second_path = false;  // fs.rename: `target2` is checked like `target`

  constexpr std::uint16_t op_code() const noexcept { return static_cast<std::uint16_t>(id); }
  constexpr std::uint8_t method_bit() const noexcept {
    return capability::method_from_name(cap, method).value_or(0xff);
  }
};

namespace catalog_detail {
using budget::resource;
using capability::cap_type;
using policy::op;
inline constexpr resource_set calls = charges({resource::calls});
inline constexpr resource_set file_io = charges({resource::file_bytes, resource::bytes});

// Hana hashes integral keys, not enums: rows are keyed by the op code as a constant.
template <effect E>
inline constexpr auto key_c = boost::hana::integral_c<std::uint16_t, static_cast<std::uint16_t>(E)>;

template <effect Id>
constexpr auto row(std::string_view name, cap_type cap, std::string_view method, std::optional<op> judged_by,
                   resource_set per_call, resource_set metered, bool second_path = false) noexcept {
  return boost::hana::make_pair(key_c<Id>,
                                effect_info{Id, name, cap, method, judged_by, per_call, metered, second_path});
}
}  // namespace catalog_detail

// The catalog. Order is presentation only; lookups go by op code.
inline constexpr auto catalog = [] {
  using namespace catalog_detail;
  return boost::hana::make_map(
      row<effect::fs_read>("fs.read", cap_type::fs, "read", op::fs_read, calls, file_io),
      row<effect::fs_write>("fs.write", cap_type::fs, "write", op::fs_write, calls, file_io),
      row<effect::fs_stat>("fs.stat", cap_type::fs, "stat", op::fs_read, calls, 0),
      row<effect::fs_list>("fs.list", cap_type::fs, "list", op::fs_read, calls, file_io),
      row<effect::fs_unlink>("fs.unlink", cap_type::fs, "delete", op::fs_write, calls, 0),
      row<effect::fs_mkdir>("fs.mkdir", cap_type::fs, "mkdir", op::fs_write, calls, 0),
      row<effect::fs_rename>("fs.rename", cap_type::fs, "rename", op::fs_write, calls, 0, true),
      row<effect::net_dns>("net.dns", cap_type::net, "dns", op::net_dns, calls, 0),
      row<effect::net_connect>("net.connect", cap_type::net, "connect", op::net_connect, calls, 0),
      row<effect::net_bind>("net.bind", cap_type::net, "bind", op::net_bind, calls, 0),
      row<effect::net_listen>("net.listen", cap_type::net, "listen", op::net_listen, calls, 0),
      row<effect::net_send>("net.send", cap_type::net, "send", op::net_connect, calls,
          charges({resource::net_bytes_out, resource::bytes})),
      row<effect::net_recv>("net.recv", cap_type::net, "recv", op::net_connect, calls,
          charges({resource::net_bytes_in, resource::bytes})),
      row<effect::tool_call>("tool.call", cap_type::tool, "call", op::tool_call,
          charges({resource::calls, resource::tool_calls}), 0),
      row<effect::wasm_call>("wasm.call", cap_type::wasm, "call", op::wasm_call, calls, 0),
      row<effect::wasm_hostcall>("wasm.hostcall", cap_type::wasm, "hostcall", op::wasm_hostcall, calls, 0),
      row<effect::infer>("infer", cap_type::infer, "invoke", op::infer, calls,
          charges({resource::tokens, resource::llm_tokens_in, resource::llm_tokens_out,
                   resource::inference_time_ms})),
      row<effect::spawn>("spawn", cap_type::spawn, "exec", op::spawn, calls, 0),
      row<effect::heap_alloc>("heap.alloc", cap_type::heap, "alloc", std::nullopt,
          charges({resource::calls, resource::heap_objects}), charges({resource::heap_bytes})),
      row<effect::heap_read>("heap.read", cap_type::heap, "read", std::nullopt, calls, 0),
      row<effect::heap_write>("heap.write", cap_type::heap, "write", std::nullopt, calls, charges({resource::heap_bytes})),
      row<effect::heap_cas>("heap.cas", cap_type::heap, "cas", std::nullopt, calls, 0),
      row<effect::heap_free>("heap.free", cap_type::heap, "free", std::nullopt, calls, 0),
      row<effect::secret_get>("secret.get", cap_type::secrets, "get", std::nullopt, calls, 0),
      row<effect::ipc_send>("ipc.send", cap_type::ipc, "send", std::nullopt, calls, charges({resource::bytes})),
      row<effect::ipc_recv>("ipc.recv", cap_type::ipc, "recv", std::nullopt, calls, charges({resource::bytes})),
      row<effect::policy_update>("policy.update", cap_type::admin, "policy_update", std::nullopt, calls, 0),
      row<effect::audit_read>("audit.read", cap_type::admin, "audit_read", std::nullopt, calls, 0));
}();

// The runtime projection (order unspecified).
inline constexpr std::array<effect_info, effect_count> effect_table = boost::hana::unpack(
    boost::hana::values(catalog), [](auto... rows) { return std::array<effect_info, sizeof...(rows)>{rows...}; });

namespace catalog_detail {
constexpr bool op_codes_unique() noexcept {
  for (std::size_t i = 0; i < effect_table.size(); ++i)
    for (std::size_t j = i + 1; j < effect_table.size(); ++j)
      if (effect_table[i].id == effect_table[j].id || effect_table[i].name == effect_table[j].name) return false;
  return true;
}
// Every method named in the catalog exists for its capability type.
constexpr bool methods_exist() noexcept {
  for (const auto& e : effect_table)
    if (e.method_bit() == 0xff) return false;
  return true;
}
// A policy section judges only effects of the matching capability type.
constexpr bool sections_fit() noexcept {
  for (const auto& e : effect_table) {
    if (!e.judged_by) continue;
    const auto syntax = policy::target_syntax(*e.judged_by);
    if (capability::find_type(e.cap)->resource_syntax != syntax &&
        !(e.cap == capability::cap_type::net && syntax == pattern::syntax::host))
      return false;
  }
  return true;
}
// Every enumerator of `effect` has a row: the ids are exactly this list.
inline constexpr effect all_effects[] = {
    effect::fs_read,    effect::fs_write,      effect::fs_stat,       effect::fs_list,    effect::fs_unlink,
    effect::fs_mkdir,   effect::fs_rename,     effect::net_dns,       effect::net_connect, effect::net_bind,
    effect::net_listen, effect::net_send,      effect::net_recv,      effect::tool_call,  effect::wasm_call,
    effect::wasm_hostcall, effect::infer,      effect::spawn,         effect::heap_alloc, effect::heap_read,
    effect::heap_write, effect::heap_cas,      effect::heap_free,     effect::secret_get, effect::ipc_send,
    effect::ipc_recv,   effect::policy_update, effect::audit_read};
constexpr bool complete() noexcept {
  if (std::size(all_effects) != effect_count) return false;
  for (auto id : all_effects) {
    bool found = false;
    for (const auto& e : effect_table) found = found || e.id == id;
    if (!found) return false;
  }
  return true;
}
// Each key's row carries its own key (a row cannot be filed under another effect).
constexpr bool keys_match_rows() noexcept {
  return boost::hana::unpack(boost::hana::keys(catalog), [](auto... keys) {
    return ((catalog[keys].op_code() == decltype(keys)::value) && ...);
  });
}
}  // namespace catalog_detail

static_assert(decltype(boost::hana::size(catalog))::value == effect_count, "one row per effect");
static_assert(catalog_detail::keys_match_rows(), "each row is filed under its own effect");
static_assert(catalog_detail::complete(), "every effect has a row");
static_assert(catalog_detail::op_codes_unique(), "op codes and names are unique");
static_assert(catalog_detail::methods_exist(), "every row names a method of its capability type");
static_assert(catalog_detail::sections_fit(), "a policy section judges only targets of its own syntax");

// Compile-time lookup: row_of<effect::fs_read>() (a missing row does not compile).
template <effect E>
constexpr effect_info row_of() noexcept {
  static_assert(decltype(boost::hana::contains(catalog, catalog_detail::key_c<E>))::value,
                "effect not in the catalog");
  return catalog[catalog_detail::key_c<E>];
}

// What the gate charges an effect of this kind just for happening (1 of each per-call resource).
constexpr budget::costs per_call_costs(const effect_info& info) noexcept {
  budget::costs c;
  for (std::size_t i = 0; i < budget::resource_count; ++i)
    if ((info.per_call >> i) & 1u) c.set(static_cast<budget::resource>(i), 1);
  return c;
}

constexpr const effect_info* find_effect(std::uint16_t op_code) noexcept {
  for (const auto& e : effect_table)
    if (e.op_code() == op_code) return &e;
  return nullptr;
}
constexpr const effect_info* find_effect(std::string_view name) noexcept {
  for (const auto& e : effect_table)
    if (e.name == name) return &e;
  return nullptr;
}

}  // namespace authority
