/* Bypass attempt: jump into kernel code. */
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
  void (*volatile f)(void) = (void (*)(void))(uintptr_t)KERNEL_ADDRESS;
  f();
  return 0;
}
