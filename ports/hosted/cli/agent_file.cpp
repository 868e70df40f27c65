#include "agent_file.hpp"

#include <sstream>

#include "authority/capability/issue.hpp"
#include "authority/capability/wire.hpp"
#include "authority/effects.hpp"
#include "authority/hosted/keyfile.hpp"
#include "authority/hosted/request_line.hpp"
#include "authority/request_frame.hpp"
#include "util.hpp"

namespace authority::cli {
namespace {

using capability::cap_type;
using capability::method_set;

// Token ids for reproducible runs: HMAC(signing key, domain || counter). Distinct for
// every token of a run; the same for the same key and order.
class derived_entropy {
 public:
  explicit derived_entropy(const capability::key_slot& signing) : key_(bytes_view{signing.secret}) {}
  bool fill(unsigned char* out, std::uint64_t n) noexcept {
    constexpr std::string_view domain = "authority.run.token-id";
    byte message[domain.size() + 8];
    for (std::size_t i = 0; i < domain.size(); ++i) message[i] = static_cast<byte>(domain[i]);
    store_le64(message + domain.size(), counter_++);
    const auto d = key_.mac(bytes_view{message, sizeof message});
    if (n > d.size()) return false;
    for (std::uint64_t i = 0; i < n; ++i) out[i] = d[i];
    return true;
  }

 private:
  crypto::hmac_sha256_key key_;
  std::uint64_t counter_ = 0;
};
static_assert(entropy_source<derived_entropy>);

struct cap_result {
  std::vector<std::uint8_t> wire;
  std::string summary;
  std::string error;
};

std::string methods_of(cap_type type, const method_set& m) {
  if (m.all) return "all";
  std::string s;
  for (std::size_t i = 0; i < capability::method_count(type); ++i)
    if (m.contains(static_cast<std::uint8_t>(i))) s += (s.empty() ? "" : ",") + std::string{capability::method_name(type, static_cast<std::uint8_t>(i))};
  return s.empty() ? "none" : s;
}

// "mint|forge TYPE RESOURCE METHODS [ttl=D] [rate=N/W]" → a token.
cap_result mint_described(const std::string& text, const agent_options& o, derived_entropy& entropy) {
  cap_result r;
  std::istringstream in(text);
  std::string verb, type_name, resource, methods_text;
  in >> verb >> type_name >> resource >> methods_text;
  if (methods_text.empty()) {
    r.error = "\"cap\" must be a token (cap1_...) or \"mint|forge TYPE RESOURCE METHODS [ttl=D] [rate=N/W]\"";
    return r;
  }
  const auto type = capability::type_from_name(type_name);
  if (!type) {
    r.error = "unknown capability type \"" + type_name + "\"; one of:";
    for (const auto& info : capability::cap_type_table) r.error += " " + std::string{info.name};
    return r;
  }
  capability::grant g;
  g.type = *type;
  g.resource = resource;
  g.ttl_ms = 3'600'000;
  if (methods_text == "all") {
    g.methods = method_set::everything();
  } else if (methods_text != "none") {
    std::istringstream list(methods_text);
    for (std::string name; std::getline(list, name, ',');) {
      const auto bit = capability::method_from_name(*type, name);
      if (!bit) {
        r.error = "\"" + name + "\" is not a method of " + type_name + "; methods:";
        for (std::size_t i = 0; i < capability::method_count(*type); ++i)
          r.error += (i ? "," : " ") + std::string{capability::method_name(*type, static_cast<std::uint8_t>(i))};
        r.error += " (or all, none)";
        return r;
      }
      g.methods.bits |= std::uint32_t{1} << *bit;
    }
  }
  for (std::string option; in >> option;) {
    if (option.starts_with("ttl=")) {
      const auto ttl = parse_duration_ms(std::string_view{option}.substr(4));
      if (!ttl) {
        r.error = "bad ttl \"" + option.substr(4) + "\" (e.g. 30s, 5m, 1h)";
        return r;
      }
      g.ttl_ms = *ttl;
    } else if (option.starts_with("rate=")) {
      const auto rate = parse_rate(std::string_view{option}.substr(5));
      if (!rate) {
        r.error = "bad rate \"" + option.substr(5) + "\" (e.g. 10/1m)";
        return r;
      }
      g.rate = *rate;
    } else {
      r.error = "unknown capability option \"" + option + "\" (ttl=, rate=)";
      return r;
    }
  }
  auto t = std::make_unique<capability::token>();
  if (auto minted = capability::mint(*o.keys, g, o.mint_time, entropy, *t); !minted) {
    r.error = "cannot mint: " + explain(minted.error());
    return r;
  }
  std::uint8_t buf[capability::max_token_size];
  auto wire = capability::encode(*t, buf);
  if (!wire) {
    r.error = "cannot encode the token: " + explain(wire.error());
    return r;
  }
  r.wire.assign(wire->begin(), wire->end());
  const bool forge = verb == "forge";
  if (forge) r.wire.back() ^= 0x01;  // the last byte belongs to the MAC
  r.summary = std::string{forge ? "forged " : "minted "} + type_name + " " + resource + " [" + methods_of(*type, g.methods) + "]";
  return r;
}

cap_result capability_of(const std::optional<std::string>& cap, const agent_options& o, derived_entropy& entropy) {
  cap_result r;
  if (!cap) {
    r.summary = "none";
    return r;
  }
  if (cap->starts_with(capability::text_prefix)) {
    std::uint8_t buf[capability::max_token_size];
    auto wire = capability::text_to_binary(*cap, buf);
    if (!wire) {
      r.error = "\"cap\" is not a token: " + explain(wire.error());
      return r;
    }
    r.wire.assign(wire->begin(), wire->end());
    r.summary = "token";
    return r;
  }
  if (!cap->starts_with("mint ") && !cap->starts_with("forge ")) {
    r.error = "\"cap\" must be a token (cap1_...) or \"mint|forge TYPE RESOURCE METHODS [ttl=D] [rate=N/W]\"";
    return r;
  }
  return mint_described(*cap, o, entropy);
}

}  // namespace

agent_result load_agent_file(const std::string& path, const agent_options& o) {
  agent_result out;
  auto text = hosted::read_file(path);
  if (!text.ok()) {
    out.error = text.failure->message;
    return out;
  }
  auto signing = o.keys->signing_key();
  if (!signing) {
    out.error = path + ": the key ring has no signing key to mint with";
    return out;
  }
  derived_entropy entropy{**signing};

  // Each line once: its request, with the capability minted once for all repetitions.
  struct parsed {
    std::size_t line;
    hosted::request_line request;
    cap_result cap;
    policy::label_set labels = 0;
    std::uint16_t op = 0;
  };
  std::vector<parsed> lines;
  std::istringstream in(*text.value);
  std::size_t number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    const auto where = path + ":" + std::to_string(number) + ": ";
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto parsed_line = hosted::parse_request_line(line);
    if (!parsed_line.ok()) {
      out.error = where + parsed_line.error;
      return out;
    }
    auto& r = *parsed_line.value;
    if (r.run || r.agent) {
      out.error = where + "\"run\" and \"agent\" belong to the whole run (--run-id, --agent-id), not to a request";
      return out;
    }
    const auto* effect = r.gate_effect;
    if (effect == nullptr) {
      out.error = where + "\"" + std::string{policy::name_of(r.effect)} + "\" is a policy operation, not an effect an agent requests";
      return out;
    }
    parsed p{number, r, {}, 0, effect->op_code()};
    for (const auto& label : r.labels) {
      const auto index = o.policy->label_from_name(label);
      if (!index) {
        out.error = where + "unknown label \"" + label + "\" (the policy declares:";
        for (std::size_t i = 0; i < o.policy->label_count(); ++i) out.error += " " + std::string{o.policy->label_name(i)};
        out.error += ")";
        return out;
      }
      p.labels |= policy::label_set{1} << *index;
    }
    p.cap = capability_of(r.cap, o, entropy);
    if (!p.cap.error.empty()) {
      out.error = where + p.cap.error;
      return out;
    }
    lines.push_back(std::move(p));
  }

  std::uint64_t seq = 0;
  std::vector<std::uint8_t> frame(request_header_size + max_request_payload);
  for (std::size_t round = 0; round < o.repeat; ++round) {
    const std::uint64_t base = seq;
    for (const auto& p : lines) {
      effect_request req;
      req.op = p.op;
      req.target = p.request.target;
      if (p.request.target2) req.target2 = *p.request.target2;
      if (p.request.payload) req.payload = as_bytes(*p.request.payload);
      if (p.request.version) req.version = *p.request.version;
      req.tokens = p.request.tokens;
      req.cost = p.request.cost;
      req.labels = p.labels;
      req.capability = p.cap.wire;
      req.seq = p.request.seq ? base + *p.request.seq : seq + 1;
      seq = req.seq;
      auto encoded = encode_request(req, frame);
      if (!encoded) {
        out.error = path + ":" + std::to_string(p.line) + ": the request does not fit a frame: " + explain(encoded.error());
        return out;
      }
      out.workload.frames.insert(out.workload.frames.end(), encoded->begin(), encoded->end());
      out.workload.requests.push_back({p.line, req.seq, p.cap.summary});
    }
  }
  return out;
}

}  // namespace authority::cli
