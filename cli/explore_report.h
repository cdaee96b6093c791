// What `explore` found, in a form `merge` can combine: the executions, the failing ones
// grouped by (check, message), and every distinct trace-hash. Written as JSON (--json),
// JUnit XML (--junit) and the summary lines; docs/cli.md documents the JSON schema.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace simbus::cli {

struct FailureRecord {
  std::uint64_t seed = 0;
  std::uint64_t execution = 0;  // ordinal among the run's executions (seed - seed_start for seeded strategies)
  std::string status;           // failed, deadlock, livelock, crashed, hung
  std::string check;
  std::string message;
  std::string reproduce;
  std::uint64_t trace_hash = 0;
};

struct FailureGroup {
  std::string check;
  std::string message;
  std::uint64_t count = 0;
  std::uint64_t first_seed = 0;
  std::string reproduce;  // of the group's first failure (lowest seed, then execution)
};

struct ExploreSummary {
  std::string scenario;
  std::string strategy = "random";
  std::string bug;
  std::vector<std::pair<std::string, std::string>> params;
  std::uint64_t seed_start = 1;
  std::optional<std::uint64_t> runs;  // requested seeds (all shards together); nullopt: unbounded
  std::uint32_t shard_index = 0;
  std::uint32_t shard_count = 1;
  std::uint64_t executions = 0;
  std::uint64_t blocked = 0;  // enumerating strategies: sleep-set-blocked executions, not counted above
  bool enumerating = false;   // the strategy enumerates (dfs, dpor, ...): `exhausted:` is meaningful
  bool exhausted = false;
  // Every requested execution ran (false when --time-limit, --stop-on-fail or a cap cut it short).
  bool complete = true;
  std::string stopped_by;  // why it is incomplete: time-limit, stop-on-fail, cap
  std::vector<FailureRecord> failures;
  std::set<std::uint64_t> trace_hashes;

  // Sorts failures by (seed, execution); call before reporting.
  void normalize();
  std::vector<FailureGroup> groups() const;
  std::uint64_t distinct_traces() const { return trace_hashes.size(); }
};

// The summary lines (executions/failures/distinct-traces[/exhausted][/blocked]) then each
// failure group with its FAIL and reproduce: lines.
std::string format_summary(const ExploreSummary& summary);
std::string to_json(const ExploreSummary& summary);
// Throws UsageError naming `path` on malformed input.
ExploreSummary from_json(const std::string& text, const std::string& path);
std::string to_junit(const ExploreSummary& summary);
// 1 if any failure; 3 if nothing failed but the exploration was cut short; else 0.
int summary_exit_code(const ExploreSummary& summary);

}  // namespace simbus::cli
