// DPOR on the runtime's lock-heavy scenarios (mutex-counter, philosophers, SCTBench
// re-expressions): the complete executions `dpor` explores are exactly the Mazurkiewicz
// traces that `dfs` reaches (every interleaving, grouped by trace key), every trace on
// which dfs finds a bug dpor explores too, and no exploration is sleep-set blocked.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>

#include "scenarios/scenario.h"
#include "tests/sim/strategy_test_util.h"

namespace simbus::scenarios {
namespace {

struct Explored {
  std::uint64_t executions = 0;
  std::uint64_t blocked = 0;
  bool exhausted = false;
  std::set<std::string> keys;
  std::set<std::string> failing;
};

Explored explore_scenario(const std::string& scenario, std::vector<std::pair<std::string, std::string>> params,
                          const std::string& strategy, std::uint64_t attempts_max) {
  auto recorder = std::make_shared<sim::testing::Recorder>(sim::testing::strategy_named(strategy));
  RunRequest request;
  request.scenario = scenario;
  request.params = std::move(params);
  request.strategy = strategy;
  request.strategy_object = recorder;
  Explored out;
  for (std::uint64_t i = 0; i < attempts_max && !recorder->exhausted(); ++i) {
    const RunResult result = run_scenario(request);
    if (recorder->last_execution_blocked()) {
      out.blocked += 1;
      continue;
    }
    EXPECT_NE(result.outcome.status, sim::RunStatus::kDiverged) << scenario << ": " << result.outcome.message;
    out.executions += 1;
    const std::string key = sim::testing::trace_key(recorder->executed, recorder->released);
    out.keys.insert(key);
    if (!result.passed()) out.failing.insert(key);
  }
  out.exhausted = recorder->exhausted();
  return out;
}

// traces: the expected number of Mazurkiewicz traces, or 0 for a scenario whose check
// fails inside the run (see below).
void expect_dpor_exact(const std::string& scenario, std::vector<std::pair<std::string, std::string>> params,
                       std::uint64_t traces) {
  const std::string what = fmt::format("{} {}", scenario, params.empty() ? "" : params.front().second);
  const Explored dfs = explore_scenario(scenario, params, "dfs", 20'000);
  const Explored dpor = explore_scenario(scenario, params, "dpor", 20'000);
  std::printf("%s: dfs %llu executions, %zu traces (%zu failing); dpor %llu complete (%zu failing), %llu blocked\n",
              what.c_str(), static_cast<unsigned long long>(dfs.executions), dfs.keys.size(), dfs.failing.size(),
              static_cast<unsigned long long>(dpor.executions), dpor.failing.size(),
              static_cast<unsigned long long>(dpor.blocked));
  if (std::getenv("DPOR_SCENARIOS_DEBUG") != nullptr) {
    for (const auto& k : dfs.keys) {
      if (dpor.keys.count(k) == 0) std::printf("  dfs only: %s%s\n", k.c_str(), dfs.failing.count(k) ? " (failing)" : "");
    }
    for (const auto& k : dpor.keys) std::printf("  dpor: %s\n", k.c_str());
  }
  ASSERT_TRUE(dfs.exhausted) << what;
  ASSERT_TRUE(dpor.exhausted) << what;
  EXPECT_EQ(dpor.blocked, 0u) << what;
  if (traces == 0) {
    // A check that fails inside the run stops the world there: the failing executions are
    // cut at interleaving-dependent points, so only the passing traces compare exactly.
    std::set<std::string> dfs_passing, dpor_passing;
    for (const auto& k : dfs.keys) {
      if (dfs.failing.count(k) == 0) dfs_passing.insert(k);
    }
    for (const auto& k : dpor.keys) {
      if (dpor.failing.count(k) == 0) dpor_passing.insert(k);
    }
    EXPECT_EQ(dpor_passing, dfs_passing) << what;
    EXPECT_EQ(dpor.failing.empty(), dfs.failing.empty()) << what;  // the bug is found
    EXPECT_EQ(dpor.executions, dpor.keys.size()) << what;            // no trace twice
    return;
  }
  EXPECT_EQ(dfs.keys.size(), traces) << what;
  EXPECT_EQ(dpor.executions, dfs.keys.size()) << what;
  EXPECT_EQ(dpor.keys, dfs.keys) << what;
  EXPECT_EQ(dpor.failing, dfs.failing) << what;  // every bug dfs finds, dpor finds
}

TEST(DporScenarios, MutexCounterIsExact) {
  expect_dpor_exact("mutex-counter", {{"fibers", "2"}, {"increments", "1"}}, 2);
  expect_dpor_exact("mutex-counter", {{"fibers", "2"}, {"increments", "2"}}, 6);
  expect_dpor_exact("mutex-counter", {{"fibers", "3"}, {"increments", "1"}}, 6);
}

TEST(DporScenarios, PhilosophersIsExactAndDeadlocks) {
  expect_dpor_exact("philosophers", {{"n", "2"}}, 3);
  expect_dpor_exact("philosophers", {{"n", "3"}}, 7);
  expect_dpor_exact("sct-din-phil", {{"n", "3"}}, 7);
}

TEST(DporScenarios, SctBenchLockProgramsAreExact) {
  // Trace counts from dfs + brute-force grouping (this test's own dfs run).
  expect_dpor_exact("sct-account", {}, 6);
  expect_dpor_exact("sct-bluetooth-driver", {}, 10);
  expect_dpor_exact("sct-deadlock01", {}, 3);
  expect_dpor_exact("sct-lazy01", {}, 0);  // 4 passing traces; the check fails inside the run
  expect_dpor_exact("sct-phase01", {}, 6);
  expect_dpor_exact("sct-sync01", {}, 3);
  expect_dpor_exact("sct-twostage", {}, 3);
  expect_dpor_exact("sct-sync02", {}, 11);
}

}  // namespace
}  // namespace simbus::scenarios
