// Agent files for `authority run`: JSON Lines in the request-line format
// (hosted/request_line.hpp: effect, target, version, tokens, labels, cost, seq), where
// "cap" says which capability the request carries:
//
//   "cap": "cap1_..."                                  a token, as `authority cap mint` prints it
//   "cap": "mint TYPE RESOURCE METHODS [ttl=D] [rate=N/W]"   minted here with the key file
//   "cap": "forge TYPE RESOURCE METHODS [...]"        minted, then one byte of its MAC flipped
//   no "cap"                                           the request carries none
//
// e.g. {"effect": "fs.read", "target": "/data/report.txt", "cap": "mint fs /data/** read"}.
// Every line becomes one request frame (request_frame.hpp); seq defaults to the previous
// one + 1. Tokens are minted at the run's clock start with ids derived from the signing
// key and a counter, so the same inputs give the same frames (docs/kernel.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "authority/capability/key_ring.hpp"
#include "authority/core/clock.hpp"
#include "authority/policy/compiled_policy.hpp"

namespace authority::cli {

// What the host remembers of a request, to annotate the kernel's decisions.
struct agent_request_info {
  std::size_t line = 0;        // in the agent file, 1-based
  std::uint64_t seq = 0;
  std::string capability;      // "minted fs /data/** [read]", "forged …", "token", "none"
};

struct agent_workload {
  std::vector<std::uint8_t> frames;  // request frames, back to back
  std::vector<agent_request_info> requests;
};

struct agent_options {
  const capability::key_ring* keys = nullptr;          // mints and forges
  const policy::compiled_policy* policy = nullptr;     // label names → bits
  time_ns mint_time = 0;                               // the run's clock start
  std::size_t repeat = 1;                              // the whole file this many times (seq continues)
};

struct agent_result {
  agent_workload workload;
  std::string error;  // "file:line: what" when the file cannot be used
  bool ok() const noexcept { return error.empty(); }
};

agent_result load_agent_file(const std::string& path, const agent_options& options);

}  // namespace authority::cli
