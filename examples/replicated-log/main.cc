// The service's own simbus program: its scenario, every simbus subcommand, and one
// command of its own.
//   ./replicated_log explore replicated-log --runs 1000
//   ./replicated_log explore replicated-log --param backup_fsync=0   # finds the seeded bug
//   ./replicated_log sweep --runs 200                                # the bug against loss rates
// Its reproduce: lines name this program, so they paste back as they are.
#include <CLI/CLI.hpp>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "cli/cli.h"
#include "replicated_log.h"
#include "testing/explore.h"

namespace {

// `sweep`: how often the seeded bug (backups acknowledge before fsync) shows at each
// datagram loss rate: a command of the program's own, built on testing/explore.h.
simbus::cli::Runner add_sweep(CLI::App& app) {
  auto runs = std::make_shared<std::uint64_t>(100);
  auto* cmd = app.add_subcommand("sweep", "explore replicated-log with backup_fsync=0 at loss rates 0..50%");
  cmd->add_option("--runs", *runs, "seeds per loss rate (default 100)")->check(CLI::Range(1, 100'000));
  return [runs] {
    for (int drop_pct = 0; drop_pct <= 50; drop_pct += 10) {
      simbus::testing::ExploreOptions options;
      options.runs = *runs;
      options.stop_on_fail = false;
      options.params = {{"drop_pct", std::to_string(drop_pct)}, {"backup_fsync", "0"}};
      const auto result = simbus::testing::explore("replicated-log", options);
      std::printf("drop %d%%: %llu of %llu seeds fail\n", drop_pct, static_cast<unsigned long long>(result.failures),
                  static_cast<unsigned long long>(result.executions));
    }
    return static_cast<int>(simbus::cli::kExitOk);
  };
}

}  // namespace

int main(int argc, char** argv) {
  example::register_replicated_log();
  simbus::cli::add_command(50, add_sweep);
  return simbus::cli::main(argc, argv);
}
