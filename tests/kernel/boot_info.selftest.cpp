// kernel/boot info: the three boot protocols' parsers (device tree on aarch64/riscv64,
// Multiboot2 and PVH on x86_64) read RAM, reservations, the bundle, the command line and
// the timer frequency, and refuse malformed input with the failing field.
#include <cstddef>
#include <cstdint>

#include "../../ports/nanos-kernel/kernel/fdt.hpp"
#include "../../ports/nanos-kernel/kernel/multiboot2.hpp"
#include "../../ports/nanos-kernel/kernel/pvh.hpp"
#include "selftest/selftest.hpp"

using authority::byte;
using authority::errc;
using kernel::boot_info;
using kernel::memory_range;

namespace {

// Builds a device tree blob the way dtc lays it out: header, reservation block,
// structure block, strings block.
struct fdt_builder {
  byte structure[768]{};
  std::size_t ssize = 0;
  char strings[256]{};
  std::size_t strsize = 0;
  byte blob[1200]{};
  std::size_t size = 0;

  void be32(std::uint32_t v) {
    authority::store_be32(structure + ssize, v);
    ssize += 4;
  }
  void pad() {
    while (ssize % 4) structure[ssize++] = 0;
  }
  void begin(std::string_view name) {
    be32(kernel::fdt::begin_node);
    for (char c : name) structure[ssize++] = static_cast<byte>(c);
    structure[ssize++] = 0;
    pad();
  }
  void end() { be32(kernel::fdt::end_node); }
  std::uint32_t name_offset(std::string_view name) {
    for (std::size_t i = 0; i + name.size() < strsize + 1; ++i)
      if (std::string_view{strings + i} == name) return static_cast<std::uint32_t>(i);
    const auto at = static_cast<std::uint32_t>(strsize);
    for (char c : name) strings[strsize++] = c;
    strings[strsize++] = 0;
    return at;
  }
  void prop(std::string_view name, const byte* value, std::size_t len) {
    be32(kernel::fdt::prop);
    be32(static_cast<std::uint32_t>(len));
    be32(name_offset(name));
    for (std::size_t i = 0; i < len; ++i) structure[ssize++] = value[i];
    pad();
  }
  void prop32(std::string_view name, std::uint32_t v) {
    byte b[4];
    authority::store_be32(b, v);
    prop(name, b, 4);
  }
  void prop64s(std::string_view name, std::uint64_t a, std::uint64_t b) {
    byte v[16];
    authority::store_be64(v, a);
    authority::store_be64(v + 8, b);
    prop(name, v, 16);
  }
  void prop_string(std::string_view name, std::string_view s) {
    byte v[64];
    for (std::size_t i = 0; i < s.size(); ++i) v[i] = static_cast<byte>(s[i]);
    v[s.size()] = 0;
    prop(name, v, s.size() + 1);
  }
  // Lays out the blob with one memory reservation.
  authority::bytes_view finish(std::uint64_t rsv_base, std::uint64_t rsv_size) {
    const std::uint32_t off_rsv = 40, off_struct = off_rsv + 32;
    const auto off_strings = static_cast<std::uint32_t>(off_struct + ssize);
    size = off_strings + strsize;
    const std::uint32_t header[10] = {kernel::fdt::magic, static_cast<std::uint32_t>(size), off_struct, off_strings,
                                      off_rsv, 17, 16, 0, static_cast<std::uint32_t>(strsize),
                                      static_cast<std::uint32_t>(ssize)};
    for (int i = 0; i < 10; ++i) authority::store_be32(blob + 4 * i, header[i]);
    authority::store_be64(blob + off_rsv, rsv_base);
    authority::store_be64(blob + off_rsv + 8, rsv_size);
    for (std::size_t i = 0; i < 16; ++i) blob[off_rsv + 16 + i] = 0;
    for (std::size_t i = 0; i < ssize; ++i) blob[off_struct + i] = structure[i];
    for (std::size_t i = 0; i < strsize; ++i) blob[off_strings + i] = static_cast<byte>(strings[i]);
    return {blob, size};
  }
};

// A tree like QEMU virt's riscv64 one, trimmed to what the kernel reads.
fdt_builder virt_tree(bool with_initrd = true) {
  fdt_builder b;
  b.begin("");
  b.prop32("#address-cells", 2);
  b.prop32("#size-cells", 2);
  b.begin("chosen");
  b.prop_string("bootargs", "selftest quiet");
  if (with_initrd) {
    b.prop32("linux,initrd-start", 0x84200000);
    b.prop32("linux,initrd-end", 0x84200400);
  }
  b.end();
  b.begin("memory@80000000");
  b.prop_string("device_type", "memory");
  b.prop64s("reg", 0x80000000, 0x8000000);
  b.end();
  b.begin("cpus");
  b.prop32("timebase-frequency", 10000000);
  b.begin("cpu@0");
  b.prop32("timebase-frequency", 1);  // deeper nodes are not /cpus
  b.end();
  b.end();
  b.begin("reserved-memory");
  b.prop32("#address-cells", 2);
  b.begin("mmode_resv0@80000000");
  b.prop64s("reg", 0x80000000, 0x40000);
  b.end();
  b.end();
  b.end();
  b.be32(kernel::fdt::end);
  return b;
}

}  // namespace

SELFTEST("kernel/boot info from a device tree") {
  auto b = virt_tree();
  const auto blob = b.finish(0x87000000, 0x1000);
  boot_info info;
  auto r = kernel::fdt::read_boot_info(blob, 0x87e00000, info);
  ST_REQUIRE(r.ok());
  ST_CHECK(info.protocol == "fdt");
  ST_REQUIRE(info.ram.size() == 1);
  ST_CHECK((info.ram[0] == memory_range{0x80000000, 0x8000000}));
  ST_CHECK((info.bundle == memory_range{0x84200000, 0x400}));
  ST_CHECK(info.command_line == "selftest quiet");
  ST_CHECK(info.timebase_hz == 10000000);
  // The blob itself, the reservation block entry, reserved-memory and the initrd.
  ST_REQUIRE(info.reserved.size() == 4);
  ST_CHECK((info.reserved[0] == memory_range{0x87e00000, blob.size()}));
  ST_CHECK((info.reserved[1] == memory_range{0x87000000, 0x1000}));
  ST_CHECK((info.reserved[2] == memory_range{0x80000000, 0x40000}));
  ST_CHECK((info.reserved[3] == memory_range{0x84200000, 0x400}));
}

namespace {
authority::error fdt_error(authority::bytes_view blob) {
  boot_info info;
  return kernel::fdt::read_boot_info(blob, 0, info).error();
}
}  // namespace

SELFTEST("kernel/boot info device tree errors name the field") {
  auto good = virt_tree();
  const auto blob = good.finish(0, 0);
  {
    auto b = good;
    b.blob[0] = 0;
    ST_CHECK(fdt_error({b.blob, b.size}).code == errc::bad_magic);
  }
  ST_CHECK(fdt_error(blob.first(39)).code == errc::truncated);  // header
  ST_CHECK(fdt_error(blob.first(blob.size() - 1)).code == errc::truncated);  // totalsize > input
  {
    auto b = good;
    authority::store_be32(b.blob + 20, 16);  // version 16: no size_dt_struct
    ST_CHECK(fdt_error({b.blob, b.size}).code == errc::unsupported_version);
  }
  {
    auto b = good;
    authority::store_be32(b.blob + 8, 0x7ffffff0);  // off_dt_struct outside the blob
    auto e = fdt_error({b.blob, b.size});
    ST_CHECK(e.code == errc::out_of_range && e.field == "fdt.off_dt_struct");
  }
  {
    auto b = good;
    authority::store_be32(b.blob + 72, 7);  // first structure token is not BEGIN_NODE
    auto e = fdt_error({b.blob, b.size});
    ST_CHECK(e.code == errc::invalid_encoding && e.field == "fdt.token" && e.offset == 72);
  }
  {
    auto b = good;
    authority::store_be32(b.blob + 72 + 12, 0x10000);  // the first property's length runs off the end
    auto e = fdt_error({b.blob, b.size});
    ST_CHECK(e.code == errc::truncated && e.field == "fdt.prop_value");
  }
  {
    auto b = good;
    authority::store_be32(b.blob + 72 + 16, 0xffff);  // the first property's name offset
    ST_CHECK(fdt_error({b.blob, b.size}).code == errc::out_of_range);
  }
  {
    fdt_builder b;  // a node left open
    b.begin("");
    b.begin("chosen");
    b.end();
    b.be32(kernel::fdt::end);
    auto e = fdt_error(b.finish(0, 0));
    ST_CHECK(e.code == errc::truncated && e.field == "fdt.unclosed_node");
  }
  {
    fdt_builder b;  // no memory node
    b.begin("");
    b.end();
    b.be32(kernel::fdt::end);
    ST_CHECK(fdt_error(b.finish(0, 0)).code == errc::not_found);
  }
  {
    fdt_builder b;  // an initrd end without a start
    b.begin("");
    b.prop32("#address-cells", 2);
    b.prop32("#size-cells", 2);
    b.begin("memory@0");
    b.prop64s("reg", 0, 0x1000000);
    b.end();
    b.begin("chosen");
    b.prop32("linux,initrd-end", 0x1000);
    b.end();
    b.end();
    b.be32(kernel::fdt::end);
    ST_CHECK(fdt_error(b.finish(0, 0)).code == errc::invalid_argument);
  }
  // Every single-byte change is either refused or parsed within bounds.
  std::size_t refused = 0;
  for (std::size_t i = 0; i < blob.size(); ++i) {
    auto b = good;
    b.blob[i] ^= 0xa5;
    boot_info info;
    if (!kernel::fdt::read_boot_info({b.blob, b.size}, 0, info).ok()) ++refused;
  }
  ST_CHECK(refused > 0);
}

namespace {

// A Multiboot2 information structure: total_size, reserved, then 8-aligned tags.
struct mbi_builder {
  alignas(8) byte buf[512]{};
  std::size_t size = 8;

  void tag(std::uint32_t type, const byte* body, std::size_t len) {
    authority::store_le32(buf + size, type);
    authority::store_le32(buf + size + 4, static_cast<std::uint32_t>(8 + len));
    for (std::size_t i = 0; i < len; ++i) buf[size + 8 + i] = body[i];
    size += (8 + len + 7) & ~std::size_t{7};
  }
  authority::bytes_view finish() {
    tag(kernel::multiboot2::end, nullptr, 0);
    authority::store_le32(buf, static_cast<std::uint32_t>(size));
    return {buf, size};
  }
};

mbi_builder grub_like_info() {
  mbi_builder m;
  const char cmd[] = "console=ttyS0";
  m.tag(kernel::multiboot2::cmdline, reinterpret_cast<const byte*>(cmd), sizeof cmd);
  byte module[8 + 7] = {};
  authority::store_le32(module, 0x123000);
  authority::store_le32(module + 4, 0x123200);
  for (int i = 0; i < 7; ++i) module[8 + i] = static_cast<byte>("bundle"[i]);
  m.tag(kernel::multiboot2::module, module, sizeof module);
  byte mmap[8 + 2 * 24] = {};
  authority::store_le32(mmap, 24);  // entry_size; entry_version 0
  authority::store_le64(mmap + 8, 0);
  authority::store_le64(mmap + 16, 0x9fc00);
  authority::store_le32(mmap + 24, 1);
  authority::store_le64(mmap + 32, 0x100000);
  authority::store_le64(mmap + 40, 0x7ee0000);
  authority::store_le32(mmap + 48, 1);
  m.tag(kernel::multiboot2::mmap, mmap, sizeof mmap);
  byte framebuffer[16] = {};
  m.tag(8, framebuffer, sizeof framebuffer);  // a tag the kernel does not use
  return m;
}

authority::error mbi_error(authority::bytes_view info) {
  boot_info out;
  return kernel::multiboot2::read_boot_info(info, 0x10000, out).error();
}

}  // namespace

SELFTEST("kernel/boot info from Multiboot2") {
  auto m = grub_like_info();
  const auto info = m.finish();
  boot_info out;
  ST_REQUIRE(kernel::multiboot2::read_boot_info(info, 0x10000, out).ok());
  ST_CHECK(out.protocol == "multiboot2");
  ST_CHECK(out.command_line == "console=ttyS0");
  ST_CHECK((out.bundle == memory_range{0x123000, 0x200}));
  ST_REQUIRE(out.ram.size() == 2);
  ST_CHECK((out.ram[1] == memory_range{0x100000, 0x7ee0000}));
  ST_REQUIRE(out.reserved.size() == 2);  // the information itself and the module
  ST_CHECK((out.reserved[0] == memory_range{0x10000, info.size()}));
}

SELFTEST("kernel/boot info Multiboot2 errors name the field") {
  auto good = grub_like_info();
  const auto info = good.finish();
  {
    auto m = good;
    authority::store_le32(m.buf, static_cast<std::uint32_t>(info.size() + 8));  // total_size past the input
    ST_CHECK(mbi_error({m.buf, info.size()}).code == errc::out_of_range);
  }
  {
    auto m = good;
    authority::store_le32(m.buf + 12, 4);  // first tag's size below its own header
    auto e = mbi_error({m.buf, info.size()});
    ST_CHECK(e.code == errc::out_of_range && e.field == "multiboot2.tag_size" && e.offset == 12);
  }
  {
    auto m = good;
    authority::store_le32(m.buf + 12, 0x1000);  // first tag runs past total_size
    ST_CHECK(mbi_error({m.buf, info.size()}).code == errc::out_of_range);
  }
  {
    auto m = good;
    m.buf[8 + 8 + 13] = 'X';  // the command line loses its NUL
    auto e = mbi_error({m.buf, info.size()});
    ST_CHECK(e.code == errc::truncated && e.field == "multiboot2.cmdline");
  }
  {
    mbi_builder m;  // no end tag: total_size covers only the header
    authority::store_le32(m.buf, 16);
    ST_CHECK(mbi_error({m.buf, 16}).code == errc::out_of_range);
  }
  {
    mbi_builder m;  // no memory map
    ST_CHECK(mbi_error(m.finish()).code == errc::not_found);
  }
  {
    mbi_builder m;  // module ends before it starts
    byte module[9] = {};
    authority::store_le32(module, 0x2000);
    authority::store_le32(module + 4, 0x1000);
    m.tag(kernel::multiboot2::module, module, sizeof module);
    ST_CHECK(mbi_error(m.finish()).field == "multiboot2.module.mod_end");
  }
  std::size_t refused = 0;
  for (std::size_t i = 0; i < info.size(); ++i) {
    auto m = good;
    m.buf[i] ^= 0xff;
    boot_info out;
    if (!kernel::multiboot2::read_boot_info({m.buf, info.size()}, 0, out).ok()) ++refused;
  }
  ST_CHECK(refused > 0);
}

namespace {

// PVH "physical memory": addresses are offsets into this buffer.
alignas(8) byte pvh_memory[1024];

authority::bytes_view pvh_physical(std::uint64_t address, std::size_t size) {
  if (address > sizeof pvh_memory) return {};
  return {pvh_memory + address, size < sizeof pvh_memory - address ? size : sizeof pvh_memory - address};
}

void write_pvh_start_info(std::uint32_t version, std::uint32_t memmap_entries) {
  for (auto& b : pvh_memory) b = 0;
  authority::store_le32(pvh_memory, kernel::pvh::start_info_magic);
  authority::store_le32(pvh_memory + 4, version);
  authority::store_le32(pvh_memory + 12, 1);      // nr_modules
  authority::store_le64(pvh_memory + 16, 0x100);  // modlist
  authority::store_le64(pvh_memory + 24, 0x200);  // cmdline
  authority::store_le64(pvh_memory + 40, 0x300);  // memmap
  authority::store_le32(pvh_memory + 48, memmap_entries);
  authority::store_le64(pvh_memory + 0x100, 0x7fd7000);
  authority::store_le64(pvh_memory + 0x108, 0x200);
  for (int i = 0; i < 6; ++i) pvh_memory[0x200 + i] = static_cast<byte>("fast=1"[i]);
  authority::store_le64(pvh_memory + 0x300, 0x100000);
  authority::store_le64(pvh_memory + 0x308, 0x7ee0000);
  authority::store_le32(pvh_memory + 0x310, kernel::pvh::ram);
  authority::store_le64(pvh_memory + 0x318, 0xfffc0000);
  authority::store_le64(pvh_memory + 0x320, 0x40000);
  authority::store_le32(pvh_memory + 0x328, 2);
}

}  // namespace

SELFTEST("kernel/boot info from PVH start info") {
  write_pvh_start_info(1, 2);
  boot_info out;
  ST_REQUIRE(kernel::pvh::read_boot_info(0, pvh_physical, out).ok());
  ST_CHECK(out.protocol == "pvh");
  ST_CHECK(out.command_line == "fast=1");
  ST_CHECK((out.bundle == memory_range{0x7fd7000, 0x200}));
  ST_REQUIRE(out.ram.size() == 1);
  ST_CHECK((out.ram[0] == memory_range{0x100000, 0x7ee0000}));

  write_pvh_start_info(0, 2);
  boot_info v0;
  ST_CHECK(kernel::pvh::read_boot_info(0, pvh_physical, v0).code() == errc::unsupported_version);
  write_pvh_start_info(1, 1000);
  boot_info many;
  ST_CHECK(kernel::pvh::read_boot_info(0, pvh_physical, many).code() == errc::out_of_range);
  write_pvh_start_info(1, 2);
  pvh_memory[0] ^= 1;
  boot_info bad;
  ST_CHECK(kernel::pvh::read_boot_info(0, pvh_physical, bad).code() == errc::bad_magic);
  write_pvh_start_info(1, 2);
  authority::store_le64(pvh_memory + 40, 0x3f0);  // the memory map runs past readable memory
  boot_info unreadable;
  auto e = kernel::pvh::read_boot_info(0, pvh_physical, unreadable).error();
  ST_CHECK(e.code == errc::out_of_range && e.field == "pvh.memmap_paddr");
}
