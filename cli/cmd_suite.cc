// `simbus suite NAME`: every entry of a suite over its seeds; one line per entry; exit 1
// if any must-pass entry failed or any must-find entry found nothing.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <memory>

#include "scenarios/suite.h"
#include "cli/command.h"
#include "cli/options.h"
#include "cli/run_common.h"

namespace simbus::cli {
namespace {

struct SuiteOptions {
  std::string name;
  unsigned jobs = 1;
  std::string bug;
  std::string strategy = "random";
};

}  // namespace

Runner add_suite(CLI::App& app) {
  auto opts = std::make_shared<SuiteOptions>();
  auto* cmd = app.add_subcommand("suite", "run a suite of scenarios over many seeds (smoke, ci, nightly)");
  cmd->add_option("name", opts->name, "suite name")->required();
  cmd->add_option("--jobs", opts->jobs, "worker processes")->check(whole_number(1, 256));
  cmd->add_option("--bug", opts->bug, "switch on one seeded bug in every run");
  cmd->add_option("--strategy", opts->strategy, "exploration strategy (default random)");
  return [opts] {
    const scenarios::Suite* suite = scenarios::find_suite(opts->name);
    if (suite == nullptr) {
      std::string known;
      for (const auto* s : scenarios::all_suites()) known += (known.empty() ? "" : ", ") + s->name;
      throw UsageError(fmt::format("unknown suite '{}' (known: {})", opts->name, known));
    }
    bool suite_failed = false;
    std::vector<std::string> failure_lines;
    for (const scenarios::SuiteEntry& entry : suite->entries) {
      std::vector<scenarios::RunRequest> requests;
      for (std::uint64_t seed = 1; seed <= entry.seeds; ++seed) {
        scenarios::RunRequest r;
        r.scenario = entry.scenario;
        r.seed = seed;
        r.params = entry.params;
        r.strategy = opts->strategy;
        r.bug = opts->bug;
        requests.push_back(std::move(r));
      }
      std::vector<TaskResult> results(requests.size());
      WorkerOptions wo;
      wo.jobs = opts->jobs;
      wo.chunk_tasks = std::max<std::size_t>(1, requests.size() / (opts->jobs * 4));
      run_tasks(
          requests.size(), wo, [&](std::size_t i) { return execute_request(requests[i], i); },
          [&](const TaskResult& r) {
            results[r.index] = r;
            return true;
          });
      std::size_t failures = 0;
      std::size_t expected_found = 0;
      const TaskResult* first_unexpected = nullptr;
      const TaskResult* slowest = &results.front();
      for (const TaskResult& r : results) {
        if (r.code == kExitUsage) throw UsageError(r.message);
        if (r.wall_us > slowest->wall_us) slowest = &r;
        if (r.code == kExitOk) continue;
        failures += 1;
        if (!entry.expect_check.empty() && r.check == entry.expect_check && opts->bug.empty()) {
          expected_found += 1;
        } else if (first_unexpected == nullptr) {
          first_unexpected = &r;
        }
      }
      std::string label = entry.scenario;
      for (const auto& [k, v] : entry.params) label += fmt::format(" {}={}", k, v);
      std::string verdict = "ok";
      if (first_unexpected != nullptr) {
        verdict = "FAILED";
        suite_failed = true;
        failure_lines.push_back(fmt::format("FAIL {}: {}", first_unexpected->check, first_unexpected->message));
        failure_lines.push_back(fmt::format("reproduce: {}", first_unexpected->reproduce));
      } else if (!entry.expect_check.empty() && opts->bug.empty() && expected_found == 0) {
        verdict = fmt::format("FAILED (expected to find {} and did not)", entry.expect_check);
        suite_failed = true;
      } else if (!entry.expect_check.empty() && opts->bug.empty()) {
        verdict = fmt::format("ok (found {} as expected)", entry.expect_check);
      }
      std::printf("%-40s runs %-6zu failures %-6zu slowest seed %llu (%.1f ms)  %s\n", label.c_str(), results.size(),
                  failures, static_cast<unsigned long long>(requests[slowest->index].seed),
                  static_cast<double>(slowest->wall_us) / 1000.0, verdict.c_str());
      std::fflush(stdout);
    }
    for (const std::string& line : failure_lines) std::printf("%s\n", line.c_str());
    std::printf("suite %s: %s\n", suite->name.c_str(), suite_failed ? "FAILED" : "passed");
    return suite_failed ? static_cast<int>(kExitFailed) : static_cast<int>(kExitOk);
  };
}

}  // namespace simbus::cli
