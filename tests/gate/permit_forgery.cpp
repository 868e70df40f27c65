// Compile-time INV-1: only the gate can make an effect_permit, so no code can call an
// executor with an authorization the gate did not give. ctest compiles this file twice:
// as is (must compile: the control), and with -DFORGE (must NOT compile).
#include "authority/gate.hpp"

struct executor {
  authority::effect_result execute(const authority::effect_permit&, const authority::effect_request&) { return {}; }
};
static_assert(authority::effect_executor<executor>);

int main() {
  executor x;
  authority::effect_request request;
#ifdef FORGE
  // A made-up permit to call the executor directly, bypassing the gate.
  const auto* info = authority::find_effect("fs.write");
  authority::effect_permit forged{*info, "/etc/shadow", "", 1};
  x.execute(forged, request);
#endif
  (void)x;
  (void)request;
  return 0;
}
