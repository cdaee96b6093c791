#include "testing/explore.h"

#include <fmt/format.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <set>

#include "base/assert.h"
#include "scenarios/scenario.h"
#include "sim/choice_log.h"
#include "sim/strategy.h"
#include "sim/world.h"

namespace simbus::testing {
namespace {

using scenarios::RunRequest;
using scenarios::RunResult;
using scenarios::UsageError;

// Name of the scenario a callable runs as, in reports and step lines.
constexpr const char* kCallableScenario = "callable";

// One exploration: its request, its strategy and what it found so far.
class Exploration {
 public:
  Exploration(const scenarios::Scenario& scenario, bool registered, const ExploreOptions& options)
      : scenario_(scenario), registered_(registered), options_(options) {
    base_.scenario = scenario.name;
    base_.params = options.params;
    base_.strategy = options.strategy;
    base_.bug = options.bug;
    std::string error;
    if (!sim::make_strategy(options.strategy, &error)) throw UsageError("strategy: " + error);
    result_.strategy = options.strategy;
    result_.enumerating = sim::strategy_needs_schedule(options.strategy);
  }

  ExploreResult run() {
    if (options_.replay_seed || options_.replay_schedule) {
      replay();
    } else if (result_.enumerating) {
      enumerate();
    } else {
      seeded();
    }
    result_.distinct_traces = trace_hashes_.size();
    SIMBUS_ASSERT(result_.failures <= result_.executions);
    SIMBUS_ASSERT(result_.failure.has_value() == (result_.failures > 0));
    return result_;
  }

 private:
  void replay() {
    RunRequest request = base_;
    request.seed = options_.replay_seed.value_or(options_.seed_start);
    if (options_.replay_schedule) {
      std::vector<std::uint32_t> indices;
      std::string error;
      if (!sim::decode_schedule(*options_.replay_schedule, &indices, &error)) {
        throw UsageError("schedule: " + error);
      }
      request.schedule = std::move(indices);
    }
    result_.replayed = true;
    record(request, scenarios::run_scenario(scenario_, request));
  }

  void seeded() {
    for (std::uint64_t i = 0; i < options_.runs; ++i) {
      RunRequest request = base_;
      request.seed = options_.seed_start + i;
      if (!record(request, scenarios::run_scenario(scenario_, request))) return;
    }
  }

  void enumerate() {
    std::string error;
    std::shared_ptr<sim::Strategy> strategy = sim::make_strategy(options_.strategy, &error);
    SIMBUS_ASSERT(strategy != nullptr);  // checked in the constructor
    RunRequest request = base_;
    request.seed = options_.seed_start;
    request.strategy_object = strategy;
    const std::uint64_t executions_max = options_.runs > 0 ? options_.runs : kExecutionsMax;
    // Blocked executions are not executions, but they are bounded too (as in `explore`).
    const std::uint64_t attempts_max = executions_max * 16 + 1024;
    std::uint64_t attempts = 0;
    // Reproduce lines name the strategy, not the object that enumerated.
    RunRequest named = base_;
    named.seed = options_.seed_start;
    while (!strategy->exhausted() && result_.executions < executions_max && attempts < attempts_max) {
      attempts += 1;
      RunResult run = scenarios::run_scenario(scenario_, request);
      if (strategy->last_execution_blocked()) {
        result_.blocked += 1;
        continue;
      }
      if (!record(named, run)) break;
    }
    result_.exhausted = strategy->exhausted();
  }

  // Counts one execution; false when the exploration should stop.
  bool record(const RunRequest& request, const RunResult& run) {
    if (run.outcome.status == sim::RunStatus::kDiverged) {
      throw UsageError(fmt::format("execution {} diverged: {}", result_.executions, run.outcome.message));
    }
    const std::uint64_t ordinal = result_.executions;
    result_.executions += 1;
    trace_hashes_.insert(run.outcome.trace_hash);
    if (run.passed()) return true;
    result_.failures += 1;
    if (!result_.failure) {
      Failure f;
      f.status = sim::run_status_name(run.outcome.status);
      f.check = run.outcome.check;
      f.message = run.outcome.message;
      f.seed = request.seed;
      f.execution = ordinal;
      f.schedule = sim::encode_schedule(run.log);
      f.trace_hash = run.outcome.trace_hash;
      if (registered_) f.reproduce = scenarios::reproduce_command(program_path(), request, run);
      result_.failure = std::move(f);
    }
    return !options_.stop_on_fail;
  }

  const scenarios::Scenario& scenario_;
  const bool registered_;
  const ExploreOptions& options_;
  RunRequest base_;
  ExploreResult result_;
  std::set<std::uint64_t> trace_hashes_;
};

std::uint64_t parse_unsigned(const char* variable, const char* text) {
  std::uint64_t value = 0;
  const char* end = text + std::char_traits<char>::length(text);
  const auto r = std::from_chars(text, end, value);
  if (text == end || r.ec != std::errc() || r.ptr != end) {
    throw UsageError(fmt::format("{}='{}': expected an unsigned integer", variable, text));
  }
  return value;
}

template <typename Target>
ExploreResult explore_or_exit(const Target& target, const ExploreOptions& options) {
  try {
    return explore(target, apply_environment(options));
  } catch (const UsageError& e) {
    std::fprintf(stderr, "%s: simbus: %s\n", program_path().c_str(), e.what());
    std::exit(2);
  }
}

}  // namespace

ExploreResult explore(const std::string& scenario, const ExploreOptions& options) {
  const scenarios::Scenario* registered = scenarios::find_scenario(scenario);
  if (registered == nullptr) throw UsageError(fmt::format("unknown scenario '{}'", scenario));
  return Exploration(*registered, true, options).run();
}

ExploreResult explore(const std::function<void()>& body, const ExploreOptions& options) {
  SIMBUS_ASSERT(static_cast<bool>(body));
  if (!options.params.empty() || !options.bug.empty()) {
    throw UsageError("params and bug apply to registered scenarios, not to a callable");
  }
  scenarios::Scenario scenario;
  scenario.name = kCallableScenario;
  scenario.steps_max = options.steps_max;
  scenario.time_us_max = options.time_us_max;
  scenario.setup = [&body](scenarios::ScenarioContext& ctx) { ctx.world.spawn(sim::kControlNode, "main", body); };
  return Exploration(scenario, false, options).run();
}

void check(bool condition, std::string check, std::string message) {
  if (!condition) sim::World::current().fail(std::move(check), std::move(message));
}

std::string describe(const ExploreResult& result) {
  std::string out = fmt::format("strategy: {}\nexecutions: {}\n", result.strategy, result.executions);
  if (result.enumerating && !result.replayed) {
    out += fmt::format("exhausted: {}\n", result.exhausted ? "yes" : "no");
    if (result.blocked > 0) out += fmt::format("blocked: {}\n", result.blocked);
  }
  out += fmt::format("distinct-traces: {}\nfailures: {}\n", result.distinct_traces, result.failures);
  if (const auto& f = result.failure) {
    out += fmt::format("FAIL {}: {}\n", f->check, f->message);
    out += fmt::format("status: {}\nseed: {}\nexecution: {}\nschedule: {}\n", f->status, f->seed, f->execution,
                       f->schedule);
    if (!f->reproduce.empty()) out += fmt::format("reproduce: {}\n", f->reproduce);
  }
  return out;
}

ExploreOptions apply_environment(ExploreOptions options) {
  if (const char* seed = std::getenv("SIMBUS_SEED"); seed != nullptr && *seed != '\0') {
    options.replay_seed = parse_unsigned("SIMBUS_SEED", seed);
  }
  if (const char* schedule = std::getenv("SIMBUS_SCHEDULE"); schedule != nullptr && *schedule != '\0') {
    std::vector<std::uint32_t> indices;
    std::string error;
    if (!sim::decode_schedule(schedule, &indices, &error)) {
      throw UsageError(fmt::format("SIMBUS_SCHEDULE: {}", error));
    }
    options.replay_schedule = schedule;
  }
  if (const char* runs = std::getenv("SIMBUS_RUNS"); runs != nullptr && *runs != '\0') {
    options.runs = parse_unsigned("SIMBUS_RUNS", runs);
  }
  return options;
}

ExploreResult explore_for_test(const std::function<void()>& body, const ExploreOptions& options) {
  return explore_or_exit(body, options);
}

ExploreResult explore_for_test(const std::string& scenario, const ExploreOptions& options) {
  return explore_or_exit(scenario, options);
}

std::string environment_reproduce(const ExploreResult& result, const std::string& arguments) {
  SIMBUS_ASSERT(result.failure.has_value());
  const Failure& f = *result.failure;
  // A seed fixes a seeded strategy's choices; an enumerating strategy's need the schedule.
  const std::string variable = result.enumerating ? fmt::format("SIMBUS_SCHEDULE={}", f.schedule)
                                                  : fmt::format("SIMBUS_SEED={}", f.seed);
  return fmt::format("{} {} {}", variable, scenarios::shell_quote(program_path()), arguments);
}

std::string program_path() {
  // glibc keeps argv[0] here; a test framework's main need not hand it to us.
  return program_invocation_name != nullptr ? program_invocation_name : "simbus";
}

}  // namespace simbus::testing
