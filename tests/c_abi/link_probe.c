/* A "kernel" in C that links every entry point of the C ABI, freestanding: built by
 * ports/c_abi/freestanding/ for x86_64, aarch64 and riscv64 with -nostdlib, libgcc and
 * kernel_runtime.c only. It is linked, not run: linking without --gc-sections proves that
 * the library needs nothing else (tests/c_abi/check_runtime_symbols.py shows what is
 * missing without the runtime). tests/c_abi/names.test.cpp checks that
 * every function of authority.h is in the table below. */
#include "authority/authority.h"

typedef void (*entry_point)(void);
#define ENTRY(f) (entry_point)(f)

static const entry_point entry_points[] = {
    ENTRY(authority_abi_version),
    ENTRY(authority_audit_append),
    ENTRY(authority_audit_append_durable),
    ENTRY(authority_audit_chain_head),
    ENTRY(authority_audit_chain_init),
    ENTRY(authority_audit_chain_resume),
    ENTRY(authority_audit_log_header),
    ENTRY(authority_audit_sync),
    ENTRY(authority_audit_verifier_feed),
    ENTRY(authority_audit_verifier_head),
    ENTRY(authority_audit_verifier_init),
    ENTRY(authority_audit_verify_frames),
    ENTRY(authority_audit_verify_log),
    ENTRY(authority_budget_commit),
    ENTRY(authority_budget_get_usage),
    ENTRY(authority_budget_init),
    ENTRY(authority_budget_release),
    ENTRY(authority_budget_reserve),
    ENTRY(authority_canonicalize_path),
    ENTRY(authority_cap_method_from_name),
    ENTRY(authority_cap_type_from_name),
    ENTRY(authority_effect_from_name),
    ENTRY(authority_error_description),
    ENTRY(authority_error_name),
    ENTRY(authority_gate_closed),
    ENTRY(authority_gate_init),
    ENTRY(authority_gate_submit),
    ENTRY(authority_key_ring_add_active),
    ENTRY(authority_key_ring_add_retired),
    ENTRY(authority_key_ring_destroy),
    ENTRY(authority_key_ring_init),
    ENTRY(authority_key_ring_remove),
    ENTRY(authority_key_ring_retire),
    ENTRY(authority_limits_from_policy),
    ENTRY(authority_policy_budget),
    ENTRY(authority_policy_evaluate),
    ENTRY(authority_policy_get_info),
    ENTRY(authority_policy_op_from_name),
    ENTRY(authority_policy_open),
    ENTRY(authority_policy_store_current),
    ENTRY(authority_policy_store_init),
    ENTRY(authority_policy_store_load),
    ENTRY(authority_policy_store_rollback),
    ENTRY(authority_request_decode),
    ENTRY(authority_request_encode),
    ENTRY(authority_resource_from_name),
    ENTRY(authority_resource_name),
    ENTRY(authority_revocation_count),
    ENTRY(authority_revocation_list_init),
    ENTRY(authority_revocation_list_load),
    ENTRY(authority_revoke_run),
    ENTRY(authority_revoke_token),
    ENTRY(authority_session_init),
    ENTRY(authority_session_last_denial),
    ENTRY(authority_token_from_text),
    ENTRY(authority_token_inspect),
    ENTRY(authority_verifier_init),
    ENTRY(authority_verify_token),
};

volatile const entry_point* probe_sink;
volatile size_t probe_index;

/* Objects of every type, in static storage as a kernel would keep them. */
static authority_key_ring keys;
static authority_budget budget;

void probe_entry(void);
void probe_entry(void) {
  authority_limits limits = {0};
  (void)authority_key_ring_init(&keys, 0);
  (void)authority_budget_init(&budget, &limits, 0);
  probe_sink = &entry_points[probe_index % (sizeof entry_points / sizeof entry_points[0])];
  for (;;) {
  }
}
