// The compiled policy blob: layout constants shared by the hosted compiler (src/) and
// the freestanding decoder (compiled_policy.hpp). docs/policy-blob.md describes every
// byte; a change here is a new format_version.
//
//   header (32 bytes) | section table (15 x 12 bytes) | 15 sections, contiguous, in id
//   order | optional Ed25519 signature (64 bytes, header flag bit 0) over everything
//   before it | HMAC-SHA256 (32 bytes) over everything before it, signature included
//
// All integers are little-endian. A "string" is (u32 offset, u32 length) into the
// strings section; a "list" is (u32 first, u32 count) into the rule-list section;
// "none" is 0xffffffff.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "authority/core/bytes.hpp"

namespace authority::policy::blob {

inline constexpr std::array<byte, 8> magic{'A', 'U', 'T', 'H', 'P', 'O', 'L', 0};
inline constexpr std::uint16_t format_version = 1;
inline constexpr std::uint32_t none = 0xffffffff;
inline constexpr std::uint64_t no_max_tokens = ~std::uint64_t{0};

inline constexpr std::size_t header_size = 32;
inline constexpr std::size_t mac_size = 32;
inline constexpr std::size_t signature_size = 64;
inline constexpr byte flag_signed = 1;

// Header field offsets.
inline constexpr std::size_t at_version = 8;
inline constexpr std::size_t at_source_format = 10;
inline constexpr std::size_t at_flags = 11;
inline constexpr std::size_t at_key_id = 12;
inline constexpr std::size_t at_revision = 16;
inline constexpr std::size_t at_total_length = 24;
inline constexpr std::size_t at_section_count = 28;

enum class section : std::uint32_t {
  strings = 1,        // bytes
  rules = 2,          // rule records
  labels = 3,         // strings; label 0 is "untrusted"
  budgets = 4,        // one record per budget::resource, in resource order
  settings = 5,       // one record
  versions = 6,       // version constraints: (u32 first term, u32 term count)
  version_terms = 7,  // version terms
  port_sets = 8,      // (u32 first range, u32 range count)
  port_ranges = 9,    // (u16 first, u16 last)
  ops = 10,           // one index record per policy::op, in op order
  trie_nodes = 11,
  trie_edges = 12,
  residuals = 13,
  cidr_nodes = 14,
  rule_lists = 15,    // u32 rule indices
};
inline constexpr std::uint32_t section_count = 15;
inline constexpr std::size_t section_entry_size = 12;  // u32 id, u32 offset, u32 length
inline constexpr std::size_t sections_end = header_size + section_count * section_entry_size;

// Record sizes; a section's length is a multiple of its record size.
inline constexpr std::size_t string_ref_size = 8;
inline constexpr std::size_t rule_size = 72;
inline constexpr std::size_t label_size = string_ref_size;
inline constexpr std::size_t budget_size = 16;
inline constexpr std::size_t settings_size = 16;
inline constexpr std::size_t version_size = 8;
inline constexpr std::size_t version_term_size = 16;
inline constexpr std::size_t port_set_size = 8;
inline constexpr std::size_t port_range_size = 4;
inline constexpr std::size_t op_index_size = 32;
inline constexpr std::size_t trie_node_size = 36;
inline constexpr std::size_t trie_edge_size = 12;
inline constexpr std::size_t residual_size = 12;
inline constexpr std::size_t cidr_node_size = 16;
inline constexpr std::size_t rule_list_entry_size = 4;

inline constexpr std::array<std::size_t, section_count> record_size{
    1,           rule_size,      label_size,      budget_size,        settings_size,
    version_size, version_term_size, port_set_size, port_range_size, op_index_size,
    trie_node_size, trie_edge_size, residual_size,  cidr_node_size,    rule_list_entry_size};

// Rule record field offsets.
namespace rule_field {
inline constexpr std::size_t kind = 0;
inline constexpr std::size_t origin = 1;
inline constexpr std::size_t syntax = 2;
inline constexpr std::size_t ops = 4;
inline constexpr std::size_t pattern = 8;
inline constexpr std::size_t file = 16;
inline constexpr std::size_t line = 24;
inline constexpr std::size_t column = 28;
inline constexpr std::size_t specificity = 32;
inline constexpr std::size_t a = 40;  // see rule_info
inline constexpr std::size_t b = 48;
inline constexpr std::size_t ports = 56;
inline constexpr std::size_t version = 60;
inline constexpr std::size_t detail = 64;
}  // namespace rule_field

// Op index record field offsets.
namespace op_field {
inline constexpr std::size_t trie_root = 0;
inline constexpr std::size_t trie_nodes = 4;
inline constexpr std::size_t cidr4_root = 8;
inline constexpr std::size_t cidr6_root = 12;
inline constexpr std::size_t any_ip = 16;  // list
inline constexpr std::size_t global = 24;  // list
}  // namespace op_field

// Trie node record field offsets.
namespace node_field {
inline constexpr std::size_t edge_first = 0;
inline constexpr std::size_t literal_count = 4;
inline constexpr std::size_t wildcard_count = 8;
inline constexpr std::size_t terminal = 12;  // list
inline constexpr std::size_t subtree = 20;   // list
inline constexpr std::size_t residual_first = 28;
inline constexpr std::size_t residual_count = 32;
}  // namespace node_field

enum class budget_state : std::uint8_t { absent = 0, unlimited = 1, amount = 2 };

}  // namespace authority::policy::blob
