// stable-leader's check (broker_nemesis.cc, kStableLeader): while a leader keeps a majority,
// a follower cut off from it (or from every broker) and rejoining must change no running
// broker's term. The judge is shown failing on each kind of broken sample, and the whole
// scenario failing when the brokers run without pre-vote (the cut-off follower's
// elections then raise its term), built here so the seam stays in this test.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "scenarios/broker_cluster.h"
#include "tests/scenarios/broker_verdict.h"
#include "scenarios/broker_nemesis.h"
#include "scenarios/scenario.h"
#include "sim/strategy.h"
#include "sim/world.h"

namespace simbus::scenarios {
namespace {

TEST(StableLeaderJudge, HoldsWhenTheTermAndTheLeaderStay) {
  EXPECT_EQ(judge_stable_leader("b1", 3, {{"b1", 3, true}, {"b2", 3, false}, {"b3", 3, false}}), "");
  // A broker that is down is not sampled.
  EXPECT_EQ(judge_stable_leader("b1", 3, {{"b1", 3, true}, {"b3", 3, false}}), "");
}

TEST(StableLeaderJudge, FailsOnATermThatMoved) {
  EXPECT_EQ(judge_stable_leader("b1", 3, {{"b1", 3, true}, {"b2", 4, false}, {"b3", 3, false}}),
            "b2 is at term 4, the leader's term was 3");
}

TEST(StableLeaderJudge, FailsWhenTheLeaderStepsDown) {
  EXPECT_EQ(judge_stable_leader("b1", 3, {{"b1", 3, false}, {"b2", 3, false}, {"b3", 3, false}}),
            "b1 no longer leads term 3");
  EXPECT_EQ(judge_stable_leader("b1", 3, {{"b2", 3, false}, {"b3", 3, false}}), "b1 no longer leads term 3");
}

TEST(StableLeaderJudge, FailsOnAnotherLeader) {
  EXPECT_EQ(judge_stable_leader("b1", 3, {{"b1", 3, true}, {"b2", 3, true}}), "b2 leads term 3 instead of b1");
}

Verdict run_stable_leader(std::uint64_t seed, bool pre_vote) {
  BrokerScenarioOptions options;
  options.nemesis = kStableLeader;
  options.fault_period_us = 8'000'000;
  options.pre_vote = pre_vote;
  return run_broker_options(seed, options);
}

TEST(StableLeaderScenario, WithoutPreVoteACutOffFollowerRaisesItsTerm) {
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    const Verdict v = run_stable_leader(seed, false);
    EXPECT_FALSE(v.ok) << "seed " << seed;
    EXPECT_EQ(v.check, "raft-stability") << "seed " << seed << ": " << v.message;
    EXPECT_NE(v.message.find("was cut off from"), std::string::npos) << v.message;
  }
}

TEST(StableLeaderScenario, HoldsWithPreVote) {
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    const Verdict v = run_stable_leader(seed, true);
    EXPECT_TRUE(v.ok) << "seed " << seed << ": " << v.check << ": " << v.message;
  }
}

}  // namespace
}  // namespace simbus::scenarios
