// Shrinking a failing execution: searches for a smaller choice log that fails the same
// check, as QuickCheck and DejaFu shrink. Candidates are edits of the current log run
// under a lenient "guided" strategy that follows the log where it still applies and
// otherwise keeps running the same fiber (no preemption); every accepted candidate is
// re-recorded, so the result is an exact, replayable choice log.
#pragma once

#include <cstdint>
#include <string>

#include "scenarios/scenario.h"

namespace simbus::cli {

struct ShrinkOptions {
  std::uint64_t attempts_max = 5'000;  // candidate executions at most
  double time_limit_s = 60;            // wall time at most (0: none)
};

// The size of an execution, compared lexicographically: fewer choices first, then fewer
// context switches, then fewer and smaller non-zero data values (faults, workload values).
struct ExecutionSize {
  std::uint64_t choices = 0;
  std::uint64_t switches = 0;
  std::uint64_t data_nonzero = 0;
  std::uint64_t data_sum = 0;
  std::uint64_t steps = 0;
  auto operator<=>(const ExecutionSize&) const = default;
};
ExecutionSize measure(const scenarios::RunResult& result);

struct ShrinkOutcome {
  scenarios::RunResult original;
  scenarios::RunResult shrunk;
  std::uint64_t attempts = 0;
  std::uint64_t accepted = 0;
  bool budget_hit = false;
};

// `request.replay` holds the failing log. Throws scenarios::UsageError if the log does
// not replay to a failure.
ShrinkOutcome shrink_execution(const scenarios::RunRequest& request, const ShrinkOptions& options);

}  // namespace simbus::cli
