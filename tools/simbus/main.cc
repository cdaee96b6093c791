// `simbus`: thin command-line front end. Parsing and output only; the work is in the
// library layers.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <utility>
#include <vector>

#include "scenarios/scenario.h"
#include "targets/targets.h"
#include "tools/simbus/command.h"

namespace simbus::cli {
namespace {

std::vector<std::pair<int, CommandFactory>>& registry() {
  static std::vector<std::pair<int, CommandFactory>> commands;
  return commands;
}

}  // namespace

std::string& program_path_storage() {
  static std::string path = "simbus";
  return path;
}

const std::string& program_path() { return program_path_storage(); }

CommandRegistration::CommandRegistration(int order, CommandFactory factory) {
  registry().emplace_back(order, factory);
}

}  // namespace simbus::cli

namespace simbus::cli {
std::string& program_path_storage();
}

int main(int argc, char** argv) {
  using namespace simbus::cli;
  simbus::targets::register_all();
  if (argc > 0 && argv[0] != nullptr) program_path_storage() = argv[0];
  CLI::App app{"simbus: deterministic simulation and checking of concurrent and distributed programs"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "simbus 0.1.0");

  auto commands = registry();
  std::sort(commands.begin(), commands.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
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
    app.exit(e);  // prints the message naming the bad argument
    return kExitUsage;
  }

  for (auto& [sub, runner] : runners) {
    if (sub->parsed()) {
      try {
        return runner();
      } catch (const UsageError& e) {
        std::fprintf(stderr, "simbus %s: %s\n", sub->get_name().c_str(), e.what());
        return kExitUsage;
      } catch (const simbus::scenarios::UsageError& e) {
        std::fprintf(stderr, "simbus %s: %s\n", sub->get_name().c_str(), e.what());
        return kExitUsage;
      } catch (const std::exception& e) {
        std::fprintf(stderr, "simbus %s: error: %s\n", sub->get_name().c_str(), e.what());
        return kExitUsage;
      }
    }
  }
  return kExitUsage;
}
