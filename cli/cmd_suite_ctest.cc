// `simbus suite-ctest NAME` (hidden): prints CMake code registering each entry of a suite
// as its own CTest test, an `explore` over the entry's seeds (with --expect for must-find
// entries), labelled `<name>-suite`. tests/CMakeLists.txt evaluates it when ctest starts,
// so the registered tests follow scenarios/suite.cc without a list kept twice.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <memory>

#include "scenarios/suite.h"
#include "cli/command.h"
#include "cli/options.h"

namespace simbus::cli {
namespace {

struct SuiteCtestOptions {
  std::string name;
  std::string program;
  int timeout_s = 1500;
};

// A CMake bracket argument never needs escaping (the text holds no "]==]").
std::string cmake_arg(const std::string& s) { return "[==[" + s + "]==]"; }

}  // namespace

Runner add_suite_ctest(CLI::App& app) {
  auto opts = std::make_shared<SuiteCtestOptions>();
  auto* cmd = app.add_subcommand("suite-ctest", "print CMake code registering a suite's entries as CTest tests");
  cmd->group("");  // hidden: used by the build, not by people
  cmd->add_option("name", opts->name, "suite name")->required();
  cmd->add_option("--program", opts->program, "path of the simbus binary the tests run (default: this one)");
  cmd->add_option("--timeout", opts->timeout_s, "CTest TIMEOUT of each test, seconds")
      ->check(whole_number(1, kCtestTimeoutSMax));
  return [opts] {
    const scenarios::Suite* suite = scenarios::find_suite(opts->name);
    if (suite == nullptr) throw UsageError(fmt::format("unknown suite '{}'", opts->name));
    const std::string program = opts->program.empty() ? program_path() : opts->program;
    std::size_t index = 0;
    for (const scenarios::SuiteEntry& e : suite->entries) {
      index += 1;
      std::string test = fmt::format("{}-suite.{:02}.{}", suite->name, index, e.scenario);
      std::string args = fmt::format("explore {} --seed-start 1 --runs {}", cmake_arg(e.scenario), e.seeds);
      for (const auto& [k, v] : e.params) {
        test += fmt::format(".{}={}", k, v);
        args += fmt::format(" --param {}", cmake_arg(k + "=" + v));
      }
      if (!e.expect_check.empty()) args += fmt::format(" --expect {}", cmake_arg(e.expect_check));
      std::printf("add_test(%s %s %s)\n", cmake_arg(test).c_str(), cmake_arg(program).c_str(), args.c_str());
      std::printf("set_tests_properties(%s PROPERTIES LABELS %s TIMEOUT %d)\n", cmake_arg(test).c_str(),
                  cmake_arg(suite->name + "-suite").c_str(), opts->timeout_s);
    }
    return static_cast<int>(kExitOk);
  };
}

}  // namespace simbus::cli
