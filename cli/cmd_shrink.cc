// `simbus shrink FILE -o OUT`: from a failing trace, a smaller choice log that fails the
// same check; OUT replays with `simbus replay OUT`.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <chrono>
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
  auto* cmd = app.add_subcommand("shrink", "find a smaller execution that fails the same way");
  cmd->add_option("file", opts->path, "failing trace file (simbus run --trace)")->required();
  cmd->add_option("-o,--output", opts->out_path, "where to write the shrunk trace")->required();
  cmd->add_option("--attempts", opts->shrink.attempts_max, "candidate executions at most (default 5000)")
      ->check(whole_number(1, kAttemptsMax));
  cmd->add_option("--steps-budget", opts->shrink.candidate_steps_max,
                  "simulated steps over all candidates at most (default 8000000)")
      ->check(whole_number(1, kStepsBudgetMax));
  cmd->add_option("--time-limit", opts->shrink.time_limit_s,
                  "wall-time guard in seconds (default 60, 0: none); a shrink it stops depends on the machine")
      ->check(seconds(kSecondsMax));
  cmd->add_option("--margin", opts->shrink.margin_percent,
                  "cut margin: candidates stop this many percent past the original's first failure (default 10)")
      ->check(whole_number(0, 1'000));
  cmd->add_flag("--no-cut", [opts](std::int64_t) { opts->shrink.cut = false; },
                "run every candidate to the scenario's end");
  cmd->add_flag("--keep-params", [opts](std::int64_t) { opts->shrink.reduce_params = false; },
                "do not reduce the scenario's parameters");
  return [opts] {
    LoadedTrace trace = load_trace(opts->path);
    const auto started = std::chrono::steady_clock::now();
    ShrinkOutcome out;
    try {
      out = shrink_execution(trace.request, opts->shrink);
    } catch (const scenarios::UsageError& e) {
      throw UsageError(fmt::format("{}: {}", opts->path, e.what()));
    }
    const double seconds_taken = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    // The result must replay exactly, like any trace: check before writing it.
    scenarios::RunRequest check = out.request;
    check.replay = out.shrunk.log;
    const scenarios::RunResult again = scenarios::run_scenario(check);
    if (again.outcome.trace_hash != out.shrunk.outcome.trace_hash ||
        failure_signature(again) != failure_signature(out.original)) {
      std::fprintf(stderr, "simbus shrink: internal error: the shrunk log does not replay (hash %016llx vs %016llx)\n",
                   static_cast<unsigned long long>(again.outcome.trace_hash),
                   static_cast<unsigned long long>(out.shrunk.outcome.trace_hash));
      return static_cast<int>(kExitUsage);
    }
    scenarios::RunRequest naming = out.request;
    naming.replay.reset();
    sim::TraceFile shrunk = make_trace(naming, out.shrunk);
    shrunk.header.emplace_back("shrunk-from", fmt::format("{} choices", out.original.log.size()));
    write_file_atomically(opts->out_path, sim::format_trace(shrunk));

    const ExecutionSize before = measure(out.original, trace.request.skip);
    const ExecutionSize after = measure(out.shrunk, out.request.skip);
    const PointCounts points_before = count_points(out.original, trace.request.skip);
    const PointCounts points_after = count_points(out.shrunk, out.request.skip);
    auto line = [](const char* name, unsigned long long a, unsigned long long b) {
      std::printf("%s: %llu -> %llu\n", name, a, b);
    };
    std::printf("scenario: %s\n", trace.request.scenario.c_str());
    std::printf("check: %s\n", out.original.outcome.check.c_str());
    std::printf("signature: %s\n", failure_signature(out.original).c_str());
    line("choices", before.choices, after.choices);
    line("steps", before.steps, after.steps);
    line("virtual-time-us", static_cast<unsigned long long>(out.original.outcome.now_us),
         static_cast<unsigned long long>(out.shrunk.outcome.now_us));
    line("faults", points_before.faults, points_after.faults);
    line("operations", points_before.operations, points_after.operations);
    line("context-switches", before.switches, after.switches);
    line("nonzero-data-choices", before.data_nonzero, after.data_nonzero);
    std::string params;
    for (const auto& [k, v] : out.request.params) {
      std::string was;
      for (const auto& [k0, v0] : out.original.params) {
        if (k0 == k && std::to_string(v0) != v) was = std::to_string(v0) + "->";
      }
      if (!was.empty()) params += fmt::format("{}{}={}{}", params.empty() ? "" : " ", k, was, v);
    }
    std::printf("params: %s\n", params.empty() ? "unchanged" : params.c_str());
    if (out.request.cap_time_us != 0) {
      std::printf("cut: judged at %lld us (first failure of the original at %lld us)\n",
                  static_cast<long long>(out.request.cap_time_us), static_cast<long long>(out.first_failure_us));
    }
    std::printf("attempts: %llu (accepted %llu, %llu candidate steps%s)\n", static_cast<unsigned long long>(out.attempts),
                static_cast<unsigned long long>(out.accepted), static_cast<unsigned long long>(out.candidate_steps),
                out.time_limit_hit ? ", wall-time limit hit: the result depends on this machine's speed"
                : out.budget_hit   ? ", budget hit"
                                   : "");
    std::printf("seconds: %.1f\n", seconds_taken);
    std::printf("trace-hash: %016llx\n", static_cast<unsigned long long>(out.shrunk.outcome.trace_hash));
    std::printf("FAIL %s: %s\n", out.shrunk.outcome.check.c_str(), out.shrunk.outcome.message.c_str());
    std::printf("wrote: %s\n", opts->out_path.c_str());
    std::printf("reproduce: %s replay %s\n", program_path().c_str(), opts->out_path.c_str());
    return static_cast<int>(kExitFailed);
  };
}

}  // namespace simbus::cli
