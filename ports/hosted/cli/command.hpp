// Each CLI command group lives in its own file and registers itself here, so adding a
// command never edits main.cpp.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

namespace authority::cli {

// A command's handler returns the process exit status.
using installer = std::function<void(CLI::App& root, std::function<void(int)> set_exit)>;

struct command_group {
  std::string name;
  installer install;
};

std::vector<command_group>& command_groups();

struct register_group {
  register_group(std::string name, installer install) {
    command_groups().push_back({std::move(name), std::move(install)});
  }
};

}  // namespace authority::cli
