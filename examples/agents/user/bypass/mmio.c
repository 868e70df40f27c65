/* Bypass attempt: device MMIO. x86_64: the local APIC at 0xfee00000 (in the kernel's
 * supervisor-only map); aarch64/riscv64: the UART's MMIO page. */
#define AUTHORITY_AGENT_MAIN
#include "authority_agent.h"

int agent_main(void) {
#if defined(__x86_64__)
  *(volatile uint32_t*)0xfee000b0 = 0;
#elif defined(__aarch64__)
  (void)*(volatile uint32_t*)0x09000018;
#else
  (void)*(volatile uint8_t*)0x10000005;
#endif
  return 0;
}
