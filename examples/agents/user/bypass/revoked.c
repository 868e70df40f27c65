/* Bypass attempt: use a revoked capability. The bundle gives this agent a token that is
 * also listed in authority/revoked; it must be denied (revoked) every time. */
#define AUTHORITY_AGENT_MAIN
#include "common.h"

int agent_main(void) {
  if (load_caps() != AA_OK) return 100;
  aa_response resp;
  if (request(AA_OP_FS_READ, "/data/report.txt", 0, 0, &resp).status != AA_REVOKED || resp.allow) return 1;
  if (request(AA_OP_FS_READ, "/data/report.txt", 0, 0, &resp).status != AA_REVOKED || resp.allow) return 2;
  return 0;
}
