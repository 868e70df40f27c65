// User-mode agents from the boot bundle (issue 6, docs/syscall-abi.md): every
// `agents/<name>.elf` member runs unprivileged in its own address space, after the
// workload, one at a time, each to its exit or fault. Its system calls come here; an
// effect request takes the very door the workload takes (gate_service::handle).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "authority/audit/entry.hpp"
#include "authority/capability/issue.hpp"
#include "authority/capability/wire.hpp"
#include "authority/core/encoding.hpp"
#include "authority/effects.hpp"
#include "authority/crypto/sha256.hpp"
#include "authority/gate.hpp"
#include "authority/request_frame.hpp"
#include "console_protocol.hpp"
#include "cpio.hpp"
#include "elf.hpp"
#include "format.hpp"
#include "arch.hpp"
#include "user.hpp"

namespace kernel::agents {

inline constexpr std::string_view prefix = "agents/";
inline constexpr std::string_view elf_suffix = ".elf";
inline constexpr std::string_view caps_suffix = ".caps";

enum class syscall : std::uint64_t {
  exit = 0, yield = 1, effect = 2, last_denial = 3, capabilities = 4, counter = 5, spawn = 6, revoke = 7
};
inline constexpr std::string_view children_prefix = "children/";
// CPU time an agent may use when the policy does not limit cpu_time_ns.
inline constexpr std::uint64_t default_cpu_ns = 500'000'000;
inline constexpr std::size_t response_size = 32;
inline constexpr std::size_t denial_header_size = 24;
inline constexpr std::size_t max_frame = authority::request_header_size + authority::max_request_payload;

// A line that fits the console's formatter buffer, kept so its hash can go on the log.
struct line_buffer {
  char text[256];
  std::size_t size = 0;
  void operator()(std::string_view s) noexcept {
    for (char c : s)
      if (size < sizeof text) text[size++] = c;
  }
  std::string_view view() const noexcept { return {text, size}; }
};

inline void put16(authority::byte* p, std::uint64_t v) noexcept {
  p[0] = static_cast<authority::byte>(v);
  p[1] = static_cast<authority::byte>(v >> 8);
}
inline void put32(authority::byte* p, std::uint64_t v) noexcept {
  put16(p, v);
  put16(p + 2, v >> 16);
}
inline void put64(authority::byte* p, std::uint64_t v) noexcept {
  put32(p, v);
  put32(p + 4, v >> 32);
}

// Storage for one running agent (large: the kernel keeps it in .bss).
inline constexpr std::size_t max_children_caps = 2048;  // a child's delegated tokens, encoded
inline constexpr std::size_t max_spawn_spec = 4096;

// Storage for one running agent (large: the kernel keeps it in .bss). A parent and the
// child it spawned each have one.
template <class Enforcer>
struct agent_slot {
  arch::address_space as{};
  arch::user_context ctx{};
  authority::byte frame[max_frame]{};
  std::optional<typename Enforcer::account_type> account;
  std::optional<typename Enforcer::session_type> session;
  authority::bytes_view caps{};                 // what the capabilities call returns
  authority::byte own_caps[max_children_caps]{};  // a child's: its delegated tokens
  std::uint64_t calls = 0, handle_calls = 0, handle_ticks = 0, line_ticks = 0, stream_ns = 0;
};

// Agents' scratch space for spawn and revoke (tokens are large: never on the stack).
struct spawn_scratch {
  authority::byte spec[max_spawn_spec]{};
  authority::capability::token parent{};
  authority::capability::token child{};
};

template <class Enforcer, text_writer W>
class runner {
 public:
  // `slot` runs the bundle's agents, `child` a child one of them spawns (one level).
  runner(Enforcer& e, agent_slot<Enforcer>& slot, agent_slot<Enforcer>& child, spawn_scratch& scratch,
         page_frame_allocator& frames, W& out, std::uint64_t (*counter)()) noexcept
      : e_(e), top_(slot), child_(child), scratch_(scratch), frames_(frames), out_(out), counter_(counter) {}

  // Every agent of the bundle, in bundle order.
  void run_all(const cpio::archive& a) noexcept {
    a.for_each([&](const cpio::entry& m) {
      if (m.is_directory() || !m.name.starts_with(prefix) || !m.name.ends_with(elf_suffix)) return true;
      const auto name = m.name.substr(prefix.size(), m.name.size() - prefix.size() - elf_suffix.size());
      authority::bytes_view caps{};
      a.for_each([&](const cpio::entry& c) {
        if (c.name.size() == prefix.size() + name.size() + caps_suffix.size() && c.name.starts_with(prefix) &&
            c.name.substr(prefix.size(), name.size()) == name && c.name.ends_with(caps_suffix)) {
          caps = c.data;
          return false;
        }
        return true;
      });
      archive_ = &a;
      run_one(top_, name, m.data, caps, e_.config().agent_id);
      run_pending_child();
      return true;
    });
  }

 private:
  authority::result<std::uint64_t> log(authority::audit::entry_kind kind, authority::audit::verdict v, authority::errc reason,
                                       const authority::crypto::digest& request_hash, const authority::crypto::digest& result_hash,
                                       std::uint16_t op = 0) noexcept {
    if (e_.gate().closed()) return authority::make_error(authority::errc::sink_failure, "log");
    authority::audit::record r{};
    r.kind = kind;
    r.decision = v;
    r.reason = reason;
    r.op = op;
    r.time = e_.clock().now_ns();
    r.agent_id = cur_->session->agent_id;
    r.run_id = cur_->session->run_id;
    r.request_hash = request_hash;
    r.result_hash = result_hash;
    AUTHORITY_TRY_ASSIGN(const auto appended, e_.log().append_durable(r));
    return appended.seq;
  }

  // Runs one agent in `slot` to its exit or fault; returns its exit code (~0 after a
  // fault or refusal). A top-level agent gets the policy's budget; a child (`grant`) the
  // budget carved for it.
  std::uint64_t run_one(agent_slot<Enforcer>& slot, std::string_view name, authority::bytes_view file,
                        authority::bytes_view caps, const authority::audit::id16& parent_id,
                        const authority::budget::child_grant* grant = nullptr) noexcept {
    agent_slot<Enforcer>* const outer = cur_;
    cur_ = &slot;
    // Its own session: agent id = SHA-256(parent's agent id ‖ name)[0, 16) (the parent of
    // a top-level agent is the run's agent id).
    authority::crypto::sha256 h;
    h.update(parent_id);
    h.update(name);
    const auto digest = h.finish();
    authority::audit::id16 id{};
    for (std::size_t i = 0; i < id.size(); ++i) id[i] = digest[i];
    const auto limits = grant ? grant->child_limits
                              : e_.policy_loaded() ? authority::limits_from_policy(e_.policy()) : authority::budget::limits{};
    slot.session.reset();
    slot.account.emplace(limits, grant ? grant->start : e_.clock().now_ns());
    slot.session.emplace(id, e_.config().run_id, *slot.account);
    slot.calls = slot.handle_calls = slot.handle_ticks = slot.line_ticks = slot.stream_ns = 0;
    slot.caps = caps;
    const std::uint64_t code = run_loaded(slot, name, file);
    cur_ = outer;
    return code;
  }

  std::uint64_t run_loaded(agent_slot<Enforcer>& slot, std::string_view name, authority::bytes_view file) noexcept {
    std::uint64_t exit_code = ~std::uint64_t{0};
    // CPU time in user mode (counter ticks, traps included): the policy's cpu_time_ns when
    // it limits it, else default_cpu_ns. Checked at every preemption-timer interrupt.
    std::uint64_t user_ticks = 0, timer_ticks = 0;
    const auto cpu = slot.account->account_limits()[authority::budget::resource::cpu_time_ns];
    const std::uint64_t cpu_ns = cpu.is_unlimited() ? default_cpu_ns : cpu.amount();
    const std::uint64_t cpu_limit = cpu_ns / 1000 * (arch::counter_hz() / 1000) / 1000;

    const auto elf_hash = authority::crypto::sha256::hash(file);
    format_to(out_, "agent {}: {} bytes\n", name, file.size());
    (void)log(authority::audit::entry_kind::agent_start, authority::audit::verdict::allow, authority::errc::ok, elf_hash, {});

    auto image = elf::parse(file, arch::elf_machine, arch::user_window());
    std::uint64_t sp = 0;
    auto as_made = image ? arch::address_space_create(slot.as, frames_) : authority::result<void>{image.error()};
    if (as_made) {
      auto loaded = elf::load(*image, file, slot.as, frames_);
      if (loaded) sp = *loaded;
      else as_made = loaded.error();
    }
    if (!as_made) {
      const auto err = as_made.error();
      line_buffer line;
      format_to(line, "agent {}: refused: {} ({})", name, authority::name_of(err.code), err.field);
      format_to(out_, "{}\n", line.view());
      const auto reason = err.code == authority::errc::capacity_exceeded ? err.code : authority::errc::bad_executable;
      (void)log(authority::audit::entry_kind::agent_fault, authority::audit::verdict::deny, reason, elf_hash,
                authority::crypto::sha256::hash(authority::as_bytes(line.view())));
      arch::address_space_destroy(slot.as, frames_);
      return exit_code;
    }

    slot.ctx.set_entry(image->entry, sp);
    for (;;) {
      const std::uint64_t entered = counter_();
      user_trap t = arch::enter_user(slot.as, slot.ctx);
      user_ticks += counter_() - entered;
      if (t.kind == trap_kind::interrupt) {
        ++timer_ticks;
        if (user_ticks <= cpu_limit) continue;  // preempted, time left: resume
        t.kind = trap_kind::fault;              // used up: ended like a fault
        t.cause = fault_cause::time_limit;
      }
      if (t.kind == trap_kind::fault) {
        line_buffer line;
        format_to(line, "agent {}: fault: {} ({}) pc {:p} address {:p} access {} code {:x}", name, name_of(t.cause),
                  authority::name_of(fault_errc(t.cause)), t.pc, t.address,
                  has(t.access, page_access::execute) ? "execute" : has(t.access, page_access::write) ? "write" : "read",
                  t.code);
        format_to(out_, "{}\n", line.view());
        if (t.cause == fault_cause::time_limit)
          format_to(out_, "agent {}: {} us of user time over {} timer interrupts\n", name,
                    user_ticks * 1000 / (arch::counter_hz() / 1000), timer_ticks);
        (void)log(authority::audit::entry_kind::agent_fault, authority::audit::verdict::deny, fault_errc(t.cause),
                  authority::crypto::sha256::hash(authority::as_bytes(line.view())), {});
        break;
      }
      ++slot.calls;
      if (static_cast<syscall>(slot.ctx.syscall_number()) == syscall::exit) {
        const std::uint64_t code = exit_code = slot.ctx.syscall_arg(0);
        authority::byte le[8];
        put64(le, code);
        format_to(out_,
                  "agent {}: exit {} after {} system calls; gate_service::handle {} calls, {} ticks (audit streaming {} ns); "
                  "decision lines {} ticks; {} timer interrupts\n",
                  name, code, slot.calls, slot.handle_calls, slot.handle_ticks, slot.stream_ns, slot.line_ticks, timer_ticks);
        (void)log(authority::audit::entry_kind::agent_exit, authority::audit::verdict::allow, authority::errc::ok, elf_hash,
                  authority::crypto::sha256::hash(authority::bytes_view{le, 8}));
        break;
      }
      serve(slot, name);
    }
    arch::address_space_destroy(slot.as, frames_);
    return exit_code;
  }

  void serve(agent_slot<Enforcer>& slot, std::string_view name) noexcept {
    using authority::errc;
    auto& c = slot.ctx;
    const auto result = [&](errc status, std::uint64_t value = 0) { c.set_syscall_result(static_cast<std::uint64_t>(status), value); };
    switch (static_cast<syscall>(c.syscall_number())) {
      case syscall::yield: return result(errc::ok);
      case syscall::counter: return result(errc::ok, counter_());
      case syscall::effect: {
        const std::uintptr_t frame = c.syscall_arg(0), response = c.syscall_arg(2);
        const std::uint64_t len = c.syscall_arg(1);
        if (len > max_frame) return result(errc::too_long);
        // Both buffers are checked before the gate sees anything: a bad response pointer
        // must not leave a decision behind that the agent cannot hear.
        if (response != 0)
          if (auto ok = check_user_range(slot.as, response, response_size, page_access::write); !ok)
            return result(ok.error().code);
        const authority::mutable_bytes into{slot.frame, static_cast<std::size_t>(len)};
        if (auto ok = copy_from_user(slot.as, into, frame); !ok) return result(ok.error().code);
        const std::uint64_t streamed = e_.sink_busy_ns();
        const std::uint64_t begin = counter_();
        const served_request served = e_.service().handle(*slot.session, into);
        slot.handle_ticks += counter_() - begin;
        slot.stream_ns += e_.sink_busy_ns() - streamed;
        ++slot.handle_calls;
        const auto& a = served.answer;
        const std::uint64_t written = counter_();
        protocol::write_decision(out_, served.request.seq, served.request.target, a);
        slot.line_ticks += counter_() - written;
        if (response != 0) {
          authority::byte r[response_size]{};
          r[0] = a.allow;
          r[1] = a.needs_capability;
          put16(r + 2, static_cast<std::uint16_t>(a.reason));
          put16(r + 4, a.op);
          r[6] = static_cast<authority::byte>(a.needed_type);
          r[7] = a.needed_method;
          put32(r + 8, a.rule);
          put16(r + 12, static_cast<std::uint16_t>(a.result.status));
          put64(r + 16, a.decision_seq);
          put64(r + 24, a.outcome_seq);
          if (auto ok = copy_to_user(slot.as, response, {r, response_size}); !ok) return result(ok.error().code);
        }
        return result(a.allow ? errc::ok : a.reason, a.decision_seq);
      }
      case syscall::last_denial: {
        const std::uintptr_t buffer = c.syscall_arg(0);
        const std::uint64_t len = c.syscall_arg(1);
        if (len < denial_header_size) return result(errc::capacity_exceeded, denial_header_size);
        const auto& d = slot.session->last_denial;
        if (!d.present) return result(errc::not_found);
        const std::string_view target = d.target.view();
        const std::size_t n = target.size() < len - denial_header_size ? target.size() : static_cast<std::size_t>(len - denial_header_size);
        authority::byte head[denial_header_size]{};
        head[0] = 1;
        head[1] = d.needs_capability;
        put16(head + 2, static_cast<std::uint16_t>(d.reason));
        put16(head + 4, d.op);
        head[6] = static_cast<authority::byte>(d.needed_type);
        head[7] = d.needed_method;
        put32(head + 8, d.rule);
        put16(head + 12, n);
        put64(head + 16, d.seq);
        if (auto ok = check_user_range(slot.as, buffer, denial_header_size + n, page_access::write); !ok)
          return result(ok.error().code);
        (void)copy_to_user(slot.as, buffer, {head, denial_header_size});
        (void)copy_to_user(slot.as, buffer + denial_header_size, authority::as_bytes(target.substr(0, n)));
        return result(errc::ok, denial_header_size + n);
      }
      case syscall::capabilities: {
        const std::uintptr_t buffer = c.syscall_arg(0);
        const std::uint64_t len = c.syscall_arg(1);
        if (len < slot.caps.size()) return result(errc::capacity_exceeded, slot.caps.size());
        if (auto ok = copy_to_user(slot.as, buffer, slot.caps); !ok) return result(ok.error().code);
        return result(errc::ok, slot.caps.size());
      }
      case syscall::spawn: {
        const auto [status, value] = spawn(slot, name, c.syscall_arg(0), c.syscall_arg(1), c.syscall_arg(2), c.syscall_arg(3));
        return result(status, value);
      }
      case syscall::revoke: return result(revoke(slot, name, c.syscall_arg(0), c.syscall_arg(1)));
      default: return result(errc::bad_syscall);
    }
  }

  // ---- spawn and revoke (docs/syscall-abi.md) ----------------------------------------

  struct call_result {
    authority::errc status;
    std::uint64_t value;
  };

  // Token ids for delegated tokens: unique, not secret (the MAC makes a token
  // unforgeable): SHA-256("authority.kernel.token-id" ‖ run id ‖ counter).
  struct id_source {
    runner* r;
    bool fill(unsigned char* p, std::uint64_t n) noexcept {
      std::uint64_t done = 0;
      while (done < n) {
        authority::crypto::sha256 h;
        authority::byte counter[8];
        put64(counter, ++r->token_counter_);
        h.update(std::string_view{"authority.kernel.token-id"});
        h.update(r->e_.config().run_id);
        h.update(authority::bytes_view{counter, 8});
        const auto d = h.finish();
        for (std::size_t i = 0; i < d.size() && done < n; ++i) p[done++] = d[i];
      }
      return true;
    }
  };

  // The parent's spawn request, decided: the kernel's own decision entry (op spawn) with
  // SHA-256 of the spec as request hash, and a console line.
  call_result decide_spawn(std::string_view parent, std::string_view child, authority::bytes_view spec,
                           authority::errc reason) noexcept {
    const bool allow = reason == authority::errc::ok;
    (void)log(authority::audit::entry_kind::decision, allow ? authority::audit::verdict::allow : authority::audit::verdict::deny,
              reason, authority::crypto::sha256::hash(spec), {}, static_cast<std::uint16_t>(authority::effect::spawn));
    format_to(out_, "agent {}: spawn {}: {}\n", parent, child, allow ? std::string_view{"allowed, runs when its parent ends"}
                                                                    : authority::name_of(reason));
    return {reason, 0};
  }

  // spawn(name, name_len, spec, spec_len): a child from children/<name>.elf with tokens
  // delegated (narrowed) from the parent's and a budget carved from the parent's. It runs
  // after its parent ends; one pending child per agent; children do not spawn.
  call_result spawn(agent_slot<Enforcer>& slot, std::string_view parent, std::uintptr_t name_ptr, std::uint64_t name_len,
                    std::uintptr_t spec_ptr, std::uint64_t spec_len) noexcept {
    using authority::errc;
    namespace cap = authority::capability;
    if (&slot == &child_) return {errc::depth_exceeded, 0};
    if (name_len == 0 || name_len > sizeof pending_name_) return {errc::invalid_argument, 0};
    if (spec_len > max_spawn_spec) return {errc::too_long, 0};
    char name[sizeof pending_name_];
    if (auto ok = copy_from_user(slot.as, {reinterpret_cast<authority::byte*>(name), static_cast<std::size_t>(name_len)}, name_ptr); !ok)
      return {ok.error().code, 0};
    const authority::mutable_bytes spec{scratch_.spec, static_cast<std::size_t>(spec_len)};
    if (auto ok = copy_from_user(slot.as, spec, spec_ptr); !ok) return {ok.error().code, 0};
    const std::string_view child{name, static_cast<std::size_t>(name_len)};
    for (char ch : child)
      if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_')) return {errc::invalid_argument, 0};
    if (pending_) return decide_spawn(parent, child, spec, errc::capacity_exceeded);
    authority::bytes_view elf{};
    archive_->for_each([&](const cpio::entry& m) {
      if (m.name.size() == children_prefix.size() + child.size() + elf_suffix.size() && m.name.starts_with(children_prefix) &&
          m.name.substr(children_prefix.size(), child.size()) == child && m.name.ends_with(elf_suffix)) {
        elf = m.data;
        return false;
      }
      return true;
    });
    if (elf.empty()) return decide_spawn(parent, child, spec, errc::not_found);

    // The budget: resources the spec names get that amount; the others 0 where the
    // parent is limited (a child cannot be unlimited where its parent is not) — except
    // wall time, which carve() clamps to what the parent has left.
    authority::byte_reader r{spec};
    const auto parent_limits = slot.account->account_limits();
    auto wanted = authority::budget::limits::all_unlimited();
    for (std::size_t i = 0; i < authority::budget::resource_count; ++i) {
      const auto res = static_cast<authority::budget::resource>(i);
      if (res != authority::budget::resource::wall_time_ms && !parent_limits[res].is_unlimited())
        wanted.set(res, authority::budget::limit::of(0));
    }
    auto count = r.u8("budget");
    if (!count) return decide_spawn(parent, child, spec, count.error().code);
    for (std::size_t i = 0; i < *count; ++i) {
      auto res = r.u8("budget.resource");
      auto amount = r.le64("budget.amount");
      if (!res || !amount) return decide_spawn(parent, child, spec, errc::truncated);
      if (*res >= authority::budget::resource_count) return decide_spawn(parent, child, spec, errc::out_of_range);
      wanted.set(static_cast<authority::budget::resource>(*res), authority::budget::limit::of(*amount));
    }
    // The tokens: each delegated from a parent token the spec carries.
    auto caps = r.u8("caps");
    if (!caps) return decide_spawn(parent, child, spec, caps.error().code);
    std::size_t used = 0;
    for (std::size_t i = 0; i < *caps; ++i) {
      auto parent_len = r.le16("caps.parent");
      if (!parent_len) return decide_spawn(parent, child, spec, errc::truncated);
      auto parent_bytes = r.take(*parent_len, "caps.parent");
      auto resource_len = r.u8("caps.resource");
      if (!parent_bytes || !resource_len) return decide_spawn(parent, child, spec, errc::truncated);
      auto resource = r.take(*resource_len, "caps.resource");
      auto methods = r.le32("caps.methods");
      auto ttl = r.le64("caps.ttl");
      if (!resource || !methods || !ttl) return decide_spawn(parent, child, spec, errc::truncated);
      if (auto decoded = cap::decode(*parent_bytes, scratch_.parent); !decoded)
        return decide_spawn(parent, child, spec, decoded.error().code);
      cap::grant g;
      g.type = scratch_.parent.type;
      g.resource = authority::as_chars(*resource);
      g.methods = cap::method_set::of(*methods);
      g.ttl_ms = *ttl;
      g.rate = scratch_.parent.rate;
      g.run_id = scratch_.parent.run_id;
      id_source ids{this};
      if (auto delegated = cap::delegate(e_.verifier(), scratch_.parent, g, e_.clock().now_ns(), ids, scratch_.child); !delegated)
        return decide_spawn(parent, child, spec, delegated.error().code);
      if (used + 2 > sizeof child_.own_caps) return decide_spawn(parent, child, spec, errc::capacity_exceeded);
      auto encoded = cap::encode(scratch_.child, {child_.own_caps + used + 2, sizeof child_.own_caps - used - 2});
      if (!encoded) return decide_spawn(parent, child, spec, encoded.error().code);
      put16(child_.own_caps + used, encoded->size());
      used += 2 + encoded->size();
    }
    if (auto end = r.expect_end("spec"); !end) return decide_spawn(parent, child, spec, errc::trailing_bytes);
    auto carved = slot.account->carve(wanted, e_.clock().now_ns());
    if (!carved) return decide_spawn(parent, child, spec, carved.error().code);
    pending_grant_ = *carved;
    pending_elf_ = elf;
    pending_caps_ = {child_.own_caps, used};
    for (std::size_t i = 0; i < child.size(); ++i) pending_name_[i] = child[i];
    pending_name_size_ = child.size();
    pending_parent_ = slot.session->agent_id;
    pending_parent_account_ = &*slot.account;
    pending_ = true;
    return decide_spawn(parent, child, spec, errc::ok);
  }

  void run_pending_child() noexcept {
    if (!pending_) return;
    pending_ = false;
    const std::string_view name{pending_name_, pending_name_size_};
    (void)run_one(child_, name, pending_elf_, pending_caps_, pending_parent_, &pending_grant_);
    // What the child spent is charged to the parent's carve; the rest goes back.
    if (auto settled = pending_parent_account_->settle_child(pending_grant_, *child_.account); !settled)
      format_to(out_, "agent {}: settling its budget failed: {}\n", name, authority::name_of(settled.error().code));
    child_.session.reset();
    child_.account.reset();
    top_.session.reset();
    top_.account.reset();
  }

  // revoke(token, len): the agent presents a token (it holds it, or received it); if it
  // is authentic, its id goes on the revocation list, which also revokes every token
  // delegated from it. Audited as a decision entry with op 0 and SHA-256 of the token.
  authority::errc revoke(agent_slot<Enforcer>& slot, std::string_view name, std::uintptr_t ptr, std::uint64_t len) noexcept {
    using authority::errc;
    if (len > max_spawn_spec) return errc::too_long;
    const authority::mutable_bytes bytes{scratch_.spec, static_cast<std::size_t>(len)};
    if (auto ok = copy_from_user(slot.as, bytes, ptr); !ok) return ok.error().code;
    if (auto decoded = authority::capability::decode(bytes, scratch_.parent); !decoded) return decoded.error().code;
    if (auto authentic = e_.verifier().check_authentic(scratch_.parent, e_.clock().now_ns()); !authentic)
      return authentic.error().code;
    if (auto revoked = e_.revocations().revoke_token(scratch_.parent.token_id); !revoked) return revoked.error().code;
    char hex[32];
    (void)authority::encoding::hex_encode(scratch_.parent.token_id, hex);
    format_to(out_, "agent {}: revoked token {}\n", name, std::string_view{hex, sizeof hex});
    (void)log(authority::audit::entry_kind::decision, authority::audit::verdict::allow, errc::ok,
              authority::crypto::sha256::hash(authority::bytes_view{bytes}), {});
    return errc::ok;
  }

  Enforcer& e_;
  agent_slot<Enforcer>& top_;
  agent_slot<Enforcer>& child_;
  spawn_scratch& scratch_;
  page_frame_allocator& frames_;
  W& out_;
  std::uint64_t (*counter_)();
  agent_slot<Enforcer>* cur_ = nullptr;  // whose system calls are served (for log())
  const cpio::archive* archive_ = nullptr;
  std::uint64_t token_counter_ = 0;      // delegated token ids
  // The child spawned by the running top-level agent, waiting for its parent to end.
  bool pending_ = false;
  char pending_name_[64]{};
  std::size_t pending_name_size_ = 0;
  authority::bytes_view pending_elf_{}, pending_caps_{};
  authority::budget::child_grant pending_grant_{};
  authority::audit::id16 pending_parent_{};
  typename Enforcer::account_type* pending_parent_account_ = nullptr;
};

}  // namespace kernel::agents
