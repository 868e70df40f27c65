// A flattened device tree (DTB, devicetree spec v0.4 ch. 5) reader: strictly
// bounds-checked, no allocation. aarch64 and riscv64 learn their RAM, reserved
// firmware memory, initrd (the boot bundle), command line and timer frequency here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "authority/core/bytes.hpp"
#include "authority/core/result.hpp"
#include "memory_map.hpp"

namespace kernel::fdt {

using authority::bytes_view;
using authority::errc;
using authority::make_error;
using authority::result;

inline constexpr std::uint32_t magic = 0xd00dfeed;
inline constexpr std::size_t header_size = 40;
inline constexpr std::size_t max_depth = 16;
inline constexpr std::uint32_t max_blob_size = 16u << 20;  // far above any QEMU DTB

enum token : std::uint32_t { begin_node = 1, end_node = 2, prop = 3, nop = 4, end = 9 };

struct header {
  std::uint32_t totalsize, off_dt_struct, off_dt_strings, off_mem_rsvmap, version,
      last_comp_version, boot_cpuid_phys, size_dt_strings, size_dt_struct;
};

// One property as the walker reports it: the path components of its node and its value.
struct property {
  std::string_view node;         // node name with unit address, e.g. "memory@40000000"
  std::string_view parent;       // the parent node's name ("" for children of the root)
  std::size_t depth = 0;         // 0 = root node
  std::string_view name;
  bytes_view value;
};

// Reads only the header's size; used when a boot protocol gives just a pointer.
inline result<std::uint32_t> blob_size(const authority::byte* p) noexcept {
  if (authority::load_be32(p) != magic) return make_error(errc::bad_magic, "fdt.magic", 0);
  const std::uint32_t size = authority::load_be32(p + 4);
  if (size < header_size || size > max_blob_size)
    return make_error(errc::out_of_range, "fdt.totalsize", 4);
  return size;
}

inline result<header> read_header(bytes_view blob) noexcept {
  if (blob.size() < header_size) return make_error(errc::truncated, "fdt.header", 0);
  const auto* p = blob.data();
  header h{};
  if (authority::load_be32(p) != magic) return make_error(errc::bad_magic, "fdt.magic", 0);
  std::uint32_t* fields[] = {&h.totalsize,        &h.off_dt_struct,   &h.off_dt_strings,
                             &h.off_mem_rsvmap,   &h.version,         &h.last_comp_version,
                             &h.boot_cpuid_phys,  &h.size_dt_strings, &h.size_dt_struct};
  for (std::size_t i = 0; i < 9; ++i) *fields[i] = authority::load_be32(p + 4 + 4 * i);
  if (h.totalsize > blob.size()) return make_error(errc::truncated, "fdt.totalsize", 4);
  if (h.totalsize < header_size) return make_error(errc::out_of_range, "fdt.totalsize", 4);
  // Version 17 added size_dt_struct; every producer since 2007 writes it.
  if (h.last_comp_version > 17 || h.version < 17)
    return make_error(errc::unsupported_version, "fdt.version", 20);
  auto inside = [&](std::uint32_t off, std::uint32_t size) {
    return off <= h.totalsize && size <= h.totalsize - off;
  };
  if (!inside(h.off_dt_struct, h.size_dt_struct) || h.off_dt_struct % 4 != 0)
    return make_error(errc::out_of_range, "fdt.off_dt_struct", 8);
  if (!inside(h.off_dt_strings, h.size_dt_strings))
    return make_error(errc::out_of_range, "fdt.off_dt_strings", 12);
  if (h.off_mem_rsvmap % 8 != 0 || !inside(h.off_mem_rsvmap, 0))
    return make_error(errc::out_of_range, "fdt.off_mem_rsvmap", 16);
  return h;
}

// Calls on_property(const property&) for every property, depth first, in blob order.
// Any malformed token, unterminated name, out-of-range string offset or unbalanced
// node fails the whole walk with the offset of the problem.
template <class F>
result<void> walk(bytes_view blob, F&& on_property) noexcept {
  auto h = read_header(blob);
  if (!h) return h.error();
  const bytes_view strings = blob.subspan(h->off_dt_strings, h->size_dt_strings);
  authority::byte_reader r{blob.subspan(h->off_dt_struct, h->size_dt_struct)};
  std::string_view names[max_depth + 1];
  std::size_t depth = 0;  // number of open nodes
  auto at = [&] { return static_cast<std::uint32_t>(h->off_dt_struct + r.offset()); };
  auto skip_padding = [&]() -> result<void> {
    const std::size_t pad = (4 - r.offset() % 4) % 4;
    auto p = r.take(pad, "fdt.padding");
    if (!p) return make_error(errc::truncated, "fdt.padding", at());
    return authority::success();
  };
  auto be32 = [&](std::string_view field) -> result<std::uint32_t> {
    auto b = r.take(4, field);
    if (!b) return make_error(errc::truncated, field, at());
    return authority::load_be32(b->data());
  };
  for (;;) {
    AUTHORITY_TRY_ASSIGN(const std::uint32_t tok, be32("fdt.token"));
    switch (tok) {
      case begin_node: {
        const std::uint32_t name_at = at();
        // The name runs to a NUL inside the struct block.
        std::size_t len = 0;
        const bytes_view rest = blob.subspan(name_at, h->off_dt_struct + h->size_dt_struct - name_at);
        while (len < rest.size() && rest[len] != 0) ++len;
        if (len == rest.size()) return make_error(errc::truncated, "fdt.node_name", name_at);
        if (depth == max_depth) return make_error(errc::too_complex, "fdt.depth", name_at);
        if (depth == 0 && len != 0) return make_error(errc::invalid_argument, "fdt.root_name", name_at);
        names[depth++] = authority::as_chars(rest.first(len));
        (void)r.take(len + 1);
        AUTHORITY_TRY_VOID(skip_padding());
        break;
      }
      case end_node:
        if (depth == 0) return make_error(errc::invalid_argument, "fdt.end_node", at() - 4);
        --depth;
        break;
      case prop: {
        AUTHORITY_TRY_ASSIGN(const std::uint32_t len, be32("fdt.prop_len"));
        AUTHORITY_TRY_ASSIGN(const std::uint32_t nameoff, be32("fdt.prop_nameoff"));
        if (depth == 0) return make_error(errc::invalid_argument, "fdt.prop_outside_node", at());
        auto value = r.take(len, "fdt.prop_value");
        if (!value) return make_error(errc::truncated, "fdt.prop_value", at());
        AUTHORITY_TRY_VOID(skip_padding());
        if (nameoff >= strings.size()) return make_error(errc::out_of_range, "fdt.prop_nameoff", at());
        std::size_t n = 0;
        while (nameoff + n < strings.size() && strings[nameoff + n] != 0) ++n;
        if (nameoff + n == strings.size()) return make_error(errc::truncated, "fdt.prop_name", at());
        property p;
        p.node = names[depth - 1];
        p.parent = depth >= 2 ? names[depth - 2] : std::string_view{};
        p.depth = depth - 1;
        p.name = authority::as_chars(strings.subspan(nameoff, n));
        p.value = *value;
        on_property(p);
        break;
      }
      case nop:
        break;
      case end:
        if (depth != 0) return make_error(errc::truncated, "fdt.unclosed_node", at() - 4);
        return authority::success();
      default:
        return make_error(errc::invalid_encoding, "fdt.token", at() - 4);
    }
  }
}

// A big-endian cell sequence (#address-cells / #size-cells of 1 or 2).
inline result<std::uint64_t> read_cells(authority::byte_reader& r, std::uint32_t cells, std::string_view field) noexcept {
  if (cells == 0 || cells > 2) return make_error(errc::out_of_range, field, r.offset32());
  std::uint64_t v = 0;
  for (std::uint32_t i = 0; i < cells; ++i) {
    auto b = r.take(4, field);
    if (!b) return b.error();
    v = (v << 32) | authority::load_be32(b->data());
  }
  return v;
}

inline std::string_view node_base_name(std::string_view node) noexcept {
  return node.substr(0, node.find('@'));
}

// Fills boot_info from the tree: /memory reg → ram, /reserved-memory/* reg and the
// memory reservation block → reserved, /chosen linux,initrd-{start,end} → bundle,
// /chosen bootargs → command line, /cpus timebase-frequency → timebase_hz.
// The blob itself is added to reserved. Assumes the root's #address-cells and
// #size-cells apply to /memory and /reserved-memory children (true for QEMU virt,
// where reserved-memory repeats them).
inline result<void> read_boot_info(bytes_view blob, std::uint64_t blob_address, boot_info& out) noexcept {
  AUTHORITY_TRY_ASSIGN(const header h, read_header(blob));
  out.protocol = "fdt";
  if (!out.reserved.push_back({blob_address, h.totalsize}))
    return make_error(errc::capacity_exceeded, "fdt.reserved");

  // Memory reservation block: (address, size) pairs up to a (0, 0) entry.
  authority::byte_reader rsv{blob.subspan(h.off_mem_rsvmap, h.totalsize - h.off_mem_rsvmap)};
  for (;;) {
    auto pair = rsv.take(16, "fdt.mem_rsvmap");
    if (!pair) return make_error(errc::truncated, "fdt.mem_rsvmap", h.off_mem_rsvmap + rsv.offset32());
    const std::uint64_t base = authority::load_be64(pair->data());
    const std::uint64_t size = authority::load_be64(pair->data() + 8);
    if (base == 0 && size == 0) break;
    if (!out.reserved.push_back({base, size})) return make_error(errc::capacity_exceeded, "fdt.mem_rsvmap");
  }

  std::uint32_t address_cells = 2, size_cells = 1;  // spec defaults
  std::uint64_t initrd_start = 0, initrd_end = 0;
  bool have_initrd_start = false, have_initrd_end = false;
  result<void> status = authority::success();
  auto fail = [&](authority::error e) {
    if (status.ok()) status = e;
  };
  auto regs = [&](const property& p, auto& list, std::string_view field) {
    authority::byte_reader r{p.value};
    while (!r.at_end()) {
      auto base = read_cells(r, address_cells, field);
      auto size = base ? read_cells(r, size_cells, field) : base;
      if (!base || !size) return fail(make_error(errc::truncated, field));
      if (*size != 0 && !list.push_back({*base, *size})) return fail(make_error(errc::capacity_exceeded, field));
    }
  };
  auto be_number = [&](const property& p, std::string_view field) -> std::uint64_t {
    if (p.value.size() == 4) return authority::load_be32(p.value.data());
    if (p.value.size() == 8) return authority::load_be64(p.value.data());
    fail(make_error(errc::invalid_argument, field));
    return 0;
  };

  AUTHORITY_TRY_VOID(walk(blob, [&](const property& p) {
    if (p.depth == 0) {
      if (p.name == "#address-cells") address_cells = static_cast<std::uint32_t>(be_number(p, "fdt.#address-cells"));
      if (p.name == "#size-cells") size_cells = static_cast<std::uint32_t>(be_number(p, "fdt.#size-cells"));
      return;
    }
    if (p.depth == 1 && node_base_name(p.node) == "memory" && p.name == "reg") regs(p, out.ram, "fdt.memory.reg");
    if (p.depth == 2 && p.parent == "reserved-memory" && p.name == "reg")
      regs(p, out.reserved, "fdt.reserved-memory.reg");
    if (p.depth == 1 && p.node == "chosen") {
      if (p.name == "linux,initrd-start") {
        initrd_start = be_number(p, "fdt.linux,initrd-start");
        have_initrd_start = true;
      } else if (p.name == "linux,initrd-end") {
        initrd_end = be_number(p, "fdt.linux,initrd-end");
        have_initrd_end = true;
      } else if (p.name == "bootargs" && !p.value.empty()) {
        // A string property includes its NUL; refuse one without.
        if (p.value.back() != 0) return fail(make_error(errc::invalid_argument, "fdt.bootargs"));
        out.command_line = authority::as_chars(p.value.first(p.value.size() - 1));
      }
    }
    if (p.depth == 1 && p.node == "cpus" && p.name == "timebase-frequency")
      out.timebase_hz = be_number(p, "fdt.timebase-frequency");
  }));
  AUTHORITY_TRY_VOID(status);
  if (have_initrd_start != have_initrd_end) return make_error(errc::invalid_argument, "fdt.linux,initrd-end");
  if (have_initrd_start) {
    if (initrd_end < initrd_start) return make_error(errc::out_of_range, "fdt.linux,initrd-end");
    out.bundle = {initrd_start, initrd_end - initrd_start};
    if (!out.reserved.push_back(out.bundle)) return make_error(errc::capacity_exceeded, "fdt.reserved");
  }
  if (out.ram.empty()) return make_error(errc::not_found, "fdt.memory");
  return authority::success();
}

}  // namespace kernel::fdt
