// The built-in `simbus` subcommands, one file each (cli/cmd_*.cc), and what they share.
// cli/cli.cc lists them in register_builtin_commands: a table rather than static
// self-registering objects, which the linker drops from a static library.
#pragma once

#include <stdexcept>
#include <string>

#include "cli/cli.h"

namespace simbus::cli {

// argv[0], for `reproduce:` lines that paste back into the same shell.
const std::string& program_path();

// Thrown by a command for bad usage or bad input; main prints it and exits 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

Runner add_list(CLI::App& app);
Runner add_run(CLI::App& app);
Runner add_explore(CLI::App& app);
Runner add_merge(CLI::App& app);
Runner add_replay(CLI::App& app);
Runner add_shrink(CLI::App& app);
Runner add_suite(CLI::App& app);
Runner add_viz(CLI::App& app);
Runner add_bugs(CLI::App& app);
Runner add_check(CLI::App& app);
Runner add_suite_ctest(CLI::App& app);
Runner add_triage(CLI::App& app);

}  // namespace simbus::cli
