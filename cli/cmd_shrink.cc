// `simbus shrink FILE -o OUT`: from a failing trace, a smaller choice log that fails the
// same check; OUT replays with `simbus replay OUT`.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <memory>

#include "cli/command.h"
#include "cli/options.h"
#include "cli/run_common.h"
#include "cli/shrink.h"
#include "cli/trace_io.h"

namespace simbus::cli {
namespace {

struct ShrinkCmdOptions {
  std::string path;
  std::string out_path;
  ShrinkOptions shrink;
};

}  // namespace

Runner add_shrink(CLI::App& app) {
  auto opts = std::make_shared<ShrinkCmdOptions>();
  auto* cmd = app.add_subcommand("shrink", "find a smaller execution that fails the same check");
  cmd->add_option("file", opts->path, "failing trace file (simbus run --trace)")->required();
  cmd->add_option("-o,--output", opts->out_path, "where to write the shrunk trace")->required();
  cmd->add_option("--attempts", opts->shrink.attempts_max, "candidate executions at most (default 5000)")
      ->check(whole_number(1, kAttemptsMax));
  cmd->add_option("--time-limit", opts->shrink.time_limit_s, "wall-time budget in seconds (default 60, 0: none)")
      ->check(seconds(kSecondsMax));
  return [opts] {
    LoadedTrace trace = load_trace(opts->path);
    ShrinkOutcome out;
    try {
      out = shrink_execution(trace.request, opts->shrink);
    } catch (const scenarios::UsageError& e) {
      throw UsageError(fmt::format("{}: {}", opts->path, e.what()));
    }
    // The result must replay exactly, like any trace: check before writing it.
    scenarios::RunRequest check = trace.request;
    check.replay = out.shrunk.log;
    const scenarios::RunResult again = scenarios::run_scenario(check);
    if (again.outcome.trace_hash != out.shrunk.outcome.trace_hash || again.outcome.check != out.original.outcome.check) {
      std::fprintf(stderr, "simbus shrink: internal error: the shrunk log does not replay (hash %016llx vs %016llx)\n",
                   static_cast<unsigned long long>(again.outcome.trace_hash),
                   static_cast<unsigned long long>(out.shrunk.outcome.trace_hash));
      return static_cast<int>(kExitUsage);
    }
    scenarios::RunRequest naming = trace.request;
    naming.replay.reset();
    sim::TraceFile shrunk = make_trace(naming, out.shrunk);
    shrunk.header.emplace_back("shrunk-from", fmt::format("{} choices", out.original.log.size()));
    write_file_atomically(opts->out_path, sim::format_trace(shrunk));

    const ExecutionSize before = measure(out.original);
    const ExecutionSize after = measure(out.shrunk);
    std::printf("scenario: %s\n", trace.request.scenario.c_str());
    std::printf("check: %s\n", out.original.outcome.check.c_str());
    std::printf("choices: %llu -> %llu\n", static_cast<unsigned long long>(before.choices),
                static_cast<unsigned long long>(after.choices));
    std::printf("steps: %llu -> %llu\n", static_cast<unsigned long long>(before.steps),
                static_cast<unsigned long long>(after.steps));
    std::printf("context-switches: %llu -> %llu\n", static_cast<unsigned long long>(before.switches),
                static_cast<unsigned long long>(after.switches));
    std::printf("nonzero-data-choices: %llu -> %llu\n", static_cast<unsigned long long>(before.data_nonzero),
                static_cast<unsigned long long>(after.data_nonzero));
    std::printf("attempts: %llu (accepted %llu%s)\n", static_cast<unsigned long long>(out.attempts),
                static_cast<unsigned long long>(out.accepted), out.budget_hit ? ", budget hit" : "");
    std::printf("trace-hash: %016llx\n", static_cast<unsigned long long>(out.shrunk.outcome.trace_hash));
    std::printf("FAIL %s: %s\n", out.shrunk.outcome.check.c_str(), out.shrunk.outcome.message.c_str());
    std::printf("wrote: %s\n", opts->out_path.c_str());
    std::printf("reproduce: %s replay %s\n", program_path().c_str(), opts->out_path.c_str());
    return static_cast<int>(kExitFailed);
  };
}

}  // namespace simbus::cli
