// Raft safety under random schedules: reordering, drops, duplicates, crashes with lost
// unsynced writes, compaction and InstallSnapshot. Thousands of seeds, plus rapidcheck
// over the fault mix.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstdlib>

#include "tests/core/raft_harness.h"

namespace simbus::core {
namespace {

// Tests are deterministic: rapidcheck's seed is fixed unless RC_PARAMS says otherwise.
const bool rapidcheck_seeded = [] {
  setenv("RC_PARAMS", "seed=20261125", 0);
  return true;
}();

using testing::HarnessOptions;
using testing::RaftHarness;

TEST(RaftProperty, ElectsAndCommitsWithoutFaults) {
  HarnessOptions options;
  options.drop_percent = 0;
  options.duplicate_percent = 0;
  options.crash_per_mille = 0;
  RaftHarness h(1, options);
  h.run(3000, false);
  ASSERT_FALSE(h.violation()) << *h.violation();
  EXPECT_GT(h.max_commit_seen(), 20u);
  EXPECT_TRUE(h.commits_after_heal(5000));
}

TEST(RaftProperty, SafetyAcrossThousandsOfSeeds) {
  std::uint64_t commits = 0;
  for (std::uint64_t seed = 1; seed <= 2000; ++seed) {
    HarnessOptions options;
    options.nodes = seed % 2 == 0 ? 3 : 5;
    options.drop_percent = seed % 20;
    options.duplicate_percent = seed % 7;
    options.crash_per_mille = seed % 11;
    options.compact_after_entries = seed % 3 == 0 ? 0 : 4 + seed % 8;
    RaftHarness h(seed, options);
    h.run(600);
    ASSERT_FALSE(h.violation()) << "seed " << seed << ": " << *h.violation();
    ASSERT_TRUE(h.commits_after_heal(20000)) << "seed " << seed << ": no commit after heal";
    ASSERT_FALSE(h.violation()) << "seed " << seed << ": " << *h.violation();
    commits += h.max_commit_seen();
  }
  EXPECT_GT(commits, 2000u);
}

TEST(RaftProperty, SafetyWithoutPreVoteOrCheckQuorum) {
  for (std::uint64_t seed = 1; seed <= 300; ++seed) {
    HarnessOptions options;
    options.pre_vote = seed % 2 == 0;
    options.check_quorum = seed % 3 == 0;
    options.crash_per_mille = 8;
    options.drop_percent = 10;
    RaftHarness h(seed * 7919, options);
    h.run(600);
    ASSERT_FALSE(h.violation()) << "seed " << seed << ": " << *h.violation();
    ASSERT_TRUE(h.commits_after_heal(20000)) << "seed " << seed;
  }
}

RC_GTEST_PROP(RaftProperty, SafetyUnderRandomFaults, ()) {
  const auto seed = *rc::gen::arbitrary<std::uint64_t>();
  HarnessOptions options;
  options.nodes = *rc::gen::element<std::size_t>(1, 2, 3, 4, 5);
  options.drop_percent = *rc::gen::inRange<std::uint64_t>(0, 40);
  options.duplicate_percent = *rc::gen::inRange<std::uint64_t>(0, 30);
  options.crash_per_mille = *rc::gen::inRange<std::uint64_t>(0, 30);
  options.compact_after_entries = *rc::gen::inRange<std::uint64_t>(0, 12);
  options.pre_vote = *rc::gen::arbitrary<bool>();
  options.check_quorum = *rc::gen::arbitrary<bool>();
  RaftHarness h(seed, options);
  h.run(500);
  RC_ASSERT(!h.violation());
  RC_ASSERT(h.commits_after_heal(20000));
  RC_ASSERT(!h.violation());
}

}  // namespace
}  // namespace simbus::core
