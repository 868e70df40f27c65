/* Shared by the example agents: the agent's capability tokens and a one-call effect. */
#ifndef EXAMPLE_AGENT_COMMON_H
#define EXAMPLE_AGENT_COMMON_H
#include "authority_agent.h"

static uint8_t caps_blob[4096];
static size_t caps_len;
static uint64_t next_seq = 1;
static uint8_t frame_buffer[1024];

/* Loads the agent's tokens (authority/caps member of the bundle); 0 on success. */
static inline uint64_t load_caps(void) {
  aa_result r = aa_capabilities(caps_blob, sizeof caps_blob);
  caps_len = (size_t)r.value;
  return r.status;
}

/* Builds a frame with token `cap` (or none for cap < 0) and sends it. */
static inline aa_result request(uint16_t op, const char* target, int cap, uint64_t tokens_cost, aa_response* response) {
  aa_request q;
  for (size_t i = 0; i < sizeof q; ++i) ((volatile uint8_t*)&q)[i] = 0;
  q.op = op;
  q.seq = next_seq++;
  q.target = target;
  if (tokens_cost) {
    q.tokens = tokens_cost;
    q.cost[AA_RESOURCE_TOKENS] = tokens_cost;
  }
  if (cap >= 0) q.capability = aa_cap_at(caps_blob, caps_len, (size_t)cap, &q.capability_len);
  const size_t n = aa_encode_request(&q, frame_buffer, sizeof frame_buffer);
  return aa_effect(frame_buffer, n, response);
}
#endif
