// `authority policy check|fmt|convert`: policy text in JSON or TOML (policy_text.hpp).
#include "policy.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "command.hpp"

namespace authority::cli {

namespace pt = authority::policy_text;

namespace {

constexpr int exit_ok = 0;
constexpr int exit_invalid = 1;
constexpr int exit_usage = 2;

bool read_all(const std::string& path, std::string& out) {
  if (path == "-") {
    out.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    return !std::cin.bad();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream s;
  s << in.rdbuf();
  out = s.str();
  return !in.bad();
}

std::optional<pt::format> choose_format(const std::string& path, const std::string& format_override) {
  if (!format_override.empty()) return pt::format_from_name(format_override);
  return pt::format_from_path(path);
}

// Writes through a temporary file in the same directory and renames it over the target,
// so an interrupted write never leaves a half-written policy.
bool write_file(const std::string& path, const std::string& text) {
  if (path == "-") {
    std::cout << text << std::flush;
    return static_cast<bool>(std::cout);
  }
  const std::string temporary = path + ".tmp-authority";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) {
      std::remove(temporary.c_str());
      return false;
    }
  }
  std::error_code ec;
  std::filesystem::rename(temporary, path, ec);
  if (ec) std::remove(temporary.c_str());
  return !ec;
}

struct policy_args {
  std::vector<std::string> files;
  std::string file;
  std::string format;  // --format: overrides the extension
  std::string to;      // convert --to
  std::string output;  // convert -o
  bool in_place = false;
  bool quiet = false;
};

int run_check(const policy_args& a) {
  int status = exit_ok;
  for (const auto& path : a.files) {
    auto loaded = load_policy_file(path, a.format);
    if (!loaded) {
      status = exit_invalid;
      continue;
    }
    if (!a.quiet) std::cout << path << ": ok (" << pt::format_name(loaded->format) << ")\n";
  }
  return status;
}

int run_fmt(const policy_args& a) {
  auto loaded = load_policy_file(a.file, a.format);
  if (!loaded) return exit_invalid;
  const std::string text = pt::print(loaded->ast, loaded->format);
  if (!a.in_place || a.file == "-") {
    std::cout << text;
    return exit_ok;
  }
  if (text == loaded->text) return exit_ok;  // already canonical: leave the file alone
  if (!write_file(a.file, text)) {
    std::cerr << a.file << ": cannot write the formatted policy\n";
    return exit_invalid;
  }
  return exit_ok;
}

int run_convert(const policy_args& a) {
  const auto target = pt::format_from_name(a.to);
  if (!target) {
    std::cerr << "--to must be json or toml\n";
    return exit_usage;
  }
  auto loaded = load_policy_file(a.file, a.format);
  if (!loaded) return exit_invalid;
  const std::string text = pt::print(loaded->ast, *target);
  if (a.output.empty()) {
    std::cout << text;
    return exit_ok;
  }
  if (!write_file(a.output, text)) {
    std::cerr << a.output << ": cannot write the converted policy\n";
    return exit_invalid;
  }
  return exit_ok;
}

void add_format_option(CLI::App* cmd, policy_args& a) {
  cmd->add_option("--format", a.format, "Input format, json or toml (default: from the file extension)")
      ->check(CLI::IsMember({"json", "toml"}));
}

void install(CLI::App& root, std::function<void(int)> set_exit) {
  auto a = std::make_shared<policy_args>();
  CLI::App& policy = policy_command(root);

  auto* check = policy.add_subcommand(
      "check",
      "Parse and validate policy files. Prints every problem as file:line:column with the line and a caret;\n"
      "exit 0 only when every file is valid, 1 otherwise.");
  check->add_option("files", a->files, "Policy files (.json or .toml; - for standard input with --format)")
      ->required();
  add_format_option(check, *a);
  check->add_flag("-q,--quiet", a->quiet, "Print nothing for valid files");
  check->callback([a, set_exit] { set_exit(run_check(*a)); });

  auto* fmt = policy.add_subcommand(
      "fmt",
      "Print a policy in canonical form, in its own format: fixed key order, canonical spellings\n"
      "(cpu_ns -> cpu_time_ns, \"1\" -> \"1.0\"), empty sections left out. Exit 1 if it does not parse.");
  fmt->add_option("file", a->file, "Policy file (.json or .toml; - for standard input with --format)")->required();
  add_format_option(fmt, *a);
  fmt->add_flag("-i,--in-place", a->in_place, "Rewrite the file instead of printing (atomically; untouched if already canonical)");
  fmt->callback([a, set_exit] { set_exit(run_fmt(*a)); });

  auto* convert = policy.add_subcommand(
      "convert",
      "Convert a policy between JSON and TOML without losing anything: parse(convert(x)) means the same as x.");
  convert->add_option("file", a->file, "Policy file (.json or .toml; - for standard input with --format)")->required();
  convert->add_option("--to", a->to, "Output format: json or toml")->required()->check(CLI::IsMember({"json", "toml"}));
  convert->add_option("-o,--output", a->output, "Write here instead of standard output");
  add_format_option(convert, *a);
  convert->callback([a, set_exit] { set_exit(run_convert(*a)); });
}

const register_group policy_group{"policy", install};

}  // namespace

CLI::App& policy_command(CLI::App& root) {
  for (CLI::App* sub : root.get_subcommands([](CLI::App* app) { return app->get_name() == "policy"; })) return *sub;
  CLI::App* policy = root.add_subcommand(
      "policy", "Policy files in JSON or TOML: check, format and convert them");
  policy->require_subcommand(1);
  return *policy;
}

std::optional<loaded_policy> load_policy_file(const std::string& path, const std::string& format_override) {
  const auto format = choose_format(path, format_override);
  if (!format) {
    std::cerr << path << ": cannot tell the format from the name; use --format json or --format toml\n";
    return std::nullopt;
  }
  loaded_policy loaded{path, *format, {}, {}};
  if (!read_all(path, loaded.text)) {
    std::cerr << path << ": cannot read the file\n";
    return std::nullopt;
  }
  auto parsed = pt::parse(loaded.text, *format, path == "-" ? "<stdin>" : path);
  for (const auto& d : parsed.diagnostics) std::cerr << d.to_string();
  if (!parsed.ok()) {
    std::cerr << path << ": " << parsed.diagnostics.size() << (parsed.diagnostics.size() == 1 ? " error\n" : " errors\n");
    return std::nullopt;
  }
  loaded.ast = std::move(*parsed.ast);
  return loaded;
}

}  // namespace authority::cli
