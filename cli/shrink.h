// Shrinking a failing execution: searches for a smaller choice log that fails the same
// check, as QuickCheck and DejaFu shrink. Candidates are edits of the current log run
// under a lenient "guided" strategy that follows the log where it still applies and
// otherwise keeps running the same fiber (no preemption); every accepted candidate is
// re-recorded, so the result is an exact, replayable choice log.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "scenarios/scenario.h"

namespace simbus::cli {

struct ShrinkOptions {
  // Budgets. Candidates and simulated steps are counted, so a shrink that stops on them
  // gives the same result on every machine; the wall-time limit is a guard (a shrink
  // cut by it says so, and its result then depends on the machine's speed).
  std::uint64_t attempts_max = 5'000;          // candidate executions at most
  std::uint64_t candidate_steps_max = 8'000'000;  // simulated steps over all candidates
  double time_limit_s = 60;                    // wall time at most (0: none)
  // Cut: every candidate stops at the virtual time where the original first failed plus
  // this margin (percent of that time, at least kCutMarginUsMin) and is judged there.
  std::uint32_t margin_percent = 10;
  bool cut = true;            // false: run every candidate to the scenario's end
  bool reduce_params = true;  // try smaller scenario parameters (nodes, clients, ...)
};
inline constexpr std::int64_t kCutMarginUsMin = 10'000;

// The size of an execution, compared lexicographically: fewer choices first, then fewer
// faults and client operations, then fewer context switches, then fewer and smaller
// non-zero data values (latencies, workload values).
struct ExecutionSize {
  std::uint64_t choices = 0;
  std::uint64_t points = 0;  // faults + client operations that ran (not skipped)
  std::uint64_t switches = 0;
  std::uint64_t data_nonzero = 0;
  std::uint64_t data_sum = 0;
  std::uint64_t steps = 0;
  auto operator<=>(const ExecutionSize&) const = default;
};
// `skip`: the points the run was told to skip (they are not counted).
ExecutionSize measure(const scenarios::RunResult& result, const std::vector<std::string>& skip = {});

// Faults (nemesis actions, "fault-N") and client operations ("op-...") a run executed.
struct PointCounts {
  std::uint64_t faults = 0;
  std::uint64_t operations = 0;
};
PointCounts count_points(const scenarios::RunResult& result, const std::vector<std::string>& skip);

// Two failures are "the same" when their signatures are equal: cli/signature.h's key
// (check, detecting site, normalised first line of the message).
std::string failure_signature(const scenarios::RunResult& result);

struct ShrinkOutcome {
  scenarios::RunResult original;
  scenarios::RunResult shrunk;
  // What replays `shrunk`: the original request's scenario, seed, strategy and bug with
  // the reduced parameters, the cut and the skipped points (replay = shrunk.log).
  scenarios::RunRequest request;
  std::uint64_t attempts = 0;
  std::uint64_t accepted = 0;
  std::uint64_t candidate_steps = 0;
  bool budget_hit = false;
  bool time_limit_hit = false;  // the wall-time guard stopped it (machine-dependent)
  std::int64_t first_failure_us = -1;  // where the original's check first fails (cut search)
};

// `request.replay` holds the failing log. Throws scenarios::UsageError if the log does
// not replay to a failure.
ShrinkOutcome shrink_execution(const scenarios::RunRequest& request, const ShrinkOptions& options);

}  // namespace simbus::cli
