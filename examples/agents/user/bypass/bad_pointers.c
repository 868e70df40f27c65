/* Bypass attempt through the system-call interface: kernel and unmapped pointers, and a
 * read-only buffer to write into. Every call must fail with bad_address and leave no
 * decision; exits 0 when all did, else the number of the check that did not. */
#define AUTHORITY_AGENT_MAIN
#include "common.h"

#if defined(__x86_64__)
#define KERNEL_ADDRESS 0x100000
#elif defined(__aarch64__)
#define KERNEL_ADDRESS 0x40080000
#else
#define KERNEL_ADDRESS 0x80200000
#endif
#define UNMAPPED 0x7000000

static const uint8_t read_only[64] = {1};

int agent_main(void) {
  if (load_caps() != AA_OK) return 100;
  aa_request q;
  for (size_t i = 0; i < sizeof q; ++i) ((volatile uint8_t*)&q)[i] = 0;
  q.op = AA_OP_FS_READ;
  q.seq = next_seq++;
  q.target = "/data/report.txt";
  q.capability = aa_cap_at(caps_blob, caps_len, 0, &q.capability_len);
  const size_t n = aa_encode_request(&q, frame_buffer, sizeof frame_buffer);
  const uintptr_t base = (uintptr_t)&agent_main & ~(uintptr_t)0xfffffff;
  if (aa_effect((const void*)(uintptr_t)KERNEL_ADDRESS, n, 0).status != AA_BAD_ADDRESS) return 1;
  if (aa_effect((const void*)(base + UNMAPPED), n, 0).status != AA_BAD_ADDRESS) return 2;
  if (aa_effect(frame_buffer, n, (aa_response*)(uintptr_t)KERNEL_ADDRESS).status != AA_BAD_ADDRESS) return 3;
  if (aa_effect(frame_buffer, n, (aa_response*)(uintptr_t)read_only).status != AA_BAD_ADDRESS) return 4;
  if (aa_capabilities((void*)(uintptr_t)KERNEL_ADDRESS, 4096).status != AA_BAD_ADDRESS) return 5;
  if (aa_syscall(99, 0, 0, 0, 0, 0).status != AA_BAD_SYSCALL) return 7;
  /* A frame that straddles the end of the agent's memory. */
  if (aa_effect(frame_buffer, 65536, 0).status != AA_BAD_ADDRESS) return 8;
  /* The same request with good pointers is decided (seq 1 was never used). */
  aa_response resp;
  if (aa_effect(frame_buffer, n, &resp).status != AA_OK || !resp.allow) return 9;
  /* After a denial, "why?" into unmapped memory is refused too. */
  if (request(AA_OP_FS_READ, "/data/secret/api-key.txt", 0, 0, &resp).status == AA_OK) return 10;
  if (aa_last_denial((aa_denial*)(uintptr_t)(base + UNMAPPED)).status != AA_BAD_ADDRESS) return 6;
  return 0;
}
