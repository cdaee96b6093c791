// DPOR explores exactly one complete execution per Mazurkiewicz trace. The trace count
// is computed independently: dfs enumerates every interleaving and the executions are
// grouped by their trace key (the per-object order of dependent accesses).
#include <gtest/gtest.h>

#include <string>

#include "tests/sim/strategy_test_util.h"

namespace simbus::sim {
namespace {

using testing::explore;
using testing::ExploreResult;
using testing::Program;

struct Counts {
  ExploreResult dfs;
  ExploreResult dpor;
};

Counts count_both(const Program& program, std::uint64_t dfs_max = 200'000) {
  Counts c;
  c.dfs = explore("dfs", program, dfs_max, 1, true);
  c.dpor = explore("dpor", program, 1'000'000, 1, true);
  return c;
}

void expect_optimal(const Counts& c, const std::string& what) {
  ASSERT_TRUE(c.dfs.exhausted) << what;
  ASSERT_TRUE(c.dpor.exhausted) << what;
  const std::uint64_t traces = c.dfs.trace_keys.size();
  EXPECT_EQ(c.dpor.executions, traces) << what;
  // Each complete DPOR execution is a different trace, and together they cover all.
  EXPECT_EQ(c.dpor.trace_keys.size(), c.dpor.executions) << what;
  EXPECT_EQ(c.dpor.trace_keys, c.dfs.trace_keys) << what;
}

TEST(DporCounts, ReadersWritersIsTwoToTheN) {
  for (int n = 1; n <= 8; ++n) {
    const auto r = explore("dpor", testing::readers_writers(n), 1'000'000, 1, true);
    EXPECT_TRUE(r.exhausted) << n;
    EXPECT_EQ(r.executions, 1u << n) << n;
    EXPECT_EQ(r.trace_keys.size(), 1u << n) << n;
  }
}

TEST(DporCounts, ReadersWritersMatchesBruteForce) {
  for (int n = 1; n <= 3; ++n) expect_optimal(count_both(testing::readers_writers(n)), fmt::format("rw {}", n));
}

TEST(DporCounts, RacyCounterMatchesBruteForce) {
  expect_optimal(count_both(testing::racy_counter(2, 1)), "racy 2x1");
  expect_optimal(count_both(testing::racy_counter(2, 2)), "racy 2x2");
  expect_optimal(count_both(testing::racy_counter(3, 1)), "racy 3x1");
}

TEST(DporCounts, LastzeroMatchesBruteForce) {
  for (int n = 1; n <= 2; ++n) expect_optimal(count_both(testing::lastzero(n)), fmt::format("lastzero {}", n));
}

TEST(DporCounts, LocksMatchBruteForce) { expect_optimal(count_both(testing::locked_pair()), "locked pair"); }

TEST(DporCounts, FilesystemMatchesBruteForce) {
  expect_optimal(count_both(testing::filesystem(2)), "filesystem 2");
}

TEST(DporCounts, ChannelsAndJoinsMatchBruteForce) {
  expect_optimal(count_both(testing::channel_join()), "channel join");
}

TEST(DporCounts, IndexerWithoutCollisionsIsOneTrace) {
  const auto r = explore("dpor", testing::indexer(3), 1'000, 1, true);
  EXPECT_TRUE(r.exhausted);
  EXPECT_EQ(r.executions, 1u);
}

TEST(DporCounts, DporFindsTheLostUpdate) {
  const auto r = explore("dpor", testing::racy_counter(2, 1), 1'000, 1, true);
  EXPECT_TRUE(r.exhausted);
  EXPECT_GT(r.failures, 0u);
}

}  // namespace
}  // namespace simbus::sim
