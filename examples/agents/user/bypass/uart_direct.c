/* Bypass attempt: write the serial console directly, skipping the gate.
 * x86_64: COM1 is port 0x3f8 (port I/O: #GP at IOPL 0); aarch64: PL011 MMIO at
 * 0x09000000; riscv64: NS16550 MMIO at 0x10000000 (neither mapped for agents). */
#define AUTHORITY_AGENT_MAIN
#include "authority_agent.h"

int agent_main(void) {
#if defined(__x86_64__)
  __asm__ volatile("outb %0, %1" ::"a"((uint8_t)'X'), "Nd"((uint16_t)0x3f8));
#elif defined(__aarch64__)
  *(volatile uint32_t*)0x09000000 = 'X';
#else
  *(volatile uint8_t*)0x10000000 = 'X';
#endif
  return 0; /* reaching this is the failure */
}
