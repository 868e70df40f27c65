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
#include "authority/crypto/sha256.hpp"
#include "authority/gate.hpp"
#include "authority/request_frame.hpp"
#include "console_protocol.hpp"
#include "cpio.hpp"
#include "elf.hpp"
#include "format.hpp"
#include "user.hpp"

namespace kernel::agents {

inline constexpr std::string_view prefix = "agents/";
inline constexpr std::string_view elf_suffix = ".elf";
inline constexpr std::string_view caps_suffix = ".caps";

enum class syscall : std::uint64_t { exit = 0, yield = 1, effect = 2, last_denial = 3, capabilities = 4, counter = 5 };
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
template <class Enforcer>
struct agent_slot {
  arch::address_space as{};
  arch::user_context ctx{};
  authority::byte frame[max_frame]{};
  std::optional<typename Enforcer::account_type> account;
  std::optional<typename Enforcer::session_type> session;
};

template <class Enforcer, text_writer W>
class runner {
 public:
  runner(Enforcer& e, agent_slot<Enforcer>& slot, page_frame_allocator& frames, W& out, std::uint64_t (*counter)()) noexcept
      : e_(e), slot_(slot), frames_(frames), out_(out), counter_(counter) {}

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
      run_one(name, m.data, caps);
      return true;
    });
  }

 private:
  authority::result<std::uint64_t> log(authority::audit::entry_kind kind, authority::audit::verdict v, authority::errc reason,
                                       const authority::crypto::digest& request_hash, const authority::crypto::digest& result_hash) noexcept {
    if (e_.gate().closed()) return authority::make_error(authority::errc::sink_failure, "log");
    authority::audit::record r{};
    r.kind = kind;
    r.decision = v;
    r.reason = reason;
    r.time = e_.clock().now_ns();
    r.agent_id = slot_.session->agent_id;
    r.run_id = slot_.session->run_id;
    r.request_hash = request_hash;
    r.result_hash = result_hash;
    AUTHORITY_TRY_ASSIGN(const auto appended, e_.log().append_durable(r));
    return appended.seq;
  }

  void run_one(std::string_view name, authority::bytes_view file, authority::bytes_view caps) noexcept {
    // Its own session: agent id = SHA-256(run's agent id ‖ name)[0, 16), the policy's budget.
    authority::crypto::sha256 h;
    h.update(e_.config().agent_id);
    h.update(name);
    const auto digest = h.finish();
    authority::audit::id16 id{};
    for (std::size_t i = 0; i < id.size(); ++i) id[i] = digest[i];
    const auto limits = e_.policy_loaded() ? authority::limits_from_policy(e_.policy()) : authority::budget::limits{};
    slot_.session.reset();
    slot_.account.emplace(limits, e_.clock().now_ns());
    slot_.session.emplace(id, e_.config().run_id, *slot_.account);
    calls_ = handle_calls_ = handle_ticks_ = line_ticks_ = stream_ns_ = 0;
    caps_ = caps;

    const auto elf_hash = authority::crypto::sha256::hash(file);
    format_to(out_, "agent {}: {} bytes\n", name, file.size());
    (void)log(authority::audit::entry_kind::agent_start, authority::audit::verdict::allow, authority::errc::ok, elf_hash, {});

    auto image = elf::parse(file, arch::elf_machine, arch::user_window());
    std::uint64_t sp = 0;
    auto as_made = image ? arch::address_space_create(slot_.as, frames_) : authority::result<void>{image.error()};
    if (as_made) {
      auto loaded = elf::load(*image, file, slot_.as, frames_);
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
      arch::address_space_destroy(slot_.as, frames_);
      return;
    }

    slot_.ctx.set_entry(image->entry, sp);
    for (;;) {
      const user_trap t = arch::enter_user(slot_.as, slot_.ctx);
      if (t.kind == trap_kind::fault) {
        line_buffer line;
        format_to(line, "agent {}: fault: {} ({}) pc {:p} address {:p} access {} code {:x}", name, name_of(t.cause),
                  authority::name_of(fault_errc(t.cause)), t.pc, t.address,
                  has(t.access, page_access::execute) ? "execute" : has(t.access, page_access::write) ? "write" : "read",
                  t.code);
        format_to(out_, "{}\n", line.view());
        (void)log(authority::audit::entry_kind::agent_fault, authority::audit::verdict::deny, fault_errc(t.cause),
                  authority::crypto::sha256::hash(authority::as_bytes(line.view())), {});
        break;
      }
      ++calls_;
      if (static_cast<syscall>(slot_.ctx.syscall_number()) == syscall::exit) {
        const std::uint64_t code = slot_.ctx.syscall_arg(0);
        authority::byte le[8];
        put64(le, code);
        format_to(out_,
                  "agent {}: exit {} after {} system calls; gate_service::handle {} calls, {} ticks (audit streaming {} ns); "
                  "decision lines {} ticks\n",
                  name, code, calls_, handle_calls_, handle_ticks_, stream_ns_, line_ticks_);
        (void)log(authority::audit::entry_kind::agent_exit, authority::audit::verdict::allow, authority::errc::ok, elf_hash,
                  authority::crypto::sha256::hash(authority::bytes_view{le, 8}));
        break;
      }
      serve();
    }
    arch::address_space_destroy(slot_.as, frames_);
    slot_.session.reset();
    slot_.account.reset();
  }

  void serve() noexcept {
    using authority::errc;
    auto& c = slot_.ctx;
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
          if (auto ok = check_user_range(slot_.as, response, response_size, page_access::write); !ok)
            return result(ok.error().code);
        const authority::mutable_bytes into{slot_.frame, static_cast<std::size_t>(len)};
        if (auto ok = copy_from_user(slot_.as, into, frame); !ok) return result(ok.error().code);
        const std::uint64_t streamed = e_.sink_busy_ns();
        const std::uint64_t begin = counter_();
        const served_request served = e_.service().handle(*slot_.session, into);
        handle_ticks_ += counter_() - begin;
        stream_ns_ += e_.sink_busy_ns() - streamed;
        ++handle_calls_;
        const auto& a = served.answer;
        const std::uint64_t written = counter_();
        protocol::write_decision(out_, served.request.seq, served.request.target, a);
        line_ticks_ += counter_() - written;
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
          if (auto ok = copy_to_user(slot_.as, response, {r, response_size}); !ok) return result(ok.error().code);
        }
        return result(a.allow ? errc::ok : a.reason, a.decision_seq);
      }
      case syscall::last_denial: {
        const std::uintptr_t buffer = c.syscall_arg(0);
        const std::uint64_t len = c.syscall_arg(1);
        if (len < denial_header_size) return result(errc::capacity_exceeded, denial_header_size);
        const auto& d = slot_.session->last_denial;
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
        if (auto ok = check_user_range(slot_.as, buffer, denial_header_size + n, page_access::write); !ok)
          return result(ok.error().code);
        (void)copy_to_user(slot_.as, buffer, {head, denial_header_size});
        (void)copy_to_user(slot_.as, buffer + denial_header_size, authority::as_bytes(target.substr(0, n)));
        return result(errc::ok, denial_header_size + n);
      }
      case syscall::capabilities: {
        const std::uintptr_t buffer = c.syscall_arg(0);
        const std::uint64_t len = c.syscall_arg(1);
        if (len < caps_.size()) return result(errc::capacity_exceeded, caps_.size());
        if (auto ok = copy_to_user(slot_.as, buffer, caps_); !ok) return result(ok.error().code);
        return result(errc::ok, caps_.size());
      }
      default: return result(errc::bad_syscall);
    }
  }

  Enforcer& e_;
  agent_slot<Enforcer>& slot_;
  page_frame_allocator& frames_;
  W& out_;
  std::uint64_t (*counter_)();
  authority::bytes_view caps_{};
  std::uint64_t calls_ = 0;
  std::uint64_t handle_calls_ = 0, handle_ticks_ = 0;  // the in-kernel gate_service::handle share
  std::uint64_t line_ticks_ = 0;                        // writing the @decision lines
  std::uint64_t stream_ns_ = 0;                         // of handle: the audit sink streaming and draining
};

}  // namespace kernel::agents
