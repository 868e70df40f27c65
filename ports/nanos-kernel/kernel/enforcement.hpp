// Enforcement from a boot bundle: everything the gate needs, built from the bundle's
// members (include/authority/bundle.hpp), and the workload runner that feeds the
// bundle's request frames through the gate service. Freestanding and allocation-free;
// the kernel keeps one instance in .bss, and `authority run --arch hosted` runs the very
// same code in-process — which is what makes the conformance comparison meaningful.
//
// Boot order, each step logged or refused:
//   read_bundle   the archive's size, the config and the key material (refused: no
//                 enforcement at all — there is no log id, no key, no workload)
//   start         keys into the ring, fs/ members into the RAM file system, then the
//                 policy: opened with the ring (MAC, structure). A policy that does not
//                 open is refused and the gate runs with none (no_policy: every request
//                 is denied and logged). Either way the first audit entry says which
//                 policy is in force (policy_change: allow + its hash, or deny + the
//                 reason + the hash of the refused bytes).
//   run           each frame → gate_service::handle → a @decision line
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <type_traits>

#include "authority/audit/chain.hpp"
#include "authority/audit/frame.hpp"
#include "authority/bundle.hpp"
#include "authority/capability/verify.hpp"
#include "authority/executors/memory_executor.hpp"
#include "authority/gate.hpp"
#include "console_protocol.hpp"
#include "cpio.hpp"
#include "format.hpp"
#include "gate_service.hpp"

namespace kernel {

// An audit sink that streams each frame as an @audit line; sync() returns once the
// port's drain() says the line has left the machine (the UART's transmitter is empty).
// That is the kernel's "durable": the host holds the entry before the agent hears the
// answer. Port provides static drain() and now_ns() (a monotonic counter: the sink
// keeps the time spent streaming, so the cost of durability can be told apart).
template <text_writer Writer, class Port>
class console_audit_sink {
 public:
  explicit console_audit_sink(Writer& out) noexcept : out_(out) {}
  authority::result<void> append(authority::bytes_view frame) noexcept {
    const std::uint64_t begin = Port::now_ns();
    protocol::write_line(out_, protocol::audit_tag, frame);
    ++frames_;
    busy_ns_ += Port::now_ns() - begin;
    return authority::success();
  }
  authority::result<void> sync() noexcept {
    const std::uint64_t begin = Port::now_ns();
    Port::drain();
    ++syncs_;
    busy_ns_ += Port::now_ns() - begin;
    return authority::success();
  }
  std::uint64_t frames() const noexcept { return frames_; }
  std::uint64_t syncs() const noexcept { return syncs_; }
  std::uint64_t busy_ns() const noexcept { return busy_ns_; }  // in append and sync

 private:
  Writer& out_;
  std::uint64_t frames_ = 0;
  std::uint64_t syncs_ = 0;
  std::uint64_t busy_ns_ = 0;
};

// The bundle's members, checked.
struct bundle_parts {
  authority::bundle::run_config config{};
  authority::bundle::key_material keys{};
  authority::bytes_view policy{};    // empty: the bundle has none
  authority::bytes_view workload{};  // empty: nothing to run
  bool has_policy = false;
};

// Errors name the member ("bundle" for the archive as a whole).
inline authority::result<bundle_parts> read_bundle(authority::bytes_view raw, const cpio::archive& a) noexcept {
  using authority::errc;
  using authority::make_error;
  namespace b = authority::bundle;
  if (raw.size() > b::max_bundle_size)
    return make_error(errc::too_long, "bundle", static_cast<std::uint32_t>(b::max_bundle_size));
  bundle_parts parts;
  auto config = a.find(b::config_member);
  if (!config) return make_error(errc::not_found, b::config_member);
  AUTHORITY_TRY_ASSIGN(parts.config, b::decode_config(*config));
  auto keys = a.find(b::keys_member);
  if (!keys) return make_error(errc::not_found, b::keys_member);
  AUTHORITY_TRY_ASSIGN(parts.keys, b::decode_keys(*keys));
  if (auto workload = a.find(b::workload_member)) {
    if (workload->size() > b::max_workload_size)
      return make_error(errc::too_long, b::workload_member, static_cast<std::uint32_t>(b::max_workload_size));
    parts.workload = *workload;
  }
  if (auto policy = a.find(b::policy_member)) {
    parts.policy = *policy;
    parts.has_policy = true;
  }
  return parts;
}

struct run_summary {
  std::uint64_t decisions = 0;
  std::uint64_t allowed = 0;
  std::uint64_t elapsed_ns = 0;  // on the caller's counter
  std::uint64_t console_ns = 0;  // of it: streaming audit frames (with their drains) and @decision lines
  authority::audit::chain_head head{};
};

inline constexpr std::string_view revoked_member = "authority/revoked";

template <authority::audit::sink Sink>
class enforcement {
 public:
  static constexpr std::size_t reservations = 64;
  using log_type = authority::audit::chain<Sink>;
  using clock_type = authority::bundle::logical_clock;
  using gate_type = authority::gate<log_type, authority::executors::memory_executor, clock_type>;
  using session_type = authority::session<reservations>;
  using account_type = typename session_type::account_type;

  // Sizes of the fixed tables (the kernel keeps the whole object in .bss).
  static constexpr std::size_t revocation_slots = 64;
  static constexpr std::size_t rate_slots = 64;
  static constexpr std::size_t verified_slots = 16;
  static constexpr std::size_t fs_nodes = 256;
  static constexpr std::size_t fs_arena = 256 * 1024;

  enforcement(Sink& sink, const authority::bundle::run_config& config) noexcept
      : config_(config),
        clock_(config),
        log_(sink, config.log_id),
        files_(fs_node_storage_, fs_arena_storage_),
        executor_(files_),
        gate_(authority::gate_parts{&verifier_, &policies_, &keys_}, log_, executor_, clock_),
        service_(gate_, log_, clock_) {}
  enforcement(const enforcement&) = delete;
  enforcement& operator=(const enforcement&) = delete;

  // Keys, files, policy, session. Returns an error only when enforcement cannot start
  // (the keys do not fit the ring, the file system cannot hold the fs/ members, the log
  // fails); a policy that does not open is reported through policy_error() instead.
  template <text_writer W>
  authority::result<void> start(bundle_parts& parts, const cpio::archive& a, W& out) noexcept {
    auto installed = authority::bundle::install_keys(parts.keys, keys_, config_.clock_start);
    parts.keys.wipe();
    AUTHORITY_TRY(installed);
    AUTHORITY_TRY(seed_files(a));
    AUTHORITY_TRY(load_revocations(a));

    protocol::write_line(out, protocol::log_tag, authority::audit::make_log_header(config_.log_id));
    authority::audit::record change{};
    change.kind = authority::audit::entry_kind::policy_change;
    change.op = static_cast<std::uint16_t>(authority::effect::policy_update);
    change.agent_id = config_.agent_id;
    change.run_id = config_.run_id;
    change.time = clock_.now_ns();
    policy_error_ = load_policy(parts);
    if (policy_error_.code == authority::errc::ok) {
      change.decision = authority::audit::verdict::allow;
      change.policy_hash = policies_.current().hash();
    } else {
      change.decision = authority::audit::verdict::deny;
      change.reason = policy_error_.code;
      change.request_hash = authority::crypto::sha256::hash(parts.policy);
      format_to(out, "{} policy {} {} {}\n", protocol::refused_tag, authority::name_of(policy_error_.code),
                policy_error_.field.empty() ? std::string_view{"-"} : policy_error_.field, policy_error_.offset);
    }
    AUTHORITY_TRY(log_.append_durable(change));

    // The budget the policy declares; with no policy nothing may be spent (and the gate
    // denies before it would reserve anything).
    const auto limits = policy_loaded() ? authority::limits_from_policy(policies_.current()) : authority::budget::limits{};
    account_.emplace(limits, clock_.now_ns());
    session_.emplace(config_.agent_id, config_.run_id, *account_);
    return authority::success();
  }

  bool policy_loaded() const noexcept { return policies_.current().valid(); }
  authority::error policy_error() const noexcept { return policy_error_; }
  const authority::policy::compiled_policy& policy() const noexcept { return policies_.current(); }

  // Runs every frame of `workload` through the gate service, writing a @decision line
  // for each, then the chain's @head and the @stats measured with `now_ns` (the port's
  // monotonic counter: the logical clock does not measure anything).
  // `after` (e.g. the user-mode agents of the bundle) runs once the workload is done and
  // measured, before @head: its decisions are on the same chain.
  template <text_writer W, class Counter, class After = void (*)(enforcement&)>
  run_summary run(authority::bytes_view workload, W& out, Counter&& now_ns, After&& after = nullptr) noexcept {
    run_summary s;
    const std::uint64_t sink_busy = sink_busy_ns();
    const std::uint64_t begin = now_ns();
    for (authority::bundle::frame_cursor frames{workload}; !frames.done();) {
      const served_request served = service_.handle(*session_, frames.next());
      const std::uint64_t written = now_ns();
      protocol::write_decision(out, served.request.seq, served.request.target, served.answer);
      s.console_ns += now_ns() - written;
      ++s.decisions;
      s.allowed += served.answer.allow;
    }
    s.elapsed_ns = now_ns() - begin;  // the workload's figures (@stats) do not include `after`
    s.console_ns += sink_busy_ns() - sink_busy;
    if constexpr (!std::is_pointer_v<std::remove_cvref_t<After>>) after(*this);
    s.head = log_.head();
    char hex[64];
    (void)authority::encoding::hex_encode(s.head.hash, hex);
    format_to(out, "{} {} {}\n", protocol::head_tag, s.head.seq, std::string_view{hex, sizeof hex});
    format_to(out, "{} {} {} {}\n", protocol::stats_tag, s.decisions, s.elapsed_ns, s.console_ns);
    return s;
  }

  session_type& session() noexcept { return *session_; }
  // Time the sink has spent streaming and draining audit frames (0 for sinks that do not
  // keep it), on the port's clock.
  std::uint64_t sink_busy_ns() noexcept {
    if constexpr (requires(Sink& sink) { sink.busy_ns(); })
      return log_.output().busy_ns();
    else
      return 0;
  }
  const authority::bundle::run_config& config() const noexcept { return config_; }
  clock_type& clock() noexcept { return clock_; }
  gate_type& gate() noexcept { return gate_; }
  authority::capability::verifier& verifier() noexcept { return verifier_; }
  authority::capability::revocation_list& revocations() noexcept { return revoked_; }
  gate_service<gate_type, log_type, clock_type>& service() noexcept { return service_; }
  log_type& log() noexcept { return log_; }
  authority::executors::memory_executor& executor() noexcept { return executor_; }

 private:
  // authority/revoked (optional): tokens revoked before the run, as (len u16 LE, token)
  // records; each token's id goes on the revocation list. A record that does not decode
  // refuses the bundle (a revocation must never be skipped silently).
  authority::result<void> load_revocations(const cpio::archive& a) noexcept {
    const auto blob = a.find(revoked_member);
    if (!blob) return authority::success();
    const authority::bytes_view b = *blob;
    std::size_t at = 0;
    while (at < b.size()) {
      if (b.size() - at < 2) return authority::make_error(authority::errc::truncated, revoked_member, static_cast<std::uint32_t>(at));
      const std::size_t n = static_cast<std::size_t>(b[at] | (b[at + 1] << 8));
      if (n > b.size() - at - 2) return authority::make_error(authority::errc::truncated, revoked_member, static_cast<std::uint32_t>(at));
      authority::capability::token_view t;
      if (!authority::capability::decode(b.subspan(at + 2, n), t))
        return authority::make_error(authority::errc::invalid_encoding, revoked_member, static_cast<std::uint32_t>(at));
      AUTHORITY_TRY(revoked_.revoke_token(t.token_id));
      at += 2 + n;
    }
    return authority::success();
  }

  authority::result<void> seed_files(const cpio::archive& a) noexcept {
    authority::result<void> seeded = authority::success();
    a.for_each([&](const cpio::entry& e) {
      const auto path = authority::bundle::fs_path_of(e.name);
      if (path.empty() || path == "/") return true;
      seeded = e.is_directory() ? files_.seed_directory(path) : files_.seed_file(path, e.data);
      return seeded.ok();
    });
    return seeded;
  }

  authority::error load_policy(const bundle_parts& parts) noexcept {
    using authority::make_error;
    if (!parts.has_policy) return make_error(authority::errc::not_found, authority::bundle::policy_member);
    if (parts.policy.size() > authority::bundle::max_policy_size)
      return make_error(authority::errc::too_long, authority::bundle::policy_member,
                        static_cast<std::uint32_t>(authority::bundle::max_policy_size));
    auto loaded = policies_.load(parts.policy, keys_, clock_.now_ns());
    return loaded ? make_error(authority::errc::ok) : loaded.error();
  }

  authority::bundle::run_config config_;
  clock_type clock_;
  authority::capability::key_ring keys_{};
  authority::capability::revocation_slot revocation_storage_[revocation_slots]{};
  authority::capability::revocation_list revoked_{revocation_storage_};
  authority::capability::bucket_slot rate_storage_[rate_slots]{};
  authority::capability::rate_limiter rates_{rate_storage_};
  authority::capability::verified_slot verified_storage_[verified_slots]{};
  authority::capability::verified_cache verified_{verified_storage_};
  authority::capability::verifier verifier_{keys_, revoked_, &rates_, &verified_};
  authority::policy::policy_store policies_{};
  log_type log_;
  authority::executors::ram_node fs_node_storage_[fs_nodes]{};
  authority::byte fs_arena_storage_[fs_arena]{};
  authority::executors::ram_fs files_;
  authority::executors::memory_executor executor_;
  gate_type gate_;
  gate_service<gate_type, log_type, clock_type> service_;
  std::optional<account_type> account_;
  std::optional<session_type> session_;
  authority::error policy_error_{authority::errc::ok, {}, 0};
};

// Where the product keeps its sink and enforcement (the kernel: in .bss; the host: on
// the heap). Both are large, never on a stack.
template <authority::audit::sink Sink>
struct enforcement_storage {
  std::optional<Sink> sink;
  std::optional<enforcement<Sink>> enforcer;
};

enum class enforcement_outcome { enforced, no_policy };

inline void report_refused_bundle(const authority::error& e, auto& out) {
  format_to(out, "{} bundle {} {} {}\n", protocol::refused_tag, authority::name_of(e.code),
            e.field.empty() ? std::string_view{"-"} : e.field, e.offset);
  format_to(out, "gate: bundle refused ({}, field '{}', offset {}): no policy is loaded, every request is denied\n",
            authority::name_of(e.code), e.field, e.offset);
}

// The product's whole flow over a boot bundle: check it, start enforcement, run the
// workload, report. `archive` is the bundle opened as cpio (empty with `archive_error`
// when it is not one); `sink_args` construct the Sink; `now_ns` is the port's monotonic
// counter for the @stats line. no_policy: the bundle or its policy was refused, and
// everything was denied.
template <authority::audit::sink Sink, text_writer W, class Counter, class After, class... SinkArgs>
enforcement_outcome enforce_bundle_then(authority::bytes_view raw, const std::optional<cpio::archive>& archive,
                                        const authority::error& archive_error, enforcement_storage<Sink>& storage, W& out,
                                        Counter&& now_ns, After&& after, SinkArgs&&... sink_args) noexcept {
  if (!archive) {
    report_refused_bundle(archive_error, out);
    return enforcement_outcome::no_policy;
  }
  auto parts = read_bundle(raw, *archive);
  if (!parts) {
    report_refused_bundle(parts.error(), out);
    return enforcement_outcome::no_policy;
  }
  storage.sink.emplace(static_cast<SinkArgs&&>(sink_args)...);
  auto& enforcer = storage.enforcer.emplace(*storage.sink, parts->config);
  if (auto started = enforcer.start(*parts, *archive, out); !started) {
    report_refused_bundle(started.error(), out);
    return enforcement_outcome::no_policy;
  }
  if (enforcer.policy_loaded()) {
    format_to(out, "gate: policy revision {} in force ({} rules)\n", enforcer.policy().revision(),
              enforcer.policy().rule_count());
  } else {
    const auto e = enforcer.policy_error();
    format_to(out, "gate: policy refused ({}, field '{}', offset {}): no policy is loaded, every request is denied\n",
              authority::name_of(e.code), e.field, e.offset);
  }
  const auto s = enforcer.run(parts->workload, out, now_ns, after);
  const auto per_second = [&](std::uint64_t ns) { return ns == 0 ? 0 : s.decisions * authority::ns_per_s / ns; };
  format_to(out, "gate: {} decisions ({} allowed) in {} us: {} decisions/s; audit log {} entries\n", s.decisions,
            s.allowed, s.elapsed_ns / 1000, per_second(s.elapsed_ns), s.head.seq);
  format_to(out, "gate: {} us of it on the console (audit frames until drained, decision lines); the rest: {} decisions/s\n",
            s.console_ns / 1000, per_second(s.elapsed_ns - s.console_ns));
  return enforcer.policy_loaded() ? enforcement_outcome::enforced : enforcement_outcome::no_policy;
}

template <authority::audit::sink Sink, text_writer W, class Counter, class... SinkArgs>
enforcement_outcome enforce_bundle(authority::bytes_view raw, const std::optional<cpio::archive>& archive,
                                   const authority::error& archive_error, enforcement_storage<Sink>& storage, W& out,
                                   Counter&& now_ns, SinkArgs&&... sink_args) noexcept {
  return enforce_bundle_then(raw, archive, archive_error, storage, out, static_cast<Counter&&>(now_ns),
                             static_cast<void (*)(enforcement<Sink>&)>(nullptr), static_cast<SinkArgs&&>(sink_args)...);
}

}  // namespace kernel
