/* Bypass attempt: write kernel memory. */
#define AUTHORITY_AGENT_MAIN
#include "authority_agent.h"

#if defined(__x86_64__)
#define KERNEL_ADDRESS 0x100000
#elif defined(__aarch64__)
#define KERNEL_ADDRESS 0x40080000
#else
#define KERNEL_ADDRESS 0x80200000
#endif

int agent_main(void) {
  *(volatile uint32_t*)(KERNEL_ADDRESS + 0x1000) = 0xdeadbeef;
  return 0;
}
