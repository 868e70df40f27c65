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
#if __has_include("arch_user.hpp")
#include "agents.hpp"
#define KERNEL_USER_MODE 1
#endif

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
#ifdef KERNEL_USER_MODE
agents::agent_slot<enforcement<serial_sink>> agent_slot;  // the running agent (~70 KiB)
agents::agent_slot<enforcement<serial_sink>> child_slot;  // the child it spawned
agents::spawn_scratch spawn_scratch;
#endif

}  // namespace

int run(environment& env) noexcept {
  // No bundle at all is refused like a bad one: there is nothing to enforce.
  const auto archive_error =
      env.bundle_bytes.empty() ? authority::make_error(authority::errc::not_found, "bundle") : env.bundle_error;
  stack::paint_unused();
  // After the workload: the bundle's user-mode agents (agents/<name>.elf), each in its
  // own address space, their system calls through the same gate service.
  auto run_agents = [&](enforcement<serial_sink>& enforcer) {
#ifdef KERNEL_USER_MODE
    if (auto ready = arch::user_init(); !ready) {
      print("agents: user mode unavailable: {}\n", authority::name_of(ready.error().code));
      return;
    }
    agents::runner<enforcement<serial_sink>, const console_writer> r{enforcer,   agent_slot, child_slot, spawn_scratch,
                                                                      env.frames, console,    &arch::counter};
    r.run_all(*env.bundle);
#else
    bool any = false;
    env.bundle->for_each([&](const cpio::entry& e) {
      any = any || e.name.starts_with("agents/");
      return !any;
    });
    if (any) print("agents: user mode is not implemented on {}: the bundle's agents are not run\n", arch::name());
    (void)enforcer;
#endif
  };
  const auto outcome = enforce_bundle_then(env.bundle_bytes, env.bundle, archive_error, storage, console,
                                           &serial_port::now_ns, run_agents, console);
  const std::size_t used = stack::high_water();
  print("gate: stack high-water mark {} of {} bytes\n", used, stack::size());
  // A run that went off the stack has scribbled over .bss: its answers mean nothing.
  if (used >= stack::size() - 64) panic("stack overflow during enforcement ({} bytes)", stack::size());
  return outcome == enforcement_outcome::enforced ? exit_ok : exit_no_policy;
}

}  // namespace kernel
