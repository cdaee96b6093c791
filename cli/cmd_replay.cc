// `simbus replay FILE`: re-executes a trace file's choice log exactly; exit 2 naming the
// first divergent step if the execution leaves the log or ends with another hash.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <charconv>
#include <cstdio>
#include <memory>

#include "sim/trace_file.h"
#include "cli/command.h"
#include "cli/options.h"
#include "cli/run_common.h"
#include "cli/trace_io.h"

namespace simbus::cli {
namespace {

struct ReplayOptions {
  std::string path;
  bool verbose = false;
  std::uint64_t until_step = 0;
};

}  // namespace

Runner add_replay(CLI::App& app) {
  auto opts = std::make_shared<ReplayOptions>();
  auto* cmd = app.add_subcommand("replay", "re-execute a trace file exactly");
  cmd->add_option("file", opts->path, "trace file written by 'simbus run --trace'")->required();
  cmd->add_flag("--verbose", opts->verbose, "print every step: virtual time, node, fiber, action");
  cmd->add_option("--until", opts->until_step, "stop before this step and print every fiber's state")
      ->check(whole_number(0, INT64_MAX));
  return [opts] {
    LoadedTrace loaded = load_trace(opts->path);
    const sim::TraceFile& trace = loaded.file;
    scenarios::RunRequest request = loaded.request;
    request.record_steps = opts->verbose;
    request.stop_before_step = opts->until_step;
    const scenarios::RunResult result = scenarios::run_scenario(request);
    if (opts->verbose) {
      for (const std::string& line : result.step_lines) std::printf("%s\n", line.c_str());
    }
    if (result.outcome.status == sim::RunStatus::kStopped) {
      std::printf("stopped before step %llu at t=%lld us\n", static_cast<unsigned long long>(opts->until_step),
                  static_cast<long long>(result.outcome.now_us));
      std::printf("fibers:\n%s", result.fibers.c_str());
      std::printf("trace-hash: %016llx (partial)\n", static_cast<unsigned long long>(result.outcome.trace_hash));
      return static_cast<int>(kExitOk);
    }
    const int code = print_outcome(request, result);
    if (code == kExitUsage) return code;
    const std::string expected = trace.get("trace-hash");
    const std::string actual = fmt::format("{:016x}", result.outcome.trace_hash);
    if (!expected.empty() && expected != actual) {
      std::fprintf(stderr, "simbus replay: %s: trace-hash %s differs from the recorded %s (the binary or the "
                   "scenario changed)\n", opts->path.c_str(), actual.c_str(), expected.c_str());
      return static_cast<int>(kExitUsage);
    }
    return code;
  };
}

}  // namespace simbus::cli
