/* The Authority agent SDK: everything a user-mode agent of the nanos-kernel needs, in one
 * C header with no libc — system-call wrappers (docs/syscall-abi.md), a request-frame
 * encoder (include/authority/request_frame.hpp, docs/gate.md), the start-up code and the
 * few memory functions a compiler may call.
 *
 * Exactly one translation unit of an agent defines AUTHORITY_AGENT_MAIN before including
 * it: that one gets _start (calls `int agent_main(void)`, then exit with its value) and
 * memset/memcpy/memmove/memcmp. Build: static ELF64, -ffreestanding -nostdlib, linked
 * at the arch's user window (examples/agents/sdk/agent.ld; the kernel CMake builds the
 * examples per arch).
 */
#ifndef AUTHORITY_AGENT_H
#define AUTHORITY_AGENT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- system calls ------------------------------------------------------------------ */

enum {
  AA_SYS_EXIT = 0,
  AA_SYS_YIELD = 1,
  AA_SYS_EFFECT = 2,
  AA_SYS_LAST_DENIAL = 3,
  AA_SYS_CAPABILITIES = 4,
  AA_SYS_COUNTER = 5,
  AA_SYS_SPAWN = 6,
  AA_SYS_REVOKE = 7,
};

/* Error codes (docs/error-codes.md) an agent commonly looks at. */
enum {
  AA_OK = 0,
  AA_CAPACITY_EXCEEDED = 108,
  AA_NOT_FOUND = 112,
  AA_BAD_MAC = 202,
  AA_REVOKED = 205,
  AA_MISSING_CAPABILITY = 218,
  AA_NOT_ALLOWED = 302,
  AA_BUDGET_EXCEEDED = 400,
  AA_SEQUENCE_REPLAY = 600,
  AA_BAD_ADDRESS = 607,
  AA_BAD_SYSCALL = 608,
  AA_WIDENS_RESOURCE = 212,
  AA_WIDENS_METHODS = 213,
  AA_DEPTH_EXCEEDED = 217,
};

/* status in the first return register, value in the second. */
typedef struct {
  uint64_t status;
  uint64_t value;
} aa_result;

static inline aa_result aa_syscall(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4) {
  aa_result r;
#if defined(__x86_64__)
  register uint64_t r10 __asm__("r10") = a3;
  register uint64_t r8 __asm__("r8") = a4;
  uint64_t rax = nr, rdx = a2;
  __asm__ volatile("syscall" : "+a"(rax), "+d"(rdx) : "D"(a0), "S"(a1), "r"(r10), "r"(r8) : "rcx", "r11", "memory");
  r.status = rax;
  r.value = rdx;
#elif defined(__aarch64__)
  register uint64_t x8 __asm__("x8") = nr;
  register uint64_t x0 __asm__("x0") = a0;
  register uint64_t x1 __asm__("x1") = a1;
  register uint64_t x2 __asm__("x2") = a2;
  register uint64_t x3 __asm__("x3") = a3;
  register uint64_t x4 __asm__("x4") = a4;
  __asm__ volatile("svc #0" : "+r"(x0), "+r"(x1) : "r"(x8), "r"(x2), "r"(x3), "r"(x4) : "memory");
  r.status = x0;
  r.value = x1;
#elif defined(__riscv) && __riscv_xlen == 64
  register uint64_t a7_ __asm__("a7") = nr;
  register uint64_t a0_ __asm__("a0") = a0;
  register uint64_t a1_ __asm__("a1") = a1;
  register uint64_t a2_ __asm__("a2") = a2;
  register uint64_t a3_ __asm__("a3") = a3;
  register uint64_t a4_ __asm__("a4") = a4;
  __asm__ volatile("ecall" : "+r"(a0_), "+r"(a1_) : "r"(a7_), "r"(a2_), "r"(a3_), "r"(a4_) : "memory");
  r.status = a0_;
  r.value = a1_;
#else
#error "authority_agent.h: unsupported architecture"
#endif
  return r;
}

__attribute__((noreturn)) static inline void aa_exit(uint64_t code) {
  (void)aa_syscall(AA_SYS_EXIT, code, 0, 0, 0, 0);
  for (;;) {
  }
}
static inline uint64_t aa_yield(void) { return aa_syscall(AA_SYS_YIELD, 0, 0, 0, 0, 0).status; }

/* The gate's answer (32 bytes, docs/syscall-abi.md). */
typedef struct {
  uint8_t allow;
  uint8_t needs_capability;
  uint16_t reason;
  uint16_t op;
  uint8_t needed_type;
  uint8_t needed_method;
  uint32_t rule;
  uint16_t result_status;
  uint16_t reserved;
  uint64_t decision_seq;
  uint64_t outcome_seq;
} aa_response;

/* One effect request: status 0 = allowed, else the reason; value = the decision's audit
 * sequence number. `response` may be NULL. */
static inline aa_result aa_effect(const void* frame, size_t len, aa_response* response) {
  return aa_syscall(AA_SYS_EFFECT, (uint64_t)(uintptr_t)frame, len, (uint64_t)(uintptr_t)response, 0, 0);
}

/* The last denial: a 24-byte header then the target (docs/syscall-abi.md). */
typedef struct {
  uint8_t present;
  uint8_t needs_capability;
  uint16_t reason;
  uint16_t op;
  uint8_t needed_type;
  uint8_t needed_method;
  uint32_t rule;
  uint16_t target_len;
  uint16_t reserved;
  uint64_t seq;
  char target[232];
} aa_denial;

static inline aa_result aa_last_denial(aa_denial* d) {
  return aa_syscall(AA_SYS_LAST_DENIAL, (uint64_t)(uintptr_t)d, sizeof *d, 0, 0, 0);
}

/* The agent's own capability tokens: (len u16 LE, token) records. */
static inline aa_result aa_capabilities(void* buffer, size_t len) {
  return aa_syscall(AA_SYS_CAPABILITIES, (uint64_t)(uintptr_t)buffer, len, 0, 0, 0);
}

/* The i-th token of a capabilities blob, or NULL. */
static inline const uint8_t* aa_cap_at(const uint8_t* blob, size_t blob_len, size_t index, size_t* token_len) {
  size_t at = 0;
  for (size_t i = 0; at + 2 <= blob_len; ++i) {
    const size_t n = (size_t)blob[at] | ((size_t)blob[at + 1] << 8);
    if (at + 2 + n > blob_len) return 0;
    if (i == index) {
      *token_len = n;
      return blob + at + 2;
    }
    at += 2 + n;
  }
  return 0;
}

static inline uint64_t aa_counter(void) { return aa_syscall(AA_SYS_COUNTER, 0, 0, 0, 0, 0).value; }

/* The kernel's own counter, read in user mode where the arch allows it (x86_64: rdtsc;
 * riscv64: rdtime, permitted through scounteren; aarch64: CNTVCT_EL0, permitted through
 * CNTKCTL_EL1), else through the counter call. */
static inline uint64_t aa_cycles(void) {
#if defined(__x86_64__)
  uint32_t lo, hi;
  __asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi)::"memory");
  return ((uint64_t)hi << 32) | lo;
#elif defined(__riscv)
  uint64_t v;
  __asm__ volatile("rdtime %0" : "=r"(v)::"memory");
  return v;
#elif defined(__aarch64__)
  uint64_t v;
  __asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v)::"memory");
  return v;
#else
  return aa_counter();
#endif
}

/* Starts the child children/<name>.elf of the bundle with tokens delegated from the
 * caller's and a budget carved from the caller's (build the spec with aa_spec_*); it runs
 * after the caller ends. status 0, or why not (widens_*, budget_exceeded, ...). */
static inline aa_result aa_spawn(const char* name, size_t name_len, const void* spec, size_t spec_len) {
  return aa_syscall(AA_SYS_SPAWN, (uint64_t)(uintptr_t)name, name_len, (uint64_t)(uintptr_t)spec, spec_len, 0);
}

/* Revokes a token the caller presents (and so every token delegated from it). */
static inline uint64_t aa_revoke(const void* token, size_t len) {
  return aa_syscall(AA_SYS_REVOKE, (uint64_t)(uintptr_t)token, len, 0, 0, 0).status;
}

/* A spawn spec: budget (count u8, then resource u8 · amount u64), then tokens (count u8,
 * then parent token len u16 · bytes · child resource len u8 · bytes · methods u32 ·
 * ttl_ms u64). All little-endian. */
typedef struct {
  uint8_t* p;
  size_t size, at;
  int overflow;
} aa_spec;

static inline void aa_spec_le_(aa_spec* s, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) {
    if (s->at < s->size) s->p[s->at] = (uint8_t)(v >> (8 * i));
    else s->overflow = 1;
    ++s->at;
  }
}
static inline void aa_spec_bytes_(aa_spec* s, const void* b, size_t n) {
  for (size_t i = 0; i < n; ++i) aa_spec_le_(s, ((const uint8_t*)b)[i], 1);
}
/* count budget entries, then aa_spec_budget() count times */
static inline void aa_spec_begin_budget(aa_spec* s, uint8_t count) { aa_spec_le_(s, count, 1); }
static inline void aa_spec_budget(aa_spec* s, uint8_t resource, uint64_t amount) {
  aa_spec_le_(s, resource, 1);
  aa_spec_le_(s, amount, 8);
}
static inline void aa_spec_begin_caps(aa_spec* s, uint8_t count) { aa_spec_le_(s, count, 1); }
static inline void aa_spec_cap(aa_spec* s, const uint8_t* parent, size_t parent_len, const char* resource,
                               uint32_t methods, uint64_t ttl_ms) {
  size_t n = 0;
  while (resource[n]) ++n;
  aa_spec_le_(s, parent_len, 2);
  aa_spec_bytes_(s, parent, parent_len);
  aa_spec_le_(s, n, 1);
  aa_spec_bytes_(s, resource, n);
  aa_spec_le_(s, methods, 4);
  aa_spec_le_(s, ttl_ms, 8);
}

/* ---- request frames ---------------------------------------------------------------- */

enum {
  AA_OP_FS_READ = 0x0101,
  AA_OP_FS_WRITE = 0x0102,
  AA_OP_NET_CONNECT = 0x0202,
  AA_OP_TOOL_CALL = 0x0301,
  AA_OP_INFER = 0x0501,
  AA_OP_SPAWN = 0x0601,
};
enum { AA_RESOURCE_TOKENS = 0, AA_RESOURCE_COUNT = 15 };

typedef struct {
  uint16_t op;
  uint64_t seq; /* 1, 2, ... strictly increasing per agent */
  const char* target;
  const char* target2;
  const char* version;
  uint64_t tokens;
  uint64_t labels;
  uint64_t cost[AA_RESOURCE_COUNT]; /* declared costs by resource, 0 = none */
  const uint8_t* capability;
  size_t capability_len;
  const uint8_t* args;
  size_t args_len;
} aa_request;

static inline uint32_t aa_crc32c(const uint8_t* p, size_t n) {
  uint32_t c = 0xffffffffu;
  for (size_t i = 0; i < n; ++i) {
    c ^= p[i];
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0x82f63b78u & (0u - (c & 1u)));
  }
  return c ^ 0xffffffffu;
}

typedef struct {
  uint8_t* p;
  size_t size, at;
  int overflow;
} aa_writer_;

static inline void aa_put_(aa_writer_* w, uint8_t b) {
  if (w->at < w->size) w->p[w->at] = b;
  else w->overflow = 1;
  ++w->at;
}
static inline void aa_varint_(aa_writer_* w, uint64_t v) {
  while (v >= 0x80) {
    aa_put_(w, (uint8_t)(v | 0x80));
    v >>= 7;
  }
  aa_put_(w, (uint8_t)v);
}
static inline void aa_bytes_(aa_writer_* w, const uint8_t* b, size_t n) {
  aa_varint_(w, n);
  for (size_t i = 0; i < n; ++i) aa_put_(w, b[i]);
}
static inline size_t aa_strlen_(const char* s) {
  size_t n = 0;
  if (s)
    while (s[n]) ++n;
  return n;
}

/* Encodes one frame into out; returns its length, or 0 when it does not fit. */
static inline size_t aa_encode_request(const aa_request* r, uint8_t* out, size_t size) {
  if (size < 16) return 0;
  aa_writer_ w = {out + 16, size - 16, 0, 0};
  aa_put_(&w, (uint8_t)r->op);
  aa_put_(&w, (uint8_t)(r->op >> 8));
  aa_varint_(&w, r->seq);
  aa_bytes_(&w, (const uint8_t*)r->target, aa_strlen_(r->target));
  aa_bytes_(&w, (const uint8_t*)r->target2, aa_strlen_(r->target2));
  aa_bytes_(&w, (const uint8_t*)r->version, aa_strlen_(r->version));
  aa_varint_(&w, r->tokens);
  aa_varint_(&w, r->labels);
  uint8_t costs = 0;
  for (int i = 0; i < AA_RESOURCE_COUNT; ++i) costs = (uint8_t)(costs + (r->cost[i] != 0));
  aa_put_(&w, costs);
  for (int i = 0; i < AA_RESOURCE_COUNT; ++i)
    if (r->cost[i] != 0) {
      aa_put_(&w, (uint8_t)i);
      aa_varint_(&w, r->cost[i]);
    }
  aa_bytes_(&w, r->capability, r->capability_len);
  aa_bytes_(&w, r->args, r->args_len);
  if (w.overflow) return 0;
  const uint32_t len = (uint32_t)w.at, crc = aa_crc32c(out + 16, w.at);
  const uint8_t head[16] = {'A', 'R', 'Q', '1', 1, 0, 0, 0, (uint8_t)len, (uint8_t)(len >> 8), (uint8_t)(len >> 16),
                            (uint8_t)(len >> 24), (uint8_t)crc, (uint8_t)(crc >> 8), (uint8_t)(crc >> 16), (uint8_t)(crc >> 24)};
  for (int i = 0; i < 16; ++i) out[i] = head[i];
  return 16 + w.at;
}

/* ---- start-up ---------------------------------------------------------------------- */

int agent_main(void);

#ifdef AUTHORITY_AGENT_MAIN
/* The kernel enters at _start with the stack pointer at the top of the agent's stack. */
#if defined(__x86_64__)
__asm__(".text\n.global _start\n_start:\n  xor %ebp, %ebp\n  and $-16, %rsp\n  call aa_start_\n  ud2\n");
#elif defined(__aarch64__)
__asm__(".text\n.global _start\n_start:\n  mov x29, #0\n  mov x30, #0\n  bl aa_start_\n  brk #0\n");
#elif defined(__riscv)
__asm__(".text\n.global _start\n_start:\n  li fp, 0\n  li ra, 0\n  andi sp, sp, -16\n  call aa_start_\n  unimp\n");
#endif
__attribute__((noreturn, used)) void aa_start_(void) { aa_exit((uint64_t)(int64_t)agent_main()); }

void* memset(void* d, int c, size_t n) {
  volatile uint8_t* p = (volatile uint8_t*)d;
  for (size_t i = 0; i < n; ++i) p[i] = (uint8_t)c;
  return d;
}
void* memcpy(void* d, const void* s, size_t n) {
  volatile uint8_t* p = (volatile uint8_t*)d;
  const uint8_t* q = (const uint8_t*)s;
  for (size_t i = 0; i < n; ++i) p[i] = q[i];
  return d;
}
void* memmove(void* d, const void* s, size_t n) {
  volatile uint8_t* p = (volatile uint8_t*)d;
  const uint8_t* q = (const uint8_t*)s;
  if (p < q)
    for (size_t i = 0; i < n; ++i) p[i] = q[i];
  else
    for (size_t i = n; i-- > 0;) p[i] = q[i];
  return d;
}
int memcmp(const void* a, const void* b, size_t n) {
  const uint8_t* p = (const uint8_t*)a;
  const uint8_t* q = (const uint8_t*)b;
  for (size_t i = 0; i < n; ++i)
    if (p[i] != q[i]) return p[i] < q[i] ? -1 : 1;
  return 0;
}
#endif

#ifdef __cplusplus
}
#endif
#endif /* AUTHORITY_AGENT_H */
