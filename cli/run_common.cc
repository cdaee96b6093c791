#include "cli/run_common.h"
#include "cli/options.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <fstream>

#include "base/input_file.h"
#include "cli/command.h"
#include "cli/explore_report.h"

namespace simbus::cli {

void add_common_flags(CLI::App& cmd, CommonFlags& flags, bool with_seed) {
  if (with_seed) cmd.add_option("--seed", flags.seed, "the seed of the execution (a 64-bit integer)")
      ->check(whole_number(0, UINT64_MAX));
  cmd.add_option("--param", flags.params, "set a scenario parameter, KEY=VALUE (repeatable)");
  cmd.add_option("--strategy", flags.strategy, "exploration strategy (default random)");
  cmd.add_option("--bug", flags.bug, "switch on one seeded bug (see 'simbus bugs')");
}

std::vector<std::pair<std::string, std::string>> parse_params(const std::vector<std::string>& params) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const std::string& p : params) {
    const auto eq = p.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw UsageError(fmt::format("--param '{}': expected KEY=VALUE", p));
    }
    out.emplace_back(p.substr(0, eq), p.substr(eq + 1));
  }
  return out;
}

scenarios::RunRequest make_request(const std::string& scenario, const CommonFlags& flags) {
  scenarios::RunRequest request;
  request.scenario = scenario;
  request.seed = flags.seed;
  request.params = parse_params(flags.params);
  request.strategy = flags.strategy;
  request.bug = flags.bug;
  return request;
}

int exit_code_for(const scenarios::RunResult& result) {
  switch (result.outcome.status) {
    case sim::RunStatus::kOk:
    case sim::RunStatus::kStopped:
      return kExitOk;
    case sim::RunStatus::kFailed:
    case sim::RunStatus::kDeadlock:
    case sim::RunStatus::kLivelock:
      return kExitFailed;
    case sim::RunStatus::kDiverged:
      return kExitUsage;
  }
  return kExitUsage;
}

namespace {

void print_header_lines(const scenarios::RunRequest& request,
                        const std::vector<std::pair<std::string, std::int64_t>>& resolved) {
  std::string params;
  for (const auto& [k, v] : resolved) params += fmt::format("{}{}={}", params.empty() ? "" : " ", k, v);
  std::printf("scenario: %s\n", request.scenario.c_str());
  std::printf("seed: %llu\n", static_cast<unsigned long long>(request.seed));
  std::printf("strategy: %s\n", request.replay ? "replay" : request.strategy.c_str());
  if (!params.empty()) std::printf("params: %s\n", params.c_str());
  if (!request.bug.empty()) std::printf("bug: %s\n", request.bug.c_str());
}

}  // namespace

void print_header(const scenarios::RunRequest& request) {
  print_header_lines(request, scenarios::validate_request(request));
  std::fflush(stdout);
}

int print_outcome(const scenarios::RunRequest& request, const scenarios::RunResult& result) {
  return print_outcome(request, result, false);
}

int print_outcome(const scenarios::RunRequest& request, const scenarios::RunResult& result, bool header_printed) {
  if (!header_printed) print_header_lines(request, result.params);
  for (const std::string& line : result.report) std::printf("%s\n", line.c_str());
  std::printf("steps: %llu\n", static_cast<unsigned long long>(result.outcome.steps));
  std::printf("virtual-time: %lld us\n", static_cast<long long>(result.outcome.now_us));
  std::printf("choices: %zu\n", result.log.size());
  std::printf("trace-hash: %016llx\n", static_cast<unsigned long long>(result.outcome.trace_hash));
  const int code = exit_code_for(result);
  if (code == kExitOk) {
    std::printf("result: %s\n", result.outcome.status == sim::RunStatus::kStopped ? "stopped" : "ok");
  } else if (code == kExitFailed) {
    std::printf("result: FAIL\n");
    std::printf("FAIL %s: %s\n", result.outcome.check.c_str(), result.outcome.message.c_str());
    // A replayed trace (perhaps shrunk) is not the seed's own schedule: name its schedule,
    // and check that the line brings back this execution (a shrunk trace's data choices,
    // e.g. fewer faults, may differ from the seed's, and then only the file reproduces it).
    scenarios::RunRequest named = request;
    std::string line;
    if (named.replay) {
      named.replay.reset();
      std::string error;
      std::vector<std::uint32_t> indices;
      const bool decoded = sim::decode_schedule(sim::encode_schedule(result.log), &indices, &error);
      named.schedule = indices;
      named.record_steps = false;
      named.stop_before_step = 0;
      // A shrunk trace judged at a cut or skipping faults has no `run` command line.
      const bool shrunk_setup = named.cap_steps != 0 || named.cap_time_us != 0 || !named.skip.empty();
      if (!shrunk_setup && decoded &&
          scenarios::run_scenario(named).outcome.trace_hash == result.outcome.trace_hash) {
        line = scenarios::reproduce_command(program_path(), named, result);
      } else {
        line = fmt::format("{} replay TRACE-FILE   (this trace's data choices are not seed {}'s: only the "
                           "file reproduces it)",
                           program_path(), request.seed);
      }
    } else {
      line = scenarios::reproduce_command(program_path(), named, result);
    }
    std::printf("reproduce: %s\n", line.c_str());
  } else {
    std::printf("result: diverged\n");
    std::fprintf(stderr, "simbus: the execution diverged from the log: %s\n", result.outcome.message.c_str());
  }
  std::fflush(stdout);
  return code;
}

std::string read_file_or_throw(const std::string& path) {
  try {
    return base::read_input(path);
  } catch (const base::InputError& e) {
    throw UsageError(e.what());
  }
}

void write_file_atomically(const std::string& path, const std::string& contents) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw UsageError(fmt::format("cannot write '{}'", path));
    out << contents;
    out.flush();
    if (!out) throw UsageError(fmt::format("error while writing '{}'", path));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw UsageError(fmt::format("cannot write '{}'", path));
  }
}

}  // namespace simbus::cli

#include <chrono>

namespace simbus::cli {

TaskResult execute_request(const scenarios::RunRequest& request, std::size_t index) {
  const auto start = std::chrono::steady_clock::now();
  TaskResult r;
  r.index = index;
  try {
    const scenarios::RunResult result = scenarios::run_scenario(request);
    r.code = exit_code_for(result);
    r.status = sim::run_status_name(result.outcome.status);
    r.check = result.outcome.check;
    r.message = result.outcome.message;
    r.site = result.outcome.site;
    r.trace_hash = result.outcome.trace_hash;
    r.schedule_hash = schedule_hash(result.log);
    r.choices = result.log.size();
    r.steps = result.outcome.steps;
    if (r.code == kExitFailed) r.reproduce = scenarios::reproduce_command(program_path(), request, result);
  } catch (const scenarios::UsageError& e) {
    r.code = kExitUsage;
    r.status = "usage";
    r.message = e.what();
  }
  r.wall_us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace simbus::cli
