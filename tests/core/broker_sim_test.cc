// A 3-node broker cluster on the deterministic simulator (scenarios::SimEnv): publishes
// commit and reach subscribers in order, across leader crashes and a lossy network.
#include <gtest/gtest.h>

#include <rapidcheck/gtest.h>

#include "tests/core/broker_sim_harness.h"

namespace simbus::core {
namespace {

using testing::run_cluster;
using testing::RunResult;

std::vector<std::uint64_t> one_to(int n) {
  std::vector<std::uint64_t> v;
  for (int i = 1; i <= n; ++i) v.push_back(static_cast<std::uint64_t>(i));
  return v;
}

TEST(BrokerSim, PublishesCommitAndReachSubscriberInOrder) {
  const RunResult r = run_cluster(1, false, 0, 30);
  ASSERT_EQ(r.outcome.status, sim::RunStatus::kOk) << r.outcome.check << ": " << r.outcome.message;
  EXPECT_EQ(r.violation, "");
  EXPECT_EQ(r.acked_seqs, one_to(30));
  EXPECT_EQ(r.received_seqs, one_to(30));
}

TEST(BrokerSim, SurvivesLeaderCrashesOnALossyNetwork) {
  std::uint64_t crashes = 0;
  for (std::uint64_t seed = 1; seed <= 30; ++seed) {
    const RunResult r = run_cluster(seed, true, 20'000, 40);
    crashes += r.crashes;
    ASSERT_EQ(r.outcome.status, sim::RunStatus::kOk)
        << "seed " << seed << ": " << r.outcome.check << ": " << r.outcome.message;
    EXPECT_EQ(r.violation, "") << "seed " << seed;
    EXPECT_EQ(r.acked_seqs, one_to(40)) << "seed " << seed;
    // The ordered client repairs lost and reordered fan-out by resuming.
    EXPECT_EQ(r.received_seqs, one_to(40)) << "seed " << seed;
  }
  EXPECT_GE(crashes, 30u);  // most runs crashed a leader mid-publish
}

TEST(BrokerSim, SameSeedSameTraceHash) {
  const RunResult a = run_cluster(7, true, 20'000, 20);
  const RunResult b = run_cluster(7, true, 20'000, 20);
  EXPECT_EQ(a.outcome.trace_hash, b.outcome.trace_hash);
  EXPECT_EQ(a.outcome.steps, b.outcome.steps);
}

// Raft safety on the simulated runtime: random seeds, loss, duplication, reordering, leader
// crashes or partitions, torn writes and read bit-flips; every run also finishes (liveness).
RC_GTEST_PROP(BrokerSim, RaftSafetyOnTheSimulator, ()) {
  const auto seed = *rc::gen::inRange<std::uint64_t>(1, 1'000'000'000);
  const bool crash = *rc::gen::arbitrary<bool>();
  const bool isolate = !crash && *rc::gen::arbitrary<bool>();
  const auto drop = *rc::gen::inRange<std::uint32_t>(0, 50'000);
  const bool disk_faults = *rc::gen::arbitrary<bool>();
  const RunResult r = run_cluster(seed, crash, drop, 15, Bugs{}, isolate, false, disk_faults);
  RC_ASSERT(r.outcome.status == sim::RunStatus::kOk);
  RC_ASSERT(r.violation == "");
  RC_ASSERT(r.acked_seqs == one_to(15));
  RC_ASSERT(r.received_seqs == one_to(15));
}

}  // namespace
}  // namespace simbus::core
