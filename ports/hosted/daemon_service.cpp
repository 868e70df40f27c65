// The daemon's protocol over the gate: docs/daemon.md is the reference for every request
// and response field used here.
#include "daemon_service.hpp"

#include <algorithm>
#include <array>
#include <cstdio>

#include "authority/audit/entry.hpp"
#include "authority/capability/wire.hpp"
#include "authority/core/encoding.hpp"
#include "authority/hosted/policy_compiler.hpp"
#include "authority/hosted/policy_text.hpp"
#include "authority/hosted/request_line.hpp"

namespace authority::hosted::daemon_detail {

using daemon_json::value;
using daemon_json::writer;

// ---- locks -----------------------------------------------------------------------------

void writer_first_lock::lock_shared() {
  std::unique_lock l(m_);
  cv_.wait(l, [&] { return !writer_ && writers_waiting_ == 0; });
  ++readers_;
}
void writer_first_lock::unlock_shared() {
  std::lock_guard l(m_);
  if (--readers_ == 0) cv_.notify_all();
}
void writer_first_lock::lock() {
  std::unique_lock l(m_);
  ++writers_waiting_;
  cv_.wait(l, [&] { return !writer_ && readers_ == 0; });
  --writers_waiting_;
  writer_ = true;
}
void writer_first_lock::unlock() {
  std::lock_guard l(m_);
  writer_ = false;
  cv_.notify_all();
}

namespace {

struct shared_hold {
  explicit shared_hold(writer_first_lock& l) : l_(l) { l_.lock_shared(); }
  ~shared_hold() { l_.unlock_shared(); }
  shared_hold(const shared_hold&) = delete;
  shared_hold& operator=(const shared_hold&) = delete;
  writer_first_lock& l_;
};

std::string hex(bytes_view b) {
  std::string out(2 * b.size(), '0');
  (void)encoding::hex_encode(b, std::span<char>{out.data(), out.size()});
  return out;
}

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string code_text(errc e) {
  return std::string(name_of(e)) + " (" + std::to_string(static_cast<unsigned>(e)) + ")";
}

// "bad_magic (104): input does not start with the expected magic [field prefix, offset 0]"
std::string explain_error(const error& e) {
  std::string s = code_text(e.code) + ": " + std::string(authority::describe(e.code));
  if (!e.field.empty()) s += " [field " + std::string(e.field) + ", offset " + std::to_string(e.offset) + "]";
  return s;
}


// The effects the daemon authorizes: every catalog effect a policy section judges.
std::string offered_effects() {
  std::vector<std::string_view> names;
  for (const auto& e : effect_table)
    if (e.judged_by) names.push_back(e.name);
  std::sort(names.begin(), names.end());
  std::string out;
  for (auto n : names) out += (out.empty() ? "" : ", ") + std::string(n);
  return out;
}

std::optional<std::string> unknown_field(const value& obj, std::initializer_list<std::string_view> allowed,
                                         std::string_view what) {
  for (const auto& [k, v] : obj.members) {
    if (std::find(allowed.begin(), allowed.end(), k) != allowed.end()) continue;
    std::string list;
    for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
    return "unknown field " + quoted(k) + " in " + std::string(what) + "; its fields are " + list;
  }
  return std::nullopt;
}

// "agent": 32 hex digits, or a name of 1–16 bytes (zero-padded).
std::optional<id16> parse_agent(std::string_view s) {
  if (s.size() == 32) {
    auto id = encoding::hex_decode_exact<16>(s);
    if (id) return *id;
    return std::nullopt;
  }
  if (s.empty() || s.size() > 16) return std::nullopt;
  id16 id{};
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (static_cast<unsigned char>(s[i]) < 0x20) return std::nullopt;
    id[i] = static_cast<byte>(s[i]);
  }
  return id;
}

writer begin(std::string_view id, std::string_view op) {
  writer w;
  w.begin_object();
  w.key("id").raw(id.empty() ? std::string_view{"null"} : id);
  w.flag("ok", true);
  w.field("op", op);
  return w;
}

reply error_reply(std::string_view id, std::string_view op, std::string_view message, errc code) {
  writer w;
  w.begin_object();
  w.key("id").raw(id.empty() ? std::string_view{"null"} : id);
  w.flag("ok", false);
  w.key("op");
  if (op.empty()) w.null(); else w.string(op);
  w.field("error", message);
  w.field("reason", name_of(code));
  w.field("code", std::uint64_t{static_cast<unsigned>(code)});
  w.end_object();
  return {w.take(), true};
}

reply done(writer& w) {
  w.end_object();
  return {w.take(), false};
}


// "cost": {"<resource>": N, ...} → costs (wall time is a deadline, not a cost).
std::optional<std::string> parse_costs(const value& v, budget::costs& out, std::string_view field) {
  if (v.type != value::kind::object) return quoted(field) + " must be an object {\"<resource>\": N, ...}";
  for (const auto& [name, amount] : v.members) {
    const auto r = budget::resource_from_name(name);
    if (!r) {
      std::string list;
      for (const auto& info : budget::resource_table)
        if (info.id != budget::resource::wall_time_ms) list += (list.empty() ? "" : ", ") + std::string(info.name);
      return "unknown budget resource " + quoted(name) + " in " + quoted(field) + "; resources are " + list;
    }
    if (*r == budget::resource::wall_time_ms) return quoted(std::string(field) + ".wall_time_ms") + ": wall time is a deadline, not a cost";
    const auto n = amount.as_u64();
    if (!n) return quoted(std::string(field) + "." + name) + " must be a non-negative whole number below 2^64";
    out.set(*r, *n);
  }
  return std::nullopt;
}

}  // namespace

// ---- set-up and policy -------------------------------------------------------------------

service::service(const daemon_options& options) : options_(options) {}
service::~service() = default;

file_result<std::unique_ptr<service>> service::open(const daemon_options& options) {
  std::unique_ptr<service> s(new service(options));
  auto ok = s->init();
  if (!ok.ok()) return {std::nullopt, ok.failure};
  return {std::move(s), std::nullopt};
}

file_result<bool> service::init() {
  if (!init_sodium()) return failure<bool>(errc::entropy_failure, "libsodium failed to initialize");
  auto keys = load_key_file(options_.key_path);
  if (!keys.ok())
    return failure<bool>(keys.failure->err.code, keys.failure->message + "\nhint: create a key file with `authority keys gen -o " +
                                                    options_.key_path + "`");
  keys_ = std::move(*keys.value);
  revoked_ = std::make_unique<revocation_store>();
  const std::string revocations = options_.key_path + ".revoked";
  if (auto r = load_revocations(revocations, keys_, *revoked_); !r.ok())
    return failure<bool>(r.failure->err.code, r.failure->message +
                                                  "\nhint: the revocation list must be signed by this key file's state key; "
                                                  "the daemon does not start without it (fail closed)");
  buckets_.resize(4096);
  rates_ = std::make_unique<capability::rate_limiter>(buckets_);
  cache_slots_.resize(256);
  cache_ = std::make_unique<capability::verified_cache>(cache_slots_);
  verifier_ = std::make_unique<capability::verifier>(*keys_.ring, revoked_->list(), rates_.get(), cache_.get());
  policies_ = std::make_unique<policy::policy_store>();

  recovery_report report;
  auto log = audit_file::open(options_.audit_path, audit_file_options{}, report);
  if (!log) {
    std::string message = options_.audit_path + ": cannot open the audit log: " + explain_error(log.error());
    if (!report.verification.ok())
      message += "; entry " + std::to_string(report.verification.bad_seq) + " does not verify (" +
                 code_text(report.verification.code) + ")\nhint: inspect it with `authority audit verify " +
                 options_.audit_path + "`; the daemon never appends to a damaged log";
    else
      message += "\nhint: check that the directory exists and is writable";
    return failure<bool>(log.code(), message);
  }
  log_ = std::move(*log);
  gate_ = std::make_unique<daemon_gate>(gate_parts{verifier_.get(), policies_.get(), keys_.ring.get()}, *log_, executor_,
                                        clock_, options_.mode, mutex_ref{&gate_mutex_});
  auto blob = compile_policy_file(policies_->highest_revision() + 1);
  if (!blob.ok()) return {std::nullopt, blob.failure};
  return load_policy_blob(std::move(*blob.value));
}

file_result<std::vector<std::uint8_t>> service::compile_policy_file(std::uint64_t revision) const {
  const auto format = options_.policy_format.empty() ? policy_text::format_from_path(options_.policy_path)
                                                     : policy_text::format_from_name(options_.policy_format);
  if (!format)
    return failure<std::vector<std::uint8_t>>(
        errc::invalid_argument, options_.policy_path + ": cannot tell the policy format from the name; use --format json or toml");
  auto text = read_file(options_.policy_path, 16u << 20);
  if (!text.ok()) return {std::nullopt, text.failure};
  auto parsed = policy_text::parse(*text.value, *format, options_.policy_path);
  if (!parsed.ok()) {
    std::string message;
    for (std::size_t i = 0; i < parsed.diagnostics.size() && i < 5; ++i) message += parsed.diagnostics[i].to_string();
    if (parsed.diagnostics.size() > 5) message += "... and " + std::to_string(parsed.diagnostics.size() - 5) + " more\n";
    message += "hint: `authority policy check " + options_.policy_path + "` lists every problem";
    return failure<std::vector<std::uint8_t>>(parsed.diagnostics.front().code, message);
  }
  policy_compile_options o;
  o.revision = revision;
  auto compiled = compile_policy(*parsed.ast, *keys_.ring, o);
  if (!compiled.ok()) {
    const auto& f = *compiled.failure;
    return failure<std::vector<std::uint8_t>>(f.err.code, (f.loc.line ? f.loc.to_string() + ": " : std::string{}) +
                                                              "error: " + f.message);
  }
  return {std::move(compiled.blob), std::nullopt};
}

file_result<bool> service::load_policy_blob(std::vector<std::uint8_t> blob) {
  blobs_.push_back(std::move(blob));
  auto change = gate_->load_policy(bytes_view{blobs_.back().data(), blobs_.back().size()});
  if (!change) {
    blobs_.pop_back();  // rejected, or rolled back when the change could not be logged
    return failure<bool>(change.code(), "the compiled policy was not loaded: " + explain_error(change.error()));
  }
  while (blobs_.size() > 2) blobs_.pop_front();  // the store keeps only current and previous
  return {true, std::nullopt};
}

std::string service::describe() const {
  const auto& p = policies_->current();
  return "policy " + options_.policy_path + " revision " + std::to_string(p.revision()) + " (" +
         std::to_string(p.rule_count()) + " rules, sha256 " + hex(p.hash()) + "), mode " +
         (options_.mode == gate_mode::enforce ? "enforce" : "record") + ", audit log " + options_.audit_path + " at seq " +
         std::to_string(log_->head().seq) + ", " + std::to_string(revoked_->list().size()) + " revocations";
}

std::string service::reload(bool& ok) {
  // Only reloads change the store and the loop runs one at a time, so the revision can be
  // read and the policy compiled while requests go on; only the swap excludes them.
  const std::uint64_t before = policies_->current().revision();
  auto blob = compile_policy_file(policies_->highest_revision() + 1);
  policy_lock_.lock();
  struct unlock_at_exit {
    writer_first_lock& l;
    ~unlock_at_exit() { l.unlock(); }
  } guard{policy_lock_};
  std::string out;
  auto loaded = blob.ok() ? load_policy_blob(std::move(*blob.value)) : file_result<bool>{std::nullopt, blob.failure};
  ok = loaded.ok();
  if (ok) {
    const auto& p = policies_->current();
    out = "reload: policy revision " + std::to_string(before) + " -> " + std::to_string(p.revision()) + " (" +
          std::to_string(p.rule_count()) + " rules, sha256 " + hex(p.hash()) + "), logged at audit seq " +
          std::to_string(log_->head().seq);
  } else {
    out = "reload failed; revision " + std::to_string(before) + " stays in force: " + loaded.failure->message;
  }
  // Revocations only grow, so reading the list again adds what `authority cap revoke` wrote.
  const std::size_t revocations = revoked_->list().size();
  if (auto r = load_revocations(options_.key_path + ".revoked", keys_, *revoked_); !r.ok())
    out += "; revocation list not re-read: " + r.failure->message;
  else if (revoked_->list().size() != revocations)
    out += "; " + std::to_string(revoked_->list().size() - revocations) + " new revocations";
  return out;
}

// ---- requests ----------------------------------------------------------------------------

std::string service::error_line(std::string_view message, errc code) { return error_reply({}, {}, message, code).text; }

std::string service::handle(client& c, std::string_view line, bool& malformed) {
  reply r = [&]() -> reply {
    auto parsed = daemon_json::parse(line, 8);
    if (!parsed.root)
      return error_reply({}, {}, "not JSON: " + parsed.error + " at byte " + std::to_string(parsed.offset), errc::invalid_argument);
    const value& root = *parsed.root;
    if (root.type != value::kind::object)
      return error_reply({}, {}, "a request is a JSON object such as {\"op\":\"hello\",\"agent\":\"...\",\"run\":\"...\"}",
                         errc::invalid_argument);
    std::string_view id;
    if (const value* v = root.find("id")) {
      const bool usable = v->type == value::kind::null || (v->type == value::kind::string && v->source.size() <= 130) ||
                          (v->type == value::kind::number && v->as_u64());
      if (!usable)
        return error_reply({}, {}, "\"id\" must be a string of at most 128 bytes or a whole number; it is echoed back",
                           errc::invalid_argument);
      id = v->source;
    }
    const value* op_value = root.find("op");
    if (op_value == nullptr || op_value->type != value::kind::string)
      return error_reply(id, {}, "missing \"op\": one of hello, authorize, commit, last_denial, audit_head, audit_read",
                         errc::invalid_argument);
    const std::string& op = op_value->text;
    static constexpr std::string_view ops[] = {"hello", "authorize", "commit", "last_denial", "audit_head", "audit_read"};
    if (std::find(std::begin(ops), std::end(ops), op) == std::end(ops))
      return error_reply(id, {}, "unknown op " + quoted(op) + "; ops are hello, authorize, commit, last_denial, audit_head, audit_read",
                         errc::invalid_argument);
    if (op != "hello" && !c.session)
      return error_reply(id, op, "no session yet: send {\"op\":\"hello\",\"agent\":\"<name or 32 hex>\",\"run\":\"<32 hex>\"} first",
                         errc::invalid_argument);
    shared_hold hold{policy_lock_};
    if (op == "hello") return hello(c, root, id);
    if (op == "authorize") return authorize(c, root, id);
    if (op == "commit") return commit(c, root, id);
    if (op == "last_denial") {
      if (auto bad = unknown_field(root, {"op", "id"}, "a last_denial request")) return error_reply(id, op, *bad, errc::invalid_argument);
      return last_denial(c, id);
    }
    if (op == "audit_head") {
      if (auto bad = unknown_field(root, {"op", "id"}, "an audit_head request")) return error_reply(id, op, *bad, errc::invalid_argument);
      return audit_head(id);
    }
    return audit_read(c, root, id);
  }();
  malformed = r.error;
  if (gate_->closed() && !closed_reported_.exchange(true)) {
    const std::string line = "the audit log failed (" + code_text(gate_->closed_reason()) +
                             "): every request is denied from now on; fix the log's disk and restart the daemon";
    if (options_.log)
      options_.log(line);
    else
      std::fprintf(stderr, "authority serve: %s\n", line.c_str());
  }
  return std::move(r.text);
}

run_account* service::account_for(const id16& agent, const id16& run, std::string& error) {
  std::array<byte, 32> key{};
  std::copy(agent.begin(), agent.end(), key.begin());
  std::copy(run.begin(), run.end(), key.begin() + 16);
  std::lock_guard l(accounts_mutex_);
  if (auto it = accounts_.find(key); it != accounts_.end()) return it->second.get();
  if (accounts_.size() >= options_.max_runs) {
    error = "the daemon keeps budgets for at most " + std::to_string(options_.max_runs) +
            " (agent, run) pairs and has no room for another; restart it or raise --max-runs";
    return nullptr;
  }
  auto account = std::make_unique<run_account>(limits_from_policy(policies_->current()), clock_.now_ns());
  auto* raw = account.get();
  accounts_.emplace(key, std::move(account));
  return raw;
}

reply service::hello(client& c, const value& req, std::string_view id) {
  if (auto bad = unknown_field(req, {"op", "id", "agent", "run"}, "a hello request"))
    return error_reply(id, "hello", *bad, errc::invalid_argument);
  if (c.session)
    return error_reply(id, "hello", "this connection already has a session; open another connection for another agent or run",
                       errc::invalid_argument);
  const value* agent_v = req.find("agent");
  const value* run_v = req.find("run");
  std::optional<id16> agent, run;
  if (agent_v && agent_v->type == value::kind::string) agent = parse_agent(agent_v->text);
  if (!agent)
    return error_reply(id, "hello", "\"agent\" must be a name of 1-16 bytes or 32 hex digits", errc::invalid_argument);
  if (run_v && run_v->type == value::kind::string) {
    if (auto r = encoding::hex_decode_exact<16>(run_v->text)) run = *r;
  }
  if (!run)
    return error_reply(id, "hello", "\"run\" must be 32 hex digits (a run id; e.g. a random UUID without dashes)",
                       errc::invalid_argument);
  std::string problem;
  run_account* account = account_for(*agent, *run, problem);
  if (account == nullptr) return error_reply(id, "hello", problem, errc::capacity_exceeded);
  c.session = std::make_unique<client_session>(*agent, *run, *account);

  const auto& p = policies_->current();
  writer w = begin(id, "hello");
  w.field("agent", hex(*agent)).field("run", hex(*run));
  w.field("mode", options_.mode == gate_mode::enforce ? "enforce" : "record");
  w.key("policy").begin_object().field("revision", p.revision()).field("hash", hex(p.hash())).end_object();
  w.key("budgets").begin_object();
  for (const auto& info : budget::resource_table) {
    const auto l = account->account_limits()[info.id];
    if (l.is_unlimited()) continue;
    w.key(info.name).begin_object().field("limit", l.amount());
    if (info.id == budget::resource::wall_time_ms) {
      const auto left = account->time_left(clock_.now_ns()).wall;
      w.field("remaining", left ? *left / ns_per_ms : 0);
    } else {
      w.field("remaining", account->remaining(info.id).value_or(0));
    }
    w.end_object();
  }
  w.end_object();
  w.key("limits").begin_object().field("max_line_bytes", std::uint64_t{options_.max_line_bytes})
      .field("max_pending", std::uint64_t{options_.max_pending}).end_object();
  return done(w);
}

// The request object of an authorize line, read by parse_request_line (the same fields
// as `authority eval` and agent files); the daemon offers the effects a policy judges.
namespace {

struct parsed_request {
  const effect_info* info = nullptr;
  request_line line;
  std::string error;
};

parsed_request parse_authorize(const value& req) {
  parsed_request out;
  const value* effect_v = req.find("effect");
  if (effect_v == nullptr || effect_v->type != value::kind::string) {
    out.error = "missing field \"effect\" in \"request\"; effects are " + offered_effects();
    return out;
  }
  const auto* info = find_effect(std::string_view{effect_v->text});
  if (info == nullptr || !info->judged_by) {
    out.error = (info == nullptr ? "unknown effect " : "the daemon does not authorize ") + quoted(effect_v->text) +
                "; effects are " + offered_effects() + (effect_v->text == "fs.exec" ? " (executing a program is spawn)" : "");
    return out;
  }
  out.info = info;
  auto line = parse_request_line(req.source);
  if (!line.ok()) {
    out.error = line.error;
    return out;
  }
  out.line = std::move(*line.value);
  if (out.line.agent) out.error = "\"agent\" comes from hello for the whole session; leave it out of the request";
  return out;
}

}  // namespace

denial_detail service::explain_denial(const client& c, const effect_info& info, const effect_request& r,
                                      std::string_view target, const response& out) const {
  std::optional<budget_snapshot> budget;
  if (c.session) budget = snapshot_of(*c.session->account, clock_.now_ns());
  auto d = hosted::explain_denial(policies_->current(), info, r, target, out, options_.key_path, budget ? &*budget : nullptr);
  if (out.reason == errc::capacity_exceeded)
    d.missing = "budget: " + std::to_string(reservations_per_run) + " effects of this run are already awaiting commit";
  return d;
}

void service::render_policy_detail(writer& w, const denial_detail& d) const {
  w.field_or_null("rule", d.rule);
  w.field_or_null("missing", d.missing);
  w.field_or_null("suggestion", d.suggestion);
  w.key("capability");
  if (d.capability_type)
    w.begin_object().field("type", *d.capability_type).field("method", *d.capability_method).field("resource", d.target).end_object();
  else
    w.null();
}

reply service::authorize(client& c, const value& root, std::string_view id) {
  if (auto bad = unknown_field(root, {"op", "id", "request"}, "an authorize request"))
    return error_reply(id, "authorize", *bad, errc::invalid_argument);
  const value* req = root.find("request");
  if (req == nullptr || req->type != value::kind::object)
    return error_reply(id, "authorize", "\"request\" must be an object such as {\"effect\":\"fs.read\",\"target\":\"/data/a\",\"cap\":\"...\"}",
                       errc::invalid_argument);
  auto parsed = parse_authorize(*req);
  if (!parsed.error.empty())
    return error_reply(id, "authorize", "request: " + parsed.error, parsed.info ? errc::invalid_argument : errc::unknown_effect);
  auto& s = *c.session;
  const auto& line = parsed.line;
  if (line.run && *line.run != s.run_id)
    return error_reply(id, "authorize", "request: \"run\" " + hex(*line.run) + " is not this session's run " + hex(s.run_id),
                       errc::agent_mismatch);
  if (c.permits.size() >= options_.max_pending)
    return error_reply(id, "authorize", std::to_string(c.permits.size()) +
                                            " permits on this connection await commit; commit them before asking for more",
                       errc::capacity_exceeded);

  effect_request r;
  r.op = parsed.info->op_code();
  r.target = line.target;
  if (line.target2) r.target2 = *line.target2;
  if (line.version) r.version = *line.version;
  r.tokens = line.tokens;
  r.cost = line.cost;
  if (line.payload) r.payload = as_bytes(std::string_view{*line.payload});
  if (!line.labels.empty()) {
    std::string storage;
    auto resolved = resolve_request(line, policies_->current(), storage);
    if (!resolved.ok()) return error_reply(id, "authorize", "request: " + resolved.error, errc::invalid_argument);
    r.labels = resolved.request.labels;
  }
  std::array<byte, capability::max_token_size> token{};
  if (line.cap) {
    auto wire = capability::text_to_binary(*line.cap, token);
    if (!wire)
      return error_reply(id, "authorize", "request: \"cap\" is not a capability token: " + explain_error(wire.error()) +
                                              "; mint one with `authority cap mint`",
                         wire.code());
    r.capability = *wire;
  }
  r.seq = line.seq.value_or(s.last_seq + 1);

  pending_effect pending;
  const response out = gate_->authorize(s, r, pending);

  writer w = begin(id, "authorize");
  w.field("decision", out.allow ? "allow" : "deny");
  w.field("reason", name_of(out.reason)).field("code", std::uint64_t{static_cast<unsigned>(out.reason)});
  w.field("effect", parsed.info->name);
  w.field("seq", r.seq);
  w.field("decision_seq", out.decision_seq);
  const std::string target{out.allow ? pending.target(s) : s.last_denial.target.view()};
  w.field("target", target);
  if (parsed.info->second_path && out.allow) w.field("target2", pending.target2(s));
  if (out.allow) {
    w.field("permit", out.decision_seq);
    w.flag("recorded", out.recorded);
    const auto& p = policies_->current();
    w.field_or_null("rule", out.rule != policy::no_rule ? std::optional<std::string>{summarize_rule(p, out.rule).location}
                                                        : std::nullopt);
    w.key("labels").begin_array();
    for (const auto& name : label_names(p, out.result_labels)) w.string(name);
    w.end_array();
    if (out.recorded) {
      // Record mode: what enforce would have said, and the grant that would allow it.
      const auto d = explain_denial(c, *parsed.info, r, target, out);
      w.field("would_deny", d.message).field_or_null("suggestion", d.suggestion);
    }
    c.permits.emplace(out.decision_seq, permit_record{pending, out, r.cost, target});
    return done(w);
  }
  c.last_denial = explain_denial(c, *parsed.info, r, target, out);
  w.field("message", c.last_denial.message);
  render_policy_detail(w, c.last_denial);
  return done(w);
}

reply service::commit(client& c, const value& req, std::string_view id) {
  if (auto bad = unknown_field(req, {"op", "id", "permit", "status", "cost", "result", "result_b64", "result_sha256"},
                               "a commit request"))
    return error_reply(id, "commit", *bad, errc::invalid_argument);
  const value* permit_v = req.find("permit");
  const auto permit = permit_v ? permit_v->as_u64() : std::nullopt;
  if (!permit) return error_reply(id, "commit", "\"permit\" must be the permit number authorize returned", errc::invalid_argument);
  auto it = c.permits.find(*permit);
  if (it == c.permits.end())
    return error_reply(id, "commit", "no permit " + std::to_string(*permit) +
                                         " awaits commit on this connection (each permit is committed once, on the connection that got it)",
                       errc::not_found);
  effect_result outcome;
  if (const value* status = req.find("status")) {
    if (status->type != value::kind::string)
      return error_reply(id, "commit", "\"status\" must be \"ok\" or an error name such as \"io_error\"", errc::invalid_argument);
    const auto* info = std::find_if(std::begin(errc_table), std::end(errc_table),
                                    [&](const errc_info& e) { return e.name == status->text; });
    if (info == std::end(errc_table))
      return error_reply(id, "commit", "unknown \"status\" " + quoted(status->text) +
                                           "; use \"ok\" or an error name from docs/error-codes.md, e.g. \"executor_failed\"",
                         errc::invalid_argument);
    outcome.status = info->code;
  }
  if (const value* cost = req.find("cost")) {
    if (auto bad = parse_costs(*cost, outcome.actual, "cost")) return error_reply(id, "commit", *bad, errc::invalid_argument);
  }
  const int outputs = (req.find("result") != nullptr) + (req.find("result_b64") != nullptr) + (req.find("result_sha256") != nullptr);
  if (outputs > 1)
    return error_reply(id, "commit", "give at most one of \"result\", \"result_b64\" and \"result_sha256\"", errc::invalid_argument);
  std::vector<byte> output;
  if (const value* v = req.find("result")) {
    if (v->type != value::kind::string) return error_reply(id, "commit", "\"result\" must be a string", errc::invalid_argument);
    output.assign(v->text.begin(), v->text.end());
  } else if (const value* b64 = req.find("result_b64")) {
    output.resize(encoding::base64url_decoded_max(b64->text.size()) + 1);
    auto n = b64->type == value::kind::string ? encoding::base64url_decode(b64->text, output)
                                              : result<std::size_t>{make_error(errc::invalid_encoding)};
    if (!n) return error_reply(id, "commit", "\"result_b64\" must be unpadded base64url", errc::invalid_encoding);
    output.resize(*n);
  } else if (const value* digest = req.find("result_sha256")) {
    auto d = digest->type == value::kind::string ? encoding::hex_decode_exact<32>(digest->text)
                                                 : result<byte_array<32>>{make_error(errc::invalid_encoding)};
    if (!d) return error_reply(id, "commit", "\"result_sha256\" must be 64 hex digits", errc::invalid_encoding);
    output.assign(d->begin(), d->end());
  }
  outcome.output = bytes_view{output.data(), output.size()};

  permit_record& rec = it->second;
  const response out = gate_->complete(*c.session, rec.pending, outcome, rec.authorized);
  writer w = begin(id, "commit");
  w.field("permit", *permit).field("outcome_seq", out.outcome_seq);
  w.field("reason", name_of(out.reason)).field("code", std::uint64_t{static_cast<unsigned>(out.reason)});
  if (out.reason != errc::ok) {
    denial_detail d;
    d.present = true;
    d.seq = rec.pending.seq;
    d.op = rec.pending.op;
    d.target = rec.target;
    d.message = out.reason == errc::executor_failed
                    ? "the agent reported that the effect failed: " + code_text(outcome.status)
                    : "the effect used more than its budget allows: " + std::string(authority::describe(out.reason));
    c.last_denial = std::move(d);
    w.field("message", c.last_denial.message);
  }
  c.permits.erase(it);
  return done(w);
}

reply service::last_denial(client& c, std::string_view id) {
  const denial& d = gate_->last_denial(*c.session);
  writer w = begin(id, "last_denial");
  w.flag("present", d.present);
  if (!d.present) return done(w);
  const effect_info* info = find_effect(d.op);
  w.field("effect", info ? info->name : std::string_view{"unknown"});
  w.field("reason", name_of(d.reason)).field("code", std::uint64_t{static_cast<unsigned>(d.reason)});
  w.field("seq", d.seq);
  if (c.last_denial.present && c.last_denial.seq == d.seq && c.last_denial.op == d.op) {
    w.field("target", c.last_denial.target).field("message", c.last_denial.message);
    render_policy_detail(w, c.last_denial);
    return done(w);
  }
  // A denial the daemon did not explain when it happened (none today): what the gate kept.
  w.field("target", d.target.view()).field("message", authority::describe(d.reason));
  std::array<char, 2048> buf{};
  auto snippet = is_policy_denial(d.reason) ? gate_->suggestion(d, buf) : result<std::string_view>{make_error(errc::not_found)};
  w.field_or_null("suggestion", snippet ? std::optional<std::string>{std::string(*snippet)} : std::nullopt);
  return done(w);
}

reply service::audit_head(std::string_view id) {
  const auto head = log_->head();
  writer w = begin(id, "audit_head");
  w.field("seq", head.seq).field("hash", hex(head.hash)).field("log_id", hex(log_->log_id()));
  return done(w);
}

// Reading the log is an effect like any other: audit.read with an admin capability
// (resource "audit"), judged, logged, and completed with a hash of what was returned.
reply service::audit_read(client& c, const value& req, std::string_view id) {
  if (auto bad = unknown_field(req, {"op", "id", "cap", "from", "count"}, "an audit_read request"))
    return error_reply(id, "audit_read", *bad, errc::invalid_argument);
  constexpr std::uint64_t max_count = 100;
  const value* from_v = req.find("from");
  const value* count_v = req.find("count");
  const auto from = from_v ? from_v->as_u64() : std::optional<std::uint64_t>{1};
  const auto count = count_v ? count_v->as_u64() : std::optional<std::uint64_t>{20};
  if (!from || *from == 0 || !count || *count == 0 || *count > max_count)
    return error_reply(id, "audit_read", "\"from\" must be a sequence number >= 1 and \"count\" 1-" + std::to_string(max_count),
                       errc::invalid_argument);
  const value* cap_v = req.find("cap");
  std::array<byte, capability::max_token_size> token{};
  effect_request r;
  r.op = static_cast<std::uint16_t>(effect::audit_read);
  r.target = "audit";
  if (cap_v != nullptr) {
    auto wire = cap_v->type == value::kind::string ? capability::text_to_binary(cap_v->text, token)
                                                   : result<bytes_view>{make_error(errc::invalid_argument, "cap")};
    if (!wire)
      return error_reply(id, "audit_read", "\"cap\" is not a capability token: " + explain_error(wire.error()), wire.code());
    r.capability = *wire;
  }
  auto& s = *c.session;
  r.seq = s.last_seq + 1;
  pending_effect pending;
  const response out = gate_->authorize(s, r, pending);
  writer w = begin(id, "audit_read");
  w.field("decision", out.allow ? "allow" : "deny");
  w.field("reason", name_of(out.reason)).field("code", std::uint64_t{static_cast<unsigned>(out.reason)});
  w.field("decision_seq", out.decision_seq);
  if (!out.allow) {
    c.last_denial = explain_denial(c, *find_effect(r.op), r, "audit", out);
    w.field("message", c.last_denial.message);
    render_policy_detail(w, c.last_denial);
    return done(w);
  }
  effect_result outcome;
  writer entries;
  entries.begin_array();
  auto contents = read_audit_log(options_.audit_path);
  if (!contents) {
    outcome.status = contents.code();
  } else {
    for (const auto& rec : contents->good_records()) {
      auto decoded = audit::decode_record(rec);
      if (!decoded) continue;
      const auto& e = decoded->value;
      if (e.seq < *from || e.seq >= *from + *count) continue;
      entries.begin_object().field("seq", e.seq).field("time_ns", e.time).field("kind", audit::name_of(e.kind))
          .field("decision", audit::name_of(e.decision)).field("op", std::uint64_t{e.op})
          .field("reason", name_of(e.reason)).field("agent_id", hex(e.agent_id)).field("run_id", hex(e.run_id))
          .field("request_hash", hex(e.request_hash)).field("result_hash", hex(e.result_hash))
          .field("policy_hash", hex(e.policy_hash)).field("hash", hex(decoded->claimed_hash)).end_object();
    }
  }
  entries.end_array();
  outcome.output = as_bytes(std::string_view{entries.str()});
  const response completed = gate_->complete(s, pending, outcome, out);
  w.field("outcome_seq", completed.outcome_seq);
  if (outcome.status != errc::ok) w.field("message", "the log could not be read: " + code_text(outcome.status));
  w.key("entries").raw(entries.str());
  return done(w);
}

std::size_t service::abandon(client& c) {
  if (!c.session || c.permits.empty()) return 0;
  shared_hold hold{policy_lock_};
  std::size_t n = 0;
  for (auto& [permit, rec] : c.permits) {
    // The agent may have acted before it went away: charge what was reserved.
    effect_result r;
    r.actual = rec.declared;
    r.status = errc::abandoned;
    (void)gate_->complete(*c.session, rec.pending, r, rec.authorized);
    ++n;
  }
  c.permits.clear();
  return n;
}

}  // namespace authority::hosted::daemon_detail
