// What `explore` found, in a form `merge` can combine: the executions, the failing ones
// grouped by failure signature (cli/signature.h), and every distinct trace-hash. Written as JSON (--json),
// JUnit XML (--junit) and the summary lines; docs/cli.md documents the JSON schema.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/signature.h"
#include "cli/workers.h"
#include "sim/choice_log.h"

namespace simbus::cli {

struct FailureRecord {
  std::uint64_t seed = 0;
  std::uint64_t execution = 0;  // ordinal among the run's executions (seed - seed_start for seeded strategies)
  std::string status;           // failed, deadlock, livelock, crashed, hung
  std::string check;
  std::string message;
  std::string site;             // what detected it (RunOutcome::site); "" in reports of older binaries
  std::string reproduce;
  std::uint64_t trace_hash = 0;
  std::uint64_t choices = 0;    // the choice log's length (0: unknown); fewer = easier to shrink
  std::int64_t wall_us = 0;     // wall time of the execution (JUnit `time`; never decides anything)
  Signature signature() const { return make_signature(check, message, site); }
};

// The failures of one signature: how many, the first (lowest seed, then execution) and
// the most shrinkable (fewest choices, then the first).
struct FailureGroup {
  Signature signature;
  std::string check;
  std::string message;  // the first failure's full message
  std::uint64_t count = 0;
  std::uint64_t first_seed = 0;
  std::string reproduce;  // of the group's first failure
  std::uint64_t smallest_seed = 0;
  std::uint64_t smallest_choices = 0;
  std::string smallest_reproduce;
  std::int64_t wall_us = 0;  // summed over the group's executions
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
  // Hashes of the executions' choice logs (schedule_hash): distinct schedules. Trace-hashes
  // start from the seed, so they would count seeds (racy-counter: 1,000 seeds, 35 schedules).
  std::set<std::uint64_t> schedule_hashes;
  std::int64_t wall_us = 0;  // summed over every execution (JUnit `time`)

  // Sorts failures by (seed, execution); call before reporting.
  void normalize();
  std::vector<FailureGroup> groups() const;
  // Distinct choice logs: schedules (interleavings and data choices) explored, not seeds --
  // many seeds can draw the same schedule.
  std::uint64_t distinct_schedules() const { return schedule_hashes.size(); }
};

// The summary lines (executions/failures/distinct-schedules[/exhausted][/blocked]) then
// each failure group: its signature, FAIL and reproduce: lines.
std::string format_summary(const ExploreSummary& summary);
// A digest of every choice of a log (schedule and data): equal logs, equal hashes. Unlike
// the trace-hash it does not start from the seed.
std::uint64_t schedule_hash(const sim::ChoiceLog& log);
std::string to_json(const ExploreSummary& summary);
// The report as a JSON value (to_json's text), for reports that nest explore reports (suite).
nlohmann::ordered_json to_json_value(const ExploreSummary& summary);
// Adds one execution's result (a worker's TaskResult for `seed`) to the summary: counts,
// wall time, schedule hash, and a FailureRecord if it failed (a crashed or hung worker gets
// `request`'s reproduce line for the seed).
void add_task_result(ExploreSummary* summary, const TaskResult& task, std::uint64_t seed,
                     const scenarios::RunRequest& request);
// Throws UsageError naming `path` on malformed input.
ExploreSummary from_json(const std::string& text, const std::string& path);
// One testcase per failure signature, named "<scenario params bug>: <check> at <site>:
// <pattern>" (nothing seed-specific), or one passing testcase; `time` from wall_us.
std::string to_junit(const ExploreSummary& summary);
// The <testcase> elements alone (for suite --junit, which nests one testsuite per entry);
// adds to *tests and *failing.
std::string junit_testcases(const ExploreSummary& summary, const std::string& indent, std::size_t* tests,
                            std::size_t* failing);
std::string junit_seconds(std::int64_t us);
// The --param values as "k=v k=v" in the request's order; "" if none.
std::string params_text(const ExploreSummary& summary);
// Escapes text for XML (and HTML) attributes and content; control characters XML 1.0
// forbids even escaped become '?'.
std::string xml_escape(const std::string& s);
// 1 if any failure; 3 if nothing failed but the exploration was cut short; else 0.
int summary_exit_code(const ExploreSummary& summary);

}  // namespace simbus::cli
