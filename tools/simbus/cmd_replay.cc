// `simbus replay FILE`: re-executes a trace file's choice log exactly; exit 2 naming the
// first divergent step if the execution leaves the log or ends with another hash.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <charconv>
#include <cstdio>
#include <memory>

#include "sim/trace_file.h"
#include "tools/simbus/command.h"
#include "tools/simbus/run_common.h"

namespace simbus::cli {
namespace {

struct ReplayOptions {
  std::string path;
  bool verbose = false;
  std::uint64_t until_step = 0;
};

scenarios::RunRequest request_from_trace(const sim::TraceFile& trace, const std::string& path) {
  scenarios::RunRequest request;
  request.scenario = trace.get("scenario");
  if (request.scenario.empty()) throw UsageError(fmt::format("{}: no 'scenario' in the header", path));
  const std::string seed = trace.get("seed");
  auto r = std::from_chars(seed.data(), seed.data() + seed.size(), request.seed);
  if (seed.empty() || r.ec != std::errc() || r.ptr != seed.data() + seed.size()) {
    throw UsageError(fmt::format("{}: bad seed '{}' in the header", path, seed));
  }
  request.strategy = trace.get("strategy").empty() ? "random" : trace.get("strategy");
  request.bug = trace.get("bug") == "-" ? "" : trace.get("bug");
  request.params = parse_params(trace.get_all("param"));
  request.replay = trace.choices;
  return request;
}

Runner add_replay(CLI::App& app) {
  auto opts = std::make_shared<ReplayOptions>();
  auto* cmd = app.add_subcommand("replay", "re-execute a trace file exactly");
  cmd->add_option("file", opts->path, "trace file written by 'simbus run --trace'")->required();
  cmd->add_flag("--verbose", opts->verbose, "print every step: virtual time, node, fiber, action");
  cmd->add_option("--until", opts->until_step, "stop before this step and print every fiber's state");
  return [opts] {
    const std::string text = read_file_or_throw(opts->path);
    sim::TraceFile trace;
    std::string error;
    if (!sim::parse_trace(text, opts->path, &trace, &error)) throw UsageError(error);
    scenarios::RunRequest request = request_from_trace(trace, opts->path);
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

SIMBUS_REGISTER_COMMAND(30, add_replay);

}  // namespace
}  // namespace simbus::cli
