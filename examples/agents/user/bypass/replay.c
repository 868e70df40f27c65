/* Bypass attempt: replay — the same frame (same sequence number) twice, then an older
 * one. The first is allowed; the others are denied (sequence_replay). */
#define AUTHORITY_AGENT_MAIN
#include "common.h"

int agent_main(void) {
  if (load_caps() != AA_OK) return 100;
  aa_request q;
  for (size_t i = 0; i < sizeof q; ++i) ((volatile uint8_t*)&q)[i] = 0;
  q.op = AA_OP_FS_READ;
  q.seq = 5;
  q.target = "/data/report.txt";
  q.capability = aa_cap_at(caps_blob, caps_len, 0, &q.capability_len);
  const size_t n = aa_encode_request(&q, frame_buffer, sizeof frame_buffer);
  if (aa_effect(frame_buffer, n, 0).status != AA_OK) return 1;
  if (aa_effect(frame_buffer, n, 0).status != AA_SEQUENCE_REPLAY) return 2;
  q.seq = 4;
  const size_t m = aa_encode_request(&q, frame_buffer, sizeof frame_buffer);
  const uint64_t s = aa_effect(frame_buffer, m, 0).status;
  if (s == AA_OK) return 3;
  return 0;
}
