// Booting a kernel image with a bundle under QEMU (software emulation) and streaming its
// serial console to the caller, line by line, as it arrives. The QEMU command lines are
// the ones scripts/boot-kernel.sh uses; x86_64 boots through GRUB (an ISO made with
// grub-mkrescue holding the kernel and the bundle as a Multiboot2 module), the product
// path, or directly through the image's PVH note.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace authority::cli {

struct qemu_boot_request {
  std::string arch;           // x86_64, aarch64, riscv64
  std::string image;          // the stripped ELF (x86_64, riscv64) or raw Image (aarch64)
  std::string bundle_path;    // the boot bundle, as a file
  bool grub = true;           // x86_64: GRUB ISO (else -kernel with the PVH note)
  int timeout_seconds = 120;
  std::string memory = "128M";
};

struct qemu_boot_result {
  std::optional<int> kernel_status;  // the status the kernel exited with
  bool timed_out = false;
  std::string error;                 // QEMU or grub-mkrescue could not run; no status
  std::chrono::steady_clock::time_point started{};  // when QEMU was started
  std::string command;               // the QEMU command line, for the user
};

// The stripped image `authority run` boots by default: beside this executable, in
// ports/nanos-kernel/<arch>/ of the build tree.
std::string default_kernel_image(const std::string& arch);

// Calls on_output with the console's bytes as they arrive (in arbitrary pieces).
qemu_boot_result boot_qemu(const qemu_boot_request& request, const std::function<void(std::string_view)>& on_output);

}  // namespace authority::cli
