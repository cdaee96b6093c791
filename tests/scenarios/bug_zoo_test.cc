// Every seeded bug the scenarios catch, caught cheaply: the scenario and seed known to
// find it fail with the named checker when the bug is on, and pass when it is off.
// (Bugs not listed here are not yet caught by any scenario: see the README's bug table.)
#include <gtest/gtest.h>

#include <string>

#include "core/bugs.h"
#include "scenarios/scenario.h"

namespace simbus::scenarios {
namespace {

struct Caught {
  const char* bug;
  const char* scenario;
  std::uint64_t seed;
  const char* check;
};

constexpr Caught kCaught[] = {
    {"append_from_stale_term", "partition-majority", 8, "raft-state-machine-safety"},
    {"truncate_on_matching_prefix", "retry-storm", 2, "raft-log-truncation"},
    {"append_reply_before_fsync", "crash-restart-all", 3, "raft-state-machine-safety"},
    {"publish_ack_before_commit", "retry-storm", 1, "linearizability"},
    {"follower_local_read", "retry-storm", 4, "linearizability"},
    {"fanout_unordered_workers", "broker-smoke", 1, "fifo"},
    {"presence_remove_on_first_close", "presence-churn", 4, "presence-convergence"},
    {"retry_applied_twice", "retry-storm", 1, "linearizability"},
    {"client_event_echoed", "broker-smoke", 1, "phantom"},
    {"vote_before_persist", "crash-after-vote", 2, "raft-election-safety"},
    {"snapshot_over_newer_log", "snapshot-catchup", 7, "raft-log-truncation"},
    {"lease_read_ignores_skew", "lease-reads-skew", 1, "linearizability"},
    {"read_index_reuses_acked_round", "paused-leader-reads", 1, "linearizability"},
    {"resume_off_by_one", "connect-churn", 1, "duplicate"},
    {"registry_update_without_lock", "connect-churn", 1, "lost"},
    {"commit_previous_term_by_count", "raft-figure8", 1, "raft-state-machine-safety"},
    {"read_answered_on_heartbeat", "broker-smoke", 1, "latency"},
    {"close_not_replicated", "broker-smoke", 1, "connection-leak"},
    {"snapshot_omits_members", "presence-churn", 3, "replica-agreement"},
    {"node_up_expires_others", "leader-crash", 1, "subscription-lost"},
    {"expiry_notice_not_sent", "session-expiry", 4, "session-end-untold"},
};

class BugZoo : public ::testing::TestWithParam<Caught> {};

TEST_P(BugZoo, CaughtWithTheBugAndQuietWithout) {
  const Caught& c = GetParam();
  ASSERT_TRUE(core::bug_from_name(c.bug).has_value()) << c.bug;
  RunRequest request;
  request.scenario = c.scenario;
  request.seed = c.seed;
  request.bug = c.bug;
  const RunResult with_bug = run_scenario(request);
  EXPECT_FALSE(with_bug.passed()) << c.bug;
  EXPECT_EQ(with_bug.outcome.check, c.check) << with_bug.outcome.message;
  // The reproduce line's request fails again, the same way.
  const RunResult again = run_scenario(request);
  EXPECT_EQ(again.outcome.trace_hash, with_bug.outcome.trace_hash);
  request.bug.clear();
  const RunResult without = run_scenario(request);
  EXPECT_TRUE(without.passed()) << without.outcome.check << ": " << without.outcome.message;
}

// raft-figure8 is a script over observed Raft state: each seed must carry it to its last
// step (a leader of a newer term over the node that took the old-term append), or a pass
// without the bug would prove nothing; with the bug every one of these seeds fails.
// The channel-info reads are in the linearizability search, not only compared with
// acknowledged publishes: on this seed every read sees every publish acknowledged before
// it (the n log n pre-check passes), but a follower's local read misses an event an
// earlier read saw, which only the search over publishes and reads together can tell.
TEST(BugZoo, AReadStaleOnlyAgainstAnotherReadFailsTheSearch) {
  RunRequest request;
  request.scenario = "paused-leader-reads";
  request.seed = 29;
  request.bug = "follower_local_read";
  const RunResult r = run_scenario(request);
  ASSERT_FALSE(r.passed());
  EXPECT_EQ(r.outcome.check, "linearizability");
  EXPECT_EQ(r.outcome.message.find("stale read"), std::string::npos) << r.outcome.message;
  EXPECT_NE(r.outcome.message.find("seq_last[news-"), std::string::npos) << r.outcome.message;
  request.bug.clear();
  EXPECT_TRUE(run_scenario(request).passed());
}

TEST(RaftFigure8, EverySeedReachesTheLastStepAndOnlyTheBugFails) {
  constexpr std::uint64_t kSeeds = 6;
  for (std::uint64_t seed = 1; seed <= kSeeds; ++seed) {
    RunRequest request;
    request.scenario = "raft-figure8";
    request.seed = seed;
    const RunResult clean = run_scenario(request);
    EXPECT_TRUE(clean.passed()) << "seed " << seed << ": " << clean.outcome.check << ": " << clean.outcome.message;
    bool last_step = false;
    for (const std::string& line : clean.report) {
      EXPECT_EQ(line.find("gave up"), std::string::npos) << "seed " << seed << ": " << line;
      if (line.rfind("figure8: ", 0) == 0 && line.find(" over ") != std::string::npos) last_step = true;
    }
    EXPECT_TRUE(last_step) << "seed " << seed;
    request.bug = "commit_previous_term_by_count";
    const RunResult buggy = run_scenario(request);
    EXPECT_FALSE(buggy.passed()) << "seed " << seed;
    EXPECT_EQ(buggy.outcome.check, "raft-state-machine-safety") << "seed " << seed << ": " << buggy.outcome.message;
  }
}

INSTANTIATE_TEST_SUITE_P(Caught, BugZoo, ::testing::ValuesIn(kCaught),
                         [](const ::testing::TestParamInfo<Caught>& info) { return std::string(info.param.bug); });

}  // namespace
}  // namespace simbus::scenarios
