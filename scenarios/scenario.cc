#include "scenarios/scenario.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <memory>

#include "base/assert.h"
#include "sim/strategy_replay.h"

namespace simbus::scenarios {
namespace {

std::map<std::string, Scenario>& registry() {
  static std::map<std::string, Scenario> scenarios;
  return scenarios;
}

void ensure_builtins() {
  static bool done = false;
  if (!done) {
    done = true;
    register_builtin_scenarios();
  }
}

}  // namespace

std::string shell_quote(const std::string& s) {
  bool plain = !s.empty();
  for (char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '/' ||
          c == '=' || c == ':' || c == ',')) {
      plain = false;
    }
  }
  if (plain) return s;
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

Params::Params(const std::vector<ParamSpec>& specs, const std::vector<std::pair<std::string, std::string>>& given) {
  for (const ParamSpec& s : specs) values_.emplace_back(s.key, s.default_value);
  for (const auto& entry : given) {
    // (No structured binding: clang 14 cannot capture one in the lambda below.)
    const std::string& key = entry.first;
    const std::string& text = entry.second;
    auto spec = std::find_if(specs.begin(), specs.end(), [&](const ParamSpec& s) { return s.key == key; });
    if (spec == specs.end()) {
      std::string known;
      for (const ParamSpec& s : specs) known += (known.empty() ? "" : ", ") + s.key;
      throw UsageError(fmt::format("unknown parameter '{}' (this scenario takes: {})", key,
                                   known.empty() ? "none" : known));
    }
    std::int64_t value = 0;
    auto r = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || r.ec != std::errc() || r.ptr != text.data() + text.size()) {
      throw UsageError(fmt::format("parameter '{}': '{}' is not an integer", key, text));
    }
    if (value < spec->min || value > spec->max) {
      throw UsageError(fmt::format("parameter '{}': {} is outside [{}, {}]", key, value, spec->min, spec->max));
    }
    for (auto& [k, v] : values_) {
      if (k == key) v = value;
    }
  }
}

std::int64_t Params::get(const std::string& key) const {
  for (const auto& [k, v] : values_) {
    if (k == key) return v;
  }
  SIMBUS_ASSERT_MSG(false, "scenario asked for a parameter it did not declare");
  return 0;
}

void register_scenario(Scenario scenario) {
  SIMBUS_ASSERT(!scenario.name.empty());
  SIMBUS_ASSERT(static_cast<bool>(scenario.setup));
  for (const ParamSpec& p : scenario.params) {
    SIMBUS_ASSERT(p.min <= p.default_value);
    SIMBUS_ASSERT(p.default_value <= p.max);
  }
  std::string name = scenario.name;
  registry()[name] = std::move(scenario);
}

const Scenario* find_scenario(const std::string& name) {
  ensure_builtins();
  auto it = registry().find(name);
  return it == registry().end() ? nullptr : &it->second;
}

std::vector<const Scenario*> all_scenarios() {
  ensure_builtins();
  std::vector<const Scenario*> out;
  for (const auto& [name, s] : registry()) out.push_back(&s);
  return out;
}

bool bug_known(const std::string& bug);  // scenarios/bugs.cc

RunResult run_scenario(const RunRequest& request) {
  const Scenario* scenario = find_scenario(request.scenario);
  if (scenario == nullptr) {
    throw UsageError(fmt::format("unknown scenario '{}' (see 'simbus list')", request.scenario));
  }
  return run_scenario(*scenario, request);
}

std::vector<std::pair<std::string, std::int64_t>> validate_request(const RunRequest& request) {
  const Scenario* scenario = find_scenario(request.scenario);
  if (scenario == nullptr) {
    throw UsageError(fmt::format("unknown scenario '{}' (see 'simbus list')", request.scenario));
  }
  if (!request.bug.empty() && !bug_known(request.bug)) {
    throw UsageError(fmt::format("unknown bug '{}' (see 'simbus bugs')", request.bug));
  }
  Params params(scenario->params, request.params);
  if (!request.strategy_object && !request.replay && !request.schedule) {
    std::string error;
    if (!sim::make_strategy(request.strategy, &error)) throw UsageError(error);
  }
  return params.all();
}

RunResult run_scenario(const Scenario& scenario_ref, const RunRequest& request) {
  const Scenario* scenario = &scenario_ref;
  SIMBUS_ASSERT(static_cast<bool>(scenario->setup));
  if (!request.bug.empty() && !bug_known(request.bug)) {
    throw UsageError(fmt::format("unknown bug '{}' (see 'simbus bugs')", request.bug));
  }
  Params params(scenario->params, request.params);
  std::shared_ptr<sim::Strategy> strategy;
  if (request.strategy_object) {
    strategy = request.strategy_object;
  } else if (request.replay) {
    strategy = sim::make_replay_strategy(*request.replay);
  } else if (request.schedule) {
    strategy = sim::make_schedule_strategy(*request.schedule);
  } else {
    std::string error;
    strategy = sim::make_strategy(request.strategy, &error);
    if (!strategy) throw UsageError(error);
  }
  sim::WorldOptions options;
  options.seed = request.seed;
  options.steps_max = scenario->steps_max;
  options.time_us_max = scenario->time_us_max;
  bool systematic = scenario->systematic || strategy->wants_systematic();
  if (request.schedule && !request.strategy_object) {
    // A --schedule from an enumerating strategy's reproduce line replays in the mode that
    // strategy ran in (deliveries and timers as actions), or it would diverge.
    std::string error;
    if (auto named = sim::make_strategy(request.strategy, &error)) systematic = systematic || named->wants_systematic();
  }
  options.systematic = systematic;
  options.record_steps = request.record_steps;
  options.stop_before_step = request.stop_before_step;
  options.cap_steps = request.cap_steps;
  options.cap_time_us = request.cap_time_us;
  options.skip = request.skip;
  std::sort(options.skip.begin(), options.skip.end());

  RunResult result;
  result.params = params.all();
  sim::World world(options, strategy);
  ScenarioContext ctx(world, params, request.bug);
  scenario->setup(ctx);
  result.outcome = world.run();
  strategy->end_execution(result.outcome.status != sim::RunStatus::kStopped &&
                          result.outcome.status != sim::RunStatus::kDiverged);
  if (result.outcome.status == sim::RunStatus::kOk) {
    for (auto& check : ctx.end_checks()) check();
    if (const auto& failure = world.failure()) {
      result.outcome.status = sim::RunStatus::kFailed;
      result.outcome.check = failure->first;
      result.outcome.message = failure->second;
      result.outcome.site = world.failure_site();
    }
  }
  result.log = world.choice_log();
  result.records = world.step_records();
  result.fault_records = world.fault_records();
  result.report = ctx.report_lines();
  result.fibers = world.describe_fibers();
  result.skip_points = world.skip_points();
  if (request.record_history && ctx.history_jsonl) result.history_jsonl = ctx.history_jsonl();
  if (request.record_history && ctx.deliveries_jsonl) result.deliveries_jsonl = ctx.deliveries_jsonl();
  if (request.record_steps) {
    for (const sim::StepRecord& r : result.records) {
      result.step_lines.push_back(fmt::format("step {} t={}us node {} fiber {} {} object {:016x}", r.step, r.now_us,
                                              world.node_name(r.node), world.fiber_name(r.actor),
                                              sim::action_kind_name(r.kind), r.object));
    }
  }
  return result;
}

std::string reproduce_command(const std::string& program, const RunRequest& request, const RunResult& result) {
  std::string cmd = fmt::format("{} run {} --seed {}", shell_quote(program), shell_quote(request.scenario),
                                request.seed);
  for (const auto& [key, value] : request.params) cmd += fmt::format(" --param {}", shell_quote(key + "=" + value));
  if (request.strategy != "random") cmd += fmt::format(" --strategy {}", shell_quote(request.strategy));
  if (!request.bug.empty()) cmd += fmt::format(" --bug {}", shell_quote(request.bug));
  if (request.schedule || (request.strategy != "random" && sim::strategy_needs_schedule(request.strategy))) {
    cmd += fmt::format(" --schedule {}", sim::encode_schedule(result.log));
  }
  return cmd;
}

DeterminismReport check_determinism(const RunRequest& request) {
  RunRequest r = request;
  r.record_steps = true;
  const RunResult a = run_scenario(r);
  const RunResult b = run_scenario(r);
  DeterminismReport report;
  report.hash_a = a.outcome.trace_hash;
  report.hash_b = b.outcome.trace_hash;
  auto describe = [](const sim::StepRecord& s) {
    return fmt::format("t={}us actor {:016x} {} object {:016x} node {} (hash {:016x})", s.now_us, s.actor,
                       sim::action_kind_name(s.kind), s.object, s.node, s.hash_after);
  };
  const std::size_t n = std::min(a.records.size(), b.records.size());
  for (std::size_t i = 0; i < n; ++i) {
    const auto& x = a.records[i];
    const auto& y = b.records[i];
    if (x.hash_after != y.hash_after || x.actor != y.actor || x.kind != y.kind || x.object != y.object) {
      report.same = false;
      report.difference = fmt::format("runs part at step {}:\n  run 1: {}\n  run 2: {}", x.step, describe(x),
                                      describe(y));
      return report;
    }
  }
  if (a.records.size() != b.records.size() || report.hash_a != report.hash_b ||
      a.outcome.status != b.outcome.status) {
    report.same = false;
    report.difference = fmt::format("runs agree for {} steps, then run 1 {} after {} steps (hash {:016x}) and run 2 "
                                    "{} after {} steps (hash {:016x})",
                                    n, sim::run_status_name(a.outcome.status), a.records.size(), report.hash_a,
                                    sim::run_status_name(b.outcome.status), b.records.size(), report.hash_b);
  }
  return report;
}

}  // namespace simbus::scenarios
