/* Bypass attempt: a privileged instruction — halt the machine (x86_64 hlt, aarch64 wfi
 * is allowed at EL0 unless trapped, so: msr daifset; riscv64 wfi in U-mode is illegal). */
#define AUTHORITY_AGENT_MAIN
#include "authority_agent.h"

int agent_main(void) {
#if defined(__x86_64__)
  __asm__ volatile("hlt");
#elif defined(__aarch64__)
  __asm__ volatile("msr daifset, #0xf");
#else
  __asm__ volatile("wfi");
#endif
  return 0;
}
