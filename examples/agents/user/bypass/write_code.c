/* W^X: write into the agent's own code (mapped read + execute). */
#define AUTHORITY_AGENT_MAIN
#include "authority_agent.h"

int agent_main(void) {
  volatile uint8_t* code = (volatile uint8_t*)(uintptr_t)&agent_main;
  code[0] = 0xc3;
  return 0;
}
