/* Bypass attempt: a forged capability — the agent's own token with a bit of its MAC
 * flipped, then a token for a wider resource made up by the agent. Both must be denied
 * (bad_mac). Exits 0 when they were. */
#define AUTHORITY_AGENT_MAIN
#include "common.h"

int agent_main(void) {
  if (load_caps() != AA_OK) return 100;
  size_t len = 0;
  uint8_t* token = (uint8_t*)aa_cap_at(caps_blob, caps_len, 0, &len);
  if (!token || len < 33) return 101;
  token[len - 1] ^= 1; /* the MAC is the token's last 32 bytes */
  aa_response resp;
  aa_result r = request(AA_OP_FS_READ, "/data/report.txt", 0, 0, &resp);
  if (r.status != AA_BAD_MAC || resp.allow) return 1;
  token[len - 1] ^= 1;
  /* Widen the resource pattern in place (same length): from the data tree to the root. */
  for (size_t i = 0; i + 8 <= len; ++i)
    if (memcmp(token + i, "/data/**", 8) == 0) memcpy(token + i, "/*******", 8);
  r = request(AA_OP_FS_READ, "/etc/passwd", 0, 0, &resp);
  if (r.status != AA_BAD_MAC || resp.allow) return 2;
  return 0;
}
