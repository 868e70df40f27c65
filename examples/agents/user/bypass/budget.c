/* Bypass attempt: spend more than the budget. The demo policy allows 10,000 model tokens
 * and 4,000 per request: two requests of 4,000 pass, the third would exceed the budget
 * and is denied (budget_exceeded), as is every later one. */
#define AUTHORITY_AGENT_MAIN
#include "common.h"

int agent_main(void) {
  if (load_caps() != AA_OK) return 100;
  if (request(AA_OP_INFER, "claude-3-haiku", 0, 4000, 0).status != AA_OK) return 1;
  if (request(AA_OP_INFER, "claude-3-haiku", 0, 4000, 0).status != AA_OK) return 2;
  if (request(AA_OP_INFER, "claude-3-haiku", 0, 4000, 0).status != AA_BUDGET_EXCEEDED) return 3;
  if (request(AA_OP_INFER, "claude-3-haiku", 0, 1, 0).status == AA_OK) return 0; /* 1 token still fits */
  return 4;
}
