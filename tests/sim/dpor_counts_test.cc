// Source-DPOR (`dpor-source`) explores exactly one complete execution per Mazurkiewicz
// trace. The trace count is computed independently: dfs enumerates every interleaving and
// the executions are grouped by their trace key (the per-object order of dependent
// accesses). The optimal `dpor` is held to the same, and to no blocked exploration, by
// dpor_optimal_test.cc.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

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
  c.dpor = explore("dpor-source", program, 1'000'000, 1, true);
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
  // Soundness for bugs: every failing trace dfs reaches, dpor reaches.
  EXPECT_EQ(c.dpor.failing_keys, c.dfs.failing_keys) << what;
}

// As expect_optimal, and with `traces` complete executions and no sleep-set-blocked
// exploration (what optimal DPOR achieves everywhere; source-DPOR on these lock programs).
void expect_exact(const Counts& c, std::uint64_t traces, const std::string& what) {
  expect_optimal(c, what);
  EXPECT_EQ(c.dfs.trace_keys.size(), traces) << what;
  EXPECT_EQ(c.dpor.blocked, 0u) << what;
}

TEST(DporCounts, ReadersWritersIsTwoToTheN) {
  for (int n = 1; n <= 8; ++n) {
    const auto r = explore("dpor-source", testing::readers_writers(n), 1'000'000, 1, true);
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

// Lock-heavy programs: an unlock reports its release (Strategy::note_hidden_write), so the
// steps of one critical section happen before the next acquisition's, and only the
// acquisitions race. Exact counts, no blocked exploration, every dfs bug found.
TEST(DporCounts, MutexCounterIsTheCriticalSectionOrders) {
  expect_exact(count_both(testing::mutex_counter(2, 1)), 2, "mutex-counter 2x1");
  expect_exact(count_both(testing::mutex_counter(2, 2)), 6, "mutex-counter 2x2");
  expect_exact(count_both(testing::mutex_counter(3, 1)), 6, "mutex-counter 3x1");
  expect_exact(count_both(testing::mutex_counter(2, 3)), 20, "mutex-counter 2x3");
}

TEST(DporCounts, LockProgramsMatchBruteForceWithoutBlocking) {
  expect_exact(count_both(testing::locked_pair()), 6, "locked pair");
  expect_exact(count_both(testing::filesystem(2)), 1, "filesystem 2");
}

TEST(DporCounts, OppositeLockOrdersDeadlockIsFound) {
  const Counts c = count_both(testing::opposite_locks());
  EXPECT_GT(c.dfs.failures, 0u);
  EXPECT_GT(c.dpor.failures, 0u);
  expect_exact(c, c.dfs.trace_keys.size(), "opposite locks");
}

TEST(DporCounts, TornReadUnderALockIsFound) {
  const Counts c = count_both(testing::torn_read());
  EXPECT_GT(c.dfs.failures, 0u);
  expect_exact(c, c.dfs.trace_keys.size(), "torn read");
}

TEST(DporCounts, TryLockRacesWithTheRelease) {
  // The try_lock fails or succeeds depending on where the holder's unlock falls: a race
  // with a step that is no scheduling point. dpor reverses it and finds the failure.
  const Counts c = count_both(testing::try_lock_race());
  EXPECT_GT(c.dfs.failures, 0u);
  EXPECT_GT(c.dfs.failures, 0u);
  expect_optimal(c, "try_lock race");
}

TEST(DporCounts, CondVarHandoffMatchesBruteForce) {
  expect_optimal(count_both(testing::condvar_handoff()), "condvar handoff");
}

TEST(DporCounts, FilesystemMatchesBruteForce) {
  expect_optimal(count_both(testing::filesystem(2)), "filesystem 2");
}

TEST(DporCounts, ChannelsAndJoinsMatchBruteForce) {
  expect_optimal(count_both(testing::channel_join()), "channel join");
}

TEST(DporCounts, NetworkDeliveriesMatchBruteForce) {
  expect_optimal(count_both(testing::network_fan_in()), "network fan-in");
}

TEST(DporCounts, DiningPhilosophersDeadlockIsFound) {
  // Three philosophers, left fork then right: dpor finds the deadlock, exhausts the space.
  const Program philosophers = [](World& world) -> std::function<bool()> {
    auto forks = std::make_shared<std::vector<std::unique_ptr<Mutex>>>();
    for (int i = 0; i < 3; ++i) forks->push_back(std::make_unique<Mutex>());
    for (int i = 0; i < 3; ++i) {
      world.spawn(kControlNode, fmt::format("philosopher-{}", i), [forks, i] {
        (*forks)[i]->lock();
        (*forks)[(i + 1) % 3]->lock();
        (*forks)[(i + 1) % 3]->unlock();
        (*forks)[i]->unlock();
      });
    }
    return [] { return true; };
  };
  const auto r = explore("dpor-source", philosophers, 100'000, 1, true);
  EXPECT_TRUE(r.exhausted);
  EXPECT_GT(r.failures, 0u);
  expect_optimal(count_both(philosophers), "philosophers 3");
}

TEST(DporCounts, IndexerWithoutCollisionsIsOneTrace) {
  const auto r = explore("dpor-source", testing::indexer(3), 1'000, 1, true);
  EXPECT_TRUE(r.exhausted);
  EXPECT_EQ(r.executions, 1u);
}

TEST(DporCounts, DporFindsTheLostUpdate) {
  const auto r = explore("dpor-source", testing::racy_counter(2, 1), 1'000, 1, true);
  EXPECT_TRUE(r.exhausted);
  EXPECT_GT(r.failures, 0u);
}

}  // namespace
}  // namespace simbus::sim

namespace simbus::sim {
namespace {

// Not run in CI: papers/dpor-counts/run.sh runs it with --gtest_also_run_disabled_tests
// and keeps its table (brute-force trace counts need every interleaving: seconds to
// minutes).
TEST(DporTable, DISABLED_BruteForceTable) {
  const std::vector<testing::NamedProgram> rows = testing::dpor_count_programs(true);
  std::printf("| program | interleavings (dfs) | traces (brute force) | dpor complete | dpor blocked | "
              "dpor-source complete | dpor-source blocked | optimal |\n");
  std::printf("|---|---:|---:|---:|---:|---:|---:|---|\n");
  for (const testing::NamedProgram& row : rows) {
    const auto dfs = explore("dfs", row.program, 5'000'000, 1, true);
    const auto dpor = explore("dpor", row.program, 5'000'000, 1, true);
    const auto source = explore("dpor-source", row.program, 5'000'000, 1, true);
    // Optimal: one complete execution per trace, every trace, none abandoned.
    const bool optimal = dfs.exhausted && dpor.exhausted && dpor.executions == dfs.trace_keys.size() &&
                         dpor.trace_keys == dfs.trace_keys && dpor.blocked == 0;
    std::printf("| %s | %llu%s | %zu | %llu | %llu | %llu | %llu | %s |\n", row.name.c_str(),
                static_cast<unsigned long long>(dfs.executions), dfs.exhausted ? "" : "+", dfs.trace_keys.size(),
                static_cast<unsigned long long>(dpor.executions), static_cast<unsigned long long>(dpor.blocked),
                static_cast<unsigned long long>(source.executions), static_cast<unsigned long long>(source.blocked),
                optimal ? "yes" : "NO");
    EXPECT_TRUE(optimal) << row.name;
    EXPECT_EQ(source.trace_keys, dfs.trace_keys) << row.name;
  }
}

}  // namespace
}  // namespace simbus::sim
