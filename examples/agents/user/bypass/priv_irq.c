/* Bypass attempt: mask interrupts (x86_64 cli; aarch64: write VBAR_EL1; riscv64: csrw sstatus). */
#define AUTHORITY_AGENT_MAIN
#include "authority_agent.h"

int agent_main(void) {
#if defined(__x86_64__)
  __asm__ volatile("cli");
#elif defined(__aarch64__)
  __asm__ volatile("msr vbar_el1, xzr");
#else
  __asm__ volatile("csrw sstatus, zero");
#endif
  return 0;
}
