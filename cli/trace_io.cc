#include "cli/trace_io.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "cli/command.h"
#include "cli/run_common.h"
#include "store/store.h"

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
  // A shrunk trace is judged at a cap and may skip faults and operations.
  auto number = [&](const char* key, auto* value) {
    const std::string text = out.file.get(key);
    if (text.empty()) return;
    auto parsed = std::from_chars(text.data(), text.data() + text.size(), *value);
    if (parsed.ec != std::errc() || parsed.ptr != text.data() + text.size() || *value <= 0) {
      throw UsageError(fmt::format("{}: bad {} '{}' in the header (a positive integer)", path, key, text));
    }
  };
  number("cap-steps", &request.cap_steps);
  number("cap-us", &request.cap_time_us);
  request.skip = out.file.get_all("skip");
  std::sort(request.skip.begin(), request.skip.end());
  request.skip.erase(std::unique(request.skip.begin(), request.skip.end()), request.skip.end());
  request.replay = out.file.choices;
  return out;
}

sim::TraceFile make_trace(const scenarios::RunRequest& request, const scenarios::RunResult& result) {
  sim::TraceFile trace;
  trace.header = {{"version", "simbus " + store::binary_version()},
                  {"scenario", request.scenario},
                  {"seed", std::to_string(request.seed)},
                  {"strategy", request.strategy},
                  {"bug", request.bug.empty() ? "-" : request.bug}};
  for (const auto& [k, v] : request.params) trace.header.emplace_back("param", k + "=" + v);
  if (request.cap_steps != 0) trace.header.emplace_back("cap-steps", std::to_string(request.cap_steps));
  if (request.cap_time_us != 0) trace.header.emplace_back("cap-us", std::to_string(request.cap_time_us));
  for (const std::string& key : request.skip) trace.header.emplace_back("skip", key);
  trace.header.emplace_back("status", sim::run_status_name(result.outcome.status));
  trace.header.emplace_back("steps", std::to_string(result.outcome.steps));
  trace.header.emplace_back("trace-hash", fmt::format("{:016x}", result.outcome.trace_hash));
  trace.choices = result.log;
  return trace;
}

}  // namespace simbus::cli
