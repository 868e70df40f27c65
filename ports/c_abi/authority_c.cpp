// The C ABI (include/authority/authority.h) over the library. Freestanding C++: it is
// built for the host and, with the kernel toolchains, for x86_64, aarch64 and riscv64,
// and needs nothing at link time but memcpy/memmove/memset/memcmp and libgcc
// (docs/porting.md; tests/c_abi/link_probe.c proves it). No heap, no exceptions, no
// globals of its own: every object lives in the caller's memory.
//
// Each opaque object is laid out as a 16-byte header holding a type tag, then the C++
// object. The tag lets every entry point refuse an object that was never initialized
// (or is of another type) instead of reading garbage as a key ring or a chain.
#include "authority/authority.h"

#include <new>

#include "authority/audit/verify.hpp"
#include "authority/capability/verify.hpp"
#include "authority/gate.hpp"
#include "authority/pattern/path.hpp"
#include "authority/request_frame.hpp"

namespace {

using namespace authority;

// ---- the C names are the library's numbers -----------------------------------------

#define AUTHORITY_SAME(c_value, cpp_value) \
  static_assert(static_cast<long>(c_value) == static_cast<long>(cpp_value), #c_value " differs from " #cpp_value)

AUTHORITY_SAME(AUTHORITY_KEY_SIZE, capability::key_size);
AUTHORITY_SAME(AUTHORITY_MAX_TOKEN_SIZE, capability::max_token_size);
AUTHORITY_SAME(AUTHORITY_RESOURCE_COUNT, budget::resource_count);
AUTHORITY_SAME(AUTHORITY_NO_RULE, policy::no_rule);
AUTHORITY_SAME(AUTHORITY_AUDIT_LOG_HEADER_SIZE, audit::log_header_size);
AUTHORITY_SAME(AUTHORITY_AUDIT_FRAME_SIZE, audit::frame_size);
AUTHORITY_SAME(AUTHORITY_AUDIT_DENY, audit::verdict::deny);
AUTHORITY_SAME(AUTHORITY_AUDIT_ALLOW, audit::verdict::allow);
AUTHORITY_SAME(AUTHORITY_GATE_ENFORCE, gate_mode::enforce);
AUTHORITY_SAME(AUTHORITY_GATE_RECORD, gate_mode::record);
AUTHORITY_SAME(AUTHORITY_LIMIT_ABSENT, policy::blob::budget_state::absent);
AUTHORITY_SAME(AUTHORITY_LIMIT_UNLIMITED, policy::blob::budget_state::unlimited);
AUTHORITY_SAME(AUTHORITY_LIMIT_AMOUNT, policy::blob::budget_state::amount);
AUTHORITY_SAME(AUTHORITY_REVOCATION_SLOT_SIZE, sizeof(capability::revocation_slot));
AUTHORITY_SAME(AUTHORITY_RATE_BUCKET_SIZE, sizeof(capability::bucket_slot));
AUTHORITY_SAME(AUTHORITY_TOKEN_CACHE_SLOT_SIZE, sizeof(capability::verified_slot));
static_assert(alignof(capability::revocation_slot) == 1);
static_assert(alignof(capability::bucket_slot) <= 16 && alignof(capability::verified_slot) <= 8);

AUTHORITY_SAME(AUTHORITY_CAP_FS, capability::cap_type::fs);
AUTHORITY_SAME(AUTHORITY_CAP_NET, capability::cap_type::net);
AUTHORITY_SAME(AUTHORITY_CAP_TOOL, capability::cap_type::tool);
AUTHORITY_SAME(AUTHORITY_CAP_WASM, capability::cap_type::wasm);
AUTHORITY_SAME(AUTHORITY_CAP_INFER, capability::cap_type::infer);
AUTHORITY_SAME(AUTHORITY_CAP_SPAWN, capability::cap_type::spawn);
AUTHORITY_SAME(AUTHORITY_CAP_HEAP, capability::cap_type::heap);
AUTHORITY_SAME(AUTHORITY_CAP_SECRETS, capability::cap_type::secrets);
AUTHORITY_SAME(AUTHORITY_CAP_IPC, capability::cap_type::ipc);
AUTHORITY_SAME(AUTHORITY_CAP_ADMIN, capability::cap_type::admin);
static_assert(capability::cap_type_max == AUTHORITY_CAP_ADMIN, "a capability type without a C name");

AUTHORITY_SAME(AUTHORITY_OP_FS_READ, policy::op::fs_read);
AUTHORITY_SAME(AUTHORITY_OP_FS_WRITE, policy::op::fs_write);
AUTHORITY_SAME(AUTHORITY_OP_FS_EXEC, policy::op::fs_exec);
AUTHORITY_SAME(AUTHORITY_OP_NET_DNS, policy::op::net_dns);
AUTHORITY_SAME(AUTHORITY_OP_NET_CONNECT, policy::op::net_connect);
AUTHORITY_SAME(AUTHORITY_OP_NET_BIND, policy::op::net_bind);
AUTHORITY_SAME(AUTHORITY_OP_NET_LISTEN, policy::op::net_listen);
AUTHORITY_SAME(AUTHORITY_OP_TOOL_CALL, policy::op::tool_call);
AUTHORITY_SAME(AUTHORITY_OP_WASM_CALL, policy::op::wasm_call);
AUTHORITY_SAME(AUTHORITY_OP_WASM_HOSTCALL, policy::op::wasm_hostcall);
AUTHORITY_SAME(AUTHORITY_OP_INFER, policy::op::infer);
AUTHORITY_SAME(AUTHORITY_OP_SPAWN, policy::op::spawn);
static_assert(policy::op_count == AUTHORITY_OP_SPAWN + 1, "a policy op without a C name");

AUTHORITY_SAME(AUTHORITY_RESOURCE_TOKENS, budget::resource::tokens);
AUTHORITY_SAME(AUTHORITY_RESOURCE_CALLS, budget::resource::calls);
AUTHORITY_SAME(AUTHORITY_RESOURCE_TOOL_CALLS, budget::resource::tool_calls);
AUTHORITY_SAME(AUTHORITY_RESOURCE_LLM_TOKENS_IN, budget::resource::llm_tokens_in);
AUTHORITY_SAME(AUTHORITY_RESOURCE_LLM_TOKENS_OUT, budget::resource::llm_tokens_out);
AUTHORITY_SAME(AUTHORITY_RESOURCE_INFERENCE_TIME_MS, budget::resource::inference_time_ms);
AUTHORITY_SAME(AUTHORITY_RESOURCE_FILE_BYTES, budget::resource::file_bytes);
AUTHORITY_SAME(AUTHORITY_RESOURCE_NET_BYTES_IN, budget::resource::net_bytes_in);
AUTHORITY_SAME(AUTHORITY_RESOURCE_NET_BYTES_OUT, budget::resource::net_bytes_out);
AUTHORITY_SAME(AUTHORITY_RESOURCE_BYTES, budget::resource::bytes);
AUTHORITY_SAME(AUTHORITY_RESOURCE_HEAP_BYTES, budget::resource::heap_bytes);
AUTHORITY_SAME(AUTHORITY_RESOURCE_HEAP_OBJECTS, budget::resource::heap_objects);
AUTHORITY_SAME(AUTHORITY_RESOURCE_BLOB_BYTES, budget::resource::blob_bytes);
AUTHORITY_SAME(AUTHORITY_RESOURCE_WALL_TIME_MS, budget::resource::wall_time_ms);
AUTHORITY_SAME(AUTHORITY_RESOURCE_CPU_TIME_NS, budget::resource::cpu_time_ns);

AUTHORITY_SAME(AUTHORITY_AUDIT_DECISION, audit::entry_kind::decision);
AUTHORITY_SAME(AUTHORITY_AUDIT_OUTCOME, audit::entry_kind::outcome);
AUTHORITY_SAME(AUTHORITY_AUDIT_POLICY_CHANGE, audit::entry_kind::policy_change);
AUTHORITY_SAME(AUTHORITY_AUDIT_KEY_ROTATION, audit::entry_kind::key_rotation);
AUTHORITY_SAME(AUTHORITY_AUDIT_AGENT_FAULT, audit::entry_kind::agent_fault);
AUTHORITY_SAME(AUTHORITY_AUDIT_AGENT_START, audit::entry_kind::agent_start);
AUTHORITY_SAME(AUTHORITY_AUDIT_AGENT_EXIT, audit::entry_kind::agent_exit);
AUTHORITY_SAME(AUTHORITY_AUDIT_CHECKPOINT, audit::entry_kind::checkpoint);
static_assert(audit::entry_kind_max == AUTHORITY_AUDIT_CHECKPOINT, "an audit entry kind without a C name");

struct c_effect_name {
  int c_value;
  effect value;
};
constexpr c_effect_name c_effects[] = {
    {AUTHORITY_EFFECT_FS_READ, effect::fs_read},         {AUTHORITY_EFFECT_FS_WRITE, effect::fs_write},
    {AUTHORITY_EFFECT_FS_STAT, effect::fs_stat},         {AUTHORITY_EFFECT_FS_LIST, effect::fs_list},
    {AUTHORITY_EFFECT_FS_UNLINK, effect::fs_unlink},     {AUTHORITY_EFFECT_FS_MKDIR, effect::fs_mkdir},
    {AUTHORITY_EFFECT_FS_RENAME, effect::fs_rename},     {AUTHORITY_EFFECT_NET_DNS, effect::net_dns},
    {AUTHORITY_EFFECT_NET_CONNECT, effect::net_connect}, {AUTHORITY_EFFECT_NET_BIND, effect::net_bind},
    {AUTHORITY_EFFECT_NET_LISTEN, effect::net_listen},   {AUTHORITY_EFFECT_NET_SEND, effect::net_send},
    {AUTHORITY_EFFECT_NET_RECV, effect::net_recv},       {AUTHORITY_EFFECT_TOOL_CALL, effect::tool_call},
    {AUTHORITY_EFFECT_WASM_CALL, effect::wasm_call},     {AUTHORITY_EFFECT_WASM_HOSTCALL, effect::wasm_hostcall},
    {AUTHORITY_EFFECT_INFER, effect::infer},             {AUTHORITY_EFFECT_SPAWN, effect::spawn},
    {AUTHORITY_EFFECT_HEAP_ALLOC, effect::heap_alloc},   {AUTHORITY_EFFECT_HEAP_READ, effect::heap_read},
    {AUTHORITY_EFFECT_HEAP_WRITE, effect::heap_write},   {AUTHORITY_EFFECT_HEAP_CAS, effect::heap_cas},
    {AUTHORITY_EFFECT_HEAP_FREE, effect::heap_free},     {AUTHORITY_EFFECT_SECRET_GET, effect::secret_get},
    {AUTHORITY_EFFECT_IPC_SEND, effect::ipc_send},       {AUTHORITY_EFFECT_IPC_RECV, effect::ipc_recv},
    {AUTHORITY_EFFECT_POLICY_UPDATE, effect::policy_update}, {AUTHORITY_EFFECT_AUDIT_READ, effect::audit_read},
};
constexpr bool c_effects_match() noexcept {
  for (const auto& e : c_effects)
    if (e.c_value != static_cast<int>(e.value)) return false;
  return true;
}
static_assert(c_effects_match(), "a C effect name has another op code than the catalog");

// Every C error number is a code of error.hpp. Completeness (every code has a C name,
// spelled after it) is checked by tests/c_abi/names.test.cpp, so that adding a code
// fails a test with a clear message rather than every build.
constexpr int c_error_codes[] = {
    AUTHORITY_OK,
    AUTHORITY_ERR_TRUNCATED, AUTHORITY_ERR_TRAILING_BYTES, AUTHORITY_ERR_NON_CANONICAL,
    AUTHORITY_ERR_UNSUPPORTED_VERSION, AUTHORITY_ERR_BAD_MAGIC, AUTHORITY_ERR_TOO_LONG,
    AUTHORITY_ERR_INVALID_ENCODING, AUTHORITY_ERR_OUT_OF_RANGE, AUTHORITY_ERR_CAPACITY_EXCEEDED,
    AUTHORITY_ERR_INVALID_ARGUMENT, AUTHORITY_ERR_BAD_CHECKSUM, AUTHORITY_ERR_TOO_COMPLEX,
    AUTHORITY_ERR_NOT_FOUND, AUTHORITY_ERR_INVALID_PATTERN, AUTHORITY_ERR_INVALID_PATH,
    AUTHORITY_ERR_KEY_UNKNOWN, AUTHORITY_ERR_KEY_EXPIRED, AUTHORITY_ERR_BAD_MAC, AUTHORITY_ERR_TOKEN_EXPIRED,
    AUTHORITY_ERR_TOKEN_NOT_YET_VALID, AUTHORITY_ERR_REVOKED, AUTHORITY_ERR_WRONG_TYPE,
    AUTHORITY_ERR_RESOURCE_NOT_COVERED, AUTHORITY_ERR_METHOD_NOT_ALLOWED, AUTHORITY_ERR_RUN_MISMATCH,
    AUTHORITY_ERR_RATE_LIMITED, AUTHORITY_ERR_WIDENS_TYPE, AUTHORITY_ERR_WIDENS_RESOURCE,
    AUTHORITY_ERR_WIDENS_METHODS, AUTHORITY_ERR_WIDENS_TTL, AUTHORITY_ERR_WIDENS_RATE, AUTHORITY_ERR_WIDENS_RUN,
    AUTHORITY_ERR_DEPTH_EXCEEDED, AUTHORITY_ERR_MISSING_CAPABILITY,
    AUTHORITY_ERR_NO_POLICY, AUTHORITY_ERR_DENIED_BY_RULE, AUTHORITY_ERR_NOT_ALLOWED,
    AUTHORITY_ERR_TAINT_VIOLATION, AUTHORITY_ERR_POLICY_SYNTAX, AUTHORITY_ERR_POLICY_UNKNOWN_KEY,
    AUTHORITY_ERR_POLICY_DUPLICATE_KEY, AUTHORITY_ERR_POLICY_TYPE, AUTHORITY_ERR_POLICY_MAC,
    AUTHORITY_ERR_POLICY_ROLLBACK, AUTHORITY_ERR_LIMIT_EXCEEDED, AUTHORITY_ERR_POLICY_MISSING_KEY,
    AUTHORITY_ERR_BUDGET_EXCEEDED, AUTHORITY_ERR_DEADLINE_EXCEEDED, AUTHORITY_ERR_BUDGET_UNKNOWN_RESERVATION,
    AUTHORITY_ERR_CHAIN_BROKEN, AUTHORITY_ERR_ENTRY_HASH, AUTHORITY_ERR_SEQUENCE_GAP, AUTHORITY_ERR_SINK_FAILURE,
    AUTHORITY_ERR_LOG_FULL, AUTHORITY_ERR_CHECKPOINT_SIGNATURE, AUTHORITY_ERR_PROOF_INVALID,
    AUTHORITY_ERR_SEQUENCE_REPLAY, AUTHORITY_ERR_SEQUENCE_ORDER, AUTHORITY_ERR_AGENT_MISMATCH,
    AUTHORITY_ERR_UNKNOWN_EFFECT, AUTHORITY_ERR_EXECUTOR_FAILED, AUTHORITY_ERR_PENDING_APPROVAL,
    AUTHORITY_ERR_IO_ERROR, AUTHORITY_ERR_ENTROPY_FAILURE, AUTHORITY_ERR_INTERNAL,
};
constexpr bool c_error_codes_known() noexcept {
  for (int code : c_error_codes)
    if (find_errc(static_cast<errc>(code)) == nullptr) return false;
  return true;
}
static_assert(c_error_codes_known(), "authority.h has an error number that error.hpp does not");

// ---- errors --------------------------------------------------------------------------

void copy_field(char (&out)[AUTHORITY_ERROR_FIELD_SIZE], std::string_view field) noexcept {
  const std::size_t n = field.size() < sizeof(out) - 1 ? field.size() : sizeof(out) - 1;
  for (std::size_t i = 0; i < n; ++i) out[i] = field[i];
  out[n] = '\0';
}

int report(authority_error* err, const error& e) noexcept {
  if (err != nullptr) {
    err->code = static_cast<std::uint16_t>(e.code);
    err->offset = e.offset;
    copy_field(err->field, e.field);
  }
  return static_cast<int>(e.code);
}
int report(authority_error* err, errc code, std::string_view field = {}, std::uint32_t offset = 0) noexcept {
  return report(err, make_error(code, field, offset));
}
template <class T>
int report(authority_error* err, const result<T>& r) noexcept {
  return report(err, r.error());
}
int bad_argument(authority_error* err, std::string_view field) noexcept {
  return report(err, errc::invalid_argument, field);
}

// ---- objects in caller memory ----------------------------------------------------------

constexpr std::size_t object_header = 16;

std::uint32_t read_tag(const unsigned char* storage) noexcept { return load_le32(storage); }
void write_tag(unsigned char* storage, std::uint32_t tag) noexcept { store_le32(storage, tag); }

template <class Impl, class C>
Impl* live(C* c) noexcept {
  if (c == nullptr || read_tag(c->opaque) != Impl::tag) return nullptr;
  return std::launder(reinterpret_cast<Impl*>(c->opaque + object_header));
}
template <class Impl, class C>
const Impl* live(const C* c) noexcept {
  if (c == nullptr || read_tag(c->opaque) != Impl::tag) return nullptr;
  return std::launder(reinterpret_cast<const Impl*>(c->opaque + object_header));
}

template <class Impl, class C, class... Args>
Impl* create(C* c, Args&&... args) noexcept {
  static_assert(object_header + sizeof(Impl) <= sizeof(c->opaque), "the published object size is too small");
  static_assert(alignof(Impl) <= AUTHORITY_OBJECT_ALIGN, "the published alignment is too small");
  Impl* impl = new (c->opaque + object_header) Impl(static_cast<Args&&>(args)...);
  write_tag(c->opaque, Impl::tag);
  return impl;
}

template <class Impl, class C>
void destroy(C* c) noexcept {
  if (Impl* impl = live<Impl>(c)) {
    impl->~Impl();
    write_tag(c->opaque, 0);
  }
}

// Arrays of trivially copyable slots placed in caller storage.
template <class Slot>
result<std::span<Slot>> slots_in(void* storage, std::size_t size, std::size_t multiple, std::string_view field) noexcept {
  if (storage == nullptr || size == 0) {
    if (size != 0) return make_error(errc::invalid_argument, field);
    return std::span<Slot>{};
  }
  if (reinterpret_cast<std::uintptr_t>(storage) % alignof(Slot) != 0 || size % sizeof(Slot) != 0 ||
      (size / sizeof(Slot)) % multiple != 0)
    return make_error(errc::invalid_argument, field);
  const std::size_t n = size / sizeof(Slot);
  auto* bytes = static_cast<unsigned char*>(storage);
  for (std::size_t i = 0; i < n; ++i) new (bytes + i * sizeof(Slot)) Slot{};
  return std::span<Slot>{std::launder(reinterpret_cast<Slot*>(storage)), n};
}

template <std::size_t N>
byte_array<N> array_of(const std::uint8_t* p) noexcept {
  byte_array<N> out{};
  for (std::size_t i = 0; i < N; ++i) out[i] = p[i];
  return out;
}
template <std::size_t N>
void copy_out(std::uint8_t (&out)[N], const byte_array<N>& in) noexcept {
  for (std::size_t i = 0; i < N; ++i) out[i] = in[i];
}

std::string_view view_of(const char* p, std::size_t n) noexcept { return p == nullptr ? std::string_view{} : std::string_view{p, n}; }
bytes_view bytes_of(const std::uint8_t* p, std::size_t n) noexcept { return p == nullptr ? bytes_view{} : bytes_view{p, n}; }
// A (pointer, length) pair is well formed when the pointer is set or the length is 0.
bool well_formed(const void* p, std::size_t n) noexcept { return p != nullptr || n == 0; }

struct key_ring_impl {
  static constexpr std::uint32_t tag = 0x4b455952;  // "KEYR"
  capability::key_ring ring;
  explicit key_ring_impl(time_ns grace) noexcept : ring(grace) {}
};

struct revocation_impl {
  static constexpr std::uint32_t tag = 0x5245564c;  // "REVL"
  capability::revocation_list list;
  explicit revocation_impl(std::span<capability::revocation_slot> slots) noexcept : list(slots) {}
};

struct verifier_impl {
  static constexpr std::uint32_t tag = 0x56455249;  // "VERI"
  capability::rate_limiter rates;
  capability::verified_cache cache;
  capability::verifier verifier;
  verifier_impl(const capability::key_ring& keys, const capability::revocation_list& revoked,
                std::span<capability::bucket_slot> buckets, std::span<capability::verified_slot> cached) noexcept
      : rates(buckets), cache(cached), verifier(keys, revoked, &rates, cached.empty() ? nullptr : &cache) {}
};

struct policy_impl {
  static constexpr std::uint32_t tag = 0x504f4c49;  // "POLI"
  policy::compiled_policy policy;
  policy_impl() noexcept = default;
  explicit policy_impl(const policy::compiled_policy& p) noexcept : policy(p) {}
};

struct policy_store_impl {
  static constexpr std::uint32_t tag = 0x53544f52;  // "STOR"
  policy::policy_store store;
};

struct budget_impl {
  static constexpr std::uint32_t tag = 0x42554447;  // "BUDG"
  budget::account account;
  budget_impl(const budget::limits& l, time_ns start) noexcept : account(l, start) {}
};

// The caller's sink callbacks as an audit::sink.
struct callback_sink {
  authority_audit_sink cb;

  static result<void> outcome(int rc, std::string_view what) noexcept {
    if (rc == 0) return success();
    return make_error(rc == AUTHORITY_ERR_LOG_FULL ? errc::log_full : errc::sink_failure, what);
  }
  result<void> append(bytes_view frame) noexcept { return outcome(cb.append(cb.context, frame.data(), frame.size()), "sink append"); }
  result<void> sync() noexcept { return outcome(cb.sync(cb.context), "sink sync"); }
  void lock() const noexcept {
    if (cb.lock != nullptr) cb.lock(cb.context);
  }
  void unlock() const noexcept {
    if (cb.unlock != nullptr) cb.unlock(cb.context);
  }
};
static_assert(audit::sink<callback_sink>);

// A chain over the callbacks, serialized by the sink's lock; the gate's durable log.
struct chain_impl {
  static constexpr std::uint32_t tag = 0x43484149;  // "CHAI"
  callback_sink sink;
  audit::chain<callback_sink> chain;

  chain_impl(const authority_audit_sink& cb, const audit::id16& log_id) noexcept : sink{cb}, chain(sink, log_id) {}
  chain_impl(const authority_audit_sink& cb, const audit::chain_head& head) noexcept : sink{cb}, chain(sink, head) {}

  template <class F>
  auto locked(F&& f) noexcept {
    sink.lock();
    auto r = f();
    sink.unlock();
    return r;
  }
  result<audit::appended> append(const audit::record& r) noexcept { return locked([&] { return chain.append(r); }); }
  result<audit::appended> append_durable(const audit::record& r) noexcept {
    return locked([&] { return chain.append_durable(r); });
  }
  result<void> sync() noexcept { return locked([&] { return chain.sync(); }); }
  audit::chain_head head() noexcept { return locked([&] { return chain.head(); }); }
};
static_assert(audit::durable_log<chain_impl>);

struct audit_verifier_impl {
  static constexpr std::uint32_t tag = 0x41564552;  // "AVER"
  audit::verifier verifier;
  explicit audit_verifier_impl(const audit::id16& log_id) noexcept : verifier(log_id) {}
};

struct callback_clock {
  authority_clock cb;
  time_ns now_ns() noexcept { return cb.now_ns(cb.context); }
};
static_assert(authority::clock<callback_clock>);

struct callback_lock {
  authority_lock cb{};
  void lock() noexcept {
    if (cb.lock != nullptr) cb.lock(cb.context);
  }
  void unlock() noexcept {
    if (cb.unlock != nullptr) cb.unlock(cb.context);
  }
};

void to_c(const budget::costs& in, authority_costs& out) noexcept {
  for (std::size_t i = 0; i < budget::resource_count; ++i) out.of[i] = in.at(i);
}
budget::costs from_c(const authority_costs& in) noexcept {
  budget::costs out;
  for (std::size_t i = 0; i < budget::resource_count; ++i) out.set(static_cast<budget::resource>(i), in.of[i]);
  return out;
}

void to_c(const effect_request& in, authority_effect_request& out) noexcept {
  out.op = in.op;
  out.seq = in.seq;
  out.target = in.target.data();
  out.target_len = in.target.size();
  out.target2 = in.target2.data();
  out.target2_len = in.target2.size();
  out.version = in.version.data();
  out.version_len = in.version.size();
  out.tokens = in.tokens;
  out.labels = in.labels;
  to_c(in.cost, out.cost);
  out.capability = in.capability.data();
  out.capability_len = in.capability.size();
  out.payload = in.payload.data();
  out.payload_len = in.payload.size();
}

result<effect_request> from_c(const authority_effect_request& in) noexcept {
  if (!well_formed(in.target, in.target_len)) return make_error(errc::invalid_argument, "target");
  if (!well_formed(in.target2, in.target2_len)) return make_error(errc::invalid_argument, "target2");
  if (!well_formed(in.version, in.version_len)) return make_error(errc::invalid_argument, "version");
  if (!well_formed(in.capability, in.capability_len)) return make_error(errc::invalid_argument, "capability");
  if (!well_formed(in.payload, in.payload_len)) return make_error(errc::invalid_argument, "payload");
  effect_request out;
  out.op = in.op;
  out.seq = in.seq;
  out.target = view_of(in.target, in.target_len);
  out.target2 = view_of(in.target2, in.target2_len);
  out.version = view_of(in.version, in.version_len);
  out.tokens = in.tokens;
  out.labels = in.labels;
  out.cost = from_c(in.cost);
  out.capability = bytes_of(in.capability, in.capability_len);
  out.payload = bytes_of(in.payload, in.payload_len);
  return out;
}

// The caller's execute callback as the gate's executor. An unknown status number from
// the callback is reported as executor_failed, never passed on as a made-up code.
struct callback_executor {
  authority_executor cb;
  effect_result execute(const effect_permit& p, const effect_request& r) noexcept {
    authority_permit permit{p.effect().op_code(), p.target().data(), p.target().size(),
                            p.target2().data(), p.target2().size(), p.decision_seq()};
    authority_effect_request request{};
    to_c(r, request);
    authority_effect_result reported{};
    cb.execute(cb.context, &permit, &request, &reported);
    effect_result out;
    out.actual = from_c(reported.actual);
    out.output = bytes_of(reported.output, reported.output_len);
    out.status = find_errc(static_cast<errc>(reported.status)) != nullptr ? static_cast<errc>(reported.status)
                                                                          : errc::executor_failed;
    return out;
  }
};
static_assert(effect_executor<callback_executor>);

using c_gate = gate<chain_impl, callback_executor, callback_clock, callback_lock>;
using c_session = session<budget::account::max_reservations()>;
static_assert(std::is_same_v<c_session::account_type, budget::account>);

struct gate_impl {
  static constexpr std::uint32_t tag = 0x47415445;  // "GATE"
  callback_executor executor;
  callback_clock clock;
  chain_impl* log;
  c_gate gate;
  gate_impl(gate_parts parts, chain_impl& chain, const authority_gate_config& c) noexcept
      : executor{c.executor},
        clock{c.clock},
        log(&chain),
        gate(parts, chain, executor, clock, static_cast<gate_mode>(c.mode), callback_lock{c.lock}) {}
};

struct session_impl {
  static constexpr std::uint32_t tag = 0x53455353;  // "SESS"
  c_session session;
  session_impl(const id16& agent, const id16& run, budget::account& account) noexcept : session(agent, run, account) {}
};

void fill_info(const capability::token_view& t, authority_token_info& out) noexcept {
  out = authority_token_info{};
  out.key_id = t.key_id;
  out.type = static_cast<std::uint8_t>(t.type);
  out.all_methods = t.methods.all ? 1 : 0;
  out.method_bits = t.methods.bits;
  out.issued_at_ms = t.issued_at_ms;
  out.expires_at_ms = t.effective_expiry_ms();
  copy_out(out.token_id, t.token_id);
  copy_out(out.run_id, t.run_id);
  out.depth = static_cast<std::uint32_t>(t.depth());
  out.caveats = static_cast<std::uint32_t>(t.caveats.size());
  out.rate_limited = t.rate.limited ? 1 : 0;
  out.rate_count = t.rate.count;
  out.rate_window_ms = t.rate.window_ms;
}

void fill_verification(const audit::verification& v, authority_audit_verification& out) noexcept {
  out = authority_audit_verification{};
  out.code = static_cast<std::uint16_t>(v.code);
  copy_field(out.field, v.field);
  out.count = v.count;
  copy_out(out.head, v.head);
  out.bad_seq = v.bad_seq;
  out.byte_offset = v.byte_offset;
  out.valid_bytes = v.valid_bytes;
}

void fill_head(const audit::chain_head& h, authority_audit_head& out) noexcept {
  out.seq = h.seq;
  copy_out(out.hash, h.hash);
}

result<audit::record> record_from_c(const authority_audit_record& in) noexcept {
  if (in.kind == 0 || in.kind > audit::entry_kind_max) return make_error(errc::out_of_range, "kind");
  if (in.decision > 1) return make_error(errc::out_of_range, "decision");
  audit::record r;
  r.kind = static_cast<audit::entry_kind>(in.kind);
  r.decision = static_cast<audit::verdict>(in.decision);
  r.op = in.op;
  r.reason = static_cast<errc>(in.reason);
  r.time = in.time_ns;
  r.agent_id = array_of<16>(in.agent_id);
  r.run_id = array_of<16>(in.run_id);
  r.request_hash = array_of<32>(in.request_hash);
  r.result_hash = array_of<32>(in.result_hash);
  r.policy_hash = array_of<32>(in.policy_hash);
  return r;
}

void fill_response(const response& in, authority_response& out) noexcept {
  out = authority_response{};
  out.allow = in.allow ? 1 : 0;
  out.reason = static_cast<std::uint16_t>(in.reason);
  out.op = in.op;
  out.decision_seq = in.decision_seq;
  out.outcome_seq = in.outcome_seq;
  out.rule = in.rule;
  out.recorded = in.recorded ? 1 : 0;
  out.result_labels = in.result_labels;
  out.needs_capability = in.needs_capability ? 1 : 0;
  out.needed_type = static_cast<std::uint8_t>(in.needed_type);
  out.needed_method = in.needed_method;
  to_c(in.result.actual, out.result.actual);
  out.result.output = in.result.output.data();
  out.result.output_len = in.result.output.size();
  out.result.status = static_cast<std::uint16_t>(in.result.status);
}

template <class T>
int lookup(const std::optional<T>& found, T* out) noexcept {
  if (out == nullptr) return static_cast<int>(errc::invalid_argument);
  if (!found) return static_cast<int>(errc::not_found);
  *out = *found;
  return 0;
}

budget::reservation reservation_from_c(const authority_reservation& in) noexcept {
  budget::reservation r;
  __builtin_memcpy(&r, in.opaque, sizeof r);
  return r;
}

bool valid_sink(const authority_audit_sink* sink) noexcept {
  return sink != nullptr && sink->append != nullptr && sink->sync != nullptr &&
         (sink->lock == nullptr) == (sink->unlock == nullptr);
}

template <class Append>
int append_with(authority_audit_chain* chain, const authority_audit_record* record, authority_audit_head* appended,
                authority_error* err, Append append) noexcept {
  auto* c = live<chain_impl>(chain);
  if (c == nullptr) return bad_argument(err, "object");
  if (record == nullptr) return bad_argument(err, "record");
  auto r = record_from_c(*record);
  if (!r) return report(err, r);
  auto a = append(*c, *r);
  if (!a) return report(err, a);
  if (appended != nullptr) fill_head(audit::chain_head{a->seq, a->hash}, *appended);
  return report(err, errc::ok);
}
}  // namespace

extern "C" {

// ---- errors and names ----------------------------------------------------------------

// The names and descriptions in error.hpp's table are string literals, so their data()
// is NUL-terminated.
const char* authority_error_name(int code) {
  if (code < 0 || code > 0xffff) return "unknown_error";
  return name_of(static_cast<errc>(code)).data();
}

const char* authority_error_description(int code) {
  if (code < 0 || code > 0xffff) return "unknown error code";
  return describe(static_cast<errc>(code)).data();
}

uint32_t authority_abi_version(void) { return AUTHORITY_ABI_VERSION; }

int authority_cap_type_from_name(const char* name, size_t len, uint8_t* type_out) {
  if (!well_formed(name, len)) return static_cast<int>(errc::invalid_argument);
  const auto t = capability::type_from_name(view_of(name, len));
  return lookup(t ? std::optional<std::uint8_t>{static_cast<std::uint8_t>(*t)} : std::nullopt, type_out);
}

int authority_cap_method_from_name(uint8_t type, const char* name, size_t len, uint8_t* method_out) {
  if (!well_formed(name, len)) return static_cast<int>(errc::invalid_argument);
  if (!capability::is_valid_type(type)) return static_cast<int>(errc::out_of_range);
  return lookup(capability::method_from_name(static_cast<capability::cap_type>(type), view_of(name, len)), method_out);
}

int authority_policy_op_from_name(const char* name, size_t len, uint8_t* op_out) {
  if (!well_formed(name, len)) return static_cast<int>(errc::invalid_argument);
  const auto o = policy::op_from_name(view_of(name, len));
  return lookup(o ? std::optional<std::uint8_t>{static_cast<std::uint8_t>(*o)} : std::nullopt, op_out);
}

int authority_resource_from_name(const char* name, size_t len, uint8_t* resource_out) {
  if (!well_formed(name, len)) return static_cast<int>(errc::invalid_argument);
  const auto r = budget::resource_from_name(view_of(name, len));
  return lookup(r ? std::optional<std::uint8_t>{static_cast<std::uint8_t>(*r)} : std::nullopt, resource_out);
}

// resource_table's names are string literals (#name), NUL-terminated.
const char* authority_resource_name(uint8_t resource) {
  return resource < budget::resource_count ? budget::resource_table[resource].name.data() : "unknown";
}

int authority_effect_from_name(const char* name, size_t len, uint16_t* op_out) {
  if (!well_formed(name, len)) return static_cast<int>(errc::invalid_argument);
  const effect_info* e = find_effect(view_of(name, len));
  return lookup(e ? std::optional<std::uint16_t>{e->op_code()} : std::nullopt, op_out);
}

int authority_canonicalize_path(const char* path, size_t len, char* out, size_t out_size, size_t* out_len,
                                authority_error* err) {
  if (!well_formed(path, len) || out == nullptr || out_len == nullptr) return bad_argument(err, "path");
  auto c = pattern::canonicalize_path(view_of(path, len), std::span<char>{out, out_size});
  if (!c) return report(err, c);
  *out_len = c->size();
  return report(err, errc::ok);
}

// ---- capabilities --------------------------------------------------------------------

int authority_key_ring_init(authority_key_ring* ring, uint64_t grace_period_ns) {
  if (ring == nullptr) return static_cast<int>(errc::invalid_argument);
  create<key_ring_impl>(ring, grace_period_ns);
  return 0;
}

int authority_key_ring_add_active(authority_key_ring* ring, uint32_t key_id, const uint8_t key[AUTHORITY_KEY_SIZE],
                                  uint64_t now_ns, authority_error* err) {
  auto* k = live<key_ring_impl>(ring);
  if (k == nullptr) return bad_argument(err, "object");
  if (key == nullptr) return bad_argument(err, "key");
  return report(err, k->ring.add_active(key_id, std::span<const byte, capability::key_size>{key, capability::key_size}, now_ns));
}

int authority_key_ring_add_retired(authority_key_ring* ring, uint32_t key_id, const uint8_t key[AUTHORITY_KEY_SIZE],
                                   uint64_t retired_at_ns, authority_error* err) {
  auto* k = live<key_ring_impl>(ring);
  if (k == nullptr) return bad_argument(err, "object");
  if (key == nullptr) return bad_argument(err, "key");
  return report(err, k->ring.add_retired(key_id, std::span<const byte, capability::key_size>{key, capability::key_size},
                                         retired_at_ns));
}

int authority_key_ring_retire(authority_key_ring* ring, uint32_t key_id, uint64_t now_ns, authority_error* err) {
  auto* k = live<key_ring_impl>(ring);
  if (k == nullptr) return bad_argument(err, "object");
  return report(err, k->ring.retire(key_id, now_ns));
}

int authority_key_ring_remove(authority_key_ring* ring, uint32_t key_id, authority_error* err) {
  auto* k = live<key_ring_impl>(ring);
  if (k == nullptr) return bad_argument(err, "object");
  return report(err, k->ring.remove(key_id));
}

void authority_key_ring_destroy(authority_key_ring* ring) { destroy<key_ring_impl>(ring); }

int authority_revocation_list_init(authority_revocation_list* list, void* storage, size_t storage_size,
                                   authority_error* err) {
  if (list == nullptr) return bad_argument(err, "object");
  const std::size_t n = storage_size / sizeof(capability::revocation_slot);
  if (storage == nullptr || n == 0 || (n & (n - 1)) != 0) return bad_argument(err, "storage");
  auto slots = slots_in<capability::revocation_slot>(storage, storage_size, 1, "storage");
  if (!slots) return report(err, slots);
  create<revocation_impl>(list, *slots);
  return report(err, errc::ok);
}

int authority_revoke_token(authority_revocation_list* list, const uint8_t token_id[16], authority_error* err) {
  auto* r = live<revocation_impl>(list);
  if (r == nullptr) return bad_argument(err, "object");
  if (token_id == nullptr) return bad_argument(err, "token_id");
  return report(err, r->list.revoke_token(array_of<16>(token_id)));
}

int authority_revoke_run(authority_revocation_list* list, const uint8_t run_id[16], authority_error* err) {
  auto* r = live<revocation_impl>(list);
  if (r == nullptr) return bad_argument(err, "object");
  if (run_id == nullptr) return bad_argument(err, "run_id");
  return report(err, r->list.revoke_run(array_of<16>(run_id)));
}

int authority_revocation_list_load(authority_revocation_list* list, const uint8_t state_key[AUTHORITY_KEY_SIZE],
                                   const uint8_t* saved, size_t saved_len, authority_error* err) {
  auto* r = live<revocation_impl>(list);
  if (r == nullptr) return bad_argument(err, "object");
  if (state_key == nullptr) return bad_argument(err, "state_key");
  if (!well_formed(saved, saved_len)) return bad_argument(err, "saved");
  const crypto::hmac_sha256_key key{bytes_view{state_key, capability::key_size}};  // wiped by its destructor
  return report(err, r->list.load(key, bytes_of(saved, saved_len)));
}

size_t authority_revocation_count(const authority_revocation_list* list) {
  const auto* r = live<revocation_impl>(list);
  return r == nullptr ? 0 : r->list.size();
}

int authority_verifier_init(authority_verifier* verifier, const authority_key_ring* keys,
                            const authority_revocation_list* revocations, void* rate_storage, size_t rate_storage_size,
                            void* cache_storage, size_t cache_storage_size, authority_error* err) {
  if (verifier == nullptr) return bad_argument(err, "object");
  const auto* k = live<key_ring_impl>(keys);
  const auto* r = live<revocation_impl>(revocations);
  if (k == nullptr) return bad_argument(err, "keys");
  if (r == nullptr) return bad_argument(err, "revocations");
  auto buckets = slots_in<capability::bucket_slot>(rate_storage, rate_storage_size, capability::rate_limiter::group_size,
                                                   "rate_storage");
  if (!buckets) return report(err, buckets);
  auto cached = slots_in<capability::verified_slot>(cache_storage, cache_storage_size, 1, "cache_storage");
  if (!cached) return report(err, cached);
  create<verifier_impl>(verifier, k->ring, r->list, *buckets, *cached);
  return report(err, errc::ok);
}

int authority_verify_token(authority_verifier* verifier, const uint8_t* token, size_t token_len,
                           const authority_access* access, uint64_t now_ns, authority_token_info* info,
                           authority_error* err) {
  auto* v = live<verifier_impl>(verifier);
  if (v == nullptr) return bad_argument(err, "object");
  if (!well_formed(token, token_len)) return bad_argument(err, "token");
  if (access == nullptr || !well_formed(access->target, access->target_len)) return bad_argument(err, "access");
  const capability::access_request request{static_cast<capability::cap_type>(access->type),
                                           view_of(access->target, access->target_len), access->method,
                                           array_of<16>(access->run_id)};
  capability::token_view view;
  auto verified = v->verifier.verify(bytes_of(token, token_len), request, now_ns, view);
  if (info != nullptr) fill_info(view, *info);
  return report(err, verified);
}

int authority_token_from_text(const char* text, size_t text_len, uint8_t* out, size_t out_size, size_t* out_len,
                              authority_error* err) {
  if (!well_formed(text, text_len)) return bad_argument(err, "text");
  if (out == nullptr || out_len == nullptr) return bad_argument(err, "out");
  if (out_size < encoding::base64url_decoded_max(text_len)) return report(err, errc::capacity_exceeded, "out");
  auto binary = capability::text_to_binary(view_of(text, text_len), mutable_bytes{out, out_size});
  if (!binary) return report(err, binary);
  *out_len = binary->size();
  return report(err, errc::ok);
}

int authority_token_inspect(const uint8_t* token, size_t token_len, authority_token_info* info, authority_error* err) {
  if (!well_formed(token, token_len)) return bad_argument(err, "token");
  if (info == nullptr) return bad_argument(err, "info");
  capability::token_view view;
  auto decoded = capability::decode(bytes_of(token, token_len), view);
  fill_info(view, *info);
  return report(err, decoded);
}

// ---- policy --------------------------------------------------------------------------

int authority_policy_open(authority_policy* object, const uint8_t* blob, size_t blob_len,
                          const authority_key_ring* keys, uint64_t now_ns, authority_error* err) {
  if (object == nullptr) return bad_argument(err, "object");
  // Whatever happens below, the object is a valid policy afterwards: the empty one
  // (everything denied with no_policy) unless the blob opens.
  auto* p = create<policy_impl>(object);
  const auto* k = live<key_ring_impl>(keys);
  if (k == nullptr) return bad_argument(err, "keys");
  if (!well_formed(blob, blob_len)) return bad_argument(err, "blob");
  auto opened = policy::compiled_policy::open(bytes_of(blob, blob_len), k->ring, now_ns);
  if (!opened) return report(err, opened);
  p->policy = *opened;
  return report(err, errc::ok);
}

int authority_policy_evaluate(const authority_policy* object, const authority_policy_request* request,
                              authority_policy_decision* decision) {
  const auto* p = live<policy_impl>(object);
  if (p == nullptr || request == nullptr || !well_formed(request->target, request->target_len) ||
      !well_formed(request->version, request->version_len))
    return static_cast<int>(errc::invalid_argument);
  policy::request r;
  r.kind = static_cast<policy::op>(request->op);
  r.target = view_of(request->target, request->target_len);
  r.version = view_of(request->version, request->version_len);
  r.tokens = request->tokens;
  r.labels = request->labels;
  const policy::decision d = p->policy.evaluate(r);
  if (decision != nullptr) {
    decision->allow = d.allow ? 1 : 0;
    decision->reason = static_cast<std::uint16_t>(d.reason);
    decision->rule = d.rule;
    decision->result_labels = d.result_labels;
  }
  return static_cast<int>(d.reason);
}

int authority_policy_get_info(const authority_policy* policy, authority_policy_info* info) {
  const auto* p = live<policy_impl>(policy);
  if (p == nullptr || info == nullptr) return static_cast<int>(errc::invalid_argument);
  *info = authority_policy_info{};
  if (!p->policy.valid()) return static_cast<int>(errc::no_policy);
  info->revision = p->policy.revision();
  info->key_id = p->policy.key_id();
  info->rule_count = p->policy.rule_count();
  copy_out(info->hash, p->policy.hash());
  return 0;
}

int authority_policy_budget(const authority_policy* policy, uint8_t resource, authority_policy_limit* limit) {
  const auto* p = live<policy_impl>(policy);
  if (p == nullptr || limit == nullptr) return static_cast<int>(errc::invalid_argument);
  if (resource >= budget::resource_count) return static_cast<int>(errc::out_of_range);
  if (!p->policy.valid()) return static_cast<int>(errc::no_policy);
  const auto b = p->policy.budget(static_cast<budget::resource>(resource));
  limit->state = static_cast<std::uint8_t>(b.state);
  limit->amount = b.amount;
  return 0;
}

int authority_policy_store_init(authority_policy_store* store) {
  if (store == nullptr) return static_cast<int>(errc::invalid_argument);
  create<policy_store_impl>(store);
  return 0;
}

int authority_policy_store_load(authority_policy_store* store, const uint8_t* blob, size_t blob_len,
                                const authority_key_ring* keys, uint64_t now_ns, authority_error* err) {
  auto* s = live<policy_store_impl>(store);
  if (s == nullptr) return bad_argument(err, "object");
  const auto* k = live<key_ring_impl>(keys);
  if (k == nullptr) return bad_argument(err, "keys");
  if (!well_formed(blob, blob_len)) return bad_argument(err, "blob");
  return report(err, s->store.load(bytes_of(blob, blob_len), k->ring, now_ns));
}

int authority_policy_store_rollback(authority_policy_store* store, authority_error* err) {
  auto* s = live<policy_store_impl>(store);
  if (s == nullptr) return bad_argument(err, "object");
  return report(err, s->store.rollback());
}

int authority_policy_store_current(const authority_policy_store* store, authority_policy* policy) {
  const auto* s = live<policy_store_impl>(store);
  if (s == nullptr || policy == nullptr) return static_cast<int>(errc::invalid_argument);
  create<policy_impl>(policy, s->store.current());
  return s->store.current().valid() ? 0 : static_cast<int>(errc::no_policy);
}

// ---- budgets -------------------------------------------------------------------------

int authority_limits_from_policy(const authority_policy* policy, authority_limits* limits) {
  const auto* p = live<policy_impl>(policy);
  if (p == nullptr || limits == nullptr) return static_cast<int>(errc::invalid_argument);
  if (!p->policy.valid()) return static_cast<int>(errc::no_policy);
  const budget::limits l = limits_from_policy(p->policy);
  for (std::size_t i = 0; i < budget::resource_count; ++i) {
    const budget::limit one = l[static_cast<budget::resource>(i)];
    limits->of[i].unlimited = one.is_unlimited() ? 1 : 0;
    limits->of[i].amount = one.amount();
  }
  return 0;
}

static_assert(sizeof(budget::reservation) <= sizeof(authority_reservation::opaque) &&
              std::is_trivially_copyable_v<budget::reservation>);

int authority_budget_init(authority_budget* account, const authority_limits* limits, uint64_t start_ns) {
  if (account == nullptr || limits == nullptr) return static_cast<int>(errc::invalid_argument);
  budget::limits l;
  for (std::size_t i = 0; i < budget::resource_count; ++i) {
    if (limits->of[i].unlimited > 1) return static_cast<int>(errc::invalid_argument);
    l.set(static_cast<budget::resource>(i),
          limits->of[i].unlimited ? budget::limit::unlimited() : budget::limit::of(limits->of[i].amount));
  }
  create<budget_impl>(account, l, start_ns);
  return 0;
}

int authority_budget_reserve(authority_budget* account, const authority_costs* estimate, uint64_t now_ns,
                             authority_reservation* reservation, authority_error* err) {
  auto* b = live<budget_impl>(account);
  if (b == nullptr) return bad_argument(err, "object");
  if (estimate == nullptr) return bad_argument(err, "estimate");
  if (reservation == nullptr) return bad_argument(err, "reservation");
  auto r = b->account.reserve(from_c(*estimate), now_ns);
  if (!r) return report(err, r);
  *reservation = authority_reservation{};
  __builtin_memcpy(reservation->opaque, &*r, sizeof(budget::reservation));
  return report(err, errc::ok);
}

int authority_budget_commit(authority_budget* account, const authority_reservation* reservation,
                            const authority_costs* actual, authority_error* err) {
  auto* b = live<budget_impl>(account);
  if (b == nullptr) return bad_argument(err, "object");
  if (reservation == nullptr) return bad_argument(err, "reservation");
  if (actual == nullptr) return bad_argument(err, "actual");
  return report(err, b->account.commit(reservation_from_c(*reservation), from_c(*actual)));
}

int authority_budget_release(authority_budget* account, const authority_reservation* reservation,
                             authority_error* err) {
  auto* b = live<budget_impl>(account);
  if (b == nullptr) return bad_argument(err, "object");
  if (reservation == nullptr) return bad_argument(err, "reservation");
  return report(err, b->account.release(reservation_from_c(*reservation)));
}

int authority_budget_get_usage(const authority_budget* account, uint8_t resource, authority_budget_usage* usage) {
  const auto* b = live<budget_impl>(account);
  if (b == nullptr || usage == nullptr) return static_cast<int>(errc::invalid_argument);
  if (resource >= budget::resource_count) return static_cast<int>(errc::out_of_range);
  const auto r = static_cast<budget::resource>(resource);
  const auto remaining = b->account.remaining(r);
  *usage = authority_budget_usage{};
  usage->committed = b->account.committed(r);
  usage->charged = b->account.charged(r);
  usage->in_flight = usage->charged >= usage->committed ? usage->charged - usage->committed : 0;
  usage->unlimited = remaining ? 0 : 1;
  usage->remaining = remaining.value_or(0);
  return 0;
}

// ---- audit ---------------------------------------------------------------------------

int authority_audit_log_header(const uint8_t log_id[16], uint8_t header[AUTHORITY_AUDIT_LOG_HEADER_SIZE]) {
  if (log_id == nullptr || header == nullptr) return static_cast<int>(errc::invalid_argument);
  const auto h = audit::make_log_header(array_of<16>(log_id));
  for (std::size_t i = 0; i < h.size(); ++i) header[i] = h[i];
  return 0;
}

int authority_audit_chain_init(authority_audit_chain* chain, const authority_audit_sink* sink,
                               const uint8_t log_id[16]) {
  if (chain == nullptr || !valid_sink(sink) || log_id == nullptr) return static_cast<int>(errc::invalid_argument);
  create<chain_impl>(chain, *sink, array_of<16>(log_id));
  return 0;
}

int authority_audit_chain_resume(authority_audit_chain* chain, const authority_audit_sink* sink,
                                 const authority_audit_head* head) {
  if (chain == nullptr || !valid_sink(sink) || head == nullptr) return static_cast<int>(errc::invalid_argument);
  create<chain_impl>(chain, *sink, audit::chain_head{head->seq, array_of<32>(head->hash)});
  return 0;
}

int authority_audit_append(authority_audit_chain* chain, const authority_audit_record* record,
                           authority_audit_head* appended, authority_error* err) {
  return append_with(chain, record, appended, err, [](chain_impl& c, const audit::record& r) { return c.append(r); });
}

int authority_audit_append_durable(authority_audit_chain* chain, const authority_audit_record* record,
                                   authority_audit_head* appended, authority_error* err) {
  return append_with(chain, record, appended, err,
                     [](chain_impl& c, const audit::record& r) { return c.append_durable(r); });
}

int authority_audit_sync(authority_audit_chain* chain, authority_error* err) {
  auto* c = live<chain_impl>(chain);
  if (c == nullptr) return bad_argument(err, "object");
  return report(err, c->sync());
}

int authority_audit_chain_head(const authority_audit_chain* chain, authority_audit_head* head) {
  // head() takes the sink's lock, which is not const; the chain is not changed.
  auto* c = const_cast<chain_impl*>(live<chain_impl>(chain));
  if (c == nullptr || head == nullptr) return static_cast<int>(errc::invalid_argument);
  fill_head(c->head(), *head);
  return 0;
}

int authority_audit_verify_log(const uint8_t* stream, size_t len, authority_audit_verification* out) {
  if (!well_formed(stream, len) || out == nullptr) return static_cast<int>(errc::invalid_argument);
  fill_verification(audit::verify_log(bytes_of(stream, len)), *out);
  return out->code;
}

int authority_audit_verify_frames(const uint8_t* frames, size_t len, const uint8_t log_id[16],
                                  authority_audit_verification* out) {
  if (!well_formed(frames, len) || log_id == nullptr || out == nullptr) return static_cast<int>(errc::invalid_argument);
  fill_verification(audit::verify_stream(bytes_of(frames, len), array_of<16>(log_id)), *out);
  return out->code;
}

int authority_audit_verifier_init(authority_audit_verifier* verifier, const uint8_t log_id[16]) {
  if (verifier == nullptr || log_id == nullptr) return static_cast<int>(errc::invalid_argument);
  create<audit_verifier_impl>(verifier, array_of<16>(log_id));
  return 0;
}

int authority_audit_verifier_feed(authority_audit_verifier* verifier, const uint8_t* bytes, size_t len,
                                  size_t* consumed, authority_error* err) {
  auto* v = live<audit_verifier_impl>(verifier);
  if (v == nullptr) return bad_argument(err, "object");
  if (!well_formed(bytes, len) || consumed == nullptr) return bad_argument(err, "bytes");
  *consumed = 0;
  if (v->verifier.failed()) return report(err, v->verifier.failure());
  const bytes_view in = bytes_of(bytes, len);
  std::size_t pos = 0;
  while (pos < in.size()) {
    auto frame = audit::read_frame(in.subspan(pos));
    // A frame cut by the end of this piece is not damage yet: it waits for more bytes.
    if (!frame && frame.code() == errc::truncated) break;
    if (!frame) {
      *consumed = pos;
      return report(err, v->verifier.fail(frame.error()));
    }
    if (auto checked = v->verifier.check_record(frame->payload); !checked) {
      *consumed = pos;
      return report(err, checked);
    }
    pos += frame->size;
  }
  *consumed = pos;
  return report(err, errc::ok);
}

int authority_audit_verifier_head(const authority_audit_verifier* verifier, authority_audit_head* head) {
  const auto* v = live<audit_verifier_impl>(verifier);
  if (v == nullptr || head == nullptr) return static_cast<int>(errc::invalid_argument);
  fill_head(v->verifier.head(), *head);
  return static_cast<int>(v->verifier.failure().code);
}

// ---- the gate ------------------------------------------------------------------------

int authority_request_encode(const authority_effect_request* request, uint8_t* out, size_t out_size,
                             size_t* frame_len, authority_error* err) {
  if (request == nullptr) return bad_argument(err, "request");
  if (out == nullptr || frame_len == nullptr) return bad_argument(err, "out");
  auto req = from_c(*request);
  if (!req) return report(err, req);
  auto frame = encode_request(*req, mutable_bytes{out, out_size});
  if (!frame) return report(err, frame);
  *frame_len = frame->size();
  return report(err, errc::ok);
}

int authority_request_decode(const uint8_t* frame, size_t frame_len, authority_effect_request* request,
                             authority_error* err) {
  if (!well_formed(frame, frame_len)) return bad_argument(err, "frame");
  if (request == nullptr) return bad_argument(err, "request");
  auto req = decode_request(bytes_of(frame, frame_len));
  if (!req) return report(err, req);
  *request = authority_effect_request{};
  to_c(*req, *request);
  return report(err, errc::ok);
}

int authority_gate_init(authority_gate* gate, const authority_gate_config* config, authority_error* err) {
  if (gate == nullptr) return bad_argument(err, "object");
  if (config == nullptr) return bad_argument(err, "config");
  auto* v = live<verifier_impl>(config->verifier);
  auto* p = live<policy_store_impl>(config->policies);
  const auto* k = live<key_ring_impl>(config->keys);
  auto* log = live<chain_impl>(config->log);
  if (v == nullptr) return bad_argument(err, "verifier");
  if (p == nullptr) return bad_argument(err, "policies");
  if (k == nullptr) return bad_argument(err, "keys");
  if (log == nullptr) return bad_argument(err, "log");
  if (config->executor.execute == nullptr) return bad_argument(err, "executor");
  if (config->clock.now_ns == nullptr) return bad_argument(err, "clock");
  if ((config->lock.lock == nullptr) != (config->lock.unlock == nullptr)) return bad_argument(err, "lock");
  if (config->mode != AUTHORITY_GATE_ENFORCE && config->mode != AUTHORITY_GATE_RECORD) return bad_argument(err, "mode");
  create<gate_impl>(gate, gate_parts{&v->verifier, &p->store, &k->ring}, *log, *config);
  return report(err, errc::ok);
}

int authority_gate_closed(const authority_gate* gate) {
  const auto* g = live<gate_impl>(gate);
  return g == nullptr || g->gate.closed() ? 1 : 0;
}

int authority_session_init(authority_session* session, const uint8_t agent_id[16], const uint8_t run_id[16],
                           authority_budget* account) {
  auto* b = live<budget_impl>(account);
  if (session == nullptr || agent_id == nullptr || run_id == nullptr || b == nullptr)
    return static_cast<int>(errc::invalid_argument);
  create<session_impl>(session, array_of<16>(agent_id), array_of<16>(run_id), b->account);
  return 0;
}

int authority_gate_submit(authority_gate* gate, authority_session* session, const uint8_t* frame, size_t frame_len,
                          authority_response* response) {
  auto* g = live<gate_impl>(gate);
  auto* s = live<session_impl>(session);
  if (g == nullptr || s == nullptr || response == nullptr || !well_formed(frame, frame_len))
    return static_cast<int>(errc::invalid_argument);
  const bytes_view bytes = bytes_of(frame, frame_len);
  auto request = decode_request(bytes);
  if (request) {
    fill_response(g->gate.authorize_and_execute(s->session, *request), *response);
    return response->reason;
  }
  // Bytes that are no request never reach the gate; they are still the agent's act, so
  // they are logged as a fault (the gate does the same for requests it cannot judge, and
  // so does the bundled kernel's gate_service). A closed gate logs nothing more.
  *response = authority_response{};
  response->reason = static_cast<std::uint16_t>(request.code());
  response->rule = AUTHORITY_NO_RULE;
  denial& d = s->session.last_denial;
  d = denial{};
  d.present = true;
  d.reason = request.code();
  if (g->gate.closed()) return response->reason;
  audit::record fault{};
  fault.kind = audit::entry_kind::agent_fault;
  fault.decision = audit::verdict::deny;
  fault.reason = request.code();
  fault.time = g->clock.now_ns();
  fault.agent_id = s->session.agent_id;
  fault.run_id = s->session.run_id;
  fault.request_hash = crypto::sha256::hash(bytes);
  if (auto logged = g->log->append_durable(fault)) response->decision_seq = logged->seq;
  return response->reason;
}

int authority_session_last_denial(const authority_session* session, authority_denial* denial, char* target,
                                  size_t target_size) {
  const auto* s = live<session_impl>(session);
  if (s == nullptr || denial == nullptr || !well_formed(target, target_size))
    return static_cast<int>(errc::invalid_argument);
  const auto& d = s->session.last_denial;
  *denial = authority_denial{};
  denial->present = d.present ? 1 : 0;
  denial->op = d.op;
  denial->reason = static_cast<std::uint16_t>(d.reason);
  denial->seq = d.seq;
  denial->rule = d.rule;
  denial->needs_capability = d.needs_capability ? 1 : 0;
  denial->needed_type = static_cast<std::uint8_t>(d.needed_type);
  denial->needed_method = d.needed_method;
  const std::string_view t = d.target.view();
  const std::size_t n = t.size() < target_size ? t.size() : target_size;
  for (std::size_t i = 0; i < n; ++i) target[i] = t[i];
  denial->target_len = n;
  return 0;
}

}  // extern "C"
