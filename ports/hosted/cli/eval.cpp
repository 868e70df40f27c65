// `authority eval --policy FILE [--requests FILE|-]`: judge JSON Lines requests against
// a policy, one JSON line out per request line in, in order.
//
// Two modes:
//   policy only (no --key): each line is judged by the policy and the policy's budgets;
//     the gate fields (cap, seq, run, agent) are parsed and ignored.
//   full gate (--key K --audit LOG): each line runs through the gate itself —
//     capability (INV-2), policy, taint, budget (INV-3), the durable audit log LOG (INV-4)
//     and the in-memory executor (the kernel's world: a RAM file system, a loopback
//     network, canned tool and inference results) — exactly as `authority serve` and the
//     kernel run it. One session per (agent, run): sequence numbers and budgets are per
//     session.
//
// Both share read_request_lines → parse_request_line → judge → print.
#include <algorithm>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <variant>

#include <map>

#include "authority/budget/account.hpp"
#include "authority/executors/memory_executor.hpp"
#include "authority/gate.hpp"
#include "authority/hosted/audit_file.hpp"
#include "authority/hosted/denial.hpp"
#include "authority/hosted/keyfile.hpp"
#include "authority/hosted/platform.hpp"
#include "authority/hosted/policy_compiler.hpp"
#include "authority/hosted/request_line.hpp"
#include "authority/policy/suggest.hpp"
#include "command.hpp"
#include "policy.hpp"
#include "util.hpp"

namespace authority::cli {
namespace {

using namespace authority::policy;

struct eval_args {
  std::string policy;
  std::string format;
  std::string requests = "-";
  std::string key;    // full-gate mode: the key file (its .revoked list is honoured)
  std::string audit;  // full-gate mode: the audit log appended to
  std::string mode = "enforce";
  std::string fs_dir;  // full-gate mode: seeds the RAM file system (as /...)
};

// What one line's judgement prints.
struct judgement {
  decision d;
  std::optional<std::string> rule;        // "file:line:col"
  std::optional<std::string> missing;
  std::optional<std::string> suggestion;
  std::vector<std::string> labels;        // result labels (allowed only)
  // Full-gate mode only:
  bool gate = false;
  bool recorded = false;                  // record mode: allowed although the policy denies
  std::uint64_t decision_seq = 0, outcome_seq = 0;
  std::optional<std::string> effect_status;  // the executor's status when it failed
};

std::string json_string_or_null(const std::optional<std::string>& s) {
  return s ? "\"" + json_escape(*s) + "\"" : "null";
}

void print_decision(const judgement& j) {
  const errc code = j.d.allow ? errc::ok : j.d.reason;
  std::cout << "{\"decision\":\"" << (j.d.allow ? "allow" : "deny") << "\",\"reason\":\"" << name_of(code)
            << "\",\"code\":" << static_cast<unsigned>(code) << ",\"rule\":" << json_string_or_null(j.rule)
            << ",\"missing\":" << json_string_or_null(j.missing) << ",\"suggestion\":" << json_string_or_null(j.suggestion)
            << ",\"labels\":[";
  for (std::size_t i = 0; i < j.labels.size(); ++i) std::cout << (i ? "," : "") << "\"" << json_escape(j.labels[i]) << "\"";
  std::cout << "]";
  if (j.gate) {
    std::cout << ",\"recorded\":" << (j.recorded ? "true" : "false") << ",\"decision_seq\":" << j.decision_seq
              << ",\"outcome_seq\":" << j.outcome_seq << ",\"effect_status\":" << json_string_or_null(j.effect_status);
  }
  std::cout << "}\n";
}

void print_error(const std::string& message, std::size_t line) {
  std::cout << "{\"error\":\"" << json_escape(message) << "\",\"line\":" << line << "}\n";
}

class policy_judge {
 public:
  policy_judge(const compiled_policy& p, time_ns start) : policy_(p), account_(limits_from_policy(p), start) {}

  // Either a judgement or an error message for the line.
  std::variant<judgement, std::string> judge(const hosted::request_line& line, time_ns now) {
    if (!line.judged)
      return std::string(line.gate_effect->name) +
             " is decided by capabilities alone (no policy section judges it); run the full gate with --key and --audit";
    std::string storage;
    auto resolved = hosted::resolve_request(line, policy_, storage);
    if (!resolved.ok()) return resolved.error;
    const auto e = hosted::explain(policy_, resolved.request);
    judgement j;
    j.d = e.decision;
    if (e.deciding) j.rule = e.deciding->location;
    j.missing = e.missing;
    j.suggestion = e.suggestion;
    if (j.d.allow && !line.costed.empty()) charge(line, j, now);
    if (j.d.allow) j.labels = hosted::label_names(policy_, j.d.result_labels);
    return j;
  }

 private:
  void charge(const hosted::request_line& line, judgement& j, time_ns now) {
    auto reserved = account_.reserve(line.cost, now);
    if (!reserved) {
      const auto e = reserved.error();
      j.d = {false, e.code, j.d.rule, 0};
      const auto resource = budget::resource_from_name(e.field);
      j.missing = resource ? "budget for " + std::string{e.field} + ": " + std::to_string(line.cost[*resource]) +
                                 " more than is left"
                           : "budget: " + std::string{describe(e.code)} + " (" + std::string{e.field} + ")";
      j.suggestion.reset();
      return;
    }
    (void)account_.commit(*reserved, line.cost);
  }

  const compiled_policy& policy_;
  budget::account account_;
};

// The full gate over the in-memory world. Sessions (sequence numbers, budgets) are kept
// per (agent, run) for the whole stream.
class gate_judge {
 public:
  static constexpr std::size_t reservations = 4;
  using eval_gate = gate<hosted::audit_file, executors::memory_executor, hosted::system_clock>;

  // Sets `error` (and returns null) when the key file, revocations or log cannot be used.
  static std::unique_ptr<gate_judge> open(const eval_args& a, std::string& error) {
    if (!hosted::init_sodium()) {
      error = "libsodium failed to initialize";
      return nullptr;
    }
    auto keys = hosted::load_key_file(a.key);
    if (!keys.ok()) {
      error = keys.failure->message + "\nhint: create a key file with `authority keys gen -o " + a.key + "`";
      return nullptr;
    }
    std::unique_ptr<gate_judge> j(new gate_judge(a, std::move(*keys.value)));
    if (auto r = hosted::load_revocations(a.key + ".revoked", j->keys_, j->revoked_); !r.ok()) {
      error = r.failure->message + " (the revocation list must verify under the key file's state key)";
      return nullptr;
    }
    hosted::recovery_report report;
    auto log = hosted::audit_file::open(a.audit, hosted::audit_file_options{}, report);
    if (!log) {
      error = a.audit + ": cannot open the audit log: " + explain(log.error());
      if (!report.verification.ok())
        error += "; entry " + std::to_string(report.verification.bad_seq) +
                 " does not verify\nhint: inspect it with `authority audit verify " + a.audit + "`";
      return nullptr;
    }
    if (!a.fs_dir.empty())
      if (auto failed = j->seed(a.fs_dir)) {
        error = *failed;
        return nullptr;
      }
    j->log_ = std::move(*log);
    j->gate_ = std::make_unique<eval_gate>(gate_parts{&j->verifier_, &j->policies_, j->keys_.ring.get()}, *j->log_,
                                           j->executor_, j->clock_, a.mode == "record" ? gate_mode::record : gate_mode::enforce);
    return j;
  }

  const capability::key_ring& ring() const { return *keys_.ring; }

  // Loads the compiled policy through the gate (the change is logged before it applies).
  std::optional<std::string> load(std::vector<std::uint8_t> blob) {
    blob_ = std::move(blob);
    auto change = gate_->load_policy(bytes_view{blob_.data(), blob_.size()});
    if (!change) return "the compiled policy was not loaded: " + explain(change.error());
    return std::nullopt;
  }

  std::variant<judgement, std::string> judge(const hosted::request_line& line) {
    if (line.gate_effect == nullptr)
      return "\"" + std::string(policy::name_of(line.effect)) + "\" is a policy operation, not an effect an agent requests";
    const auto& info = *line.gate_effect;
    const auto& p = policies_.current();
    auto& run = session_for(line.agent.value_or(0), line.run.value_or(id16{}));
    effect_request r;
    r.op = info.op_code();
    r.target = line.target;
    if (line.target2) r.target2 = *line.target2;
    if (line.version) r.version = *line.version;
    if (line.payload) r.payload = as_bytes(std::string_view{*line.payload});
    r.tokens = line.tokens;
    r.cost = line.cost;
    if (!line.labels.empty()) {
      if (!line.judged) return std::string(info.name) + " is not judged by a policy: its requests carry no labels";
      std::string storage;
      auto resolved = hosted::resolve_request(line, p, storage);
      if (!resolved.ok()) return resolved.error;
      r.labels = resolved.request.labels;
    }
    std::array<byte, capability::max_token_size> token{};
    if (line.cap) {
      auto wire = capability::text_to_binary(*line.cap, token);
      if (!wire) return "\"cap\" is not a capability token: " + explain(wire.error()) + "; mint one with `authority cap mint`";
      r.capability = *wire;
    }
    r.seq = line.seq.value_or(run.s.last_seq + 1);

    const response out = gate_->authorize_and_execute(run.s, r);
    judgement j;
    j.gate = true;
    j.d.allow = out.allow;
    j.d.reason = out.reason;
    j.recorded = out.recorded;
    j.decision_seq = out.decision_seq;
    j.outcome_seq = out.outcome_seq;
    if (out.allow) {
      if (out.rule != policy::no_rule && p.valid()) j.rule = hosted::summarize_rule(p, out.rule).location;
      j.labels = hosted::label_names(p, out.result_labels);
      if (out.result.status != errc::ok) j.effect_status = std::string(name_of(out.result.status));
    }
    if (!out.allow || out.recorded) {
      const auto budget = hosted::snapshot_of(*run.s.account, clock_.now_ns());
      const auto target = out.allow ? std::string_view{line.target} : run.s.last_denial.target.view();
      const auto d = hosted::explain_denial(p, info, r, target, out, key_path_, &budget);
      if (d.rule) j.rule = d.rule;
      j.missing = d.missing;
      j.suggestion = d.suggestion;
    }
    return j;
  }

 private:
  struct run_state {
    run_state(const id16& agent, const id16& run, const budget::limits& limits, time_ns start)
        : account(limits, start), s(agent, run, account) {}
    session<reservations>::account_type account;
    session<reservations> s;
  };

  gate_judge(const eval_args& a, hosted::key_file keys)
      : key_path_(a.key),
        keys_(std::move(keys)),
        buckets_(4096),
        rates_(buckets_),
        cache_slots_(256),
        cache_(cache_slots_),
        verifier_(*keys_.ring, revoked_.list(), &rates_, &cache_),
        nodes_(256),
        arena_(1u << 20),
        fs_(nodes_, mutable_bytes{arena_.data(), arena_.size()}),
        executor_(fs_) {}

  // The files under `dir` become the RAM file system's /... (directories before their contents).
  std::optional<std::string> seed(const std::string& dir) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return dir + ": not a directory";
    std::vector<fs::path> paths;
    for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
      paths.push_back(it->path());
    if (ec) return dir + ": " + ec.message();
    std::sort(paths.begin(), paths.end());
    for (const auto& p : paths) {
      const auto& name = seeded_.emplace_back("/" + fs::relative(p, dir).generic_string());
      const auto status = fs::symlink_status(p, ec);
      result<void> r;
      if (fs::is_directory(status)) {
        r = fs_.seed_directory(name);
      } else if (fs::is_regular_file(status)) {
        auto text = hosted::read_file(p.string());
        if (!text.ok()) return text.failure->message;
        const auto& data = seeded_.emplace_back(std::move(*text.value));
        r = fs_.seed_file(name, as_bytes(data));
      } else {
        return p.string() + ": only regular files and directories can seed the RAM file system";
      }
      if (!r) return p.string() + ": cannot seed the RAM file system: " + explain(r.error());
    }
    return std::nullopt;
  }

  // Agent N is the id whose last 8 bytes are N, big-endian.
  run_state& session_for(std::uint64_t agent, const id16& run) {
    id16 agent_id{};
    for (std::size_t i = 0; i < 8; ++i) agent_id[15 - i] = static_cast<byte>(agent >> (8 * i));
    auto& slot = sessions_[{agent_id, run}];
    if (!slot) slot = std::make_unique<run_state>(agent_id, run, limits_from_policy(policies_.current()), clock_.now_ns());
    return *slot;
  }

  std::string key_path_;
  hosted::key_file keys_;
  hosted::revocation_store revoked_;
  std::vector<capability::bucket_slot> buckets_;
  capability::rate_limiter rates_;
  std::vector<capability::verified_slot> cache_slots_;
  capability::verified_cache cache_;
  capability::verifier verifier_;
  policy::policy_store policies_;
  std::vector<executors::ram_node> nodes_;
  std::vector<byte> arena_;
  executors::ram_fs fs_;
  executors::memory_executor executor_;
  hosted::system_clock clock_;
  std::unique_ptr<hosted::audit_file> log_;
  std::unique_ptr<eval_gate> gate_;
  std::vector<std::uint8_t> blob_;
  std::deque<std::string> seeded_;  // the RAM file system views its paths and contents
  std::map<std::pair<id16, id16>, std::unique_ptr<run_state>> sessions_;
};

// The requests: a file or standard input.
std::istream* open_requests(const std::string& path, std::ifstream& file) {
  if (path == "-") return &std::cin;
  file.open(path, std::ios::binary);
  if (!file) {
    std::cerr << "error: " << path << ": cannot read the requests\n";
    return nullptr;
  }
  return &file;
}

// Reads request lines and prints one answer per line; returns the exit status.
template <class Judge>
int judge_stream(std::istream& in, Judge&& judge) {
  bool malformed = false;
  std::size_t number = 0;
  for (std::string text; std::getline(in, text);) {
    ++number;
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto line = hosted::parse_request_line(text);
    if (!line.ok()) {
      print_error(line.error, number);
      malformed = true;
      continue;
    }
    auto result = judge(*line.value);
    if (auto* message = std::get_if<std::string>(&result)) {
      print_error(*message, number);
      malformed = true;
      continue;
    }
    print_decision(std::get<judgement>(result));
  }
  std::cout.flush();
  return malformed ? exit_deny : exit_allow;
}

int report_compile_failure(const hosted::policy_compile_result& compiled) {
  const auto& f = *compiled.failure;
  std::cerr << (f.loc.line ? f.loc.to_string() + ": " : std::string{}) << "error: " << f.message << "\n";
  return exit_usage;
}

int run_policy_only(const eval_args& a, const loaded_policy& loaded, std::istream& in) {
  auto ring = std::make_unique<capability::key_ring>();
  capability::key_secret throwaway{};
  throwaway[0] = 1;  // evaluated at once, never stored: the MAC proves nothing here
  (void)ring->add_active(1, throwaway, 0);
  auto compiled = hosted::compile_policy(loaded.ast, *ring);
  if (!compiled.ok()) return report_compile_failure(compiled);
  auto p = compiled_policy::open(compiled.blob, *ring, 0);
  if (!p) {
    std::cerr << "error: compiled policy does not open: " << explain(p.error()) << "\n";
    return exit_usage;
  }
  hosted::system_clock clock;
  policy_judge judge{*p, clock.now_ns()};
  (void)a;
  return judge_stream(in, [&](const hosted::request_line& line) { return judge.judge(line, clock.now_ns()); });
}

int run_full_gate(const eval_args& a, const loaded_policy& loaded, std::istream& in) {
  std::string error;
  auto judge = gate_judge::open(a, error);
  if (!judge) {
    std::cerr << "error: " << error << "\n";
    return exit_usage;
  }
  auto compiled = hosted::compile_policy(loaded.ast, judge->ring());
  if (!compiled.ok()) return report_compile_failure(compiled);
  if (auto failed = judge->load(std::move(compiled.blob))) {
    std::cerr << "error: " << *failed << "\n";
    return exit_usage;
  }
  return judge_stream(in, [&](const hosted::request_line& line) { return judge->judge(line); });
}

int run_eval(const eval_args& a) {
  if (a.key.empty() != a.audit.empty()) {
    std::cerr << "error: the full gate needs both --key and --audit (without either, eval judges by the policy alone)\n";
    return exit_usage;
  }
  if (a.key.empty() && (a.mode != "enforce" || !a.fs_dir.empty())) {
    std::cerr << "error: --mode and --fs apply to the full gate (--key and --audit)\n";
    return exit_usage;
  }
  auto loaded = load_policy_file(a.policy, a.format);
  if (!loaded) return exit_usage;
  std::ifstream file;
  std::istream* in = open_requests(a.requests, file);
  if (in == nullptr) return exit_usage;
  return a.key.empty() ? run_policy_only(a, *loaded, *in) : run_full_gate(a, *loaded, *in);
}

void install(CLI::App& root, std::function<void(int)> set_exit) {
  auto a = std::make_shared<eval_args>();
  auto* eval = root.add_subcommand(
      "eval",
      "Judge requests against a policy: JSON Lines in, one JSON line out per request, in order.\n"
      "Policy only by default; with --key and --audit every request runs through the full gate\n"
      "(capability, policy, taint, budget, durable audit log, in-memory executor).\n"
      "In:  {\"effect\":\"fs.read\",\"target\":\"/etc/hosts\"} with optional \"labels\":[...], \"tokens\":N,\n"
      "     \"version\":\"...\", \"cost\":{\"<resource>\":N}, and the gate fields \"cap\", \"seq\", \"run\", \"agent\".\n"
      "Out: {\"decision\":\"allow\"|\"deny\",\"reason\":\"<errc>\",\"code\":N,\"rule\":\"file:line:col\"|null,\n"
      "      \"missing\":...|null,\"suggestion\":...|null,\"labels\":[...]} (full gate adds \"recorded\",\n"
      "      \"decision_seq\", \"outcome_seq\", \"effect_status\"); a malformed line gets\n"
      "     {\"error\":\"...\",\"line\":N} and the rest are still judged. Paths are canonicalized first.\n"
      "Exit 0 when every line was well-formed, 1 otherwise, 2 when the policy cannot be loaded.");
  eval->add_option("--policy", a->policy, "Policy file (.json or .toml)")->required();
  eval->add_option("--requests", a->requests, "Request lines (default - : standard input)");
  eval->add_option("--format", a->format, "Policy format, json or toml (default: from the extension)")
      ->check(CLI::IsMember({"json", "toml"}));
  eval->add_option("--key", a->key, "Full gate: key file (tokens verify under it; KEY.revoked is honoured)");
  eval->add_option("--audit", a->audit, "Full gate: audit log to append to (created if missing)");
  eval->add_option("--fs", a->fs_dir, "Full gate: directory whose files seed the in-memory file system (as /...)");
  eval->add_option("--mode", a->mode, "Full gate: enforce (default) or record (allow, log what enforce would deny)")
      ->check(CLI::IsMember({"enforce", "record"}));
  eval->callback([a, set_exit] { set_exit(run_eval(*a)); });
}

const register_group eval_group{"eval", install};

}  // namespace
}  // namespace authority::cli
