// What the shared boot path hands to the kernel's mode (product, self-test, fault).
#pragma once

#include <optional>

#include "cpio.hpp"
#include "heap.hpp"
#include "memory_map.hpp"
#include "page_frames.hpp"

namespace kernel {

struct environment {
  boot_info boot;
  memory_map memory;
  page_frame_allocator frames;
  kernel_heap heap;
  authority::bytes_view bundle_bytes{};  // the boot bundle as the loader placed it
  std::optional<cpio::archive> bundle;   // validated boot bundle, if one was loaded
  authority::error bundle_error{authority::errc::ok, {}, 0};  // why a present bundle was refused
};

// Implemented once per image variant (main_product.cpp, main_selftest.cpp,
// main_fault.cpp); returns the QEMU exit status.
int run(environment& env) noexcept;

}  // namespace kernel
