/* The example agent: reads its capabilities, asks for one allowed and one denied
 * effect, asks why the second was denied, and exits 0 when every answer is as expected.
 * Capabilities (agents/hello.caps): 0 = fs read of everything under /data. */
#define AUTHORITY_AGENT_MAIN
#include "common.h"

int agent_main(void) {
  if (load_caps() != AA_OK) return 1;
  aa_response resp;
  aa_result r = request(AA_OP_FS_READ, "/data/report.txt", 0, 0, &resp);
  if (r.status != AA_OK || !resp.allow || r.value != resp.decision_seq) return 2;
  r = request(AA_OP_FS_READ, "/data/secret/api-key.txt", 0, 0, &resp);
  if (r.status == AA_OK || resp.allow) return 3;
  aa_denial d;
  if (aa_last_denial(&d).status != AA_OK || !d.present || d.reason != r.status) return 4;
  if (aa_yield() != AA_OK) return 5;
  return 0;
}
