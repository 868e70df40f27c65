// Reading a kernel's console on the host: protocol lines (kernel/console_protocol.hpp)
// are separated from ordinary text; audit frames are checked (CRC-32C, then the hash
// chain, incrementally, as they arrive) and kept as a log stream; each @decision is
// checked against the audit entry it names before it is shown.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "authority/audit/entry.hpp"
#include "authority/audit/verify.hpp"

namespace authority::cli {

struct kernel_decision {
  std::uint64_t request_seq = 0;
  std::uint64_t audit_seq = 0;  // 0: not logged (a closed gate)
  std::string effect;
  bool allow = false;
  std::string reason;  // error names (errc)
  std::string result;
  std::string target;  // unescaped
};

struct kernel_refusal {
  std::string what;  // "bundle" or "policy"
  std::string reason, field;
  std::uint64_t offset = 0;
};

class kernel_console {
 public:
  std::function<void(const kernel_decision&)> on_decision;
  std::function<void(std::string_view)> on_text;  // every line that is not protocol

  // One line of output, without its line ending (a trailing '\r' is ignored).
  void line(std::string_view text);
  // Bytes as they come from a pipe: split into lines.
  void feed(std::string_view bytes);
  void finish();  // a last line without a newline

  // The log as it came over the line: header and frames, byte for byte.
  const std::vector<std::uint8_t>& log_stream() const noexcept { return stream_; }
  // The whole stream verified again from the start (verify_log), after the run.
  audit::verification verify() const;
  std::uint64_t entries() const noexcept { return entries_.size(); }

  const std::vector<kernel_decision>& decisions() const noexcept { return decisions_; }
  const std::vector<kernel_refusal>& refusals() const noexcept { return refusals_; }
  // What the kernel said its head was (@head), and its own timing (@stats).
  std::optional<audit::chain_head> reported_head() const noexcept { return reported_head_; }
  std::optional<std::uint64_t> kernel_elapsed_ns() const noexcept { return elapsed_ns_; }
  std::uint64_t kernel_console_ns() const noexcept { return console_ns_; }  // of it, on the console
  // The workload's decisions that timing covers (@stats): user-mode agents' come after it.
  std::optional<std::uint64_t> kernel_decisions() const noexcept { return stats_decisions_; }
  // Console bytes from the first audit entry of the workload's first request to @head:
  // what the kernel streamed (and waited for) while it ran the workload.
  std::uint64_t workload_bytes() const noexcept { return workload_bytes_; }
  // Everything wrong with the stream: bad lines, frames that do not verify, decisions
  // that do not match their audit entries, a head that differs. Empty when all is well.
  const std::vector<std::string>& problems() const noexcept { return problems_; }

 private:
  void audit_line(std::string_view payload);
  void log_line(std::string_view payload);
  void decision_line(std::string_view rest);
  void problem(std::string message);

  std::string partial_;
  std::vector<std::uint8_t> stream_;
  std::optional<audit::verifier> verifier_;
  std::vector<audit::entry> entries_;  // by seq - 1
  std::vector<kernel_decision> decisions_;
  std::vector<kernel_refusal> refusals_;
  std::optional<audit::chain_head> reported_head_;
  std::optional<std::uint64_t> elapsed_ns_;
  std::uint64_t console_ns_ = 0;
  std::optional<std::uint64_t> stats_decisions_;
  std::uint64_t bytes_ = 0;                    // lines seen so far, with their line ends
  std::optional<std::uint64_t> workload_start_;  // bytes_ at the policy_change entry's end
  std::uint64_t workload_bytes_ = 0;
  std::vector<std::string> problems_;
};

}  // namespace authority::cli
