// The public API for scenarios: a named, parameterised setup of a simulated world plus
// the checks that judge the run. Built-in scenarios register in scenarios/builtin.cc;
// a user's scenario registers the same way from their own program (README example).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "sim/choice_log.h"
#include "sim/world.h"

namespace simbus::scenarios {

// Bad usage or input (unknown scenario, parameter, strategy, bug): the CLI exits 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct ParamSpec {
  std::string key;
  std::int64_t default_value = 0;
  std::int64_t min = 0;
  std::int64_t max = 0;
  std::string help;
};

class Params {
 public:
  Params() = default;
  Params(const std::vector<ParamSpec>& specs, const std::vector<std::pair<std::string, std::string>>& given);
  std::int64_t get(const std::string& key) const;
  // Every parameter, with its value (default or given), in declaration order.
  const std::vector<std::pair<std::string, std::int64_t>>& all() const { return values_; }

 private:
  std::vector<std::pair<std::string, std::int64_t>> values_;
};

class ScenarioContext {
 public:
  ScenarioContext(sim::World& world, const Params& params, std::string bug)
      : world(world), params(params), bug(std::move(bug)) {}
  sim::World& world;
  const Params& params;
  const std::string bug;  // the seeded bug switched on for this run, or empty

  // A check that runs after the world stops (outside the interleaving).
  void at_end(std::function<void()> check) { end_checks_.push_back(std::move(check)); }
  // Records a failed check (the first one is reported); the caller is the failure's site.
  void fail(std::string check, std::string message, const char* file = __builtin_FILE(),
            const char* function = __builtin_FUNCTION()) {
    world.fail(std::move(check), std::move(message), file, function);
  }
  // Extra lines for `run`'s report (drawn fault settings, counters).
  void report(std::string line) { report_.push_back(std::move(line)); }

  // What the run recorded for offline checking (`run --history/--deliveries`), as JSON Lines.
  std::function<std::string()> history_jsonl;
  std::function<std::string()> deliveries_jsonl;

  std::vector<std::function<void()>>& end_checks() { return end_checks_; }
  const std::vector<std::string>& report_lines() const { return report_; }

 private:
  std::vector<std::function<void()>> end_checks_;
  std::vector<std::string> report_;
};

struct Scenario {
  std::string name;
  std::string description;
  std::vector<ParamSpec> params;
  std::function<void(ScenarioContext&)> setup;
  std::uint64_t steps_max = 20'000'000;
  std::int64_t time_us_max = 3'600'000'000LL;
  bool systematic = false;
  // Seeds the determinism test runs twice each (long scenarios take fewer).
  std::uint32_t determinism_seeds = 50;
};

void register_scenario(Scenario scenario);
const Scenario* find_scenario(const std::string& name);
std::vector<const Scenario*> all_scenarios();  // sorted by name

struct RunRequest {
  std::string scenario;
  std::uint64_t seed = 1;
  std::vector<std::pair<std::string, std::string>> params;  // KEY=VALUE as given
  std::string strategy = "random";
  std::string bug;
  std::optional<sim::ChoiceLog> replay;               // replay a recorded log exactly
  std::optional<std::vector<std::uint32_t>> schedule;  // follow a compact --schedule
  // A strategy object kept across executions (explore with dfs/dpor); overrides `strategy`
  // for the choosing, while `strategy` still names it in reproduce lines.
  std::shared_ptr<sim::Strategy> strategy_object;
  bool record_steps = false;
  std::uint64_t stop_before_step = 0;
  bool record_history = false;  // fill RunResult's history/deliveries JSON Lines
  // Shrinking (a shrunk trace's header carries them): stop after cap_steps steps or
  // before virtual time passes cap_time_us and judge the execution so far; skip the
  // fault and operation points named in `skip` (see World::skip). 0 / empty: none.
  std::uint64_t cap_steps = 0;
  std::int64_t cap_time_us = 0;
  std::vector<std::string> skip;  // sorted, unique
};

struct RunResult {
  sim::RunOutcome outcome;
  sim::ChoiceLog log;
  std::vector<sim::StepRecord> records;
  std::vector<sim::FaultRecord> fault_records;  // with record_steps: node and link faults
  std::vector<std::pair<std::string, std::int64_t>> params;  // resolved values
  std::vector<std::string> report;
  std::string fibers;  // every live fiber at the end (for --until)
  std::vector<std::string> step_lines;  // with record_steps: one readable line per step
  std::string history_jsonl;     // empty when the scenario records no history
  std::string deliveries_jsonl;  // empty when the scenario records no delivery log
  std::vector<std::string> skip_points;  // every World::skip key the run asked, in order
  bool passed() const {
    return outcome.status == sim::RunStatus::kOk || outcome.status == sim::RunStatus::kStopped;
  }
};

// Throws UsageError for an unknown scenario, parameter, strategy or bug.
RunResult run_scenario(const RunRequest& request);
// The checks run_scenario makes before it runs anything, with the same errors; returns the
// resolved parameters (for a report printed before the execution starts).
std::vector<std::pair<std::string, std::int64_t>> validate_request(const RunRequest& request);
// Runs `scenario` itself (registered or not; `request.scenario` only names it in reports).
RunResult run_scenario(const Scenario& scenario, const RunRequest& request);

// `s` as one shell word: unchanged when plain, else single-quoted.
std::string shell_quote(const std::string& s);

// The `reproduce:` command line for a request (program is argv[0]).
std::string reproduce_command(const std::string& program, const RunRequest& request, const RunResult& result);

struct DeterminismReport {
  bool same = true;
  std::uint64_t hash_a = 0;
  std::uint64_t hash_b = 0;
  std::string difference;  // the first step where the runs part, and what each did
};
DeterminismReport check_determinism(const RunRequest& request);

void register_builtin_scenarios();

}  // namespace simbus::scenarios
