// The `simbus` command line as a library (target simbus::cli). A program that registers
// its own scenarios and then calls simbus::cli::main gets every subcommand — list, run,
// explore, replay, shrink, viz, suite, merge, check, bugs — over its scenarios and the
// built-in ones, and its `reproduce:` lines name that program (argv[0]):
//
//   int main(int argc, char** argv) {
//     register_my_scenarios();  // scenarios::register_scenario(...)
//     return simbus::cli::main(argc, argv);
//   }
#pragma once

#include <functional>

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

// Parses argv, runs the chosen subcommand and returns its exit code.
int main(int argc, char** argv);

// A command of the program's own: the factory adds its CLI11 subcommand to `app` and
// returns the function that runs it once the whole command line parsed. `order` places it
// in --help among the built-in ones (list 10, run 20, explore 25, ... check 80). Call
// before main; a runner may throw cli::UsageError (cli/command.h) for exit 2.
using Runner = std::function<int()>;
using CommandFactory = Runner (*)(CLI::App& app);
void add_command(int order, CommandFactory factory);

}  // namespace simbus::cli
