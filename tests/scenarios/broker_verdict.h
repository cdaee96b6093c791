// One seed of a broker scenario built from options in a test (not registered), judged as
// run_scenario judges a registered one: the world runs, then the end checks. For tests of
// a check's seam, which must stay in the test.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>

#include "scenarios/broker_cluster.h"
#include "scenarios/scenario.h"
#include "sim/strategy.h"
#include "sim/world.h"

namespace simbus::scenarios {

struct Verdict {
  bool ok = false;
  std::string check;
  std::string message;
};

inline Verdict run_broker_options(std::uint64_t seed, const BrokerScenarioOptions& options) {
  sim::WorldOptions world_options;
  world_options.seed = seed;
  world_options.steps_max = 1'000'000;
  world_options.time_us_max = 120'000'000;
  std::string error;
  std::shared_ptr<sim::Strategy> strategy = sim::make_strategy("random", &error);
  EXPECT_TRUE(strategy != nullptr) << error;
  sim::World world(world_options, strategy);
  const Params params(broker_params(3), {});
  ScenarioContext ctx(world, params, "");
  setup_broker_scenario(ctx, options);
  const sim::RunOutcome outcome = world.run();
  if (outcome.status != sim::RunStatus::kOk) return {false, outcome.check, outcome.message};
  for (auto& check : ctx.end_checks()) check();
  if (const auto& failure = world.failure()) return {false, failure->first, failure->second};
  return {true, "", ""};
}

}  // namespace simbus::scenarios
