// `simbus list`: one built-in scenario a line, "name<TAB>description".
#include <CLI/CLI.hpp>

#include <cstdio>

#include "scenarios/scenario.h"
#include "cli/command.h"

namespace simbus::cli {

Runner add_list(CLI::App& app) {
  auto* cmd = app.add_subcommand("list", "list the scenarios (built-in and this program's own)");
  (void)cmd;
  return [] {
    for (const scenarios::Scenario* s : scenarios::all_scenarios()) {
      std::printf("%s\t%s\n", s->name.c_str(), s->description.c_str());
    }
    return kExitOk;
  };
}

}  // namespace simbus::cli
