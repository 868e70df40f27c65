// `authority run`: an agent's workload enforced by a kernel. Compiles the policy, turns
// the agent file into request frames, packs both with the keys and a run configuration
// into a boot bundle, boots the kernel for --arch under QEMU (or runs the same
// enforcement code in-process for --arch hosted), shows every decision as it comes,
// collects the audit log streamed over the serial line, verifies it, and exits with the
// run's status (docs/kernel.md):
//
//   0  the workload ran under its policy and the audit log verified
//   1  the audit log is damaged, incomplete or disagrees with the decisions shown
//   2  usage: bad arguments, a policy that does not compile, a bad agent file
//   3  the kernel panicked
//   4  the kernel could not boot
//   5  the bundle or its policy was refused: everything was denied (the log verified)
//   6  QEMU could not be run, timed out, or stopped without a status from the kernel
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>

#include "agent_file.hpp"
#include "authority/capability/wire.hpp"
#include "authority/core/encoding.hpp"
#include "authority/crypto/sha256.hpp"
#include "authority/hosted/keyfile.hpp"
#include "authority/hosted/platform.hpp"
#include "authority/hosted/policy_compiler.hpp"
#include "boot_bundle.hpp"
#include "command.hpp"
#include "enforcement.hpp"
#include "kernel_console.hpp"
#include "policy.hpp"
#include "qemu_boot.hpp"
#include "util.hpp"

namespace authority::cli {
namespace {

constexpr int exit_run_ok = 0;
constexpr int exit_log_bad = 1;
constexpr int exit_run_usage = 2;
constexpr int exit_kernel_panic = 3;
constexpr int exit_kernel_boot = 4;
constexpr int exit_no_policy = 5;
constexpr int exit_no_status = 6;

// The kernel's own statuses (ports/nanos-kernel/kernel/console.hpp).
constexpr int kernel_ok = 0, kernel_panic = 3, kernel_boot_error = 4, kernel_no_policy = 5;

// 2025-01-01T00:00:00Z: the default logical clock start, so that runs repeat exactly.
constexpr time_ns default_clock_start = 1'735'689'600ull * ns_per_s;

struct run_args {
  std::string arch;
  std::string policy, agent, key, fs_dir;
  std::string bundle_in, bundle_out, audit_out, report, kernel;
  std::string boot = "grub";
  std::string clock_start;
  std::uint64_t clock_step = ns_per_ms;
  std::string log_id, run_id, agent_id;
  std::size_t repeat = 1;
  int timeout = 120;
  bool verbose = false;
  std::vector<std::string> user_agents, user_caps, children;  // NAME=FILE each
};

// NAME=FILE with NAME of [a-z0-9_-] (an agent's name in the bundle), or nullopt.
std::optional<std::pair<std::string, std::string>> name_and_file(const std::string& arg) {
  const auto eq = arg.find('=');
  if (eq == std::string::npos || eq == 0 || eq > 64 || eq + 1 == arg.size()) return std::nullopt;
  for (std::size_t i = 0; i < eq; ++i) {
    const char c = arg[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return std::nullopt;
  }
  return std::pair{arg.substr(0, eq), arg.substr(eq + 1)};
}

// The bundle members of --user-agent, --user-caps and --child (docs/syscall-abi.md):
// agents/NAME.elf in the order given, agents/NAME.caps (the file's cap1_ tokens, one a
// line, as len u16 LE · binary token records), children/NAME.elf. Empty + error text
// when an argument or file is bad.
std::vector<bundle_member> user_agent_members(const run_args& a, std::string& error) {
  std::vector<bundle_member> out;
  auto read = [&](const std::string& path) -> std::optional<std::vector<std::uint8_t>> {
    auto r = hosted::read_file(path, bundle::max_bundle_size);
    if (!r.ok()) {
      error = r.failure->message;
      return std::nullopt;
    }
    return std::vector<std::uint8_t>{r.value->begin(), r.value->end()};
  };
  auto add = [&](const std::vector<std::string>& args, const char* option, const std::string& dir,
                 const std::string& suffix) -> bool {
    for (const auto& arg : args) {
      const auto nf = name_and_file(arg);
      if (!nf) {
        error = std::string{option} + " takes NAME=FILE with NAME of a-z 0-9 _ - (got '" + arg + "')";
        return false;
      }
      auto data = read(nf->second);
      if (!data) return false;
      if (suffix == ".caps") {
        std::vector<std::uint8_t> blob;
        std::istringstream lines{std::string{data->begin(), data->end()}};
        std::size_t number = 0;
        for (std::string line; std::getline(lines, line);) {
          ++number;
          while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
          if (line.empty() || line.front() == '#') continue;
          std::vector<std::uint8_t> scratch(capability::max_token_size);
          auto token = capability::text_to_binary(line, scratch);
          if (!token) {
            error = nf->second + ":" + std::to_string(number) + ": not a cap1_ token (" + explain(token.error()) + ")";
            return false;
          }
          blob.push_back(static_cast<std::uint8_t>(token->size()));
          blob.push_back(static_cast<std::uint8_t>(token->size() >> 8));
          blob.insert(blob.end(), token->begin(), token->end());
        }
        *data = std::move(blob);
      }
      if (out.empty() || out.back().name.rfind(dir, 0) != 0) {
        bool have_dir = false;
        for (const auto& m : out) have_dir = have_dir || m.name == dir;
        if (!have_dir) out.push_back({dir, true, {}});
      }
      out.push_back({dir + "/" + nf->first + suffix, false, std::move(*data)});
    }
    return true;
  };
  if (!add(a.user_agents, "--user-agent", "agents", ".elf") || !add(a.user_caps, "--user-caps", "agents", ".caps") ||
      !add(a.children, "--child", "children", ".elf"))
    return {};
  return out;
}

std::string hex(bytes_view b) {
  std::string out(2 * b.size(), '0');
  (void)encoding::hex_encode(b, std::span<char>{out.data(), out.size()});
  return out;
}

// An id from --xxx-id (32 hex digits), or derived from what the run is made of, so the
// same inputs give the same ids (and the same audit genesis) on every port.
std::optional<audit::id16> id_of(const std::string& given, std::string_view domain, bytes_view policy, bytes_view frames,
                                 time_ns clock_start, std::string& error) {
  if (!given.empty()) {
    auto id = parse_id128(given);
    if (!id) error = std::string{domain} + ": an id is 32 hex digits";
    return id;
  }
  byte start[8];
  store_le64(start, clock_start);
  const auto d = crypto::sha256{}.update(domain).update(policy).update(frames).update(bytes_view{start}).finish();
  audit::id16 id{};
  for (std::size_t i = 0; i < id.size(); ++i) id[i] = d[i];
  return id;
}

struct prepared_run {
  std::vector<std::uint8_t> bundle;
  std::map<std::uint64_t, std::string> capability_of_seq;  // for the decision lines
  std::string summary;                                     // what was packed, for the user
};

// Policy, keys and agent into a bundle. Prints what is wrong and returns nothing when
// an input cannot be used.
std::optional<prepared_run> prepare(const run_args& a) {
  prepared_run out;
  std::unique_ptr<capability::key_ring> ephemeral;
  std::optional<hosted::key_file> key_file;
  const capability::key_ring* keys = nullptr;
  if (!a.key.empty()) {
    auto loaded = hosted::load_key_file(a.key);
    if (!loaded.ok()) {
      std::cerr << "error: " << loaded.failure->message << "\n";
      return std::nullopt;
    }
    key_file = std::move(*loaded.value);
    keys = key_file->ring.get();
  } else {
    // A fresh key for this run only: nothing signed with it outlives the run.
    auto generated = hosted::generate_key_file(hosted::system_clock{}.now_ns(), 24 * 3600 * ns_per_s);
    if (!generated) {
      std::cerr << "error: cannot generate a key: " << explain(generated.error()) << "\n";
      return std::nullopt;
    }
    key_file = std::move(*generated);
    keys = key_file->ring.get();
  }

  time_ns clock_start = default_clock_start;
  if (a.clock_start == "now") {
    clock_start = hosted::system_clock{}.now_ns();
  } else if (!a.clock_start.empty()) {
    try {
      std::size_t used = 0;
      clock_start = std::stoull(a.clock_start, &used);
      if (used != a.clock_start.size()) throw std::invalid_argument("clock start");
    } catch (const std::exception&) {
      std::cerr << "error: --clock-start takes nanoseconds since the Unix epoch, or now\n";
      return std::nullopt;
    }
  }

  auto loaded = load_policy_file(a.policy, "");
  if (!loaded) return std::nullopt;
  auto compiled = hosted::compile_policy(loaded->ast, *keys, {});
  if (!compiled.ok()) {
    std::cerr << a.policy << ": " << compiled.failure->message << "\n";
    return std::nullopt;
  }
  auto opened = policy::compiled_policy::open(compiled.blob, *keys, clock_start);
  if (!opened) {
    std::cerr << "error: the compiled policy does not open: " << explain(opened.error()) << "\n";
    return std::nullopt;
  }

  agent_options options;
  options.keys = keys;
  options.policy = &*opened;
  options.mint_time = clock_start;
  options.repeat = a.repeat;
  // Without --agent (user-mode agents only) the workload is empty.
  auto agent = a.agent.empty() ? agent_result{} : load_agent_file(a.agent, options);
  if (!agent.ok()) {
    std::cerr << "error: " << agent.error << "\n";
    return std::nullopt;
  }
  for (const auto& r : agent.workload.requests) out.capability_of_seq[r.seq] = r.capability;

  bundle_inputs in;
  in.keys = keys;
  in.policy = compiled.blob;
  in.workload = agent.workload.frames;
  in.fs_dir = a.fs_dir;
  {
    std::string user_error;
    in.extra = user_agent_members(a, user_error);
    if (!user_error.empty()) {
      std::cerr << "error: " << user_error << "\n";
      return std::nullopt;
    }
  }
  in.config.clock_start = clock_start;
  in.config.clock_step = a.clock_step;
  std::string error;
  const auto log_id = id_of(a.log_id, "authority.run.log-id", compiled.blob, in.workload, clock_start, error);
  const auto run_id = id_of(a.run_id, "authority.run.run-id", compiled.blob, in.workload, clock_start, error);
  const auto agent_id = id_of(a.agent_id, "authority.run.agent-id", compiled.blob, in.workload, clock_start, error);
  if (!log_id || !run_id || !agent_id) {
    std::cerr << "error: " << error << "\n";
    return std::nullopt;
  }
  in.config.log_id = *log_id;
  in.config.run_id = *run_id;
  in.config.agent_id = *agent_id;
  auto built = build_bundle(in);
  if (!built.error.empty()) {
    std::cerr << "error: " << built.error << "\n";
    return std::nullopt;
  }
  out.bundle = std::move(built.bytes);
  std::ostringstream s;
  s << "  policy   " << a.policy << ": revision " << opened->revision() << ", " << opened->rule_count()
    << " rules, sha256 " << hex(opened->hash()).substr(0, 16) << "…, MACed with key " << opened->key_id()
    << (a.key.empty() ? " (generated for this run)" : " from " + a.key) << "\n"
    << "  agent    " << (a.agent.empty() ? std::string{"(none)"} : a.agent) << ": " << agent.workload.requests.size()
    << " requests"
    << (a.repeat > 1 ? " (the file " + std::to_string(a.repeat) + " times)" : "") << "\n"
    << "  bundle   " << out.bundle.size() << " bytes (config, keys, policy, workload"
    << (a.fs_dir.empty() ? "" : ", files of " + a.fs_dir)
    << (a.user_agents.empty() ? "" : ", " + std::to_string(a.user_agents.size()) + " user-mode agents")
    << (a.children.empty() ? "" : ", " + std::to_string(a.children.size()) + " children") << ")\n";
  out.summary = s.str();
  return out;
}

// The same enforcement code as the kernel's product image, in this process, writing the
// same console stream.
struct hosted_writer {
  kernel_console* console;
  void operator()(std::string_view s) const { console->feed(s); }
};
struct in_process_port {
  static void drain() noexcept {}  // the stream is in this process: written is delivered
  static std::uint64_t now_ns() noexcept {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count());
  }
};
using hosted_sink = kernel::console_audit_sink<const hosted_writer, in_process_port>;

int run_in_process(const std::vector<std::uint8_t>& bundle, kernel_console& console) {
  const bytes_view raw{bundle};
  std::optional<kernel::cpio::archive> archive;
  error archive_error = make_error(errc::ok);
  if (auto opened = kernel::cpio::archive::open(raw)) archive = *opened;
  else archive_error = opened.error();
  const hosted_writer writer{&console};
  auto storage = std::make_unique<kernel::enforcement_storage<hosted_sink>>();
  const auto outcome =
      kernel::enforce_bundle(raw, archive, archive_error, *storage, writer, &in_process_port::now_ns, writer);
  console.finish();
  return outcome == kernel::enforcement_outcome::enforced ? kernel_ok : kernel_no_policy;
}

std::string pad(std::string s, std::size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

// One line per decision: the answer, and for a denial what the reason means and which
// capability the request carried.
void show_decision(const kernel_decision& d, const prepared_run* prepared) {
  std::string verdict = "allow";
  if (d.allow && d.reason != "ok") verdict += " (" + d.reason + ", the effect failed: " + d.result + ")";
  if (!d.allow) {
    const errc* code = nullptr;
    for (const auto& info : errc_table)
      if (info.name == d.reason) code = &info.code;
    verdict = "DENY  " + d.reason + (code ? ": " + std::string{describe(*code)} : "");
    if (prepared != nullptr) {
      const auto it = prepared->capability_of_seq.find(d.request_seq);
      if (it != prepared->capability_of_seq.end() && it->second != "none") verdict += "  [cap: " + it->second + "]";
    }
  }
  std::cout << std::setw(5) << d.request_seq << "  " << pad(d.effect, 12) << " " << pad(d.target, 28) << " " << verdict
            << "\n"
            << std::flush;
}

void write_report(const std::string& path, const run_args& a, int status, const kernel_console& console,
                  const audit::verification& v, std::optional<double> first_decision_ms) {
  std::ofstream out(path);
  out << "{\"arch\":\"" << a.arch << "\",\"status\":" << status << ",\"audit_ok\":" << (v.ok() ? "true" : "false")
      << ",\"entries\":" << v.count << ",\"head\":\"" << hex(v.head) << "\",\"problems\":" << console.problems().size()
      << ",\"kernel_elapsed_ns\":" << console.kernel_elapsed_ns().value_or(0)
      << ",\"kernel_console_ns\":" << console.kernel_console_ns()
      << ",\"workload_console_bytes\":" << console.workload_bytes()
      << ",\"first_decision_ms\":" << (first_decision_ms ? std::to_string(*first_decision_ms) : "null") << ",\"decisions\":[";
  bool first = true;
  for (const auto& d : console.decisions()) {
    out << (first ? "" : ",") << "{\"seq\":" << d.request_seq << ",\"audit_seq\":" << d.audit_seq << ",\"effect\":\""
        << json_escape(d.effect) << "\",\"target\":\"" << json_escape(d.target) << "\",\"decision\":\""
        << (d.allow ? "allow" : "deny") << "\",\"reason\":\"" << d.reason << "\",\"result\":\"" << d.result << "\"}";
    first = false;
  }
  out << "],\"refused\":[";
  first = true;
  for (const auto& r : console.refusals()) {
    out << (first ? "" : ",") << "{\"what\":\"" << r.what << "\",\"reason\":\"" << r.reason << "\",\"field\":\""
        << json_escape(r.field) << "\",\"offset\":" << r.offset << "}";
    first = false;
  }
  out << "]}\n";
}

int run(const run_args& a) {
  if (!hosted::init_sodium()) {
    std::cerr << "error: libsodium does not initialize\n";
    return exit_run_usage;
  }
  const bool hosted_run = a.arch == "hosted";
  std::optional<prepared_run> prepared;
  std::vector<std::uint8_t> bundle;
  if (!a.bundle_in.empty()) {
    if (!a.policy.empty() || !a.agent.empty() || !a.user_agents.empty() || !a.user_caps.empty() || !a.children.empty()) {
      std::cerr << "error: --bundle boots a bundle as it is; --policy, --agent, --user-agent build one\n";
      return exit_run_usage;
    }
    auto read = hosted::read_file(a.bundle_in, 64u << 20);
    if (!read.ok()) {
      std::cerr << "error: " << read.failure->message << "\n";
      return exit_run_usage;
    }
    bundle.assign(read.value->begin(), read.value->end());
  } else {
    if (a.policy.empty() || (a.agent.empty() && a.user_agents.empty())) {
      std::cerr << "error: give --policy and --agent or --user-agent (or --bundle)\n";
      return exit_run_usage;
    }
    prepared = prepare(a);
    if (!prepared) return exit_run_usage;
    bundle = prepared->bundle;
  }
  if (!a.bundle_out.empty()) {
    std::ofstream(a.bundle_out, std::ios::binary).write(reinterpret_cast<const char*>(bundle.data()),
                                                        static_cast<std::streamsize>(bundle.size()));
  }

  const std::string image = a.kernel.empty() && !hosted_run ? default_kernel_image(a.arch) : a.kernel;
  if (!hosted_run && access(image.c_str(), R_OK) != 0) {
    std::cerr << "error: no kernel image " << image << "\n"
              << "hint: build it with `cmake --build <build dir> --target kernel_" << a.arch << "`, or give --kernel\n";
    return exit_run_usage;
  }
  const bool grub = a.arch == "x86_64" && a.boot == "grub";
  std::cout << "authority run: " << a.arch
            << (hosted_run ? " (the kernel's enforcement code in this process)"
                           : grub ? " kernel through GRUB under QEMU" : " kernel under QEMU")
            << "\n";
  if (prepared) std::cout << prepared->summary;
  else std::cout << "  bundle   " << a.bundle_in << ": " << bundle.size() << " bytes\n";
  std::cout << "\n  seq  " << pad("effect", 12) << " " << pad("target", 28) << " decision\n";

  kernel_console console;
  std::optional<std::chrono::steady_clock::time_point> first_decision;
  console.on_decision = [&](const kernel_decision& d) {
    if (!first_decision) first_decision = std::chrono::steady_clock::now();
    show_decision(d, prepared ? &*prepared : nullptr);
  };
  console.on_text = [&](std::string_view text) {
    // User-mode agents' lifecycle lines (start, exit, fault, refusal, spawn, revoke) too.
    const bool important = text.starts_with("gate: policy refused") || text.starts_with("gate: bundle refused") ||
                           text.starts_with("agent ") || text.starts_with("agents: ") ||
                           text.find("PANIC") != std::string_view::npos;
    if (a.verbose || important) std::cout << "  | " << text << "\n" << std::flush;
  };

  int kernel_status = -1;
  std::string boot_error;
  std::optional<double> first_decision_ms;
  const auto started = std::chrono::steady_clock::now();
  if (hosted_run) {
    kernel_status = run_in_process(bundle, console);
  } else {
    char bundle_path[] = "/tmp/authority-bundle-XXXXXX";
    const int fd = mkstemp(bundle_path);
    if (fd < 0) {
      std::cerr << "error: cannot write the bundle to /tmp\n";
      return exit_no_status;
    }
    std::ofstream(bundle_path, std::ios::binary).write(reinterpret_cast<const char*>(bundle.data()),
                                                       static_cast<std::streamsize>(bundle.size()));
    close(fd);
    qemu_boot_request request;
    request.arch = a.arch;
    request.image = image;
    request.bundle_path = bundle_path;
    request.grub = grub;
    request.timeout_seconds = a.timeout;
    if (a.verbose) std::cout << "  | booting " << image << "\n";
    auto booted = boot_qemu(request, [&](std::string_view bytes) { console.feed(bytes); });
    console.finish();
    std::remove(bundle_path);
    if (first_decision)
      first_decision_ms = std::chrono::duration<double, std::milli>(*first_decision - booted.started).count();
    if (booted.timed_out) boot_error = "QEMU did not finish within " + std::to_string(a.timeout) + " s";
    else if (!booted.error.empty()) boot_error = booted.error;
    else kernel_status = *booted.kernel_status;
  }
  const double total_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();

  // The log as received, verified once more from its first byte.
  const auto verification = console.verify();
  if (!a.audit_out.empty()) {
    std::ofstream out(a.audit_out, std::ios::binary);
    out.write(reinterpret_cast<const char*>(console.log_stream().data()),
              static_cast<std::streamsize>(console.log_stream().size()));
  }

  std::size_t allowed = 0;
  for (const auto& d : console.decisions()) allowed += d.allow;
  std::cout << "\n" << console.decisions().size() << " decisions: " << allowed << " allowed, "
            << console.decisions().size() - allowed << " denied\n";
  for (const auto& p : console.problems()) std::cout << "problem: " << p << "\n";

  int status = exit_run_ok;
  if (!boot_error.empty()) {
    std::cout << "kernel: " << boot_error << "\n";
    status = exit_no_status;
  } else if (kernel_status == kernel_panic) {
    std::cout << "kernel: PANIC (status 3); run with --verbose for its console\n";
    status = exit_kernel_panic;
  } else if (kernel_status == kernel_boot_error) {
    std::cout << "kernel: could not boot (status 4); run with --verbose for its console\n";
    status = exit_kernel_boot;
  } else if (kernel_status != kernel_ok && kernel_status != kernel_no_policy) {
    std::cout << "kernel: stopped with unknown status " << kernel_status << "\n";
    status = exit_no_status;
  }

  const bool log_expected = !console.log_stream().empty() || kernel_status == kernel_ok;
  if (log_expected) {
    if (verification.ok() && console.problems().empty() && console.reported_head()) {
      std::cout << "audit log: " << verification.count << " entries" << (hosted_run ? "" : " streamed over the serial line")
                << ", verified (CRC-32C frames, SHA-256 chain)" << (a.audit_out.empty() ? "" : ", written to " + a.audit_out)
                << "\n";
    } else {
      std::cout << "audit log: NOT verified";
      if (!verification.ok())
        std::cout << ": entry " << verification.bad_seq << ": " << name_of(verification.code) << " [" << verification.field << "]";
      else if (!console.reported_head())
        std::cout << ": the kernel never reported its head (the log is incomplete)";
      std::cout << "\n";
      if (status == exit_run_ok) status = exit_log_bad;
    }
    std::cout << "audit head: seq " << verification.count << " sha256 " << hex(verification.head) << "\n";
  }
  if (status == exit_run_ok && kernel_status == kernel_no_policy) status = exit_no_policy;

  if (hosted_run) {
    std::cout << "in-process run: " << std::fixed << std::setprecision(1) << total_ms << " ms";
  } else {
    std::cout << "kernel " << a.arch << ": " << (first_decision_ms ? "first decision " : "no decision");
    if (first_decision_ms) std::cout << std::fixed << std::setprecision(0) << *first_decision_ms << " ms after QEMU started";
  }
  // The workload's rate (@stats); user-mode agents' decisions are not in that timing.
  const std::uint64_t workload_decisions = console.kernel_decisions().value_or(console.decisions().size());
  if (const auto ns = console.kernel_elapsed_ns(); ns && *ns > 0 && workload_decisions > 0) {
    const auto decisions = static_cast<double>(workload_decisions);
    const auto rate = [&](std::uint64_t elapsed) {
      return elapsed == 0 ? std::uint64_t{0} : static_cast<std::uint64_t>(decisions * 1e9 / static_cast<double>(elapsed));
    };
    std::cout << "; " << rate(*ns) << " decisions/s inside";
    if (!hosted_run && console.kernel_console_ns() < *ns)
      std::cout << "\n  (" << console.workload_bytes() / 1024 << " KiB of console, " << console.kernel_console_ns() * 100 / *ns
                << "% of the time: every audit frame waits until the UART has sent it; the gate alone: "
                << rate(*ns - console.kernel_console_ns()) << " decisions/s)";
  }
  std::cout << "\nstatus " << status << "\n";
  if (!a.report.empty()) write_report(a.report, a, status, console, verification, first_decision_ms);
  return status;
}

void install(CLI::App& root, std::function<void(int)> set_exit) {
  auto a = std::make_shared<run_args>();
  auto* cmd = root.add_subcommand(
      "run",
      "Run an agent's workload under enforcement in a kernel: compile the policy, build the boot bundle, boot\n"
      "QEMU (x86_64 through GRUB), show each decision, collect and verify the audit log streamed over the serial\n"
      "line. --arch hosted runs the kernel's enforcement code in this process (the conformance reference).\n"
      "Exit: 0 ran and the log verified, 1 log bad, 2 usage, 3 kernel panic, 4 boot error, 5 bundle or policy\n"
      "refused (everything denied), 6 QEMU failed or timed out. The agent file format is in docs/kernel.md.");
  cmd->add_option("--arch", a->arch, "x86_64, aarch64, riscv64, or hosted")
      ->required()
      ->check(CLI::IsMember({"x86_64", "aarch64", "riscv64", "hosted"}));
  cmd->add_option("--policy", a->policy, "Policy file (.json or .toml), compiled and MACed for the bundle");
  cmd->add_option("--agent", a->agent, "Agent file: JSON Lines requests with capabilities (docs/kernel.md)");
  cmd->add_option("--user-agent", a->user_agents,
                  "NAME=ELF: a user-mode agent (docs/syscall-abi.md), run after the workload; repeatable, in order");
  cmd->add_option("--user-caps", a->user_caps, "NAME=FILE: the agent's capabilities, cap1_ tokens one a line");
  cmd->add_option("--child", a->children, "NAME=ELF: a child user-mode agents may spawn (children/NAME.elf)");
  cmd->add_option("--key", a->key, "Key file (authority keys gen); default: a key generated for this run");
  cmd->add_option("--fs", a->fs_dir, "Directory whose files seed the kernel's RAM file system (as /...)");
  cmd->add_option("--bundle", a->bundle_in, "Boot this bundle as it is instead of building one");
  cmd->add_option("--bundle-out", a->bundle_out, "Also write the bundle to this file");
  cmd->add_option("--audit-out", a->audit_out, "Write the audit log received (header and frames) to this file");
  cmd->add_option("--report", a->report, "Write the decisions, head and timings as JSON to this file");
  cmd->add_option("--kernel", a->kernel, "Kernel image (default: the build's ports/nanos-kernel/<arch>/ image)");
  cmd->add_option("--boot", a->boot, "x86_64: grub (ISO, Multiboot2: the product path) or direct (PVH -kernel)")
      ->check(CLI::IsMember({"grub", "direct"}));
  cmd->add_option("--clock-start", a->clock_start,
                  "Logical clock start, ns since the epoch, or now (default 2025-01-01T00:00:00Z)");
  cmd->add_option("--clock-step", a->clock_step, "Logical clock step per reading, ns (default 1 ms)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--log-id", a->log_id, "Audit log id, 32 hex digits (default: derived from the inputs)");
  cmd->add_option("--run-id", a->run_id, "Run id, 32 hex digits (default: derived from the inputs)");
  cmd->add_option("--agent-id", a->agent_id, "Agent id, 32 hex digits (default: derived from the inputs)");
  cmd->add_option("--repeat", a->repeat, "Run the agent file this many times over (for measurements)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--timeout", a->timeout, "Seconds QEMU may run (default 120)")->check(CLI::PositiveNumber);
  cmd->add_flag("-v,--verbose", a->verbose, "Show the kernel's whole console");
  cmd->callback([a, set_exit] { set_exit(run(*a)); });
}

const register_group run_group{"run", install};

}  // namespace
}  // namespace authority::cli
