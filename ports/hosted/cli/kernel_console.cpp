#include "kernel_console.hpp"

#include <charconv>

#include "authority/audit/frame.hpp"
#include "authority/core/encoding.hpp"
#include "authority/effects.hpp"
#include "console_protocol.hpp"

namespace authority::cli {
namespace {

namespace protocol = kernel::protocol;

std::vector<std::string_view> words(std::string_view s) {
  std::vector<std::string_view> out;
  while (!s.empty()) {
    const auto start = s.find_first_not_of(' ');
    if (start == std::string_view::npos) break;
    s.remove_prefix(start);
    const auto end = s.find(' ');
    out.push_back(s.substr(0, end));
    if (end == std::string_view::npos) break;
    s.remove_prefix(end);
  }
  return out;
}

std::optional<std::uint64_t> number(std::string_view s) {
  std::uint64_t v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

std::optional<std::vector<std::uint8_t>> base64url(std::string_view s) {
  std::vector<std::uint8_t> out(encoding::base64url_decoded_max(s.size()));
  auto n = encoding::base64url_decode(s, out);
  if (!n) return std::nullopt;
  out.resize(*n);
  return out;
}

// The tag of a protocol line and what follows it, or nothing for ordinary text.
std::optional<std::string_view> after_tag(std::string_view line, std::string_view tag) {
  if (!line.starts_with(tag)) return std::nullopt;
  line.remove_prefix(tag.size());
  if (!line.empty() && line[0] != ' ') return std::nullopt;
  return line.empty() ? line : line.substr(1);
}

}  // namespace

void kernel_console::problem(std::string message) { problems_.push_back(std::move(message)); }

void kernel_console::feed(std::string_view bytes) {
  for (char c : bytes) {
    if (c == '\n') {
      line(partial_);
      partial_.clear();
    } else {
      partial_ += c;
    }
  }
}

void kernel_console::finish() {
  if (!partial_.empty()) line(partial_);
  partial_.clear();
}

void kernel_console::line(std::string_view text) {
  bytes_ += text.size() + 1;
  if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
  if (auto rest = after_tag(text, protocol::audit_tag)) return audit_line(*rest);
  if (auto rest = after_tag(text, protocol::log_tag)) return log_line(*rest);
  if (auto rest = after_tag(text, protocol::decision_tag)) return decision_line(*rest);
  if (auto rest = after_tag(text, protocol::refused_tag)) {
    const auto w = words(*rest);
    if (w.size() != 4 || !number(w[3])) return problem("malformed @refused line: " + std::string{text});
    refusals_.push_back({std::string{w[0]}, std::string{w[1]}, std::string{w[2]}, *number(w[3])});
    if (on_text) on_text(text);
    return;
  }
  if (auto rest = after_tag(text, protocol::head_tag)) {
    const auto w = words(*rest);
    auto hash = w.size() == 2 ? encoding::hex_decode_exact<32>(w[1]) : encoding::hex_decode_exact<32>("");
    if (w.size() != 2 || !number(w[0]) || !hash) return problem("malformed @head line: " + std::string{text});
    reported_head_ = audit::chain_head{*number(w[0]), *hash};
    if (workload_start_) workload_bytes_ = bytes_ - *workload_start_;
    if (!verifier_ || verifier_->head() != *reported_head_)
      problem("the kernel's head (seq " + std::string{w[0]} + ") is not the head of the log it streamed");
    return;
  }
  if (auto rest = after_tag(text, protocol::stats_tag)) {
    const auto w = words(*rest);
    if (w.size() != 3 || !number(w[0]) || !number(w[1]) || !number(w[2]))
      return problem("malformed @stats line: " + std::string{text});
    stats_decisions_ = *number(w[0]);
    elapsed_ns_ = *number(w[1]);
    console_ns_ = *number(w[2]);
    return;
  }
  if (!text.empty() && text[0] == '@') return problem("unknown protocol line: " + std::string{text.substr(0, 40)});
  if (on_text) on_text(text);
}

void kernel_console::log_line(std::string_view payload) {
  auto header = base64url(payload);
  if (!stream_.empty() || !header || header->size() != audit::log_header_size)
    return problem("malformed or repeated @log line");
  auto id = audit::read_log_header(*header);
  if (!id) return problem("the log header does not verify: " + std::string{name_of(id.code())});
  verifier_.emplace(*id);
  stream_ = *header;
}

void kernel_console::audit_line(std::string_view payload) {
  const std::uint64_t seq = entries_.size() + 1;
  auto frame = base64url(payload);
  if (!verifier_) return problem("audit frame before the log header");
  if (!frame) return problem("audit frame " + std::to_string(seq) + " is not base64url");
  auto read = audit::read_frame(*frame);
  if (!read || read->size != frame->size())
    return problem("audit frame " + std::to_string(seq) + " is damaged (" + std::string{name_of(read.code())} + ")");
  if (auto checked = verifier_->check_record(read->payload); !checked)
    return problem("audit entry " + std::to_string(seq) + " does not verify: " + std::string{name_of(checked.code())});
  stream_.insert(stream_.end(), frame->begin(), frame->end());
  entries_.push_back(audit::decode_record(read->payload)->value);
  if (entries_.size() == 1) workload_start_ = bytes_;  // the boot's policy_change is not the workload's
}

void kernel_console::decision_line(std::string_view rest) {
  const auto w = words(rest);
  if (w.size() != 7 || !number(w[0]) || !number(w[1])) return problem("malformed @decision line");
  kernel_decision d;
  d.request_seq = *number(w[0]);
  d.audit_seq = *number(w[1]);
  d.effect = w[2];
  d.allow = w[3] == "allow";
  d.reason = w[4];
  d.result = w[5];
  std::string target(w[6].size(), '\0');
  auto unescaped = protocol::unescape(w[6], target);
  if (!unescaped) return problem("malformed target in @decision line");
  d.target = *unescaped;

  // The answer shown must be the one on the log: same entry kind, verdict, op, reason.
  if (d.audit_seq != 0) {
    if (d.audit_seq > entries_.size()) {
      problem("decision for request " + std::to_string(d.request_seq) + " names audit entry " +
              std::to_string(d.audit_seq) + ", which was not streamed before it");
    } else {
      const auto& e = entries_[d.audit_seq - 1];
      const auto* effect = find_effect(e.op);
      const bool kind_ok = e.kind == audit::entry_kind::decision || e.kind == audit::entry_kind::agent_fault;
      const bool verdict_ok = (e.decision == audit::verdict::allow) == d.allow;
      const bool op_ok = (effect ? effect->name : std::string_view{"-"}) == d.effect;
      const bool reason_ok = d.allow || name_of(e.reason) == d.reason;
      if (!kind_ok || !verdict_ok || !op_ok || !reason_ok)
        problem("decision for request " + std::to_string(d.request_seq) + " does not match audit entry " +
                std::to_string(d.audit_seq));
    }
  }
  decisions_.push_back(d);
  if (on_decision) on_decision(decisions_.back());
}

audit::verification kernel_console::verify() const {
  if (stream_.empty()) {
    audit::verification v;
    v.code = errc::not_found;
    v.field = "log header";
    return v;
  }
  return audit::verify_log(stream_);
}

}  // namespace authority::cli
