#include "cli/trace_io.h"

#include <fmt/format.h>

#include <charconv>

#include "cli/command.h"
#include "cli/run_common.h"

namespace simbus::cli {

LoadedTrace load_trace(const std::string& path) {
  LoadedTrace out;
  const std::string text = read_file_or_throw(path);
  std::string error;
  if (!sim::parse_trace(text, path, &out.file, &error)) throw UsageError(error);
  scenarios::RunRequest& request = out.request;
  request.scenario = out.file.get("scenario");
  if (request.scenario.empty()) throw UsageError(fmt::format("{}: no 'scenario' in the header", path));
  if (scenarios::find_scenario(request.scenario) == nullptr) {
    throw UsageError(fmt::format("{}: unknown scenario '{}' in the header", path, request.scenario));
  }
  const std::string seed = out.file.get("seed");
  auto r = std::from_chars(seed.data(), seed.data() + seed.size(), request.seed);
  if (seed.empty() || r.ec != std::errc() || r.ptr != seed.data() + seed.size()) {
    throw UsageError(fmt::format("{}: bad seed '{}' in the header", path, seed));
  }
  request.strategy = out.file.get("strategy").empty() ? "random" : out.file.get("strategy");
  request.bug = out.file.get("bug") == "-" ? "" : out.file.get("bug");
  try {
    request.params = parse_params(out.file.get_all("param"));
  } catch (const UsageError& e) {
    throw UsageError(fmt::format("{}: {}", path, e.what()));
  }
  request.replay = out.file.choices;
  return out;
}

sim::TraceFile make_trace(const scenarios::RunRequest& request, const scenarios::RunResult& result) {
  sim::TraceFile trace;
  trace.header = {{"version", "simbus 0.1.0"},
                  {"scenario", request.scenario},
                  {"seed", std::to_string(request.seed)},
                  {"strategy", request.strategy},
                  {"bug", request.bug.empty() ? "-" : request.bug}};
  for (const auto& [k, v] : request.params) trace.header.emplace_back("param", k + "=" + v);
  trace.header.emplace_back("status", sim::run_status_name(result.outcome.status));
  trace.header.emplace_back("steps", std::to_string(result.outcome.steps));
  trace.header.emplace_back("trace-hash", fmt::format("{:016x}", result.outcome.trace_hash));
  trace.choices = result.log;
  return trace;
}

}  // namespace simbus::cli
