/* The C ABI at work, built exactly like the freestanding library (kernel flags,
 * -nostdlib, libgcc, kernel_runtime.c) and run as a bare static program: natively on
 * x86_64, under qemu-user on aarch64 and riscv64 (tests/c_abi/run_freestanding.py). Its
 * only contact with the outside is two raw system calls, write and exit. The key, token
 * and policy blob come from the installed CLI through the generated
 * freestanding_data.h, so this checks the cross-compiled library against the host's
 * tools: token verification, policy decisions, budgets, the audit chain and the gate. */
#include <stddef.h>
#include <stdint.h>

#include "authority/authority.h"
#include "freestanding_data.h"

void* memcpy(void* dst, const void* src, size_t n);
size_t strlen(const char* s);

/* ---- the two system calls, per arch ---------------------------------------------- */

static long sys3(long number, long a, long b, long c) {
#if defined(__x86_64__)
  long ret;
  __asm__ volatile("syscall" : "=a"(ret) : "a"(number), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
  return ret;
#elif defined(__aarch64__)
  register long x8 __asm__("x8") = number;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  __asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
  return x0;
#elif defined(__riscv)
  register long a7 __asm__("a7") = number;
  register long a0 __asm__("a0") = a;
  register long a1 __asm__("a1") = b;
  register long a2 __asm__("a2") = c;
  __asm__ volatile("ecall" : "+r"(a0) : "r"(a7), "r"(a1), "r"(a2) : "memory");
  return a0;
#else
#error "no system calls for this arch"
#endif
}

#if defined(__x86_64__)
enum { sys_write = 1, sys_exit_group = 231 };
#else
enum { sys_write = 64, sys_exit_group = 94 };
#endif

static void say(const char* s) { (void)sys3(sys_write, 1, (long)s, (long)strlen(s)); }

static void say_number(uint64_t v) {
  char buf[24];
  size_t i = sizeof buf;
  buf[--i] = '\0';
  do {
    buf[--i] = (char)('0' + v % 10);
    v /= 10;
  } while (v != 0);
  say(buf + i);
}

/* ---- the checks -------------------------------------------------------------------- */

static int failures;

static void expect(const char* step, int got, int wanted) {
  say(step);
  say(": ");
  say(authority_error_name(got));
  if (got != wanted) {
    say("  UNEXPECTED, wanted ");
    say(authority_error_name(wanted));
    ++failures;
  }
  say("\n");
}

static authority_key_ring keys;
static authority_revocation_list revocations;
static unsigned char revocation_storage[AUTHORITY_REVOCATION_STORAGE_SIZE(16)];
static AUTHORITY_ALIGN16 unsigned char buckets[AUTHORITY_RATE_STORAGE_SIZE(16)];
static AUTHORITY_ALIGN16 unsigned char cache[AUTHORITY_TOKEN_CACHE_STORAGE_SIZE(2)];
static authority_verifier verifier;
static authority_policy policy;
static authority_policy_store store;
static authority_budget budget;
static authority_audit_chain chain;
static authority_gate gate;
static authority_session session;
static uint8_t token[AUTHORITY_MAX_TOKEN_SIZE];
static uint8_t damaged_blob[sizeof data_blob];
static uint8_t frame[2048];

static uint8_t log_bytes[AUTHORITY_AUDIT_LOG_HEADER_SIZE + 32 * AUTHORITY_AUDIT_FRAME_SIZE];
static size_t log_size;

static int sink_append(void* context, const uint8_t* bytes, size_t len) {
  (void)context;
  if (len > sizeof log_bytes - log_size) return AUTHORITY_ERR_LOG_FULL;
  memcpy(log_bytes + log_size, bytes, len);
  log_size += len;
  return AUTHORITY_OK;
}
static int sink_sync(void* context) {
  (void)context;
  return AUTHORITY_OK;
}

static int executed;
static void execute(void* context, const authority_permit* permit, const authority_effect_request* request,
                    authority_effect_result* result) {
  (void)context;
  (void)request;
  ++executed;
  result->output = (const uint8_t*)permit->target;
  result->output_len = permit->target_len;
  result->actual.of[AUTHORITY_RESOURCE_FILE_BYTES] = 10;
}
static uint64_t clock_now(void* context) {
  (void)context;
  return data_now_ns;
}

static int verify(const char* target, size_t token_len) {
  authority_access access = {0};
  access.type = AUTHORITY_CAP_FS;
  access.method = 0; /* read */
  access.target = target;
  access.target_len = strlen(target);
  return authority_verify_token(&verifier, token, token_len, &access, data_now_ns, NULL, NULL);
}

static int evaluate(const char* target) {
  authority_policy_request request = {0};
  request.op = AUTHORITY_OP_FS_READ;
  request.target = target;
  request.target_len = strlen(target);
  return authority_policy_evaluate(&policy, &request, NULL);
}

static int submit(uint64_t seq, const char* target, size_t token_len, authority_response* response) {
  authority_effect_request request = {0};
  size_t frame_len = 0;
  int rc;
  request.op = AUTHORITY_EFFECT_FS_READ;
  request.seq = seq;
  request.target = target;
  request.target_len = strlen(target);
  request.capability = token;
  request.capability_len = token_len;
  rc = authority_request_encode(&request, frame, sizeof frame, &frame_len, NULL);
  if (rc != AUTHORITY_OK) return rc;
  return authority_gate_submit(&gate, &session, frame, frame_len, response);
}

static void run(void) {
  static const uint8_t log_id[16] = {'f', 'r', 'e', 'e'};
  static const uint8_t agent[16] = {1};
  size_t token_len = 0, i;
  authority_limits limits;
  authority_costs cost = {{0}};
  authority_reservation reservation;
  authority_audit_sink sink = {0};
  authority_audit_record record = {0};
  authority_audit_head head;
  authority_audit_verification verification;
  authority_gate_config config = {0};
  authority_response response;

  expect("key ring", authority_key_ring_init(&keys, 3600ull * 1000000000u), AUTHORITY_OK);
  expect("add key", authority_key_ring_add_active(&keys, data_key_id, data_key, data_now_ns, NULL), AUTHORITY_OK);
  expect("revocations",
         authority_revocation_list_init(&revocations, revocation_storage, sizeof revocation_storage, NULL),
         AUTHORITY_OK);
  expect("verifier",
         authority_verifier_init(&verifier, &keys, &revocations, buckets, sizeof buckets, cache, sizeof cache, NULL),
         AUTHORITY_OK);

  expect("token text", authority_token_from_text(data_token, strlen(data_token), token, sizeof token, &token_len, NULL),
         AUTHORITY_OK);
  expect("verify /data/report.txt", verify("/data/report.txt", token_len), AUTHORITY_OK);
  expect("verify /data/report.txt again (cached MAC)", verify("/data/report.txt", token_len), AUTHORITY_OK);
  expect("verify /etc/passwd", verify("/etc/passwd", token_len), AUTHORITY_ERR_RESOURCE_NOT_COVERED);
  token[token_len - 1] ^= 1;
  expect("verify with a flipped MAC bit", verify("/data/report.txt", token_len), AUTHORITY_ERR_BAD_MAC);
  token[token_len - 1] ^= 1;

  expect("policy open", authority_policy_open(&policy, data_blob, sizeof data_blob, &keys, data_now_ns, NULL),
         AUTHORITY_OK);
  expect("policy fs.read /data/report.txt", evaluate("/data/report.txt"), AUTHORITY_OK);
  expect("policy fs.read /data/secret/key", evaluate("/data/secret/key"), AUTHORITY_ERR_DENIED_BY_RULE);
  expect("policy fs.read /etc/passwd", evaluate("/etc/passwd"), AUTHORITY_ERR_NOT_ALLOWED);
  for (i = 0; i < sizeof data_blob; ++i) damaged_blob[i] = data_blob[i];
  damaged_blob[sizeof damaged_blob / 2] ^= 0x40;
  expect("policy open, one bit flipped",
         authority_policy_open(&policy, damaged_blob, sizeof damaged_blob, &keys, data_now_ns, NULL),
         AUTHORITY_ERR_POLICY_MAC);
  expect("policy open again", authority_policy_open(&policy, data_blob, sizeof data_blob, &keys, data_now_ns, NULL),
         AUTHORITY_OK);

  expect("budget limits", authority_limits_from_policy(&policy, &limits), AUTHORITY_OK);
  expect("budget", authority_budget_init(&budget, &limits, data_now_ns), AUTHORITY_OK);
  cost.of[AUTHORITY_RESOURCE_TOOL_CALLS] = 3;
  expect("reserve 3 tool calls", authority_budget_reserve(&budget, &cost, data_now_ns, &reservation, NULL),
         AUTHORITY_OK);
  expect("commit", authority_budget_commit(&budget, &reservation, &cost, NULL), AUTHORITY_OK);
  cost.of[AUTHORITY_RESOURCE_TOOL_CALLS] = 1;
  expect("reserve a 4th", authority_budget_reserve(&budget, &cost, data_now_ns, &reservation, NULL),
         AUTHORITY_ERR_BUDGET_EXCEEDED);

  authority_audit_log_header(log_id, log_bytes);
  log_size = AUTHORITY_AUDIT_LOG_HEADER_SIZE;
  sink.append = sink_append;
  sink.sync = sink_sync;
  expect("audit chain", authority_audit_chain_init(&chain, &sink, log_id), AUTHORITY_OK);
  record.kind = AUTHORITY_AUDIT_AGENT_START;
  record.decision = AUTHORITY_AUDIT_ALLOW;
  record.time_ns = data_now_ns;
  expect("audit append", authority_audit_append_durable(&chain, &record, &head, NULL), AUTHORITY_OK);

  /* The gate over the same chain: one allowed read, one denied, one frame of garbage. */
  expect("policy store", authority_policy_store_init(&store), AUTHORITY_OK);
  expect("policy load", authority_policy_store_load(&store, data_blob, sizeof data_blob, &keys, data_now_ns, NULL),
         AUTHORITY_OK);
  for (i = 0; i < AUTHORITY_RESOURCE_COUNT; ++i) limits.of[i].unlimited = 1;
  expect("session budget", authority_budget_init(&budget, &limits, data_now_ns), AUTHORITY_OK);
  expect("session", authority_session_init(&session, agent, agent, &budget), AUTHORITY_OK);
  config.verifier = &verifier;
  config.policies = &store;
  config.keys = &keys;
  config.log = &chain;
  config.executor.execute = execute;
  config.clock.now_ns = clock_now;
  expect("gate", authority_gate_init(&gate, &config, NULL), AUTHORITY_OK);
  expect("gate fs.read /data/x/../report.txt", submit(1, "/data/x/../report.txt", token_len, &response), AUTHORITY_OK);
  expect("gate fs.read /data/secret/key", submit(2, "/data/secret/key", token_len, &response),
         AUTHORITY_ERR_DENIED_BY_RULE);
  frame[0] = 'X';
  expect("gate garbage frame", authority_gate_submit(&gate, &session, frame, 20, &response), AUTHORITY_ERR_BAD_MAGIC);
  if (executed != 1) {
    say("executor ran ");
    say_number((uint64_t)executed);
    say(" times, wanted 1\n");
    ++failures;
  }

  expect("audit head", authority_audit_chain_head(&chain, &head), AUTHORITY_OK);
  expect("audit verify", authority_audit_verify_log(log_bytes, log_size, &verification), AUTHORITY_OK);
  say("audit entries: ");
  say_number(verification.count);
  say("\n");
  /* agent start, the allowed decision and its outcome, the denial, the garbage frame */
  if (verification.count != 5 || verification.count != head.seq) ++failures;
  log_bytes[log_size - 100] ^= 0x01;
  expect("audit verify, one bit flipped", authority_audit_verify_log(log_bytes, log_size, &verification),
         AUTHORITY_ERR_BAD_CHECKSUM);
  authority_key_ring_destroy(&keys);
}

void run_main(void);
void run_main(void) {
  run();
  say(failures == 0 ? "c_abi freestanding: all steps as expected\n" : "c_abi freestanding: FAILED\n");
  (void)sys3(sys_exit_group, failures == 0 ? 0 : 1, 0, 0);
  for (;;) {
  }
}

/* The entry point: a 16-byte aligned stack, then C. */
__asm__(
    ".globl _start\n"
    "_start:\n"
#if defined(__x86_64__)
    "  xor %rbp, %rbp\n"
    "  and $-16, %rsp\n"
    "  call run_main\n"
#elif defined(__aarch64__)
    "  mov x29, #0\n"
    "  bl run_main\n"
#elif defined(__riscv)
    "  li fp, 0\n"
    "  call run_main\n"
#endif
);
