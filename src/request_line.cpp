// Request lines (include/authority/hosted/request_line.hpp), read with the policy JSON
// grammar's value tree so that both accept exactly RFC 8259 JSON.
#include "authority/hosted/request_line.hpp"

#include <algorithm>

#include "authority/budget/resource.hpp"
#include "authority/core/encoding.hpp"
#include "authority/pattern/path.hpp"
#include "policy_tree.hpp"

namespace authority::hosted {
namespace {

namespace pt = authority::policy_text;
using pt::detail::node;

struct line_error {
  std::string message;
};

std::string quote(std::string_view s) { return pt::detail::quote(s); }

const std::string& string_field(const node& n, std::string_view field) {
  if (n.type != node::kind::string)
    throw line_error{"\"" + std::string{field} + "\" must be a string, found " + std::string{pt::detail::kind_name(n.type)}};
  return n.text;
}

std::uint64_t number_field(const node& n, std::string_view field) {
  if (n.type != node::kind::integer || (n.negative && n.magnitude != 0) || n.overflow)
    throw line_error{"\"" + std::string{field} + "\" must be a non-negative whole number below 2^64"};
  return n.magnitude;
}

}  // namespace

request_line_result parse_request_line(std::string_view line) {
  request_line_result out;
  try {
    pt::parse_options options;
    options.max_depth = 4;
    options.max_string_bytes = 64 * 1024;  // capability tokens and arguments are longer than policy strings
    pt::detail::source_map map{line, "<request>"};
    pt::detail::diagnostics diagnostics{map, 1};
    std::optional<node> root;
    if (pt::detail::check_input(line, options, diagnostics)) root = pt::detail::parse_json_tree(line, options, diagnostics);
    if (!root) {
      const auto d = diagnostics.take();
      throw line_error{"not JSON: " + (d.empty() ? std::string{"parse error"} : d.front().message) + " (column " +
                       std::to_string(d.empty() ? 0 : d.front().loc.column) + ")"};
    }
    if (root->type != node::kind::table) throw line_error{"a request must be a JSON object"};
    request_line r;
    bool has_effect = false, has_target = false;
    for (std::size_t i = 0; i < root->members.size(); ++i) {
      const auto& [key, key_offset, value] = root->members[i];
      for (std::size_t j = 0; j < i; ++j)
        if (root->members[j].key == key) throw line_error{"duplicate field " + quote(key)};
      if (key == "effect") {
        const auto& name = string_field(value, key);
        r.gate_effect = find_effect(std::string_view{name});
        const auto o = r.gate_effect ? r.gate_effect->judged_by : policy::op_from_name(name);
        if (!r.gate_effect && !o) {
          std::string known;
          for (const auto& e : effect_table) known += (known.empty() ? "" : ", ") + std::string{e.name};
          for (auto n : policy::op_names)
            if (!find_effect(n)) known += ", " + std::string{n};
          throw line_error{"unknown effect " + quote(name) + "; effects are " + known};
        }
        r.judged = o.has_value();
        if (o) r.effect = *o;
        has_effect = true;
      } else if (key == "target") {
        r.target = string_field(value, key);
        has_target = true;
      } else if (key == "target2") {
        r.target2 = string_field(value, key);
      } else if (key == "payload") {
        r.payload = string_field(value, key);
      } else if (key == "version") {
        r.version = string_field(value, key);
      } else if (key == "tokens") {
        r.tokens = number_field(value, key);
      } else if (key == "labels") {
        if (value.type != node::kind::array) throw line_error{"\"labels\" must be an array of label names"};
        for (const auto& item : value.items) r.labels.push_back(string_field(item, "labels[]"));
      } else if (key == "cost") {
        if (value.type != node::kind::table) throw line_error{"\"cost\" must be an object {\"<resource>\": N, ...}"};
        for (const auto& m : value.members) {
          const auto res = budget::resource_from_name(m.key);
          if (!res) throw line_error{"unknown budget resource " + quote(m.key) + " in \"cost\""};
          if (*res == budget::resource::wall_time_ms)
            throw line_error{"\"cost.wall_time_ms\": wall time is a deadline, not a cost"};
          if (std::find(r.costed.begin(), r.costed.end(), *res) != r.costed.end())
            throw line_error{"duplicate resource " + quote(m.key) + " in \"cost\""};
          r.cost.set(*res, number_field(m.value, "cost." + m.key));
          r.costed.push_back(*res);
        }
      } else if (key == "cap") {
        r.cap = string_field(value, key);
      } else if (key == "seq") {
        r.seq = number_field(value, key);
      } else if (key == "run") {
        auto id = encoding::hex_decode_exact<16>(string_field(value, key));
        if (!id) throw line_error{"\"run\" must be 32 hex digits"};
        r.run = *id;
      } else if (key == "agent") {
        r.agent = number_field(value, key);
      } else {
        std::string known;
        for (auto f : request_line_fields) known += (known.empty() ? "" : ", ") + std::string{f};
        const auto suggestion = pt::detail::closest(key, request_line_fields);
        throw line_error{"unknown field " + quote(key) +
                         (suggestion.empty() ? "; fields are " + known : "; did you mean " + quote(suggestion) + "?")};
      }
    }
    if (!has_effect) throw line_error{"missing field \"effect\""};
    if (!has_target) throw line_error{"missing field \"target\""};
    if (r.gate_effect && r.gate_effect->second_path && !r.target2)
      throw line_error{"missing field \"target2\": " + std::string(r.gate_effect->name) + " needs the destination"};
    if (r.target2 && !(r.gate_effect && r.gate_effect->second_path))
      throw line_error{"\"target2\" is only for fs.rename"};
    out.value = std::move(r);
  } catch (const line_error& e) {
    out.error = e.message;
  } catch (const std::exception& e) {
    out.error = std::string{"internal error: "} + e.what();
  }
  return out;
}

resolved_request resolve_request(const request_line& line, const policy::compiled_policy& p, std::string& storage) {
  resolved_request out;
  auto& r = out.request;
  r.kind = line.effect;
  r.target = line.target;
  if (line.version) r.version = *line.version;
  r.tokens = line.tokens;
  if (policy::target_syntax(line.effect) == pattern::syntax::path) {
    storage.resize(pattern::max_path_length);
    auto canonical = pattern::canonicalize_path(line.target, std::span<char>{storage.data(), storage.size()});
    if (canonical) r.target = *canonical;
  }
  for (const auto& name : line.labels) {
    const auto index = p.label_from_name(name);
    if (!index) {
      out.error = "unknown label " + quote(name) + " (the policy declares:";
      for (std::size_t i = 0; i < p.label_count(); ++i) out.error += " " + std::string{p.label_name(i)};
      out.error += ")";
      return out;
    }
    r.labels |= policy::label_set{1} << *index;
  }
  return out;
}

}  // namespace authority::hosted
