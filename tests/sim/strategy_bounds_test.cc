// The sampling and bounded strategies behave as their definitions say on the racy
// counter: bound 0 / depth 1 gives only serial schedules (never the lost update), one
// preemption / delay / change point finds it; every strategy is deterministic per seed.
#include <gtest/gtest.h>

#include <string>

#include "sim/strategy.h"
#include "tests/sim/strategy_test_util.h"

namespace simbus::sim {
namespace {

using testing::explore;
using testing::racy_counter;

class SerialStrategies : public ::testing::TestWithParam<std::string> {};

TEST_P(SerialStrategies, NeverLoseTheUpdate) {
  const auto r = explore(GetParam(), racy_counter(), 500);
  EXPECT_EQ(r.executions, 500u);
  EXPECT_EQ(r.failures, 0u) << GetParam();
}

INSTANTIATE_TEST_SUITE_P(Bound0, SerialStrategies,
                         ::testing::Values("preempt:0", "delay:0", "pct:1", "preempt:0:10", "delay:0:5", "pct:1:10"));

class OneDeviationStrategies : public ::testing::TestWithParam<std::string> {};

TEST_P(OneDeviationStrategies, FindTheLostUpdate) {
  const auto r = explore(GetParam(), racy_counter(), 2000);
  EXPECT_GT(r.failures, 0u) << GetParam();
  EXPECT_LT(r.failures, r.executions) << GetParam();
}

INSTANTIATE_TEST_SUITE_P(Bound1, OneDeviationStrategies,
                         ::testing::Values("preempt:1", "delay:1", "pct:2", "pct:2:10", "random", "random:fair",
                                           "pctcp:2", "preempt:2:10", "delay:2:10", "pct:3"));

TEST(DfsBounds, Bound0IsExhaustedWithoutTheBugBound1FindsIt) {
  for (const std::string spec : {"dfs:preempt:0", "dfs:delay:0"}) {
    const auto r = explore(spec, racy_counter(), 10'000, 1, true);
    EXPECT_TRUE(r.exhausted) << spec;
    EXPECT_EQ(r.failures, 0u) << spec;
  }
  for (const std::string spec : {"dfs:preempt:1", "dfs:delay:1", "dfs"}) {
    const auto r = explore(spec, racy_counter(), 10'000, 1, true);
    EXPECT_TRUE(r.exhausted) << spec;
    EXPECT_GT(r.failures, 0u) << spec;
  }
}

TEST(DfsBounds, Delay0IsOneScheduleAndBoundsNest) {
  const auto d0 = explore("dfs:delay:0", racy_counter(3), 100'000, 1, true);
  EXPECT_EQ(d0.executions, 1u);
  std::uint64_t previous = 0;
  for (int k = 0; k <= 3; ++k) {
    const auto r = explore(fmt::format("dfs:delay:{}", k), racy_counter(3), 100'000, 1, true);
    EXPECT_TRUE(r.exhausted);
    EXPECT_GE(r.executions, previous);
    previous = r.executions;
  }
  const auto all = explore("dfs", racy_counter(3), 100'000, 1, true);
  EXPECT_GE(all.executions, previous);
  // Bounded by preemptions: every schedule dfs:preempt:K visits is a dfs schedule.
  const auto p1 = explore("dfs:preempt:1", racy_counter(3), 100'000, 1, true);
  EXPECT_LT(p1.executions, all.executions);
  for (const auto& key : p1.trace_keys) EXPECT_TRUE(all.trace_keys.count(key));
}

TEST(DfsBounds, DfsVisitsEveryInterleavingOnce) {
  // Two fibers of three steps each (start, load, store) interleave in C(6,3) = 20 ways;
  // main's joins interleave with the second worker's tail, adding more. Each schedule is
  // a different execution (distinct trace hashes).
  const auto r = explore("dfs", racy_counter(2), 100'000, 1, true);
  EXPECT_TRUE(r.exhausted);
  EXPECT_GE(r.executions, 20u);
  EXPECT_EQ(r.hashes.size(), r.executions);
}

TEST(MessageChains, PctcpRunsDeliveriesAsActionsAndIsDeterministic) {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    const auto a = explore("pctcp:3", testing::network_fan_in(), 1, seed);
    const auto b = explore("pctcp:3", testing::network_fan_in(), 1, seed);
    ASSERT_EQ(a.executions, 1u);
    ASSERT_EQ(a.failures, 0u);
    ASSERT_EQ(a.hashes, b.hashes);
  }
}

class SeededDeterminism : public ::testing::TestWithParam<std::string> {};

TEST_P(SeededDeterminism, SameSeedSameHash) {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    const auto a = explore(GetParam(), racy_counter(3, 2), 1, seed);
    const auto b = explore(GetParam(), racy_counter(3, 2), 1, seed);
    ASSERT_EQ(a.hashes, b.hashes) << GetParam() << " seed " << seed;
  }
}

INSTANTIATE_TEST_SUITE_P(All, SeededDeterminism,
                         ::testing::Values("random", "random:fair", "pct:3", "pctcp:2", "preempt:2", "delay:2",
                                           "preempt:1:5", "delay:3:7"));

TEST(StrategyRegistry, SpellingsAndErrors) {
  std::string error;
  for (const std::string good : {"random", "random:fair", "pct:1", "pct:3:500", "pctcp:2", "preempt:0", "preempt:2:50",
                                 "delay:1", "delay:3:9", "dfs", "dfs:preempt:2", "dfs:delay:0", "dpor"}) {
    EXPECT_NE(make_strategy(good, &error), nullptr) << good << ": " << error;
  }
  for (const std::string bad : {"pct", "pct:0", "pct:x", "pct:2:0", "preempt", "preempt:-1", "delay:1:0", "dfs:3",
                                "dfs:preempt", "dpor:1", "random:unfair", "nope"}) {
    error.clear();
    EXPECT_EQ(make_strategy(bad, &error), nullptr) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
  EXPECT_TRUE(strategy_needs_schedule("dfs"));
  EXPECT_TRUE(strategy_needs_schedule("dfs:delay:2"));
  EXPECT_TRUE(strategy_needs_schedule("dpor"));
  EXPECT_FALSE(strategy_needs_schedule("pct:2"));
  EXPECT_FALSE(strategy_needs_schedule("delay:1"));
}

}  // namespace
}  // namespace simbus::sim
