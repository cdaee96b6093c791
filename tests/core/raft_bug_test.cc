// The pure harness finds the seeded Raft bugs (and, with them off, finds nothing: see
// raft_property_test.cc). The figure-8 bug needs a rarer interleaving than this harness
// produces; the simulator's scenarios hunt it.
#include <gtest/gtest.h>

#include "tests/core/raft_harness.h"

namespace simbus::core {
namespace {

using testing::HarnessOptions;
using testing::RaftHarness;

// The first seed in [1, seeds_max] whose run shows a violation; 0 if none.
std::uint64_t first_failing_seed(Bug bug, std::uint64_t seeds_max) {
  for (std::uint64_t seed = 1; seed <= seeds_max; ++seed) {
    HarnessOptions options;
    options.nodes = seed % 2 ? 3 : 5;
    options.crash_per_mille = 10 + seed % 20;
    options.drop_percent = seed % 20;
    options.duplicate_percent = seed % 10;
    options.compact_after_entries = seed % 3 == 0 ? 0 : 4;
    RaftHarness h(seed, options, Bugs::only(bug));
    h.run(600);
    if (!h.violation()) h.commits_after_heal(20000);
    if (h.violation()) return seed;
  }
  return 0;
}

TEST(RaftBugs, HarnessFindsVoteBeforePersist) {
  EXPECT_NE(first_failing_seed(Bug::vote_before_persist, 400), 0u);
}
TEST(RaftBugs, HarnessFindsAppendFromStaleTerm) {
  EXPECT_NE(first_failing_seed(Bug::append_from_stale_term, 400), 0u);
}
TEST(RaftBugs, HarnessFindsTruncateOnMatchingPrefix) {
  EXPECT_NE(first_failing_seed(Bug::truncate_on_matching_prefix, 200), 0u);
}
TEST(RaftBugs, HarnessFindsAppendReplyBeforeFsync) {
  EXPECT_NE(first_failing_seed(Bug::append_reply_before_fsync, 50), 0u);
}
TEST(RaftBugs, HarnessFindsSnapshotOverNewerLog) {
  EXPECT_NE(first_failing_seed(Bug::snapshot_over_newer_log, 400), 0u);
}

TEST(Bugs, TableIsCompleteAndNamed) {
  EXPECT_GE(bug_table().size(), 12u);
  for (const BugInfo& info : bug_table()) {
    EXPECT_EQ(bug_from_name(info.name), info.bug);
    EXPECT_FALSE(info.mechanism.empty());
    EXPECT_FALSE(info.caught_by.empty());
  }
  EXPECT_FALSE(bug_from_name("no_such_bug"));
  EXPECT_FALSE(Bugs::none().any());
  EXPECT_TRUE(Bugs::only(Bug::resume_off_by_one).has(Bug::resume_off_by_one));
}

}  // namespace
}  // namespace simbus::core
