/* Denial of service: spin forever without a system call. The preemption timer brings
 * the kernel back; once the agent has used its CPU time (the policy's cpu_time_ns, else
 * the kernel's default) it is ended (deadline_exceeded) and the next agent runs. */
#define AUTHORITY_AGENT_MAIN
#include "authority_agent.h"

int agent_main(void) {
  for (volatile uint64_t i = 0;; ++i) {
  }
  return 0;
}
