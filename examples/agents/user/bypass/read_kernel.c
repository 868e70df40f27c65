/* Bypass attempt: read kernel memory (the kernel image's first page; x86_64 loads it at
 * 1 MiB, aarch64 at 0x40080000, riscv64 at 0x80200000). */
#define AUTHORITY_AGENT_MAIN
#include "authority_agent.h"

#if defined(__x86_64__)
#define KERNEL_ADDRESS 0x100000
#elif defined(__aarch64__)
#define KERNEL_ADDRESS 0x40080000
#else
#define KERNEL_ADDRESS 0x80200000
#endif

int agent_main(void) { return (int)*(volatile uint32_t*)KERNEL_ADDRESS; }
