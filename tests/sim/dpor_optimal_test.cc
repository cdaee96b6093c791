// `dpor` (optimal DPOR with wakeup trees, sim/strategy_dpor.cc) explores exactly
// one complete execution per Mazurkiewicz trace and never a sleep-set-blocked one. The
// trace count is computed independently: dfs enumerates every interleaving and groups
// the executions by trace key (the per-object order of dependent accesses); for programs
// too large for that, source-DPOR (`dpor-source`, checked against dfs in dpor_counts_test.cc)
// gives the same set of traces.
#include <gtest/gtest.h>

#include <string>

#include "tests/sim/strategy_test_util.h"

namespace simbus::sim {
namespace {

using testing::explore;
using testing::ExploreResult;
using testing::Program;

// Every program of papers/dpor-counts part A that brute force counts in a test, and two
// more: a third mutex-counter order, network deliveries. (indexer(3) is left to the test
// below: dfs needs 756,756 interleavings, 10 s, to count its one trace.)
std::vector<testing::NamedProgram> brute_force_programs() {
  std::vector<testing::NamedProgram> cases = testing::dpor_count_programs(false);
  cases.push_back({"mutex-counter(2x3)", testing::mutex_counter(2, 3)});
  cases.push_back({"network-fan-in", testing::network_fan_in()});
  return cases;
}

// The failing traces too: the lost update of racy-counter, the deadlock of opposite-locks.
TEST(DporOptimal, OneCompleteExecutionPerTraceAndNoneBlockedOnEveryProgram) {
  for (const testing::NamedProgram& c : brute_force_programs()) {
    const ExploreResult dfs = explore("dfs", c.program, 2'000'000, 1, true);
    const ExploreResult opt = explore("dpor", c.program, 1'000'000, 1, true);
    ASSERT_TRUE(dfs.exhausted) << c.name;
    ASSERT_TRUE(opt.exhausted) << c.name;
    EXPECT_EQ(opt.executions, dfs.trace_keys.size()) << c.name;
    EXPECT_EQ(opt.trace_keys.size(), opt.executions) << c.name << ": an execution repeated a trace";
    EXPECT_EQ(opt.trace_keys, dfs.trace_keys) << c.name;
    EXPECT_EQ(opt.failing_keys, dfs.failing_keys) << c.name << ": a failing trace dfs reaches was missed";
    EXPECT_EQ(opt.blocked, 0u) << c.name;
  }
}

// Beyond brute force: the same traces as source-DPOR, without its blocked explorations
// (lastzero n=4..8: source-DPOR abandons 3, 6, 55, 114 and 236).
TEST(DporOptimal, LastzeroUpToEightMatchesSourceDporWithoutBlocking) {
  const std::uint64_t traces[] = {0, 2, 5, 12, 28, 64, 144, 320, 704};
  for (int n = 1; n <= 8; ++n) {
    const ExploreResult source = explore("dpor-source", testing::lastzero(n), 1'000'000, 1, true);
    const ExploreResult opt = explore("dpor", testing::lastzero(n), 1'000'000, 1, true);
    ASSERT_TRUE(opt.exhausted) << n;
    EXPECT_EQ(opt.executions, traces[n]) << n;
    EXPECT_EQ(opt.trace_keys, source.trace_keys) << n;
    EXPECT_EQ(opt.blocked, 0u) << n;
  }
}

TEST(DporOptimal, IndexerWithoutCollisionsIsOneTrace) {
  const ExploreResult r = explore("dpor", testing::indexer(3), 1'000, 1, true);
  EXPECT_TRUE(r.exhausted);
  EXPECT_EQ(r.executions, 1u);
  EXPECT_EQ(r.blocked, 0u);
}

TEST(DporOptimal, ReadersWritersIsTwoToTheN) {
  for (int n = 1; n <= 8; ++n) {
    const ExploreResult r = explore("dpor", testing::readers_writers(n), 1'000'000, 1, true);
    EXPECT_TRUE(r.exhausted) << n;
    EXPECT_EQ(r.executions, 1u << n) << n;
    EXPECT_EQ(r.trace_keys.size(), 1u << n) << n;
    EXPECT_EQ(r.blocked, 0u) << n;
  }
}

}  // namespace
}  // namespace simbus::sim
