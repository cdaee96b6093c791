// `simbus`: thin command-line front end. Parsing and output only; the work is in the
// library layers.
#include "cli/cli.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "base/assert.h"
#include "base/input_file.h"
#include "cli/command.h"
#include "cli/options.h"
#include "scenarios/scenario.h"
#include "store/store.h"

namespace simbus::cli {
namespace {

// The order fixes where a command appears in --help.
constexpr std::pair<int, CommandFactory> kBuiltinCommands[] = {
    {10, add_list},  {20, add_run},   {25, add_explore}, {27, add_merge}, {30, add_replay},     {35, add_shrink},
    {40, add_suite}, {45, add_viz},   {50, add_triage}, {70, add_bugs},    {80, add_check}, {90, add_suite_ctest},
};

std::vector<std::pair<int, CommandFactory>>& added_commands() {
  static std::vector<std::pair<int, CommandFactory>> commands;
  return commands;
}

std::string& program_path_storage() {
  static std::string path = "simbus";
  return path;
}

}  // namespace

const std::string& program_path() { return program_path_storage(); }

void add_command(int order, CommandFactory factory) {
  SIMBUS_ASSERT(factory != nullptr);
  added_commands().emplace_back(order, factory);
}

int main(int argc, char** argv) {
  if (argc > 0 && argv[0] != nullptr) program_path_storage() = argv[0];
  CLI::App app{"simbus: deterministic simulation and checking of concurrent and distributed programs"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "simbus " + store::binary_version());  // the project() version
  // Subcommands inherit fallthrough when added, so the option may follow the subcommand.
  app.fallthrough();
  std::uint64_t input_mb_max = 0;
  app.add_option("--input-max-mb", input_mb_max,
                 fmt::format("largest input file read, MiB (default {})", base::InputLimits{}.bytes_max >> 20))
      ->check(whole_number(base::input_mb_min, base::input_mb_max));

  std::vector<std::pair<int, CommandFactory>> commands(std::begin(kBuiltinCommands), std::end(kBuiltinCommands));
  commands.insert(commands.end(), added_commands().begin(), added_commands().end());
  std::stable_sort(commands.begin(), commands.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::pair<CLI::App*, Runner>> runners;
  for (const auto& [order, factory] : commands) {
    size_t before = app.get_subcommands({}).size();
    Runner runner = factory(app);
    auto subs = app.get_subcommands({});
    if (subs.size() > before) runners.emplace_back(subs.back(), std::move(runner));
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // Not app.exit(e): CLI11 echoes an unexpected argument whole, and it may be megabytes.
    std::fprintf(stderr, "%s\nRun with --help for more information.\n", bounded_message(e.what()).c_str());
    return kExitUsage;
  }
  if (input_mb_max != 0) base::set_default_input_bytes_max(input_mb_max << 20);

  for (auto& [sub, runner] : runners) {
    if (sub->parsed()) {
      try {
        return runner();
      } catch (const UsageError& e) {
        std::fprintf(stderr, "simbus %s: %s\n", sub->get_name().c_str(), bounded_message(e.what()).c_str());
        return kExitUsage;
      } catch (const simbus::scenarios::UsageError& e) {
        std::fprintf(stderr, "simbus %s: %s\n", sub->get_name().c_str(), bounded_message(e.what()).c_str());
        return kExitUsage;
      } catch (const std::exception& e) {
        std::fprintf(stderr, "simbus %s: error: %s\n", sub->get_name().c_str(), bounded_message(e.what()).c_str());
        return kExitUsage;
      }
    }
  }
  return kExitUsage;
}

}  // namespace simbus::cli
