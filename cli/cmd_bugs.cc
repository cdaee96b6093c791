// `simbus bugs`: the seeded bugs, one a line: name<TAB>checker that catches it<TAB>what it breaks.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>

#include "core/bugs.h"
#include "cli/command.h"

namespace simbus::cli {

Runner add_bugs(CLI::App& app) {
  app.add_subcommand("bugs", "list the seeded bugs (switch one on with --bug NAME)");
  return [] {
    for (const core::BugInfo& b : core::bug_table()) {
      std::printf("%s\t%s\t%s\n", std::string(b.name).c_str(), std::string(b.caught_by).c_str(),
                  std::string(b.mechanism).c_str());
    }
    return static_cast<int>(kExitOk);
  };
}

}  // namespace simbus::cli
