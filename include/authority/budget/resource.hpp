// The resources a budget limits (INV-3). Numbers are stable: they appear in compiled
// policy blobs, audit entries and the C ABI.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace authority::budget {

// X(name, number, unit, description)
#define AUTHORITY_BUDGET_RESOURCES(X)                                          \
  X(tokens, 0, "tokens", "model tokens of any kind")                           \
  X(calls, 1, "calls", "effects of any kind")                                  \
  X(tool_calls, 2, "calls", "tool.call effects")                               \
  X(llm_tokens_in, 3, "tokens", "prompt tokens sent to models")                \
  X(llm_tokens_out, 4, "tokens", "completion tokens received from models")     \
  X(inference_time_ms, 5, "ms", "time spent in inference")                     \
  X(file_bytes, 6, "bytes", "bytes read or written through fs effects")        \
  X(net_bytes_in, 7, "bytes", "bytes received over the network")              \
  X(net_bytes_out, 8, "bytes", "bytes sent over the network")                 \
  X(bytes, 9, "bytes", "bytes moved by any effect (file and network)")        \
  X(heap_bytes, 10, "bytes", "bytes in typed heap objects")                   \
  X(heap_objects, 11, "objects", "typed heap objects")                        \
  X(blob_bytes, 12, "bytes", "bytes in blobs")                                 \
  X(wall_time_ms, 13, "ms", "wall-clock time since the run started")          \
  X(cpu_time_ns, 14, "ns", "CPU time used by the agent")

enum class resource : std::uint8_t {
#define AUTHORITY_X(name, number, unit, text) name = number,
  AUTHORITY_BUDGET_RESOURCES(AUTHORITY_X)
#undef AUTHORITY_X
};

inline constexpr std::size_t resource_count = 15;

struct resource_info {
  resource id;
  std::string_view name;
  std::string_view unit;
  std::string_view description;
};

inline constexpr resource_info resource_table[resource_count] = {
#define AUTHORITY_X(name, number, unit, text) {resource::name, #name, unit, text},
    AUTHORITY_BUDGET_RESOURCES(AUTHORITY_X)
#undef AUTHORITY_X
};

constexpr bool resource_table_is_dense() noexcept {
  for (std::size_t i = 0; i < resource_count; ++i)
    if (static_cast<std::size_t>(resource_table[i].id) != i) return false;
  return true;
}
static_assert(resource_table_is_dense(), "resource numbers must be 0..resource_count-1 in order");

constexpr std::string_view name_of(resource r) noexcept {
  const auto i = static_cast<std::size_t>(r);
  return i < resource_count ? resource_table[i].name : std::string_view{"unknown"};
}

// Policy spelling → resource. Accepts the reference docs' alias `cpu_ns`.
constexpr std::optional<resource> resource_from_name(std::string_view name) noexcept {
  if (name == "cpu_ns") return resource::cpu_time_ns;
  for (const auto& info : resource_table)
    if (info.name == name) return info.id;
  return std::nullopt;
}

}  // namespace authority::budget
