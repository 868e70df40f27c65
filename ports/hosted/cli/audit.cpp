// `authority audit …`: verify, inspect, prove and checkpoint audit logs (INV-4).
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "authority/audit/entry.hpp"
#include "authority/audit/frame.hpp"
#include "authority/audit/merkle.hpp"
#include "authority/audit/verify.hpp"
#include "authority/core/encoding.hpp"
#include "authority/hosted/audit_file.hpp"
#include "authority/hosted/checkpoint_ed25519.hpp"
#include "authority/hosted/platform.hpp"
#include "command.hpp"

namespace authority::cli {
namespace {

using namespace authority::audit;

constexpr int exit_ok = 0;
constexpr int exit_failed = 1;
constexpr int exit_usage = 2;

std::string hex(bytes_view b) {
  std::string out(2 * b.size(), '0');
  (void)encoding::hex_encode(b, std::span<char>{out.data(), out.size()});
  return out;
}

std::string describe_error(errc code, std::string_view field) {
  std::string out = std::string(name_of(code)) + " (" + std::to_string(static_cast<unsigned>(code)) + "): " +
                    std::string(describe(code));
  if (!field.empty()) out += " [field " + std::string(field) + "]";
  return out;
}

std::optional<hosted::audit_log_contents> load(const std::string& path) {
  auto log = hosted::read_audit_log(path);
  if (!log) {
    std::cerr << path << ": " << describe_error(log.code(), log.error().field) << "\n";
    return std::nullopt;
  }
  return std::move(*log);
}

// Warns (on stderr) when only a prefix of the log verified; the commands below then
// work on that prefix.
void warn_if_damaged(const std::string& path, const hosted::audit_log_contents& log) {
  const auto& v = log.verification;
  if (v.ok()) return;
  std::cerr << path << ": only entries 1-" << v.count << " verify; seq " << v.bad_seq << ": "
            << describe_error(v.code, v.field) << "\n";
}

struct shown_entry {
  entry value;
  digest hash;
};

std::vector<shown_entry> decoded_entries(const hosted::audit_log_contents& log) {
  std::vector<shown_entry> out;
  for (const auto& rec : log.good_records()) {
    auto r = decode_record(rec);
    if (r) out.push_back({r->value, r->claimed_hash});
  }
  return out;
}

void print_entry(std::ostream& out, const shown_entry& s, bool json) {
  const entry& e = s.value;
  if (json) {
    out << "{\"seq\":" << e.seq << ",\"time_ns\":" << e.time << ",\"kind\":\"" << name_of(e.kind)
        << "\",\"decision\":\"" << name_of(e.decision) << "\",\"op\":" << e.op << ",\"reason\":\""
        << name_of(e.reason) << "\",\"reason_code\":" << static_cast<unsigned>(e.reason) << ",\"agent_id\":\""
        << hex(e.agent_id) << "\",\"run_id\":\"" << hex(e.run_id) << "\",\"request_hash\":\"" << hex(e.request_hash)
        << "\",\"result_hash\":\"" << hex(e.result_hash) << "\",\"policy_hash\":\"" << hex(e.policy_hash)
        << "\",\"prev_hash\":\"" << hex(e.prev_hash) << "\",\"hash\":\"" << hex(s.hash) << "\"}\n";
    return;
  }
  out << "#" << e.seq << " t=" << e.time << " " << name_of(e.kind) << " " << name_of(e.decision) << " op=" << e.op
      << " reason=" << name_of(e.reason) << " run=" << hex(e.run_id) << " agent=" << hex(e.agent_id)
      << " request=" << hex(e.request_hash).substr(0, 16) << " hash=" << hex(s.hash).substr(0, 16) << "\n";
}

struct filters {
  std::string seq_range, run_hex, decision;
  int op = -1;
};

bool parse_range(const std::string& text, std::uint64_t& lo, std::uint64_t& hi) {
  const auto dash = text.find('-');
  try {
    if (dash == std::string::npos) {
      lo = hi = std::stoull(text);
    } else {
      lo = dash == 0 ? 1 : std::stoull(text.substr(0, dash));
      hi = dash + 1 == text.size() ? UINT64_MAX : std::stoull(text.substr(dash + 1));
    }
  } catch (...) {
    return false;
  }
  return lo <= hi;
}

int run_verify(const std::string& path) {
  auto log = load(path);
  if (!log) return exit_failed;
  const auto& v = log->verification;
  if (v.ok()) {
    std::cout << "OK: " << v.count << " entries, head " << hex(v.head) << "\n";
    return exit_ok;
  }
  std::cout << "FAIL: first bad entry is seq " << v.bad_seq << " (byte offset " << v.byte_offset
            << "): " << describe_error(v.code, v.field) << "\n"
            << "entries 1-" << v.count << " verify; head of the good prefix " << hex(v.head) << "\n";
  if (log->torn_tail)
    std::cout << "this looks like a torn tail (an interrupted write): opening the log for append cuts it off\n";
  else
    std::cout << "this is not a torn tail: the log was damaged or altered before its end\n";
  return exit_failed;
}

int run_show(const std::string& path, const filters& f, bool json) {
  auto log = load(path);
  if (!log) return exit_failed;
  warn_if_damaged(path, *log);
  std::uint64_t lo = 1, hi = UINT64_MAX;
  if (!f.seq_range.empty() && !parse_range(f.seq_range, lo, hi)) {
    std::cerr << "--seq: expected A-B, A-, -B or N\n";
    return exit_usage;
  }
  std::optional<id16> run;
  if (!f.run_hex.empty()) {
    auto r = encoding::hex_decode_exact<16>(f.run_hex);
    if (!r) {
      std::cerr << "--run: expected 32 hex digits\n";
      return exit_usage;
    }
    run = *r;
  }
  std::optional<verdict> wanted;
  if (f.decision == "allow") wanted = verdict::allow;
  else if (f.decision == "deny") wanted = verdict::deny;
  else if (!f.decision.empty()) {
    std::cerr << "--decision: allow or deny\n";
    return exit_usage;
  }
  for (const auto& s : decoded_entries(*log)) {
    const entry& e = s.value;
    if (e.seq < lo || e.seq > hi) continue;
    if (run && e.run_id != *run) continue;
    if (f.op >= 0 && e.op != f.op) continue;
    if (wanted && e.decision != *wanted) continue;
    print_entry(std::cout, s, json);
  }
  return log->verification.ok() ? exit_ok : exit_failed;
}

int run_tail(const std::string& path, std::size_t n, bool follow, bool json) {
  auto log = load(path);
  if (!log) return exit_failed;
  warn_if_damaged(path, *log);
  auto entries = decoded_entries(*log);
  const std::size_t first = entries.size() > n ? entries.size() - n : 0;
  for (std::size_t i = first; i < entries.size(); ++i) print_entry(std::cout, entries[i], json);
  std::cout.flush();
  if (!follow) return log->verification.ok() ? exit_ok : exit_failed;
  if (!log->verification.ok() && !log->torn_tail) return exit_failed;
  // Follow: read only what was appended since, and check each new frame with the same
  // incremental verifier, continuing from the last verified entry.
  verifier chain_check{chain_head{log->verification.count, log->verification.head}};
  std::uint64_t offset = log->verification.valid_bytes;
  std::ifstream in(path, std::ios::binary);
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    // Re-read everything after the last verified frame: a torn tail seen earlier may
    // since have been cut and overwritten by a writer that reopened the log.
    std::vector<byte> fresh;
    in.clear();
    in.seekg(static_cast<std::streamoff>(offset));
    byte buf[1 << 14];
    while (in.read(reinterpret_cast<char*>(buf), sizeof buf) || in.gcount() > 0)
      fresh.insert(fresh.end(), buf, buf + in.gcount());
    std::size_t used = 0;
    for (;;) {
      auto frame = read_frame(bytes_view{fresh}.subspan(used));
      if (!frame && frame.code() == errc::truncated) break;  // the rest is still being written
      auto checked = frame ? chain_check.check_record(frame->payload) : chain_check.fail(frame.error());
      if (!checked) {
        std::cerr << path << ": seq " << chain_check.next_seq() << ": "
                  << describe_error(checked.code(), checked.error().field) << "\n";
        return exit_failed;
      }
      auto rec = decode_record(frame->payload);
      print_entry(std::cout, {rec->value, rec->claimed_hash}, json);
      used += frame->size;
    }
    std::cout.flush();
    offset += used;
  }
}

void print_proof(std::ostream& out, const merkle::proof& p) {
  out << "[";
  for (std::size_t i = 0; i < p.size(); ++i) out << (i ? "," : "") << "\"" << hex(p[i]) << "\"";
  out << "]";
}

int run_prove_inclusion(const std::string& path, std::uint64_t seq, std::uint64_t size) {
  auto log = load(path);
  if (!log) return exit_failed;
  warn_if_damaged(path, *log);
  if (size == 0) size = log->verification.count;
  if (seq == 0 || seq > size || size > log->verification.count) {
    std::cerr << "need 1 <= --seq <= --size <= " << log->verification.count << " (verified entries)\n";
    return exit_usage;
  }
  const auto leaves = hosted::leaf_hashes(*log, size);
  auto p = merkle::inclusion_proof(leaves, seq - 1);
  if (!p) return exit_failed;
  const digest root = merkle::root(leaves);
  // Checked before printing, so a printed proof is one this build accepts.
  if (!merkle::verify_inclusion(leaves[seq - 1], seq - 1, size, p->span(), root)) return exit_failed;
  std::cout << "{\"log_id\":\"" << hex(log->log_id) << "\",\"seq\":" << seq << ",\"leaf_index\":" << seq - 1
            << ",\"tree_size\":" << size << ",\"leaf_hash\":\"" << hex(leaves[seq - 1]) << "\",\"root\":\""
            << hex(root) << "\",\"proof\":";
  print_proof(std::cout, *p);
  std::cout << "}\n";
  return exit_ok;
}

int run_prove_consistency(const std::string& path, std::uint64_t from, std::uint64_t to) {
  auto log = load(path);
  if (!log) return exit_failed;
  warn_if_damaged(path, *log);
  if (to == 0) to = log->verification.count;
  if (from == 0 || from > to || to > log->verification.count) {
    std::cerr << "need 1 <= --from <= --to <= " << log->verification.count << " (verified entries)\n";
    return exit_usage;
  }
  const auto leaves = hosted::leaf_hashes(*log, to);
  auto p = merkle::consistency_proof(leaves, from);
  if (!p) return exit_failed;
  const std::span<const digest> all{leaves};
  const digest old_root = merkle::root(all.first(from)), new_root = merkle::root(all);
  if (!merkle::verify_consistency(from, to, p->span(), old_root, new_root)) return exit_failed;
  std::cout << "{\"log_id\":\"" << hex(log->log_id) << "\",\"from\":" << from << ",\"to\":" << to
            << ",\"old_root\":\"" << hex(old_root) << "\",\"new_root\":\"" << hex(new_root) << "\",\"proof\":";
  print_proof(std::cout, *p);
  std::cout << "}\n";
  return exit_ok;
}

int run_checkpoint(const std::string& path, const std::string& key_path, std::uint64_t size) {
  auto log = load(path);
  if (!log) return exit_failed;
  warn_if_damaged(path, *log);
  auto key = hosted::read_secret_key_file(key_path);
  if (!key) {
    std::cerr << key_path << ": " << describe_error(key.code(), key.error().field) << "\n";
    return exit_usage;
  }
  if (size == 0) size = log->verification.count;
  hosted::system_clock clock;
  auto c = hosted::checkpoint_of(*log, size, clock.now_ns());
  if (!c) {
    std::cerr << "--size: at most " << log->verification.count << " (verified entries)\n";
    return exit_usage;
  }
  auto s = hosted::sign_ed25519(*c, *key);
  if (!s) {
    std::cerr << describe_error(s.code(), s.error().field) << "\n";
    return exit_failed;
  }
  std::cout << hosted::to_text(*s);
  return exit_ok;
}

int run_checkpoint_verify(const std::string& checkpoint_path, const std::string& pub_path, const std::string& log_path) {
  std::ifstream in(checkpoint_path);
  if (!in) {
    std::cerr << checkpoint_path << ": cannot read\n";
    return exit_usage;
  }
  std::stringstream text;
  text << in.rdbuf();
  auto s = hosted::parse_checkpoint_text(text.str());
  if (!s) {
    std::cerr << checkpoint_path << ": line " << s.error().offset << ": " << describe_error(s.code(), s.error().field)
              << "\n";
    return exit_failed;
  }
  auto pub = hosted::read_public_key_file(pub_path);
  if (!pub) {
    std::cerr << pub_path << ": " << describe_error(pub.code(), pub.error().field) << "\n";
    return exit_usage;
  }
  if (auto v = hosted::verify_ed25519(*s, *pub); !v) {
    std::cout << "FAIL: " << describe_error(v.code(), v.error().field) << "\n";
    return exit_failed;
  }
  std::cout << "signature OK: log " << hex(s->body.log_id) << ", " << s->body.size << " entries, root "
            << hex(s->body.root) << "\n";
  if (log_path.empty()) return exit_ok;
  // The log must still contain exactly what the checkpoint signed, and may have grown.
  auto log = load(log_path);
  if (!log) return exit_failed;
  warn_if_damaged(log_path, *log);
  if (log->log_id != s->body.log_id) {
    std::cout << "FAIL: the log has another log id\n";
    return exit_failed;
  }
  if (log->verification.count < s->body.size) {
    std::cout << "FAIL: the log has " << log->verification.count << " verified entries, the checkpoint signed "
              << s->body.size << "\n";
    return exit_failed;
  }
  auto now = hosted::checkpoint_of(*log, s->body.size, s->body.time);
  if (!now || now->head != s->body.head || now->root != s->body.root) {
    std::cout << "FAIL: the log's first " << s->body.size << " entries are not the ones the checkpoint signed\n";
    return exit_failed;
  }
  const auto leaves = hosted::leaf_hashes(*log, log->verification.count);
  if (s->body.size > 0) {
    auto p = merkle::consistency_proof(leaves, s->body.size);
    if (!p || !merkle::verify_consistency(s->body.size, leaves.size(), p->span(), s->body.root, merkle::root(leaves))) {
      std::cout << "FAIL: the log does not extend the checkpoint\n";
      return exit_failed;
    }
  }
  std::cout << "log OK: its first " << s->body.size << " entries match; it now has " << leaves.size() << "\n";
  return log->verification.ok() ? exit_ok : exit_failed;
}

int run_keygen(const std::string& secret_path, const std::string& public_path) {
  auto keys = hosted::generate_ed25519_keypair();
  if (!keys) return exit_failed;
  if (auto w = hosted::write_key_files(*keys, secret_path, public_path); !w) {
    std::cerr << describe_error(w.code(), w.error().field) << "\n";
    return exit_failed;
  }
  std::cout << "public key " << hex(keys->public_key) << "\n";
  return exit_ok;
}

struct audit_args {
  std::string log, key, pub, checkpoint, secret_out, public_out;
  filters show;
  bool json = false, follow = false;
  std::size_t tail_n = 10;
  std::uint64_t seq = 0, size = 0, from = 0, to = 0;
};

void install(CLI::App& root, std::function<void(int)> set_exit) {
  auto a = std::make_shared<audit_args>();
  auto* audit = root.add_subcommand("audit", "Verify, inspect, prove and checkpoint audit logs (INV-4)");
  audit->require_subcommand(1);

  auto* verify = audit->add_subcommand(
      "verify", "Verify a whole log: exit 0 only if every entry verifies, else print the first bad seq and why");
  verify->add_option("LOG", a->log, "audit log file")->required();
  verify->callback([a, set_exit] { set_exit(run_verify(a->log)); });

  auto* show = audit->add_subcommand("show", "Print the verified entries of a log, optionally filtered");
  show->add_option("LOG", a->log, "audit log file")->required();
  show->add_flag("--json", a->json, "one JSON object per line");
  show->add_option("--seq", a->show.seq_range, "sequence numbers: N, A-B, A- or -B");
  show->add_option("--run", a->show.run_hex, "only this run id (32 hex digits)");
  show->add_option("--op", a->show.op, "only this effect op code");
  show->add_option("--decision", a->show.decision, "only allow or deny")->check(CLI::IsMember({"allow", "deny"}));
  show->callback([a, set_exit] { set_exit(run_show(a->log, a->show, a->json)); });

  auto* tail = audit->add_subcommand("tail", "Print the last entries of a log; --follow waits for new ones");
  tail->add_option("LOG", a->log, "audit log file")->required();
  tail->add_option("-n", a->tail_n, "how many entries (default 10)");
  tail->add_flag("--follow,-f", a->follow, "keep printing entries as they are appended");
  tail->add_flag("--json", a->json, "one JSON object per line");
  tail->callback([a, set_exit] { set_exit(run_tail(a->log, a->tail_n, a->follow, a->json)); });

  auto* prove = audit->add_subcommand(
      "prove", "Print a Merkle proof as JSON: inclusion (--seq N [--size M]) or consistency (--from M --to N)");
  prove->add_option("LOG", a->log, "audit log file")->required();
  auto* seq = prove->add_option("--seq", a->seq, "prove that entry N is in the log");
  prove->add_option("--size", a->size, "tree size for the inclusion proof (default: all verified entries)")
      ->needs(seq);
  auto* from = prove->add_option("--from", a->from, "prove that the log of size M ...")->excludes(seq);
  prove->add_option("--to", a->to, "... is a prefix of the log of size N (default: all verified entries)")
      ->needs(from);
  prove->callback([a, set_exit, seq, from] {
    if (seq->count() > 0)
      set_exit(run_prove_inclusion(a->log, a->seq, a->size));
    else if (from->count() > 0)
      set_exit(run_prove_consistency(a->log, a->from, a->to));
    else {
      std::cerr << "prove: give --seq N or --from M\n";
      set_exit(exit_usage);
    }
  });

  auto* checkpoint = audit->add_subcommand(
      "checkpoint", "Sign a checkpoint (log id, size, head, Merkle root, time) with an Ed25519 key");
  checkpoint->add_option("LOG", a->log, "audit log file");
  checkpoint->add_option("--key", a->key, "Ed25519 secret key file (hex, from `audit keygen`)");
  checkpoint->add_option("--size", a->size, "entries to cover (default: all verified entries)");
  auto* cp_verify = checkpoint->add_subcommand(
      "verify", "Verify a checkpoint's signature and, with --log, that the log still extends it");
  cp_verify->add_option("CHECKPOINT", a->checkpoint, "checkpoint file (output of `audit checkpoint`)")->required();
  cp_verify->add_option("--pub", a->pub, "Ed25519 public key file (hex)")->required();
  cp_verify->add_option("--log", a->log, "audit log to check against the checkpoint");
  cp_verify->callback([a, set_exit] { set_exit(run_checkpoint_verify(a->checkpoint, a->pub, a->log)); });
  checkpoint->callback([a, set_exit, cp_verify] {
    if (cp_verify->parsed()) return;
    if (a->log.empty() || a->key.empty()) {
      std::cerr << "checkpoint: give LOG and --key KEYFILE (or use `checkpoint verify`)\n";
      set_exit(exit_usage);
      return;
    }
    set_exit(run_checkpoint(a->log, a->key, a->size));
  });

  auto* keygen = audit->add_subcommand("keygen", "Make an Ed25519 key pair for checkpoints (libsodium)");
  keygen->add_option("--secret", a->secret_out, "where to write the secret key (mode 0600)")->required();
  keygen->add_option("--public", a->public_out, "where to write the public key")->required();
  keygen->callback([a, set_exit] { set_exit(run_keygen(a->secret_out, a->public_out)); });
}

const register_group audit_group{"audit", install};

}  // namespace
}  // namespace authority::cli
