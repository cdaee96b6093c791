// Each `simbus` subcommand lives in its own file and registers itself here, so adding a
// command touches no other file. A command adds its CLI11 subcommand and returns the
// function that runs it once the whole command line parsed.
#pragma once

#include <functional>
#include <memory>

namespace CLI {
class App;
}

namespace simbus::cli {

// Exit codes, the same for every command.
enum ExitCode : int {
  kExitOk = 0,         // every check held
  kExitFailed = 1,     // a check failed: a bug was found
  kExitUsage = 2,      // bad usage or bad input, message on stderr
  kExitUndecided = 3,  // a limit was hit before an answer
};

using Runner = std::function<int()>;
// Adds a subcommand to `app`; the returned runner is called when that subcommand was chosen.
using CommandFactory = Runner (*)(CLI::App& app);

struct CommandRegistration {
  CommandRegistration(int order, CommandFactory factory);
};

}  // namespace simbus::cli

#define SIMBUS_CLI_CONCAT2(a, b) a##b
#define SIMBUS_CLI_CONCAT(a, b) SIMBUS_CLI_CONCAT2(a, b)
// `order` fixes where the command appears in --help.
#define SIMBUS_REGISTER_COMMAND(order, factory) \
  static ::simbus::cli::CommandRegistration SIMBUS_CLI_CONCAT(simbus_command_, __LINE__)(order, factory)

#include <stdexcept>
#include <string>

namespace simbus::cli {
// argv[0], for `reproduce:` lines that paste back into the same shell.
const std::string& program_path();

// Thrown by a command for bad usage or bad input; main prints it and exits 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
}  // namespace simbus::cli
