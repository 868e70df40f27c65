// The kernel's one door into the gate for agents: a request frame in, the gate's
// response out. The workload runner calls it for each frame of the boot bundle's
// workload; the system-call handler of user-mode agents (agents.hpp) calls the same
// handle() with the frame it copied in — only who calls changes.
//
// A frame that does not decode (bad magic, version, length, checksum, a non-canonical
// field, trailing bytes) never reaches the gate's pipeline: it is an agent fault, put
// on the audit log with the frame's error as the reason and SHA-256 of the frame bytes
// as the request hash, exactly as the gate logs the faults it finds itself.
#pragma once

#include <cstdint>

#include "authority/audit/chain.hpp"
#include "authority/crypto/sha256.hpp"
#include "authority/gate.hpp"
#include "authority/request_frame.hpp"

namespace kernel {

// One handled frame: the decoded request (views into the frame; default when the frame
// did not decode) and the gate's answer.
struct served_request {
  authority::effect_request request{};
  authority::response answer{};
  bool decoded = false;
};

template <class Gate, authority::audit::durable_log Log, authority::clock Clock>
class gate_service {
 public:
  gate_service(Gate& gate, Log& log, Clock& clock) noexcept : gate_(gate), log_(log), clock_(clock) {}

  template <std::size_t R>
  served_request handle(authority::session<R>& s, authority::bytes_view frame) noexcept {
    served_request out;
    auto decoded = authority::decode_request(frame);
    if (!decoded) {
      out.answer = refuse_frame(s, frame, decoded.error());
      return out;
    }
    out.request = *decoded;
    out.decoded = true;
    out.answer = gate_.authorize_and_execute(s, out.request);
    return out;
  }

 private:
  template <std::size_t R>
  authority::response refuse_frame(authority::session<R>& s, authority::bytes_view frame,
                                   const authority::error& e) noexcept {
    authority::response out;
    out.allow = false;
    out.reason = e.code;
    if (!gate_.closed()) {  // a closed gate logs nothing more (its log has failed)
      authority::audit::record rec{};
      rec.kind = authority::audit::entry_kind::agent_fault;
      rec.decision = authority::audit::verdict::deny;
      rec.reason = e.code;
      rec.time = clock_.now_ns();
      rec.agent_id = s.agent_id;
      rec.run_id = s.run_id;
      rec.request_hash = authority::crypto::sha256::hash(frame);
      if (auto logged = log_.append_durable(rec)) out.decision_seq = logged->seq;
    }
    auto& d = s.last_denial;
    d = authority::denial{};
    d.present = true;
    d.reason = e.code;
    return out;
  }

  Gate& gate_;
  Log& log_;
  Clock& clock_;
};

}  // namespace kernel
