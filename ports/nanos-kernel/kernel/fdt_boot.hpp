// Device-tree boot (aarch64, riscv64): find the blob and read it into boot_info.
#pragma once

#include <cstdint>

#include "fdt.hpp"
#include "memory_map.hpp"

namespace kernel {

inline authority::result<void> read_fdt_boot_info(std::uintptr_t address, boot_info& out) noexcept {
  if (address == 0) return authority::make_error(authority::errc::not_found, "fdt.address");
  const auto* p = reinterpret_cast<const authority::byte*>(address);
  AUTHORITY_TRY_ASSIGN(const std::uint32_t size, fdt::blob_size(p));
  return fdt::read_boot_info({p, size}, address, out);
}

}  // namespace kernel
