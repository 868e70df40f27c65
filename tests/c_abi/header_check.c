/* authority.h as C: compiled with -std=c99 and -std=c11, -pedantic -Wall -Wextra
 * -Wconversion -Wsign-conversion -Werror, by gcc and clang (ctest c_abi_header_*). It
 * declares objects the way a C kernel does and calls a few entry points with the types
 * the header asks for. */
#include "authority/authority.h"

/* C99 has no _Static_assert. */
#define CHECK(name, condition) typedef char check_##name[(condition) ? 1 : -1]

CHECK(key_ring_size, sizeof(authority_key_ring) == AUTHORITY_KEY_RING_SIZE);
CHECK(session_size, sizeof(authority_session) == AUTHORITY_SESSION_SIZE);
CHECK(budget_size, sizeof(authority_budget) == AUTHORITY_BUDGET_SIZE);
CHECK(costs_cover_resources, sizeof(((authority_costs*)0)->of) == AUTHORITY_RESOURCE_COUNT * sizeof(uint64_t));
CHECK(storage_macro, AUTHORITY_REVOCATION_STORAGE_SIZE(64) == 64 * AUTHORITY_REVOCATION_SLOT_SIZE);

static authority_key_ring keys;
static authority_revocation_list revocations;
static unsigned char revocation_storage[AUTHORITY_REVOCATION_STORAGE_SIZE(64)];
static authority_verifier verifier;
static authority_budget budget;

int check_header(const uint8_t* token, size_t token_len);
int check_header(const uint8_t* token, size_t token_len) {
  static const uint8_t key[AUTHORITY_KEY_SIZE] = {1};
  authority_error err;
  authority_access access = {0};
  authority_limits limits = {{{0}}};
  authority_costs costs = {{0}};
  authority_reservation reservation;
  uint8_t type = 0;
  int rc = authority_key_ring_init(&keys, 0);
  rc |= authority_key_ring_add_active(&keys, 1, key, 0, &err);
  rc |= authority_revocation_list_init(&revocations, revocation_storage, sizeof revocation_storage, &err);
  rc |= authority_verifier_init(&verifier, &keys, &revocations, NULL, 0, NULL, 0, &err);
  rc |= authority_cap_type_from_name("fs", 2, &type);
  access.type = type;
  access.method = 0;
  access.target = "/data/x";
  access.target_len = 7;
  rc |= authority_verify_token(&verifier, token, token_len, &access, 0, NULL, &err);
  limits.of[AUTHORITY_RESOURCE_CALLS].amount = 10;
  rc |= authority_budget_init(&budget, &limits, 0);
  costs.of[AUTHORITY_RESOURCE_CALLS] = 1;
  rc |= authority_budget_reserve(&budget, &costs, 0, &reservation, &err);
  rc |= authority_budget_commit(&budget, &reservation, &costs, NULL);
  return rc == AUTHORITY_OK && authority_error_name(rc)[0] != '\0' ? 0 : 1;
}
