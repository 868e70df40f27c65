/* Spawn: a child may only get less than its parent. Asking for a wider resource, more
 * methods or a bigger budget is refused (widens_resource, widens_methods,
 * budget_exceeded). An attenuated child is allowed; its carved budget is held in the
 * parent's account until the child returns (so the parent's own spending is capped
 * sooner), and a second pending child is refused. The child (children/reader.elf) runs
 * after this agent ends and checks its own narrowed rights.
 * Capabilities: 0 = fs read of everything under /data, 1 = infer claude-*. */
#define AUTHORITY_AGENT_MAIN
#include "common.h"

static uint8_t spec_buffer[2048];

static aa_result spawn_reader(const char* resource, uint32_t methods, uint64_t tokens_budget) {
  aa_spec s = {spec_buffer, sizeof spec_buffer, 0, 0};
  aa_spec_begin_budget(&s, 1);
  aa_spec_budget(&s, AA_RESOURCE_TOKENS, tokens_budget);
  aa_spec_begin_caps(&s, 1);
  size_t len = 0;
  const uint8_t* parent = aa_cap_at(caps_blob, caps_len, 0, &len);
  aa_spec_cap(&s, parent, len, resource, methods, 60000);
  return aa_spawn("reader", 6, spec_buffer, s.at);
}

int agent_main(void) {
  if (load_caps() != AA_OK) return 100;
  if (spawn_reader("/**", 1, 100).status != AA_WIDENS_RESOURCE) return 1;
  if (spawn_reader("/data/**", 0xffff, 100).status != AA_WIDENS_METHODS) return 2;
  if (spawn_reader("/data/report.txt", 1, 20000).status != AA_BUDGET_EXCEEDED) return 3;
  if (spawn_reader("/data/report.txt", 1, 5000).status != AA_OK) return 4;
  if (spawn_reader("/data/report.txt", 1, 100).status != AA_CAPACITY_EXCEEDED) return 5;
  /* 10,000 tokens, 5,000 carved for the child: 4,000 fit, another 4,000 do not. */
  if (request(AA_OP_INFER, "claude-3-haiku", 1, 4000, 0).status != AA_OK) return 6;
  if (request(AA_OP_INFER, "claude-3-haiku", 1, 4000, 0).status != AA_BUDGET_EXCEEDED) return 7;
  return 0;
}
