// Exploration from a test: run a registered scenario, or a plain callable as the body of
// one fiber in a fresh World, under a strategy for N executions or until the strategy's
// space is exhausted. The result carries the first failure with its seed, schedule and
// reproduce line, so a test framework can print how to get it back (testing/gtest.h).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace simbus::testing {

struct ExploreOptions {
  // A strategy spec as `--strategy` takes it (docs/strategies.md): random, pct:3, dfs, dpor, ...
  std::string strategy = "random";
  // Seeded strategies: seeds seed_start .. seed_start + runs - 1. Enumerating strategies
  // (dfs, dpor, ...): executions at most; 0 runs until exhausted (up to kExecutionsMax).
  std::uint64_t runs = 100;
  std::uint64_t seed_start = 1;
  bool stop_on_fail = true;  // stop at the first failing execution
  // For registered scenarios: KEY=VALUE parameters and a seeded bug, as on the command line.
  std::vector<std::pair<std::string, std::string>> params;
  std::string bug;
  // For callables: the livelock budgets of the fresh World.
  std::uint64_t steps_max = 1'000'000;
  std::int64_t time_us_max = 3'600'000'000LL;
  // Replay one execution instead of exploring: this seed, or this compact schedule (from a
  // failure's `schedule`), under `strategy`.
  std::optional<std::uint64_t> replay_seed;
  std::optional<std::string> replay_schedule;
};

// Enumerating strategies asked for runs = 0 stop here and report exhausted = false.
inline constexpr std::uint64_t kExecutionsMax = 1'000'000;

struct Failure {
  std::string status;   // failed, deadlock, livelock
  std::string check;    // the failed check ("deadlock", "assertion", a scenario's check)
  std::string message;
  std::uint64_t seed = 0;
  std::uint64_t execution = 0;  // ordinal among this exploration's executions
  std::string schedule;         // compact schedule: replays the execution exactly
  std::uint64_t trace_hash = 0;
  // For a registered scenario: `<this program> run SCENARIO --seed N ...` (the program is
  // argv[0] of the running binary, which must call simbus::cli::main to understand it).
  // Empty for a callable, which only its own test binary can run (testing/gtest.h).
  std::string reproduce;
};

struct ExploreResult {
  std::string strategy;
  std::uint64_t executions = 0;
  std::uint64_t blocked = 0;  // enumerating strategies: sleep-set-blocked executions, not counted above
  std::uint64_t distinct_traces = 0;
  bool enumerating = false;
  bool exhausted = false;  // an enumerating strategy covered its whole space
  bool replayed = false;   // one execution from replay_seed / replay_schedule
  std::optional<Failure> failure;  // the first failure
  std::uint64_t failures = 0;      // every failing execution (stop_on_fail: at most 1)
  bool passed() const { return failures == 0; }
};

// Throws scenarios::UsageError for an unknown scenario, strategy, parameter or bug, or a
// malformed replay_schedule, or a replay that diverges from the program.
ExploreResult explore(const std::string& scenario, const ExploreOptions& options);
ExploreResult explore(const std::function<void()>& body, const ExploreOptions& options);

// Fails the running execution with `check` unless `condition` holds (inside a fiber).
void check(bool condition, std::string check, std::string message);

// Lines describing the result: executions, exhausted, the failure and its schedule.
std::string describe(const ExploreResult& result);

// SIMBUS_SEED, SIMBUS_SCHEDULE and SIMBUS_RUNS applied to `options`: replay one seed or
// schedule, or scale the runs (SIMBUS_RUNS=N replaces `runs`). Throws scenarios::UsageError
// naming the variable for a malformed value.
ExploreOptions apply_environment(ExploreOptions options);

// argv[0] of this process, for reproduce lines.
std::string program_path();

// For test frameworks: apply_environment, then explore. Bad input (a malformed SIMBUS_*
// variable, an unknown strategy) is the caller's usage error, not a failed test: the
// message goes to stderr and the process exits 2.
ExploreResult explore_for_test(const std::function<void()>& body, const ExploreOptions& options);
ExploreResult explore_for_test(const std::string& scenario, const ExploreOptions& options);

// The pasteable line that replays `result`'s failure in this test binary:
// `SIMBUS_SEED=N <program> <arguments>` for a seeded strategy, `SIMBUS_SCHEDULE=S ...` for
// an enumerating one (`arguments`: e.g. --gtest_filter=Suite.Name).
std::string environment_reproduce(const ExploreResult& result, const std::string& arguments);

}  // namespace simbus::testing
