// The in-memory executor: the world an agent acts on when the world is not real — in
// the bare-metal kernel, and in the hosted conformance run that must give the kernel's
// answers byte for byte. Effects land in:
//
//   fs.*               a RAM file system (ram_fs.hpp) seeded from the boot bundle
//   net.*              a loopback network that only records: every name resolves to
//                      127.0.0.1, connections succeed, sends are counted, nothing arrives
//   tool.call, infer   canned results ("canned result of tool T", "canned completion
//                      from M"); infer reports the costs the request declared
//   everything else    not_supported (spawn, wasm, heap, secrets, ipc, audit.read)
//
// Outputs are deterministic functions of the effect, its target and the file system's
// state, so the outcome entries' result hashes agree across ports. An output views the
// file system or the executor's own buffer and is valid until the next execute().
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "authority/executors/ram_fs.hpp"
#include "authority/gate.hpp"

namespace authority::executors {

// What the loopback network saw.
struct loopback_record {
  std::uint64_t lookups = 0;
  std::uint64_t connects = 0;
  std::uint64_t binds = 0;   // bind and listen
  std::uint64_t sends = 0;
  std::uint64_t bytes_sent = 0;
  std::uint64_t receives = 0;
};

inline constexpr std::string_view loopback_address = "127.0.0.1";
inline constexpr std::string_view canned_tool_prefix = "canned result of tool ";
inline constexpr std::string_view canned_infer_prefix = "canned completion from ";

class memory_executor {
 public:
  // Room for a canned text around the longest target, and for a directory listing.
  static constexpr std::size_t output_capacity = 2 * max_target_size;

  explicit memory_executor(ram_fs& fs) noexcept : fs_(fs) {}

  effect_result execute(const effect_permit& p, const effect_request& r) noexcept {
    effect_result out;
    const auto fail = [&](errc e) {
      out.status = e;
      return out;
    };
    const std::string_view target = p.target();
    switch (p.effect().id) {
      case effect::fs_read: {
        auto data = fs_.read(target);
        if (!data) return fail(data.code());
        out.output = *data;
        charge_file_io(out, data->size());
        return out;
      }
      case effect::fs_write:
        if (auto w = fs_.write(target, r.payload); !w) return fail(w.code());
        charge_file_io(out, r.payload.size());
        return out;
      case effect::fs_stat: {
        auto data = fs_.read(target);
        text_buffer t{buffer_};
        if (data) {
          t.put("file ");
          t.number(data->size());
        } else if (fs_.is_directory(target)) {
          t.put("directory");
        } else {
          return fail(data.code());
        }
        out.output = t.view();
        return out;
      }
      case effect::fs_list: {
        text_buffer listing{buffer_};
        if (auto l = fs_.list(target, [&](std::string_view name) { listing.line(name); }); !l) return fail(l.code());
        if (listing.overflow) return fail(errc::capacity_exceeded);
        out.output = listing.view();
        charge_file_io(out, out.output.size());
        return out;
      }
      case effect::fs_unlink:
        if (auto u = fs_.unlink(target); !u) return fail(u.code());
        return out;
      case effect::fs_mkdir:
        if (auto m = fs_.mkdir(target); !m) return fail(m.code());
        return out;
      case effect::fs_rename:
        if (auto m = fs_.rename(target, p.target2()); !m) return fail(m.code());
        return out;
      case effect::net_dns:
        ++net_.lookups;
        out.output = as_bytes(loopback_address);
        return out;
      case effect::net_connect:
        ++net_.connects;
        return out;
      case effect::net_bind:
      case effect::net_listen:
        ++net_.binds;
        return out;
      case effect::net_send:
        ++net_.sends;
        net_.bytes_sent += r.payload.size();
        out.actual.set(budget::resource::net_bytes_out, r.payload.size());
        out.actual.set(budget::resource::bytes, r.payload.size());
        return out;
      case effect::net_recv:
        ++net_.receives;
        return out;
      case effect::tool_call:
        return text(out, canned_tool_prefix, target);
      case effect::infer:
        out.actual = r.cost;  // a canned model uses exactly what was declared
        return text(out, canned_infer_prefix, target);
      default:
        return fail(errc::not_supported);
    }
  }

  const loopback_record& network() const noexcept { return net_; }
  ram_fs& files() noexcept { return fs_; }

 private:
  struct text_buffer {
    explicit text_buffer(byte* b) noexcept : buf(b) {}
    void put(std::string_view s) noexcept {
      for (char c : s) {
        if (size == output_capacity) {
          overflow = true;
          return;
        }
        buf[size++] = static_cast<byte>(c);
      }
    }
    void line(std::string_view s) noexcept {
      put(s);
      put("\n");
    }
    void number(std::uint64_t v) noexcept {
      char digits[20];
      std::size_t n = 0;
      do {
        digits[sizeof digits - 1 - n++] = static_cast<char>('0' + v % 10);
        v /= 10;
      } while (v != 0);
      put({digits + sizeof digits - n, n});
    }
    bytes_view view() const noexcept { return {buf, size}; }
    byte* buf;
    std::size_t size = 0;
    bool overflow = false;
  };

  static void charge_file_io(effect_result& out, std::uint64_t n) noexcept {
    out.actual.set(budget::resource::file_bytes, n);
    out.actual.set(budget::resource::bytes, n);
  }

  // "<prefix><subject>" (a target is at most max_target_size, so it fits).
  effect_result text(effect_result& out, std::string_view prefix, std::string_view subject) noexcept {
    text_buffer t{buffer_};
    t.put(prefix);
    t.put(subject);
    if (t.overflow) out.status = errc::capacity_exceeded;
    out.output = t.view();
    return out;
  }

  ram_fs& fs_;
  loopback_record net_{};
  byte buffer_[output_capacity]{};
};

static_assert(effect_executor<memory_executor>);

}  // namespace authority::executors
