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

struct Case {
  std::string name;
  Program program;
};

// Every program of papers/dpor-counts part A, and the others of dpor_counts_test.cc.
std::vector<Case> brute_force_programs() {
  std::vector<Case> cases;
  for (int n = 1; n <= 3; ++n) cases.push_back({fmt::format("readers-writers({})", n), testing::readers_writers(n)});
  for (int n = 1; n <= 3; ++n) cases.push_back({fmt::format("lastzero({})", n), testing::lastzero(n)});
  cases.push_back({"racy-counter(2x1)", testing::racy_counter(2, 1)});
  cases.push_back({"racy-counter(2x2)", testing::racy_counter(2, 2)});
  cases.push_back({"racy-counter(3x1)", testing::racy_counter(3, 1)});
  cases.push_back({"filesystem(2)", testing::filesystem(2)});
  cases.push_back({"locked-pair", testing::locked_pair()});
  cases.push_back({"channel-join", testing::channel_join()});
  cases.push_back({"mutex-counter(2x2)", testing::mutex_counter(2, 2)});
  cases.push_back({"mutex-counter(3x1)", testing::mutex_counter(3, 1)});
  cases.push_back({"mutex-counter(2x3)", testing::mutex_counter(2, 3)});
  cases.push_back({"opposite-locks", testing::opposite_locks()});
  cases.push_back({"torn-read", testing::torn_read()});
  cases.push_back({"try-lock-race", testing::try_lock_race()});
  cases.push_back({"condvar-handoff", testing::condvar_handoff()});
  cases.push_back({"network-fan-in", testing::network_fan_in()});
  cases.push_back({"indexer(3)", testing::indexer(3)});
  return cases;
}

TEST(DporOptimal, OneCompleteExecutionPerTraceAndNoneBlockedOnEveryProgram) {
  for (const Case& c : brute_force_programs()) {
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

TEST(DporOptimal, ReadersWritersIsTwoToTheN) {
  for (int n = 1; n <= 8; ++n) {
    const ExploreResult r = explore("dpor", testing::readers_writers(n), 1'000'000, 1, true);
    EXPECT_TRUE(r.exhausted) << n;
    EXPECT_EQ(r.executions, 1u << n) << n;
    EXPECT_EQ(r.trace_keys.size(), 1u << n) << n;
    EXPECT_EQ(r.blocked, 0u) << n;
  }
}

TEST(DporOptimal, FindsTheLostUpdateAndTheDeadlock) {
  const ExploreResult racy = explore("dpor", testing::racy_counter(2, 1), 1'000, 1, true);
  EXPECT_TRUE(racy.exhausted);
  EXPECT_GT(racy.failures, 0u);
  const ExploreResult locks = explore("dpor", testing::opposite_locks(), 1'000, 1, true);
  EXPECT_TRUE(locks.exhausted);
  EXPECT_GT(locks.failures, 0u);
}

}  // namespace
}  // namespace simbus::sim
