// `explore` with an enumerating strategy (dfs, dpor, bounded, ...): one strategy object
// walks the whole space of executions. By default the executions run in a child process
// that records every strategy call on a shared-memory tape (cli/strategy_tape.h), so a
// crash or hang of the code under test becomes a failure with the schedule that caused it,
// and the enumeration goes on in a new child from exactly where it stood.
#pragma once

#include <cstdint>
#include <optional>

#include "cli/explore_report.h"
#include "cli/progress.h"
#include "scenarios/scenario.h"

namespace simbus::cli {

struct EnumerateOptions {
  std::optional<std::uint64_t> runs;  // executions to run; nullopt: until exhausted (capped)
  std::uint64_t seed = 1;
  bool stop_on_fail = false;
  double time_limit_s = 0;
  bool isolate = true;
  // A child that records nothing for this long is killed and its execution reported hung.
  std::int64_t execution_timeout_ms = 600'000;
  ProgressMode progress = ProgressMode::kAuto;
  // Estimated interleavings past which a space is called too large to exhaust.
  double space_warning = 1e9;
};

// Enumerating strategies without --runs stop here and report `exhausted: no`.
inline constexpr std::uint64_t kEnumerationExecutionsMax = 1'000'000;

// Runs the enumeration and fills `summary` (executions, blocked, failures, exhausted,
// complete/stopped_by, schedule hashes). Throws UsageError for a diverging execution.
void explore_enumerating(const EnumerateOptions& options, const scenarios::RunRequest& base, ExploreSummary* summary);

}  // namespace simbus::cli
