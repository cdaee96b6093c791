// The broker scenarios' fault-free refusal check (broker_cluster.cc, note_refusal): with no
// fault active every subscribe, unsubscribe, client event and channel-info read must be
// granted, and an explicit refusal fails the run as "liveness". Shown both ways on a
// fault-free presence workload, built here (not registered) so the seam stays in this test.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "scenarios/broker_cluster.h"
#include "scenarios/scenario.h"
#include "sim/strategy.h"
#include "sim/world.h"

namespace simbus::scenarios {
namespace {

struct Verdict {
  bool ok = false;
  std::string check;
  std::string message;
};

// One seed of a fault-free 3-node cluster with presence members, judged as run_scenario
// judges a registered scenario: the world runs, then the end checks.
Verdict run_fault_free(std::uint64_t seed, const std::string& member_client_event) {
  BrokerScenarioOptions options;
  options.presence = true;
  options.member_client_event = member_client_event;
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

TEST(FaultFreeRefusal, AClientEventTheBrokerRefusesFailsLiveness) {
  // Without the "client-" prefix the broker answers forbidden, as Pusher does.
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    const Verdict v = run_fault_free(seed, "hello");
    EXPECT_FALSE(v.ok) << "seed " << seed;
    EXPECT_EQ(v.check, "liveness") << "seed " << seed << ": " << v.message;
    EXPECT_NE(v.message.find("a fault-free cluster refused a request: client event on presence-room refused"),
              std::string::npos)
        << v.message;
  }
}

TEST(FaultFreeRefusal, HoldsWhenEveryRequestIsGranted) {
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    const Verdict v = run_fault_free(seed, "client-hello");
    EXPECT_TRUE(v.ok) << "seed " << seed << ": " << v.check << ": " << v.message;
  }
}

}  // namespace
}  // namespace simbus::scenarios
