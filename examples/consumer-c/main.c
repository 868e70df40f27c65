/* consumer-c: Authority from C, through include/authority/authority.h only.
 *
 *   consumer-c KEY_ID KEY_HEX TOKEN POLICY_BLOB [AUDIT_LOG_OUT]
 *
 * KEY_ID, KEY_HEX: the issuer's capability key (from `authority keys gen`: the line
 * "key <id> active <64 hex>" of the key file). TOKEN: a "cap1_..." capability to read
 * everything under /data (`authority cap mint`). POLICY_BLOB: a compiled policy
 * (`authority policy compile`) that allows fs.read under /data, denies it under
 * /data/secret and declares a tool_calls budget. Mints nothing itself.
 *
 * It verifies the token, evaluates the policy, reserves and commits a budget, appends two
 * audit entries and verifies the chain; with AUDIT_LOG_OUT it also writes the log as a
 * stream `authority audit verify` reads. Every object lives in static storage, as in a
 * kernel; nothing is allocated. Exit status 0 when every step gave the expected answer. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "authority/authority.h"

static authority_key_ring keys;
static authority_revocation_list revocations;
static unsigned char revocation_storage[AUTHORITY_REVOCATION_STORAGE_SIZE(64)];
static AUTHORITY_ALIGN16 unsigned char rate_storage[AUTHORITY_RATE_STORAGE_SIZE(64)];
static authority_verifier verifier;
static authority_policy policy;
static authority_budget budget;
static authority_audit_chain chain;

static uint8_t blob[1 << 20];
static uint8_t token[AUTHORITY_MAX_TOKEN_SIZE];

/* The audit sink: frames in memory after the 32-byte stream header. */
static uint8_t log_bytes[AUTHORITY_AUDIT_LOG_HEADER_SIZE + 16 * AUTHORITY_AUDIT_FRAME_SIZE];
static size_t log_size;
static int syncs;

static int sink_append(void* context, const uint8_t* frame, size_t len) {
  (void)context;
  if (len > sizeof log_bytes - log_size) return AUTHORITY_ERR_LOG_FULL;
  memcpy(log_bytes + log_size, frame, len);
  log_size += len;
  return AUTHORITY_OK;
}

static int sink_sync(void* context) {
  (void)context;
  ++syncs; /* memory is as durable as it gets here; a kernel flushes its device */
  return AUTHORITY_OK;
}

static int failures;

/* Prints one step's outcome and counts it as a failure unless it was `expected`. */
static void report(const char* step, int rc, int expected, const authority_error* err) {
  printf("%s: %s", step, authority_error_name(rc));
  if (rc != AUTHORITY_OK && err != NULL && err->field[0] != '\0') printf(" (%d, field %s)", rc, err->field);
  printf("\n");
  if (rc != expected) {
    printf("  unexpected: wanted %s\n", authority_error_name(expected));
    ++failures;
  }
}

static void print_hex(const uint8_t* bytes, size_t n) {
  size_t i;
  for (i = 0; i < n; ++i) printf("%02x", bytes[i]);
}

static uint64_t now_ns(void) {
  struct timespec ts;
  if (timespec_get(&ts, TIME_UTC) != TIME_UTC) return 0;
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int parse_key(const char* hex, uint8_t key[AUTHORITY_KEY_SIZE]) {
  size_t i;
  if (strlen(hex) != 2 * AUTHORITY_KEY_SIZE) return 0;
  for (i = 0; i < AUTHORITY_KEY_SIZE; ++i) {
    unsigned value;
    if (sscanf(hex + 2 * i, "%2x", &value) != 1) return 0;
    key[i] = (uint8_t)value;
  }
  return 1;
}

static size_t read_file(const char* path, uint8_t* out, size_t capacity) {
  size_t n;
  FILE* f = fopen(path, "rb");
  if (f == NULL) return 0;
  n = fread(out, 1, capacity, f);
  fclose(f);
  return n;
}

static int verify_access(const char* path, size_t token_len, uint64_t now, int expected) {
  authority_access access;
  authority_error err;
  char canonical[4096];
  char step[160];
  uint8_t read_method = 0;
  int rc;
  memset(&access, 0, sizeof access);
  access.type = AUTHORITY_CAP_FS;
  if (authority_cap_method_from_name(AUTHORITY_CAP_FS, "read", 4, &read_method) != AUTHORITY_OK) return 1;
  access.method = read_method;
  rc = authority_canonicalize_path(path, strlen(path), canonical, sizeof canonical, &access.target_len, &err);
  if (rc != AUTHORITY_OK) {
    report("canonicalize", rc, AUTHORITY_OK, &err);
    return 1;
  }
  access.target = canonical;
  rc = authority_verify_token(&verifier, token, token_len, &access, now, NULL, &err);
  snprintf(step, sizeof step, "capability fs read %s", path);
  report(step, rc, expected, &err);
  return 0;
}

static void evaluate(const char* path, int expected) {
  authority_policy_request request;
  authority_policy_decision decision;
  char step[160];
  memset(&request, 0, sizeof request);
  request.op = AUTHORITY_OP_FS_READ;
  request.target = path;
  request.target_len = strlen(path);
  snprintf(step, sizeof step, "policy fs.read %s", path);
  report(step, authority_policy_evaluate(&policy, &request, &decision), expected, NULL);
}

int main(int argc, char** argv) {
  uint8_t key[AUTHORITY_KEY_SIZE];
  authority_error err;
  authority_policy_info info;
  authority_limits limits;
  authority_costs cost;
  authority_reservation reservation;
  authority_budget_usage usage;
  authority_audit_sink sink;
  authority_audit_record record;
  authority_audit_head head;
  authority_audit_verification verification;
  static const uint8_t log_id[16] = {'c', 'o', 'n', 's', 'u', 'm', 'e', 'r', '-', 'c'};
  const uint64_t now = now_ns();
  size_t token_len = 0, blob_len;
  unsigned long key_id;
  int i, rc;

  if (argc < 5 || !parse_key(argv[2], key)) {
    fprintf(stderr, "usage: %s KEY_ID KEY_HEX(64) TOKEN POLICY_BLOB [AUDIT_LOG_OUT]\n", argv[0]);
    return 2;
  }
  if (authority_abi_version() != AUTHORITY_ABI_VERSION) {
    fprintf(stderr, "library ABI %u, header ABI %u\n", (unsigned)authority_abi_version(), AUTHORITY_ABI_VERSION);
    return 2;
  }
  key_id = strtoul(argv[1], NULL, 10);
  memset(&info, 0, sizeof info);
  memset(&head, 0, sizeof head);

  /* Keys, revocations, rate buckets: the verifier's state, all in static storage. */
  authority_key_ring_init(&keys, 24ull * 3600 * 1000000000u);
  report("key ring", authority_key_ring_add_active(&keys, (uint32_t)key_id, key, now, &err), AUTHORITY_OK, &err);
  memset(key, 0, sizeof key);
  authority_revocation_list_init(&revocations, revocation_storage, sizeof revocation_storage, &err);
  report("verifier", authority_verifier_init(&verifier, &keys, &revocations, rate_storage, sizeof rate_storage,
                                             NULL, 0, &err), AUTHORITY_OK, &err);

  /* 1. The capability: covers what is under /data, not /etc/passwd. */
  report("token", authority_token_from_text(argv[3], strlen(argv[3]), token, sizeof token, &token_len, &err),
         AUTHORITY_OK, &err);
  verify_access("/data/x/../report.txt", token_len, now, AUTHORITY_OK);
  verify_access("/etc/passwd", token_len, now, AUTHORITY_ERR_RESOURCE_NOT_COVERED);

  /* 2. The policy: opened with its MAC check, then evaluated. */
  blob_len = read_file(argv[4], blob, sizeof blob);
  rc = authority_policy_open(&policy, blob, blob_len, &keys, now, &err);
  report("policy open", rc, AUTHORITY_OK, &err);
  if (authority_policy_get_info(&policy, &info) == AUTHORITY_OK) {
    printf("policy revision %llu, %u rules, hash ", (unsigned long long)info.revision, (unsigned)info.rule_count);
    print_hex(info.hash, sizeof info.hash);
    printf("\n");
  }
  evaluate("/data/report.txt", AUTHORITY_OK);
  evaluate("/data/secret/key", AUTHORITY_ERR_DENIED_BY_RULE);
  evaluate("/etc/passwd", AUTHORITY_ERR_NOT_ALLOWED);

  /* 3. The budget the policy declares: one tool call reserved, then committed. */
  report("budget limits", authority_limits_from_policy(&policy, &limits), AUTHORITY_OK, NULL);
  authority_budget_init(&budget, &limits, now);
  memset(&cost, 0, sizeof cost);
  cost.of[AUTHORITY_RESOURCE_TOOL_CALLS] = 1;
  report("budget reserve", authority_budget_reserve(&budget, &cost, now, &reservation, &err), AUTHORITY_OK, &err);
  report("budget commit", authority_budget_commit(&budget, &reservation, &cost, &err), AUTHORITY_OK, &err);
  report("budget commit again", authority_budget_commit(&budget, &reservation, &cost, &err),
         AUTHORITY_ERR_BUDGET_UNKNOWN_RESERVATION, &err);
  if (authority_budget_get_usage(&budget, AUTHORITY_RESOURCE_TOOL_CALLS, &usage) == AUTHORITY_OK)
    printf("budget tool_calls: limit %llu, committed %llu, remaining %llu\n",
           (unsigned long long)limits.of[AUTHORITY_RESOURCE_TOOL_CALLS].amount, (unsigned long long)usage.committed,
           (unsigned long long)usage.remaining);

  /* 4. The audit chain: two durable entries, then the stream verified. */
  authority_audit_log_header(log_id, log_bytes);
  log_size = AUTHORITY_AUDIT_LOG_HEADER_SIZE;
  memset(&sink, 0, sizeof sink);
  sink.append = sink_append;
  sink.sync = sink_sync;
  authority_audit_chain_init(&chain, &sink, log_id);
  for (i = 0; i < 2; ++i) {
    memset(&record, 0, sizeof record);
    record.kind = i == 0 ? AUTHORITY_AUDIT_DECISION : AUTHORITY_AUDIT_OUTCOME;
    record.decision = AUTHORITY_AUDIT_ALLOW;
    record.op = AUTHORITY_EFFECT_FS_READ;
    record.time_ns = now;
    memcpy(record.policy_hash, info.hash, sizeof record.policy_hash);
    report(i == 0 ? "audit append decision" : "audit append outcome",
           authority_audit_append_durable(&chain, &record, &head, &err), AUTHORITY_OK, &err);
  }
  printf("audit head: seq %llu, ", (unsigned long long)head.seq);
  print_hex(head.hash, sizeof head.hash);
  printf(", %d syncs\n", syncs);
  rc = authority_audit_verify_log(log_bytes, log_size, &verification);
  report("audit verify", rc, AUTHORITY_OK, NULL);
  printf("audit verified: %llu entries, head ", (unsigned long long)verification.count);
  print_hex(verification.head, sizeof verification.head);
  printf("\n");
  if (memcmp(verification.head, head.hash, sizeof head.hash) != 0) {
    printf("  unexpected: the verified head is not the chain's head\n");
    ++failures;
  }

  if (argc > 5) {
    FILE* out = fopen(argv[5], "wb");
    if (out == NULL || fwrite(log_bytes, 1, log_size, out) != log_size || fclose(out) != 0) {
      fprintf(stderr, "cannot write %s\n", argv[5]);
      return 1;
    }
    printf("audit log written to %s\n", argv[5]);
  }
  authority_key_ring_destroy(&keys);
  printf("%s\n", failures == 0 ? "all steps as expected" : "SOME STEPS FAILED");
  return failures == 0 ? 0 : 1;
}
