// The broker scenarios' fault-free refusal check (broker_cluster.cc, note_refusal): with no
// fault active every subscribe, unsubscribe, client event and channel-info read must be
// granted, and an explicit refusal fails the run as "liveness". Shown both ways on a
// fault-free presence workload, built here (not registered) so the seam stays in this test.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "scenarios/broker_cluster.h"
#include "tests/scenarios/broker_verdict.h"
#include "scenarios/scenario.h"
#include "sim/strategy.h"
#include "sim/world.h"

namespace simbus::scenarios {
namespace {

// One seed of a fault-free 3-node cluster with presence members.
Verdict run_fault_free(std::uint64_t seed, const std::string& member_client_event) {
  BrokerScenarioOptions options;
  options.presence = true;
  options.member_client_event = member_client_event;
  return run_broker_options(seed, options);
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
