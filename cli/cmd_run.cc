// `simbus run SCENARIO`: one execution, its trace-hash, and on failure how to get it back.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <memory>

#include "sim/trace_file.h"
#include "cli/command.h"
#include "cli/run_common.h"
#include "cli/trace_io.h"

namespace simbus::cli {
namespace {

struct RunOptions {
  std::string scenario;
  CommonFlags common;
  std::string trace_path;
  std::string schedule;
  bool check_determinism = false;
  std::string history_path;
  std::string deliveries_path;
};

}  // namespace

Runner add_run(CLI::App& app) {
  auto opts = std::make_shared<RunOptions>();
  auto* cmd = app.add_subcommand("run", "run one execution of a scenario");
  cmd->add_option("scenario", opts->scenario, "scenario name (see 'simbus list')")->required();
  add_common_flags(*cmd, opts->common);
  cmd->add_option("--trace", opts->trace_path, "write the trace (header + choice log) to FILE");
  cmd->add_option("--schedule", opts->schedule, "follow this compact schedule (from a reproduce: line)");
  cmd->add_option("--history", opts->history_path,
                  "write the client-visible history as JSON Lines (re-check it with 'simbus check')");
  cmd->add_option("--deliveries", opts->deliveries_path, "write the delivery log as JSON Lines");
  cmd->add_flag("--check-determinism", opts->check_determinism,
                "run twice and name the first step where the runs part");
  return [opts] {
    scenarios::RunRequest request = make_request(opts->scenario, opts->common);
    if (!opts->schedule.empty()) {
      std::vector<std::uint32_t> indices;
      std::string error;
      if (!sim::decode_schedule(opts->schedule, &indices, &error)) throw UsageError("--schedule: " + error);
      request.schedule = std::move(indices);
    }
    if (opts->check_determinism) {
      const auto report = scenarios::check_determinism(request);
      std::printf("run 1 trace-hash: %016llx\n", static_cast<unsigned long long>(report.hash_a));
      std::printf("run 2 trace-hash: %016llx\n", static_cast<unsigned long long>(report.hash_b));
      if (!report.same) {
        std::printf("FAIL determinism: %s\n", report.difference.c_str());
        return static_cast<int>(kExitFailed);
      }
      std::printf("determinism: same execution twice\n");
    }
    request.record_history = !opts->history_path.empty() || !opts->deliveries_path.empty();
    print_header(request);
    const scenarios::RunResult result = scenarios::run_scenario(request);
    if (!opts->history_path.empty()) {
      if (result.history_jsonl.empty()) throw UsageError(fmt::format("scenario '{}' records no history", request.scenario));
      write_file_atomically(opts->history_path, result.history_jsonl);
    }
    if (!opts->deliveries_path.empty()) {
      if (result.deliveries_jsonl.empty()) {
        throw UsageError(fmt::format("scenario '{}' records no delivery log", request.scenario));
      }
      write_file_atomically(opts->deliveries_path, result.deliveries_jsonl);
    }
    if (!opts->trace_path.empty()) {
      write_file_atomically(opts->trace_path, sim::format_trace(make_trace(request, result)));
    }
    return print_outcome(request, result, /*header_printed=*/true);
  };
}

}  // namespace simbus::cli
