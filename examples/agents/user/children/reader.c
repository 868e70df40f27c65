/* A spawned child (bypass/spawn_wider.c): its one token was delegated for
 * /data/report.txt, read only. That file is allowed; anything else under /data is not
 * covered, and a child cannot spawn. */
#define AUTHORITY_AGENT_MAIN
#include "common.h"

int agent_main(void) {
  if (load_caps() != AA_OK) return 100;
  if (request(AA_OP_FS_READ, "/data/report.txt", 0, 0, 0).status != AA_OK) return 1;
  if (request(AA_OP_FS_READ, "/data/secret/api-key.txt", 0, 0, 0).status == AA_OK) return 2;
  if (request(AA_OP_FS_READ, "/data/other.txt", 0, 0, 0).status != 207 /* resource_not_covered */) return 3;
  if (aa_spawn("reader", 6, "\0\0", 2).status != AA_DEPTH_EXCEEDED) return 4;
  return 0;
}
