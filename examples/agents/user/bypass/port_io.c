/* Bypass attempt (x86_64): port I/O to QEMU's isa-debug-exit (0xf4). If it were
 * permitted QEMU would exit at once with status 2*0x41+1: the run would end here. */
#define AUTHORITY_AGENT_MAIN
#include "authority_agent.h"

int agent_main(void) {
#if defined(__x86_64__)
  __asm__ volatile("outl %0, %1" ::"a"((uint32_t)0x41), "Nd"((uint16_t)0xf4));
  uint8_t v;
  __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"((uint16_t)0x61));
  return v;
#else
  return 0;
#endif
}
