// The `authority policy` command group. Its subcommands live in several files (text
// commands in policy.cpp; compile, explain, lint, suggest elsewhere): each file's
// installer calls policy_command(root) to get the group, created on first use, and adds
// its subcommands to it.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>

#include "authority/hosted/policy_text.hpp"

namespace authority::cli {

// The `policy` subcommand of `root`, created with its help text if it does not exist yet.
CLI::App& policy_command(CLI::App& root);

// A policy file read and parsed for a command. The format comes from `format_override`
// ("json"/"toml") or the file's extension; "-" reads standard input (needs a format).
// On failure every diagnostic has been printed to stderr and the result is empty.
struct loaded_policy {
  std::string path;
  policy_text::format format;
  std::string text;
  policy_text::policy ast;
};
std::optional<loaded_policy> load_policy_file(const std::string& path, const std::string& format_override);

}  // namespace authority::cli
