/* Measures system-call round trips on the arch's cycle counter (x86_64: rdtsc in ring 3)
 * and exits with the mean of one kind, chosen at build time (BENCH_KIND):
 *   1 yield (the bare round trip), 2 an allowed effect, 3 a denied effect.
 * Capabilities: 0 = fs read of everything under /data. The kernel prints its own gate_service::handle
 * time for the same calls at exit (docs/kernel.md, "System calls"). */
#define AUTHORITY_AGENT_MAIN
#include "common.h"

#ifndef BENCH_KIND
#define BENCH_KIND 1
#endif
#define ROUNDS 64

int agent_main(void) {
  if (load_caps() != AA_OK) return -1;
  uint64_t total = 0;
  for (int i = 0; i < ROUNDS; ++i) {
#if BENCH_KIND == 1
    const uint64_t t0 = aa_cycles();
    aa_yield();
    total += aa_cycles() - t0;
#else
    aa_request q;
    for (size_t k = 0; k < sizeof q; ++k) ((volatile uint8_t*)&q)[k] = 0;
    q.op = AA_OP_FS_READ;
    q.seq = next_seq++;
    q.target = BENCH_KIND == 2 ? "/data/report.txt" : "/data/secret/api-key.txt";
    q.capability = aa_cap_at(caps_blob, caps_len, 0, &q.capability_len);
    const size_t n = aa_encode_request(&q, frame_buffer, sizeof frame_buffer);
    const uint64_t t0 = aa_cycles();
    const aa_result r = aa_effect(frame_buffer, n, 0);
    total += aa_cycles() - t0;
    if ((BENCH_KIND == 2) != (r.status == AA_OK)) return -2;
#endif
  }
  return (int)(total / ROUNDS);
}
