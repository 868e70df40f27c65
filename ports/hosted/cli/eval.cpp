// `authority eval --policy FILE [--requests FILE|-]`: judge JSON Lines requests against
// a policy, one JSON line out per request line in, in order. Policy only: the request
// lines may carry the gate fields (cap, seq, run, agent) that a full-gate mode reads;
// here they are parsed and ignored. Costs are charged, cumulatively over the stream,
// against the policy's budgets (a resource without a budget entry is not limited).
//
// Structure for the full-gate mode: read_request_lines → per line parse_request_line →
// judge_line (here: resolve + policy evaluate + budget) → print_decision. A gate mode
// replaces judge_line and keeps the rest.
#include <fstream>
#include <iostream>
#include <memory>
#include <variant>

#include "authority/budget/account.hpp"
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
};

// What one line's judgement prints.
struct judgement {
  decision d;
  std::optional<std::string> rule;        // "file:line:col"
  std::optional<std::string> missing;
  std::optional<std::string> suggestion;
  std::vector<std::string> labels;        // result labels (allowed only)
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
  std::cout << "]}\n";
}

void print_error(const std::string& message, std::size_t line) {
  std::cout << "{\"error\":\"" << json_escape(message) << "\",\"line\":" << line << "}\n";
}

budget::limits limits_of(const compiled_policy& p) {
  budget::limits l = budget::limits::all_unlimited();
  for (const auto& info : budget::resource_table) {
    const auto b = p.budget(info.id);
    if (b.state == blob::budget_state::amount) l.set(info.id, budget::limit::of(b.amount));
  }
  return l;
}

class policy_judge {
 public:
  policy_judge(const compiled_policy& p, time_ns start) : policy_(p), account_(limits_of(p), start) {}

  // Either a judgement or an error message for the line.
  std::variant<judgement, std::string> judge(const hosted::request_line& line, time_ns now) {
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

int run_eval(const eval_args& a) {
  auto loaded = load_policy_file(a.policy, a.format);
  if (!loaded) return exit_usage;
  auto ring = std::make_unique<capability::key_ring>();
  capability::key_secret throwaway{};
  throwaway[0] = 1;  // evaluated at once, never stored: the MAC proves nothing here
  (void)ring->add_active(1, throwaway, 0);
  auto compiled = hosted::compile_policy(loaded->ast, *ring);
  if (!compiled.ok()) {
    const auto& f = *compiled.failure;
    std::cerr << (f.loc.line ? f.loc.to_string() + ": " : std::string{}) << "error: " << f.message << "\n";
    return exit_usage;
  }
  auto p = compiled_policy::open(compiled.blob, *ring, 0);
  if (!p) {
    std::cerr << "error: compiled policy does not open: " << explain(p.error()) << "\n";
    return exit_usage;
  }
  std::ifstream file;
  std::istream* in = &std::cin;
  if (a.requests != "-") {
    file.open(a.requests, std::ios::binary);
    if (!file) {
      std::cerr << "error: " << a.requests << ": cannot read the requests\n";
      return exit_usage;
    }
    in = &file;
  }
  hosted::system_clock clock;
  policy_judge judge{*p, clock.now_ns()};
  bool malformed = false;
  std::size_t number = 0;
  for (std::string text; std::getline(*in, text);) {
    ++number;
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto line = hosted::parse_request_line(text);
    if (!line.ok()) {
      print_error(line.error, number);
      malformed = true;
      continue;
    }
    auto result = judge.judge(*line.value, clock.now_ns());
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

void install(CLI::App& root, std::function<void(int)> set_exit) {
  auto a = std::make_shared<eval_args>();
  auto* eval = root.add_subcommand(
      "eval",
      "Judge requests against a policy: JSON Lines in, one JSON line out per request, in order.\n"
      "In:  {\"effect\":\"fs.read\",\"target\":\"/etc/hosts\"} with optional \"labels\":[...], \"tokens\":N,\n"
      "     \"version\":\"...\", \"cost\":{\"<resource>\":N}, and the gate fields \"cap\", \"seq\", \"run\", \"agent\".\n"
      "Out: {\"decision\":\"allow\"|\"deny\",\"reason\":\"<errc>\",\"code\":N,\"rule\":\"file:line:col\"|null,\n"
      "      \"missing\":...|null,\"suggestion\":...|null,\"labels\":[...]}; a malformed line gets\n"
      "     {\"error\":\"...\",\"line\":N} and the rest are still judged. Paths are canonicalized first.\n"
      "Exit 0 when every line was well-formed, 1 otherwise, 2 when the policy cannot be loaded.");
  eval->add_option("--policy", a->policy, "Policy file (.json or .toml)")->required();
  eval->add_option("--requests", a->requests, "Request lines (default - : standard input)");
  eval->add_option("--format", a->format, "Policy format, json or toml (default: from the extension)")
      ->check(CLI::IsMember({"json", "toml"}));
  eval->callback([a, set_exit] { set_exit(run_eval(*a)); });
}

const register_group eval_group{"eval", install};

}  // namespace
}  // namespace authority::cli
