// The `authority` command line: each command group registers itself (command.hpp).
#include <algorithm>
#include <cstdio>

#include "command.hpp"

namespace authority::cli {
std::vector<command_group>& command_groups() {
  static std::vector<command_group> groups;
  return groups;
}
}  // namespace authority::cli

int main(int argc, char** argv) {
  using namespace authority::cli;
  CLI::App app{"authority: keep AI agents inside their authority.\n"
               "Capabilities (INV-2), policies, budgets (INV-3) and a verifiable audit log (INV-4)."};
  app.require_subcommand(1);
  app.set_version_flag("--version", "authority 0.1.0");
  int exit_status = 0;
  auto groups = command_groups();
  std::sort(groups.begin(), groups.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  for (auto& g : groups) g.install(app, [&](int s) { exit_status = s; });
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return exit_status;
}
