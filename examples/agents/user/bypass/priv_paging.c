/* Bypass attempt: switch page tables (x86_64 mov to cr3; aarch64 TTBR0_EL1; riscv64 satp). */
#define AUTHORITY_AGENT_MAIN
#include "authority_agent.h"

int agent_main(void) {
#if defined(__x86_64__)
  __asm__ volatile("mov %0, %%cr3" ::"r"((uint64_t)0x1000));
#elif defined(__aarch64__)
  __asm__ volatile("msr ttbr0_el1, xzr");
#else
  __asm__ volatile("csrw satp, zero");
#endif
  return 0;
}
