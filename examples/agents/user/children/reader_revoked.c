/* A spawned child (bypass/spawn_revoke.c) whose parent revoked its own token after the
 * spawn: the delegated token is revoked with it. */
#define AUTHORITY_AGENT_MAIN
#include "common.h"

int agent_main(void) {
  if (load_caps() != AA_OK) return 100;
  if (request(AA_OP_FS_READ, "/data/report.txt", 0, 0, 0).status != AA_REVOKED) return 1;
  return 0;
}
