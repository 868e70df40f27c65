/* Revocation reaches delegated tokens: spawn a child with a token delegated from this
 * agent's, then revoke this agent's token. The child (children/reader-revoked.elf) runs
 * after this agent ends and finds its token revoked. This agent's own token is refused
 * at once too. Capabilities: 0 = fs read of everything under /data (a token of its own). */
#define AUTHORITY_AGENT_MAIN
#include "common.h"

static uint8_t spec_buffer[2048];

int agent_main(void) {
  if (load_caps() != AA_OK) return 100;
  size_t len = 0;
  const uint8_t* token = aa_cap_at(caps_blob, caps_len, 0, &len);
  aa_spec s = {spec_buffer, sizeof spec_buffer, 0, 0};
  aa_spec_begin_budget(&s, 0);
  aa_spec_begin_caps(&s, 1);
  aa_spec_cap(&s, token, len, "/data/report.txt", 1, 60000);
  if (aa_spawn("reader-revoked", 14, spec_buffer, s.at).status != AA_OK) return 1;
  if (request(AA_OP_FS_READ, "/data/report.txt", 0, 0, 0).status != AA_OK) return 2;
  if (aa_revoke(token, len) != AA_OK) return 3;
  if (request(AA_OP_FS_READ, "/data/report.txt", 0, 0, 0).status != AA_REVOKED) return 4;
  /* A made-up token cannot be revoked (nor revoke anything): bad_mac. */
  uint8_t forged[512];
  for (size_t i = 0; i < len && i < sizeof forged; ++i) forged[i] = token[i];
  forged[len - 1] ^= 1;
  if (aa_revoke(forged, len) != AA_BAD_MAC) return 5;
  return 0;
}
