// The product image: enforcement from the boot bundle (enforcement.hpp). The workload's
// request frames go through the gate service one by one; every audit entry leaves over
// the serial line (and has left it: transmitter empty) before the gate answers. A
// refused bundle or policy is said on the console; the kernel then denies everything
// and exits exit_no_policy instead of stopping at boot.
#include "arch.hpp"
#include "clock.hpp"
#include "console.hpp"
#include "enforcement.hpp"
#include "kernel.hpp"
#include "stack.hpp"

namespace kernel {
namespace {

struct console_writer {
  void operator()(std::string_view s) const noexcept { console_write(s); }
};
struct serial_port {
  static void drain() noexcept { arch::console_flush(); }
  static std::uint64_t now_ns() noexcept { return monotonic_clock{}.now_ns(); }
};
using serial_sink = console_audit_sink<const console_writer, serial_port>;

const console_writer console{};
enforcement_storage<serial_sink> storage;  // ~400 KiB: .bss, never the stack

}  // namespace

int run(environment& env) noexcept {
  // No bundle at all is refused like a bad one: there is nothing to enforce.
  const auto archive_error =
      env.bundle_bytes.empty() ? authority::make_error(authority::errc::not_found, "bundle") : env.bundle_error;
  stack::paint_unused();
  const auto outcome =
      enforce_bundle(env.bundle_bytes, env.bundle, archive_error, storage, console, &serial_port::now_ns, console);
  const std::size_t used = stack::high_water();
  print("gate: stack high-water mark {} of {} bytes\n", used, stack::size());
  // A run that went off the stack has scribbled over .bss: its answers mean nothing.
  if (used >= stack::size() - 64) panic("stack overflow during enforcement ({} bytes)", stack::size());
  return outcome == enforcement_outcome::enforced ? exit_ok : exit_no_policy;
}

}  // namespace kernel
