/* W^X: execute code written onto the stack (mapped read + write, not execute). */
#define AUTHORITY_AGENT_MAIN
#include "authority_agent.h"

int agent_main(void) {
  volatile uint8_t code[16];
#if defined(__x86_64__)
  code[0] = 0xc3; /* ret */
#elif defined(__aarch64__)
  code[0] = 0xc0, code[1] = 0x03, code[2] = 0x5f, code[3] = 0xd6; /* ret */
#else
  code[0] = 0x82, code[1] = 0x80; /* c.jr ra */
#endif
  void (*f)(void) = (void (*)(void))(uintptr_t)code;
  f();
  return 0;
}
