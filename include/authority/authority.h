/* Authority's C ABI: the library for kernels and programs written in C.
 *
 * Everything here is C99 (and C11, and C++): no C++ type crosses it, nothing behind it
 * allocates, throws or reads a global clock. Memory is the caller's:
 *
 *   - Objects (key ring, verifier, policy, budget, audit chain, gate, ...) are opaque
 *     structs of a published size and 16-byte alignment. Declare them anywhere (static,
 *     stack, your own heap) and call the matching *_init first; using an object that was
 *     not initialized returns AUTHORITY_ERR_INVALID_ARGUMENT (field "object").
 *   - Tables whose size is the caller's choice (revocations, rate buckets, the token
 *     cache) live in caller buffers; the *_STORAGE_SIZE(n) macros give their sizes.
 *   - Views: bytes and strings passed in are (pointer, length) pairs, NUL not needed.
 *     A policy object keeps pointing into its blob; objects that take another object
 *     (a verifier its key ring, a session its budget) keep pointing at it. Keep them alive.
 *
 * Every function that can fail returns 0 (AUTHORITY_OK) or one of the stable error codes
 * of docs/error-codes.md (the same numbers as below) and, when `err` is not NULL, fills
 * it with the code, the failing field and the input offset. `err` may always be NULL.
 *
 * Thread safety: a budget may be used from several threads at once. Every other object
 * is used by one thread at a time, except the gate, which serializes its shared state
 * with the lock callbacks it is given (and its audit chain with the chain's).
 *
 * docs/porting.md explains what a kernel provides to link this (memcpy & co., libgcc),
 * and shows a C kernel using it. The library's own headers (include/authority/) are the
 * reference for the semantics; each group below names the header it wraps. */
#ifndef AUTHORITY_AUTHORITY_H
#define AUTHORITY_AUTHORITY_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AUTHORITY_ABI_VERSION 1u

/* Opaque objects: caller storage of a published size, aligned to 16 bytes. */
#if defined(__cplusplus)
#define AUTHORITY_ALIGN16 alignas(16)
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define AUTHORITY_ALIGN16 _Alignas(16)
#elif defined(__GNUC__)
#define AUTHORITY_ALIGN16 __attribute__((aligned(16)))
#else
#error "authority.h needs C11 _Alignas, C++11 alignas or the GNU aligned attribute"
#endif
#define AUTHORITY_OBJECT_ALIGN 16
#define AUTHORITY_OBJECT(name, size) \
  typedef struct name {              \
    AUTHORITY_ALIGN16 unsigned char opaque[size]; \
  } name

#define AUTHORITY_KEY_RING_SIZE 1536
#define AUTHORITY_REVOCATION_LIST_SIZE 64
#define AUTHORITY_VERIFIER_SIZE 256
#define AUTHORITY_POLICY_SIZE 512
#define AUTHORITY_POLICY_STORE_SIZE 1024
#define AUTHORITY_BUDGET_SIZE 6144
#define AUTHORITY_AUDIT_CHAIN_SIZE 256
#define AUTHORITY_AUDIT_VERIFIER_SIZE 128
#define AUTHORITY_GATE_SIZE 512
#define AUTHORITY_SESSION_SIZE 16384

AUTHORITY_OBJECT(authority_key_ring, AUTHORITY_KEY_RING_SIZE);
AUTHORITY_OBJECT(authority_revocation_list, AUTHORITY_REVOCATION_LIST_SIZE);
AUTHORITY_OBJECT(authority_verifier, AUTHORITY_VERIFIER_SIZE);
AUTHORITY_OBJECT(authority_policy, AUTHORITY_POLICY_SIZE);
AUTHORITY_OBJECT(authority_policy_store, AUTHORITY_POLICY_STORE_SIZE);
AUTHORITY_OBJECT(authority_budget, AUTHORITY_BUDGET_SIZE);
AUTHORITY_OBJECT(authority_audit_chain, AUTHORITY_AUDIT_CHAIN_SIZE);
AUTHORITY_OBJECT(authority_audit_verifier, AUTHORITY_AUDIT_VERIFIER_SIZE);
AUTHORITY_OBJECT(authority_gate, AUTHORITY_GATE_SIZE);
AUTHORITY_OBJECT(authority_session, AUTHORITY_SESSION_SIZE);

/* Caller-sized tables. Revocations: a power of two of slots, filled to 3/4 at most.
 * Rate buckets: a multiple of 8 slots, 16-byte aligned. Token cache: any number of
 * slots (tokens whose MAC already verified; 0 = recompute every MAC), 8-byte aligned. */
#define AUTHORITY_REVOCATION_SLOT_SIZE 17
#define AUTHORITY_RATE_BUCKET_SIZE 80
#define AUTHORITY_TOKEN_CACHE_SLOT_SIZE 1072
#define AUTHORITY_REVOCATION_STORAGE_SIZE(slots) ((size_t)(slots) * AUTHORITY_REVOCATION_SLOT_SIZE)
#define AUTHORITY_RATE_STORAGE_SIZE(buckets) ((size_t)(buckets) * AUTHORITY_RATE_BUCKET_SIZE)
#define AUTHORITY_TOKEN_CACHE_STORAGE_SIZE(slots) ((size_t)(slots) * AUTHORITY_TOKEN_CACHE_SLOT_SIZE)

/* ---- errors (include/authority/core/error.hpp, docs/error-codes.md) ----------------- */

enum authority_errc {
  AUTHORITY_OK = 0,
  /* 1xx: decoding and encoding */
  AUTHORITY_ERR_TRUNCATED = 100,
  AUTHORITY_ERR_TRAILING_BYTES = 101,
  AUTHORITY_ERR_NON_CANONICAL = 102,
  AUTHORITY_ERR_UNSUPPORTED_VERSION = 103,
  AUTHORITY_ERR_BAD_MAGIC = 104,
  AUTHORITY_ERR_TOO_LONG = 105,
  AUTHORITY_ERR_INVALID_ENCODING = 106,
  AUTHORITY_ERR_OUT_OF_RANGE = 107,
  AUTHORITY_ERR_CAPACITY_EXCEEDED = 108,
  AUTHORITY_ERR_INVALID_ARGUMENT = 109,
  AUTHORITY_ERR_BAD_CHECKSUM = 110,
  AUTHORITY_ERR_TOO_COMPLEX = 111,
  AUTHORITY_ERR_NOT_FOUND = 112,
  AUTHORITY_ERR_INVALID_PATTERN = 113,
  AUTHORITY_ERR_INVALID_PATH = 114,
  /* 2xx: capabilities (INV-2) */
  AUTHORITY_ERR_KEY_UNKNOWN = 200,
  AUTHORITY_ERR_KEY_EXPIRED = 201,
  AUTHORITY_ERR_BAD_MAC = 202,
  AUTHORITY_ERR_TOKEN_EXPIRED = 203,
  AUTHORITY_ERR_TOKEN_NOT_YET_VALID = 204,
  AUTHORITY_ERR_REVOKED = 205,
  AUTHORITY_ERR_WRONG_TYPE = 206,
  AUTHORITY_ERR_RESOURCE_NOT_COVERED = 207,
  AUTHORITY_ERR_METHOD_NOT_ALLOWED = 208,
  AUTHORITY_ERR_RUN_MISMATCH = 209,
  AUTHORITY_ERR_RATE_LIMITED = 210,
  AUTHORITY_ERR_WIDENS_TYPE = 211,
  AUTHORITY_ERR_WIDENS_RESOURCE = 212,
  AUTHORITY_ERR_WIDENS_METHODS = 213,
  AUTHORITY_ERR_WIDENS_TTL = 214,
  AUTHORITY_ERR_WIDENS_RATE = 215,
  AUTHORITY_ERR_WIDENS_RUN = 216,
  AUTHORITY_ERR_DEPTH_EXCEEDED = 217,
  AUTHORITY_ERR_MISSING_CAPABILITY = 218,
  /* 3xx: policy */
  AUTHORITY_ERR_NO_POLICY = 300,
  AUTHORITY_ERR_DENIED_BY_RULE = 301,
  AUTHORITY_ERR_NOT_ALLOWED = 302,
  AUTHORITY_ERR_TAINT_VIOLATION = 303,
  AUTHORITY_ERR_POLICY_SYNTAX = 304,
  AUTHORITY_ERR_POLICY_UNKNOWN_KEY = 305,
  AUTHORITY_ERR_POLICY_DUPLICATE_KEY = 306,
  AUTHORITY_ERR_POLICY_TYPE = 307,
  AUTHORITY_ERR_POLICY_MAC = 308,
  AUTHORITY_ERR_POLICY_ROLLBACK = 309,
  AUTHORITY_ERR_LIMIT_EXCEEDED = 310,
  AUTHORITY_ERR_POLICY_MISSING_KEY = 311,
  /* 4xx: budgets (INV-3) */
  AUTHORITY_ERR_BUDGET_EXCEEDED = 400,
  AUTHORITY_ERR_DEADLINE_EXCEEDED = 401,
  AUTHORITY_ERR_BUDGET_UNKNOWN_RESERVATION = 402,
  /* 5xx: audit (INV-4) */
  AUTHORITY_ERR_CHAIN_BROKEN = 500,
  AUTHORITY_ERR_ENTRY_HASH = 501,
  AUTHORITY_ERR_SEQUENCE_GAP = 502,
  AUTHORITY_ERR_SINK_FAILURE = 503,
  AUTHORITY_ERR_LOG_FULL = 504,
  AUTHORITY_ERR_CHECKPOINT_SIGNATURE = 505,
  AUTHORITY_ERR_PROOF_INVALID = 506,
  /* 6xx: gate and requests (INV-1) */
  AUTHORITY_ERR_SEQUENCE_REPLAY = 600,
  AUTHORITY_ERR_SEQUENCE_ORDER = 601,
  AUTHORITY_ERR_AGENT_MISMATCH = 602,
  AUTHORITY_ERR_UNKNOWN_EFFECT = 603,
  AUTHORITY_ERR_EXECUTOR_FAILED = 604,
  AUTHORITY_ERR_PENDING_APPROVAL = 605,
  AUTHORITY_ERR_ABANDONED = 606,
  AUTHORITY_ERR_BAD_ADDRESS = 607,
  AUTHORITY_ERR_BAD_SYSCALL = 608,
  AUTHORITY_ERR_AGENT_PAGE_FAULT = 609,
  AUTHORITY_ERR_AGENT_PRIVILEGED = 610,
  AUTHORITY_ERR_AGENT_ILLEGAL_INSTRUCTION = 611,
  AUTHORITY_ERR_AGENT_ARITHMETIC = 612,
  AUTHORITY_ERR_AGENT_TRAP = 613,
  AUTHORITY_ERR_BAD_EXECUTABLE = 614,
  /* 7xx: platform and ports */
  AUTHORITY_ERR_IO_ERROR = 700,
  AUTHORITY_ERR_ENTROPY_FAILURE = 701,
  AUTHORITY_ERR_NOT_SUPPORTED = 702,
  AUTHORITY_ERR_INTERNAL = 799
};

#define AUTHORITY_ERROR_FIELD_SIZE 40

/* What failed: the code, the field (NUL-terminated, cut to fit) and the input offset. */
typedef struct authority_error {
  uint16_t code;
  uint32_t offset;
  char field[AUTHORITY_ERROR_FIELD_SIZE];
} authority_error;

/* "bad_mac", "capability MAC does not verify"; "unknown_error" for a number that is no
 * code. Static strings, NUL-terminated. */
const char* authority_error_name(int code);
const char* authority_error_description(int code);

/* AUTHORITY_ABI_VERSION of the library linked (compare with the header's). */
uint32_t authority_abi_version(void);

/* ---- names and numbers ---------------------------------------------------------------
 * The numbers are stable (they are on the wire and in audit entries). The *_from_name
 * functions take the spellings of the policy language and the CLI; NOT_FOUND otherwise. */

/* Capability types (capability/types.hpp). */
enum authority_cap_type {
  AUTHORITY_CAP_FS = 1,
  AUTHORITY_CAP_NET = 2,
  AUTHORITY_CAP_TOOL = 3,
  AUTHORITY_CAP_WASM = 4,
  AUTHORITY_CAP_INFER = 5,
  AUTHORITY_CAP_SPAWN = 6,
  AUTHORITY_CAP_HEAP = 7,
  AUTHORITY_CAP_SECRETS = 8,
  AUTHORITY_CAP_IPC = 9,
  AUTHORITY_CAP_ADMIN = 10
};
/* "fs" -> AUTHORITY_CAP_FS; a method name of a type ("read") -> its bit index. */
int authority_cap_type_from_name(const char* name, size_t len, uint8_t* type_out);
int authority_cap_method_from_name(uint8_t type, const char* name, size_t len, uint8_t* method_out);

/* Operations a policy rules on (policy/op.hpp). */
enum authority_policy_op {
  AUTHORITY_OP_FS_READ = 0,
  AUTHORITY_OP_FS_WRITE = 1,
  AUTHORITY_OP_FS_EXEC = 2,
  AUTHORITY_OP_NET_DNS = 3,
  AUTHORITY_OP_NET_CONNECT = 4,
  AUTHORITY_OP_NET_BIND = 5,
  AUTHORITY_OP_NET_LISTEN = 6,
  AUTHORITY_OP_TOOL_CALL = 7,
  AUTHORITY_OP_WASM_CALL = 8,
  AUTHORITY_OP_WASM_HOSTCALL = 9,
  AUTHORITY_OP_INFER = 10,
  AUTHORITY_OP_SPAWN = 11
};
/* "fs.read" -> AUTHORITY_OP_FS_READ. */
int authority_policy_op_from_name(const char* name, size_t len, uint8_t* op_out);

/* Budget resources (budget/resource.hpp). */
enum authority_resource {
  AUTHORITY_RESOURCE_TOKENS = 0,
  AUTHORITY_RESOURCE_CALLS = 1,
  AUTHORITY_RESOURCE_TOOL_CALLS = 2,
  AUTHORITY_RESOURCE_LLM_TOKENS_IN = 3,
  AUTHORITY_RESOURCE_LLM_TOKENS_OUT = 4,
  AUTHORITY_RESOURCE_INFERENCE_TIME_MS = 5,
  AUTHORITY_RESOURCE_FILE_BYTES = 6,
  AUTHORITY_RESOURCE_NET_BYTES_IN = 7,
  AUTHORITY_RESOURCE_NET_BYTES_OUT = 8,
  AUTHORITY_RESOURCE_BYTES = 9,
  AUTHORITY_RESOURCE_HEAP_BYTES = 10,
  AUTHORITY_RESOURCE_HEAP_OBJECTS = 11,
  AUTHORITY_RESOURCE_BLOB_BYTES = 12,
  AUTHORITY_RESOURCE_WALL_TIME_MS = 13,
  AUTHORITY_RESOURCE_CPU_TIME_NS = 14
};
#define AUTHORITY_RESOURCE_COUNT 15
/* "tool_calls" -> AUTHORITY_RESOURCE_TOOL_CALLS (also "cpu_ns"). */
int authority_resource_from_name(const char* name, size_t len, uint8_t* resource_out);
/* The resource's name ("tool_calls"); "unknown" for a number that is none. */
const char* authority_resource_name(uint8_t resource);

/* Effect op codes of the gate's catalog (effects.hpp), as written into audit entries. */
enum authority_effect {
  AUTHORITY_EFFECT_FS_READ = 0x0101,
  AUTHORITY_EFFECT_FS_WRITE = 0x0102,
  AUTHORITY_EFFECT_FS_STAT = 0x0103,
  AUTHORITY_EFFECT_FS_LIST = 0x0104,
  AUTHORITY_EFFECT_FS_UNLINK = 0x0105,
  AUTHORITY_EFFECT_FS_MKDIR = 0x0106,
  AUTHORITY_EFFECT_FS_RENAME = 0x0107,
  AUTHORITY_EFFECT_NET_DNS = 0x0201,
  AUTHORITY_EFFECT_NET_CONNECT = 0x0202,
  AUTHORITY_EFFECT_NET_BIND = 0x0203,
  AUTHORITY_EFFECT_NET_LISTEN = 0x0204,
  AUTHORITY_EFFECT_NET_SEND = 0x0205,
  AUTHORITY_EFFECT_NET_RECV = 0x0206,
  AUTHORITY_EFFECT_TOOL_CALL = 0x0301,
  AUTHORITY_EFFECT_WASM_CALL = 0x0401,
  AUTHORITY_EFFECT_WASM_HOSTCALL = 0x0402,
  AUTHORITY_EFFECT_INFER = 0x0501,
  AUTHORITY_EFFECT_SPAWN = 0x0601,
  AUTHORITY_EFFECT_HEAP_ALLOC = 0x0701,
  AUTHORITY_EFFECT_HEAP_READ = 0x0702,
  AUTHORITY_EFFECT_HEAP_WRITE = 0x0703,
  AUTHORITY_EFFECT_HEAP_CAS = 0x0704,
  AUTHORITY_EFFECT_HEAP_FREE = 0x0705,
  AUTHORITY_EFFECT_SECRET_GET = 0x0801,
  AUTHORITY_EFFECT_IPC_SEND = 0x0901,
  AUTHORITY_EFFECT_IPC_RECV = 0x0902,
  AUTHORITY_EFFECT_POLICY_UPDATE = 0x0a01,
  AUTHORITY_EFFECT_AUDIT_READ = 0x0a02
};
/* "fs.read" -> AUTHORITY_EFFECT_FS_READ. */
int authority_effect_from_name(const char* name, size_t len, uint16_t* op_out);

/* Canonical absolute path (pattern/path.hpp): what capability and policy checks compare
 * fs targets with. `out` of 4096 bytes always suffices; the result is not NUL-terminated. */
int authority_canonicalize_path(const char* path, size_t len, char* out, size_t out_size, size_t* out_len,
                                authority_error* err);

/* ---- capabilities (INV-2; capability/key_ring.hpp, verify.hpp, wire.hpp) -------------- */

#define AUTHORITY_KEY_SIZE 32
#define AUTHORITY_MAX_TOKEN_SIZE 4096

/* Keys: up to 8 HMAC-SHA256 keys of 32 bytes. A retired key still verifies for the grace
 * period after its retirement. destroy wipes the secrets. */
int authority_key_ring_init(authority_key_ring* ring, uint64_t grace_period_ns);
int authority_key_ring_add_active(authority_key_ring* ring, uint32_t key_id, const uint8_t key[AUTHORITY_KEY_SIZE],
                                  uint64_t now_ns, authority_error* err);
int authority_key_ring_add_retired(authority_key_ring* ring, uint32_t key_id, const uint8_t key[AUTHORITY_KEY_SIZE],
                                   uint64_t retired_at_ns, authority_error* err);
int authority_key_ring_retire(authority_key_ring* ring, uint32_t key_id, uint64_t now_ns, authority_error* err);
int authority_key_ring_remove(authority_key_ring* ring, uint32_t key_id, authority_error* err);
void authority_key_ring_destroy(authority_key_ring* ring);

/* Revocations by token id (which revokes everything delegated from it) and by run id,
 * over caller storage (AUTHORITY_REVOCATION_STORAGE_SIZE(n), n a power of two). */
int authority_revocation_list_init(authority_revocation_list* list, void* storage, size_t storage_size,
                                   authority_error* err);
int authority_revoke_token(authority_revocation_list* list, const uint8_t token_id[16], authority_error* err);
int authority_revoke_run(authority_revocation_list* list, const uint8_t run_id[16], authority_error* err);
/* Adds every entry of a saved list (`authority cap revoke` writes KEYFILE.revoked) after
 * checking its HMAC under the 32-byte state key. */
int authority_revocation_list_load(authority_revocation_list* list, const uint8_t state_key[AUTHORITY_KEY_SIZE],
                                   const uint8_t* saved, size_t saved_len, authority_error* err);
size_t authority_revocation_count(const authority_revocation_list* list);

/* The verifier checks tokens against accesses. It points at the key ring and the
 * revocation list (both must outlive it) and keeps rate buckets and the token cache in
 * caller storage (either may be NULL/0). Without bucket storage a token that carries a
 * rate limit is refused (RATE_LIMITED): a limit is never ignored. */
int authority_verifier_init(authority_verifier* verifier, const authority_key_ring* keys,
                            const authority_revocation_list* revocations, void* rate_storage, size_t rate_storage_size,
                            void* cache_storage, size_t cache_storage_size, authority_error* err);

/* What an effect needs. `target` is canonical (fs and spawn: authority_canonicalize_path;
 * net: "dns:host:port" or "ip:addr:port"; others: the name). `method` is the bit index
 * of the method within the type (authority_cap_method_from_name). run_id: all zero = none. */
typedef struct authority_access {
  uint8_t type;
  uint8_t method;
  const char* target;
  size_t target_len;
  uint8_t run_id[16];
} authority_access;

/* A token's fields (after decoding; filled by verify as far as decoding got). */
typedef struct authority_token_info {
  uint32_t key_id;
  uint8_t type;
  uint8_t all_methods; /* 1: every method of the type */
  uint32_t method_bits;
  uint64_t issued_at_ms;
  uint64_t expires_at_ms; /* including the holder's expiry caveats */
  uint8_t token_id[16];
  uint8_t run_id[16];
  uint32_t depth;   /* delegation depth (0 = minted by the issuer) */
  uint32_t caveats; /* holder caveats */
  uint8_t rate_limited;
  uint32_t rate_count;
  uint64_t rate_window_ms;
} authority_token_info;

/* The full check, in order: decode, key, MAC (constant time), TTL, revocation, type,
 * resource, method, run, rate (one use charged). `token` is the binary form. `info` may
 * be NULL. */
int authority_verify_token(authority_verifier* verifier, const uint8_t* token, size_t token_len,
                           const authority_access* access, uint64_t now_ns, authority_token_info* info,
                           authority_error* err);

/* "cap1_..." text form -> binary form (the form verify takes). */
int authority_token_from_text(const char* text, size_t text_len, uint8_t* out, size_t out_size, size_t* out_len,
                              authority_error* err);
/* Decodes a token without checking anything but its encoding (for display). */
int authority_token_inspect(const uint8_t* token, size_t token_len, authority_token_info* info, authority_error* err);

/* ---- policy (policy/compiled_policy.hpp, store.hpp) ---------------------------------- */

/* Opens a compiled policy blob (`authority policy compile`): checks magic, version,
 * every length, offset and index, and the HMAC under the blob's key id in `keys`. The
 * policy object points into `blob`: keep the bytes alive and unchanged while it is used. */
int authority_policy_open(authority_policy* policy, const uint8_t* blob, size_t blob_len,
                          const authority_key_ring* keys, uint64_t now_ns, authority_error* err);

typedef struct authority_policy_request {
  uint8_t op;           /* enum authority_policy_op */
  const char* target;   /* canonical, as for authority_access */
  size_t target_len;
  const char* version;  /* tool.call: the tool's version, if known (else NULL, 0) */
  size_t version_len;
  uint64_t tokens;      /* infer: tokens requested */
  uint64_t labels;      /* taint labels of the data flowing in (bit 0: untrusted) */
} authority_policy_request;

#define AUTHORITY_NO_RULE 0xffffffffu

typedef struct authority_policy_decision {
  uint8_t allow;
  uint16_t reason;        /* 0, or NO_POLICY, DENIED_BY_RULE, NOT_ALLOWED, LIMIT_EXCEEDED, ... */
  uint32_t rule;          /* the deciding rule's index, or AUTHORITY_NO_RULE */
  uint64_t result_labels; /* when allowed: the labels of the effect's result */
} authority_policy_decision;

/* Deny by default; the most specific rule decides; deny beats allow. Returns the
 * decision's reason (0 = allowed); `decision` may be NULL. */
int authority_policy_evaluate(const authority_policy* policy, const authority_policy_request* request,
                              authority_policy_decision* decision);

typedef struct authority_policy_info {
  uint64_t revision;
  uint32_t key_id;
  uint32_t rule_count;
  uint8_t hash[32]; /* SHA-256 of the blob: the policy_hash of audit entries */
} authority_policy_info;
int authority_policy_get_info(const authority_policy* policy, authority_policy_info* info);

/* One budget limit as the policy declares it. */
enum authority_limit_state {
  AUTHORITY_LIMIT_ABSENT = 0,    /* the policy does not mention the resource */
  AUTHORITY_LIMIT_UNLIMITED = 1,
  AUTHORITY_LIMIT_AMOUNT = 2     /* `amount` (0 = nothing may be spent) */
};
typedef struct authority_policy_limit {
  uint8_t state;
  uint64_t amount;
} authority_policy_limit;
int authority_policy_budget(const authority_policy* policy, uint8_t resource, authority_policy_limit* limit);

/* The policy in force and its predecessor, with rollback protection: a blob must carry a
 * higher revision than every blob the store accepted. Blob bytes must stay alive while
 * the store uses them. */
int authority_policy_store_init(authority_policy_store* store);
int authority_policy_store_load(authority_policy_store* store, const uint8_t* blob, size_t blob_len,
                                const authority_key_ring* keys, uint64_t now_ns, authority_error* err);
int authority_policy_store_rollback(authority_policy_store* store, authority_error* err);
/* A policy object viewing the policy in force (NO_POLICY when none is loaded). */
int authority_policy_store_current(const authority_policy_store* store, authority_policy* policy);

/* ---- budgets (INV-3; budget/account.hpp, limits.hpp) --------------------------------- */

typedef struct authority_limit {
  uint8_t unlimited; /* 1: no limit; 0: at most `amount` (0 = nothing) */
  uint64_t amount;
} authority_limit;
typedef struct authority_limits {
  authority_limit of[AUTHORITY_RESOURCE_COUNT];
} authority_limits;
typedef struct authority_costs {
  uint64_t of[AUTHORITY_RESOURCE_COUNT];
} authority_costs;

/* The limits a policy declares: what it does not mention is unlimited, 0 means 0. */
int authority_limits_from_policy(const authority_policy* policy, authority_limits* limits);

/* A reservation handle (copyable; finishing it twice fails). */
typedef struct authority_reservation {
  AUTHORITY_ALIGN16 unsigned char opaque[32];
} authority_reservation;

/* An account: in-flight plus committed cost never exceeds a limit, under any
 * interleaving of threads. Up to 32 reservations in flight. wall_time_ms is a deadline
 * from `start_ns`. */
int authority_budget_init(authority_budget* budget, const authority_limits* limits, uint64_t start_ns);
/* All or nothing: BUDGET_EXCEEDED names the resource that does not fit. */
int authority_budget_reserve(authority_budget* budget, const authority_costs* estimate, uint64_t now_ns,
                             authority_reservation* reservation, authority_error* err);
/* Charges what the effect used; more than reserved is charged if it fits, else the
 * resource is filled to its limit and BUDGET_EXCEEDED is returned. */
int authority_budget_commit(authority_budget* budget, const authority_reservation* reservation,
                            const authority_costs* actual, authority_error* err);
int authority_budget_release(authority_budget* budget, const authority_reservation* reservation,
                             authority_error* err);

typedef struct authority_budget_usage {
  uint64_t charged;   /* in flight + committed */
  uint64_t committed;
  uint64_t in_flight;
  uint8_t unlimited;
  uint64_t remaining; /* what can still be reserved (when limited) */
} authority_budget_usage;
int authority_budget_get_usage(const authority_budget* budget, uint8_t resource, authority_budget_usage* usage);

/* ---- audit (INV-4; audit/entry.hpp, chain.hpp, frame.hpp, verify.hpp) ---------------- */

enum authority_audit_kind {
  AUTHORITY_AUDIT_DECISION = 1,
  AUTHORITY_AUDIT_OUTCOME = 2,
  AUTHORITY_AUDIT_POLICY_CHANGE = 3,
  AUTHORITY_AUDIT_KEY_ROTATION = 4,
  AUTHORITY_AUDIT_AGENT_FAULT = 5,
  AUTHORITY_AUDIT_AGENT_START = 6,
  AUTHORITY_AUDIT_AGENT_EXIT = 7,
  AUTHORITY_AUDIT_CHECKPOINT = 8
};
#define AUTHORITY_AUDIT_DENY 0
#define AUTHORITY_AUDIT_ALLOW 1
#define AUTHORITY_AUDIT_LOG_HEADER_SIZE 32
#define AUTHORITY_AUDIT_FRAME_SIZE 227 /* one framed record, as a sink receives it */

/* What is appended; the chain adds the sequence number and the previous hash. */
typedef struct authority_audit_record {
  uint8_t kind;     /* enum authority_audit_kind */
  uint8_t decision; /* AUTHORITY_AUDIT_DENY or _ALLOW */
  uint16_t op;      /* effect op code */
  uint16_t reason;  /* an error code (0 for a plain allow) */
  uint64_t time_ns;
  uint8_t agent_id[16];
  uint8_t run_id[16];
  uint8_t request_hash[32];
  uint8_t result_hash[32];
  uint8_t policy_hash[32];
} authority_audit_record;

/* The last entry of a chain (seq 0 and the genesis hash when empty). */
typedef struct authority_audit_head {
  uint64_t seq;
  uint8_t hash[32];
} authority_audit_head;

/* Where frames go. append takes one whole frame or none of it and returns 0,
 * AUTHORITY_ERR_LOG_FULL or AUTHORITY_ERR_SINK_FAILURE; sync makes everything appended
 * durable (0 or SINK_FAILURE). lock/unlock (both or neither) serialize appends when
 * several threads use the chain. The chain keeps a copy of this struct. */
typedef struct authority_audit_sink {
  void* context;
  int (*append)(void* context, const uint8_t* frame, size_t len);
  int (*sync)(void* context);
  void (*lock)(void* context);
  void (*unlock)(void* context);
} authority_audit_sink;

/* The 32-byte header a log stream starts with (write it to the sink's medium first if
 * the log is to be read by `authority audit verify` or authority_audit_verify_log). */
int authority_audit_log_header(const uint8_t log_id[16], uint8_t header[AUTHORITY_AUDIT_LOG_HEADER_SIZE]);

/* A new log (seq 1 links to the genesis hash of log_id), or one continuing after `head`. */
int authority_audit_chain_init(authority_audit_chain* chain, const authority_audit_sink* sink,
                               const uint8_t log_id[16]);
int authority_audit_chain_resume(authority_audit_chain* chain, const authority_audit_sink* sink,
                                 const authority_audit_head* head);
/* Appends without waiting for durability (then authority_audit_sync), or durably. Fails
 * closed: once the sink fails, every later append returns that error. `appended` (may be
 * NULL) receives the entry's seq and hash. */
int authority_audit_append(authority_audit_chain* chain, const authority_audit_record* record,
                           authority_audit_head* appended, authority_error* err);
int authority_audit_append_durable(authority_audit_chain* chain, const authority_audit_record* record,
                                   authority_audit_head* appended, authority_error* err);
int authority_audit_sync(authority_audit_chain* chain, authority_error* err);
int authority_audit_chain_head(const authority_audit_chain* chain, authority_audit_head* head);

/* Verification: OK with the count and head hash, or the first bad sequence number, why
 * (code, field) and where (byte offset of the bad frame). */
typedef struct authority_audit_verification {
  uint16_t code;
  char field[AUTHORITY_ERROR_FIELD_SIZE];
  uint64_t count;       /* records that verified */
  uint8_t head[32];     /* hash of the last good record (genesis when none) */
  uint64_t bad_seq;
  uint64_t byte_offset;
  uint64_t valid_bytes; /* length of the good prefix */
} authority_audit_verification;

/* A whole log stream: the 32-byte header, then frames. Returns the verification's code. */
int authority_audit_verify_log(const uint8_t* stream, size_t len, authority_audit_verification* out);
/* Frames only (no header), from the first entry of log `log_id`. */
int authority_audit_verify_frames(const uint8_t* frames, size_t len, const uint8_t log_id[16],
                                  authority_audit_verification* out);

/* Incremental verification in O(1) memory (a serial line, a log read in pieces): feed
 * bytes as they come; whole frames are consumed, a partial frame at the end is left for
 * the next call (`consumed` says how much was used). The first failure latches. */
int authority_audit_verifier_init(authority_audit_verifier* verifier, const uint8_t log_id[16]);
int authority_audit_verifier_feed(authority_audit_verifier* verifier, const uint8_t* bytes, size_t len,
                                  size_t* consumed, authority_error* err);
int authority_audit_verifier_head(const authority_audit_verifier* verifier, authority_audit_head* head);

/* ---- the gate (INV-1; gate.hpp, request_frame.hpp) ----------------------------------
 * One entry point: validate -> sequence -> capability -> policy and taint -> budget
 * reserve -> durable audit of the decision -> execute -> budget commit -> audit of the
 * outcome. The executor callback runs only for an allowed effect. */

/* An effect request (decoded from a frame, or to encode one). Strings and bytes are views. */
typedef struct authority_effect_request {
  uint16_t op; /* enum authority_effect */
  uint64_t seq; /* 1, 2, ... strictly increasing per session */
  const char* target;
  size_t target_len;
  const char* target2; /* fs.rename: the destination */
  size_t target2_len;
  const char* version; /* tool.call */
  size_t version_len;
  uint64_t tokens; /* infer */
  uint64_t labels;
  authority_costs cost; /* declared metered costs */
  const uint8_t* capability; /* binary token */
  size_t capability_len;
  const uint8_t* payload; /* the executor's arguments */
  size_t payload_len;
} authority_effect_request;

/* Encodes a request frame ("ARQ1", docs/gate.md) into `out`. */
int authority_request_encode(const authority_effect_request* request, uint8_t* out, size_t out_size,
                             size_t* frame_len, authority_error* err);
/* Decodes one frame; the request's views point into `frame`. */
int authority_request_decode(const uint8_t* frame, size_t frame_len, authority_effect_request* request,
                             authority_error* err);

/* What the executor is allowed to do: exactly this effect on these canonical targets. */
typedef struct authority_permit {
  uint16_t op;
  const char* target;
  size_t target_len;
  const char* target2;
  size_t target2_len;
  uint64_t decision_seq; /* the audit entry that allowed it */
} authority_permit;

/* What the executor reports: the costs it incurred, its output (hashed into the outcome
 * entry; must stay valid until the gate returns) and 0 or the reason it failed. */
typedef struct authority_effect_result {
  authority_costs actual;
  const uint8_t* output;
  size_t output_len;
  uint16_t status;
} authority_effect_result;

typedef struct authority_executor {
  void* context;
  void (*execute)(void* context, const authority_permit* permit, const authority_effect_request* request,
                  authority_effect_result* result);
} authority_executor;

typedef struct authority_clock {
  void* context;
  uint64_t (*now_ns)(void* context); /* Unix time in ns; must not go backwards */
} authority_clock;

typedef struct authority_lock {
  void* context;
  void (*lock)(void* context); /* both NULL: the gate is used by one thread at a time */
  void (*unlock)(void* context);
} authority_lock;

enum authority_gate_mode {
  AUTHORITY_GATE_ENFORCE = 0,
  AUTHORITY_GATE_RECORD = 1 /* policy denials are allowed but logged with their reason */
};

typedef struct authority_gate_config {
  authority_verifier* verifier;
  authority_policy_store* policies;
  const authority_key_ring* keys; /* verifies policy.update blobs */
  authority_audit_chain* log;
  authority_executor executor;
  authority_clock clock;
  authority_lock lock;
  uint8_t mode; /* enum authority_gate_mode */
} authority_gate_config;

/* The gate keeps pointers to every object in the config: they must outlive it. */
int authority_gate_init(authority_gate* gate, const authority_gate_config* config, authority_error* err);
/* 1 once the audit log failed: every request is denied from then on. */
int authority_gate_closed(const authority_gate* gate);

/* Per agent: identity, sequence counter, budget (which must outlive the session) and its
 * last denial. One thread at a time. */
int authority_session_init(authority_session* session, const uint8_t agent_id[16], const uint8_t run_id[16],
                           authority_budget* budget);

typedef struct authority_response {
  uint8_t allow;
  uint16_t reason;
  uint16_t op;
  uint64_t decision_seq; /* audit seq of the decision (0: not logged) */
  uint64_t outcome_seq;
  uint32_t rule;         /* the deciding policy rule, or AUTHORITY_NO_RULE */
  uint8_t recorded;      /* record mode: allowed although the policy denies */
  uint64_t result_labels;
  uint8_t needs_capability; /* the capability check failed: what was needed */
  uint8_t needed_type;
  uint8_t needed_method;
  authority_effect_result result; /* the executor's report, when it ran */
} authority_response;

/* Runs one request frame through the gate. Returns response->reason: 0 when the effect
 * was allowed and ran without error (INVALID_ARGUMENT, response untouched, when an
 * object is not initialized or a pointer is missing). A frame that does not decode is refused with its
 * decoding error and logged as an agent fault (op 0, request_hash = SHA-256 of the
 * frame). A policy.update frame's payload becomes the policy in force: its bytes must
 * stay alive and unchanged as long as that policy (or its successor's rollback) may be
 * used. */
int authority_gate_submit(authority_gate* gate, authority_session* session, const uint8_t* frame, size_t frame_len,
                          authority_response* response);

typedef struct authority_denial {
  uint8_t present;
  uint16_t op;
  uint16_t reason;
  uint64_t seq;
  uint32_t rule;
  uint8_t needs_capability;
  uint8_t needed_type;
  uint8_t needed_method;
  size_t target_len; /* bytes of the (canonical) target written to the caller's buffer */
} authority_denial;
/* The agent's "why was I denied?": the session's last denial; its target is copied
 * into `target` (cut to `target_size`). */
int authority_session_last_denial(const authority_session* session, authority_denial* denial, char* target,
                                  size_t target_size);

#ifdef __cplusplus
}
#endif

#endif /* AUTHORITY_AUTHORITY_H */
