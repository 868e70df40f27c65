/* An undefined instruction. */
#define AUTHORITY_AGENT_MAIN
#include "authority_agent.h"

int agent_main(void) {
#if defined(__x86_64__)
  __asm__ volatile("ud2");
#elif defined(__aarch64__)
  __asm__ volatile(".inst 0x00000000");
#else
  __asm__ volatile("unimp");
#endif
  return 0;
}
