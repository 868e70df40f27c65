#include "authority/hosted/denial.hpp"

#include "authority/hosted/policy_compiler.hpp"

namespace authority::hosted {
namespace {
std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }
std::string code_text(errc e) { return std::string(name_of(e)) + " (" + std::to_string(static_cast<unsigned>(e)) + ")"; }
}  // namespace

denial_detail explain_denial(const policy::compiled_policy& p, const effect_info& info, const effect_request& r,
                             std::string_view target, const response& out, std::string_view key_path,
                             const budget_snapshot* budget) {
  denial_detail d;
  d.present = true;
  d.seq = r.seq;
  d.op = r.op;
  d.target = std::string(target);
  const errc reason = out.reason;
  d.message = std::string(authority::describe(reason));
  if (out.rule != policy::no_rule && p.valid()) d.rule = summarize_rule(p, out.rule).location;
  if (out.needs_capability) {
    const std::string type{capability::name_of(out.needed_type)};
    const std::string method{capability::method_name(out.needed_type, out.needed_method)};
    d.capability_type = type;
    d.capability_method = method;
    d.missing = "a capability of type " + type + " with method " + method + " whose resource covers " + quoted(target) +
                (reason == errc::missing_capability ? " (none was presented)"
                                                    : " (the one presented: " + code_text(reason) + ")");
    // A name lookup's target is a host; the net capability that covers it is dns:HOST:*.
    const std::string resource = capability::is_name_lookup(out.needed_type, out.needed_method)
                                     ? "dns:" + std::string(target) + ":*"
                                     : std::string(target);
    d.suggestion = "authority cap mint --key " + std::string(key_path) + " --type " + type + " --resource '" + resource +
                   "' --methods " + method;
    return d;
  }
  if ((is_policy_denial(reason) || out.recorded) && info.judged_by && p.valid()) {
    policy::request pr;
    pr.kind = *info.judged_by;
    pr.target = target;
    pr.version = r.version;
    pr.tokens = r.tokens;
    pr.labels = r.labels;
    const auto e = explain(p, pr);
    d.message = e.reason;
    if (e.deciding) d.rule = e.deciding->location;
    d.missing = e.missing;
    d.suggestion = e.suggestion;
    return d;
  }
  if (is_budget_denial(reason) && budget != nullptr) {
    budget::costs need = per_call_costs(info);
    for (std::size_t i = 0; i < budget::resource_count; ++i)
      need.set(static_cast<budget::resource>(i), need.at(i) + r.cost.at(i));
    std::string missing;
    if (budget->wall_left && *budget->wall_left == 0)
      missing = "wall_time_ms: the run's " + std::to_string(budget->limits[budget::resource::wall_time_ms].amount()) +
                " ms are over";
    for (const auto& res : budget::resource_table) {
      const auto remaining = budget->remaining[static_cast<std::size_t>(res.id)];
      if (!remaining || need[res.id] <= *remaining || res.id == budget::resource::wall_time_ms) continue;
      missing += (missing.empty() ? "" : "; ") + std::string(res.name) + ": needs " + std::to_string(need[res.id]) + ", " +
                 std::to_string(*remaining) + " left of " + std::to_string(budget->limits[res.id].amount());
    }
    if (!missing.empty()) d.missing = "budget: " + missing;
  }
  return d;
}

}  // namespace authority::hosted
