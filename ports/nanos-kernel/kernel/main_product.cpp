// The product image. This stage boots, checks its bundle and reports; the in-kernel
// gate and executor join here in a later stage.
#include "console.hpp"
#include "kernel.hpp"

int kernel::run(environment& env) noexcept {
  print("authority kernel ready: bundle {}\n", env.bundle ? "loaded" : "absent");
  return exit_ok;
}
