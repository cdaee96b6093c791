// One test per Raft rule, driving RaftNode with hand-made messages.
#include <gtest/gtest.h>

#include "core/raft.h"

namespace simbus::core {
namespace {

constexpr std::int64_t kMin = 150'000;

RaftConfig config(NodeId id, bool pre_vote = false, bool check_quorum = false) {
  RaftConfig c;
  c.id = id;
  c.members = {0, 1, 2};
  c.pre_vote = pre_vote;
  c.check_quorum = check_quorum;
  return c;
}

std::unique_ptr<RaftNode> make(NodeId id, RecoveredState state = {}, bool pre_vote = false,
                               bool check_quorum = false, Bugs bugs = {}) {
  return std::make_unique<RaftNode>(config(id, pre_vote, check_quorum), bugs, std::move(state),
                                    [](std::uint64_t b) { return b / 2; }, 0);
}

template <class T>
std::vector<std::pair<NodeId, T>> sent(const Ready& ready) {
  std::vector<std::pair<NodeId, T>> out;
  for (const Outgoing& o : ready.messages) {
    if (const T* m = std::get_if<T>(&o.message)) out.emplace_back(o.to, *m);
  }
  return out;
}

// Makes node 0 leader of term 1 with both peers' votes; returns it drained.
std::unique_ptr<RaftNode> leader(bool check_quorum = false) {
  auto n = make(0, {}, false, check_quorum);
  n->tick(1'000'000);
  EXPECT_EQ(n->role(), Role::candidate);
  n->take_ready();
  n->step(1'000'001, 1, VoteResponse{1, true, false});
  EXPECT_EQ(n->role(), Role::leader);
  n->take_ready();
  return n;
}

TEST(RaftRules, ElectionTimeoutStartsACampaignWithAPersistedSelfVote) {
  auto n = make(0);
  n->tick(kMin - 1);
  EXPECT_EQ(n->role(), Role::follower);
  n->tick(1'000'000);
  EXPECT_EQ(n->role(), Role::candidate);
  Ready r = n->take_ready();
  ASSERT_TRUE(r.hard_state);
  EXPECT_EQ(r.hard_state->term, 1u);
  EXPECT_EQ(r.hard_state->voted_for, 0u);
  EXPECT_EQ(sent<VoteRequest>(r).size(), 2u);
}

TEST(RaftRules, PreVoteDoesNotBumpTerms) {
  auto n = make(0, {}, true);
  n->tick(1'000'000);
  EXPECT_EQ(n->role(), Role::pre_candidate);
  EXPECT_EQ(n->term(), 0u);
  Ready r = n->take_ready();
  EXPECT_FALSE(r.hard_state);
  auto requests = sent<VoteRequest>(r);
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_TRUE(requests[0].second.pre_vote);
  EXPECT_EQ(requests[0].second.term, 1u);
  // A voter answering a pre-vote keeps its own term.
  auto voter = make(1);
  voter->step(10, 0, requests[0].second);
  EXPECT_EQ(voter->term(), 0u);
  auto answers = sent<VoteResponse>(voter->take_ready());
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_TRUE(answers[0].second.granted);
  n->step(1'000'001, 1, answers[0].second);
  EXPECT_EQ(n->role(), Role::candidate);
  EXPECT_EQ(n->term(), 1u);
}

TEST(RaftRules, OneVotePerTermAndOnlyForUpToDateLogs) {
  RecoveredState s;
  s.hard_state = HardState{2, no_node};
  s.entries = {LogEntry{2, 1, {}}};
  auto n = make(1, s);
  n->step(10, 0, VoteRequest{3, 0, 0, false});  // shorter log: refused (term adopted)
  EXPECT_FALSE(sent<VoteResponse>(n->take_ready()).at(0).second.granted);
  EXPECT_EQ(n->term(), 3u);
  n->step(11, 0, VoteRequest{3, 1, 2, false});
  EXPECT_TRUE(sent<VoteResponse>(n->take_ready()).at(0).second.granted);
  n->step(12, 2, VoteRequest{3, 5, 2, false});  // already voted for 0 in term 3
  EXPECT_FALSE(sent<VoteResponse>(n->take_ready()).at(0).second.granted);
}

TEST(RaftRules, StaleTermAppendIsRejected) {
  RecoveredState s;
  s.hard_state = HardState{5, no_node};
  auto n = make(1, s);
  n->step(10, 0, AppendRequest{4, 0, 0, 0, 0, {LogEntry{4, 1, {}}}});
  auto replies = sent<AppendResponse>(n->take_ready());
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_FALSE(replies[0].second.success);
  EXPECT_EQ(replies[0].second.term, 5u);
  EXPECT_EQ(n->log().last_index(), 0u);
}

TEST(RaftRules, ConflictingSuffixIsReplacedAndBackOffNamesTheTerm) {
  RecoveredState s;
  s.hard_state = HardState{3, no_node};
  s.entries = {LogEntry{1, 1, {}}, LogEntry{2, 2, {}}, LogEntry{2, 3, {}}};
  auto n = make(1, s);
  // prev (3, term 3) does not match our (3, term 2): back off to the start of term 2.
  n->step(10, 0, AppendRequest{3, 3, 3, 0, 0, {}});
  auto reply = sent<AppendResponse>(n->take_ready()).at(0).second;
  EXPECT_FALSE(reply.success);
  EXPECT_EQ(reply.conflict_index, 2u);
  n->step(11, 0, AppendRequest{3, 1, 1, 0, 0, {LogEntry{3, 2, {9}}}});
  Ready r = n->take_ready();
  EXPECT_EQ(r.truncate_from, std::optional<std::uint64_t>(2));
  EXPECT_EQ(n->log().last_index(), 2u);
  EXPECT_EQ(n->log().at(2).term, 3u);
  EXPECT_TRUE(sent<AppendResponse>(r).at(0).second.success);
}

TEST(RaftRules, MatchingEntriesAreNotTruncatedByAReorderedAppend) {
  auto n = make(1);
  n->step(10, 0, AppendRequest{1, 0, 0, 0, 0, {LogEntry{1, 1, {}}, LogEntry{1, 2, {}}, LogEntry{1, 3, {}}}});
  n->take_ready();
  n->step(11, 0, AppendRequest{1, 0, 0, 0, 0, {LogEntry{1, 1, {}}}});  // old, delayed
  Ready r = n->take_ready();
  EXPECT_FALSE(r.truncate_from);
  EXPECT_EQ(n->log().last_index(), 3u);
}

TEST(RaftRules, OnlyCurrentTermEntriesCommitByCounting) {
  // Node 0 has an entry of term 1 and is now leader of term 2 (figure 8).
  RecoveredState s;
  s.hard_state = HardState{1, 0};
  s.entries = {LogEntry{1, 1, {7}}};
  auto n = make(0, s);
  n->tick(1'000'000);
  n->take_ready();
  n->step(1'000'001, 1, VoteResponse{2, true, false});
  ASSERT_EQ(n->role(), Role::leader);
  n->take_ready();
  // A follower acknowledges only the old entry: not committed.
  n->step(1'000'002, 1, AppendResponse{2, true, 1, 0, 0});
  EXPECT_EQ(n->commit_index(), 0u);
  // Once the new term's no-op is on a majority, both commit.
  n->step(1'000'003, 1, AppendResponse{2, true, 2, 0, 0});
  EXPECT_EQ(n->commit_index(), 2u);
}

TEST(RaftRules, Figure8BugCommitsThePreviousTermEntry) {
  RecoveredState s;
  s.hard_state = HardState{1, 0};
  s.entries = {LogEntry{1, 1, {7}}};
  auto n = make(0, s, false, false, Bugs::only(Bug::commit_previous_term_by_count));
  n->tick(1'000'000);
  n->step(1'000'001, 1, VoteResponse{2, true, false});
  n->step(1'000'002, 1, AppendResponse{2, true, 1, 0, 0});
  EXPECT_EQ(n->commit_index(), 1u);
}

TEST(RaftRules, CheckQuorumStepsDownALeaderCutOff) {
  auto n = leader(true);
  n->tick(2'000'000);
  EXPECT_EQ(n->role(), Role::follower);
}

TEST(RaftRules, LeaderStickinessIgnoresDisruptiveVotes) {
  auto n = make(1, {}, false, true);
  n->step(10, 0, AppendRequest{1, 0, 0, 0, 0, {}});
  n->take_ready();
  n->step(20, 2, VoteRequest{2, 10, 1, false});
  EXPECT_EQ(n->term(), 1u);
  EXPECT_FALSE(sent<VoteResponse>(n->take_ready()).at(0).second.granted);
}

TEST(RaftRules, ReadIndexWaitsForAMajorityHeartbeat) {
  auto n = leader();
  n->step(1'000'010, 1, AppendResponse{1, true, 1, 0, 0});  // the no-op commits
  ASSERT_TRUE(n->committed_in_term());
  n->take_ready();
  ASSERT_TRUE(n->read(1'000'020, 42));
  Ready r = n->take_ready();
  EXPECT_TRUE(r.reads.empty());
  const auto beats = sent<AppendRequest>(r);
  ASSERT_EQ(beats.size(), 2u);
  n->step(1'000'030, 2, AppendResponse{1, true, 1, 0, beats[1].second.read_ctx});
  r = n->take_ready();
  ASSERT_EQ(r.reads.size(), 1u);
  EXPECT_EQ(r.reads[0].ctx, 42u);
  EXPECT_EQ(r.reads[0].index, 1u);
}

TEST(RaftRules, LeaseReadIsImmediateOnlyWithinTheSkewBoundedLease) {
  RaftConfig c = config(0);
  c.lease_reads = true;
  c.check_quorum = true;
  c.lease_clock_skew_us_max = 50'000;
  auto n = std::make_unique<RaftNode>(c, Bugs{}, RecoveredState{}, [](std::uint64_t b) { return b / 2; }, 0);
  n->tick(1'000'000);
  n->step(1'000'001, 1, VoteResponse{1, true, false});
  Ready r = n->take_ready();
  const std::uint64_t round = sent<AppendRequest>(r).at(0).second.read_ctx;
  n->step(1'000'002, 1, AppendResponse{1, true, 1, 0, round});
  n->take_ready();
  ASSERT_TRUE(n->read(1'050'000, 1));  // within 150 ms - 50 ms of the round's send time
  EXPECT_EQ(n->take_ready().reads.size(), 1u);
  ASSERT_TRUE(n->read(1'120'000, 2));  // past the skew-bounded lease: ReadIndex instead
  EXPECT_TRUE(n->take_ready().reads.empty());
}

TEST(RaftRules, LeaseBugTrustsTheClockPastTheSkewBound) {
  RaftConfig c = config(0);
  c.lease_reads = true;
  c.check_quorum = true;
  c.lease_clock_skew_us_max = 50'000;
  auto n = std::make_unique<RaftNode>(c, Bugs::only(Bug::lease_read_ignores_skew), RecoveredState{},
                                      [](std::uint64_t b) { return b / 2; }, 0);
  n->tick(1'000'000);
  n->step(1'000'001, 1, VoteResponse{1, true, false});
  Ready r = n->take_ready();
  const std::uint64_t round = sent<AppendRequest>(r).at(0).second.read_ctx;
  n->step(1'000'002, 1, AppendResponse{1, true, 1, 0, round});
  n->take_ready();
  ASSERT_TRUE(n->read(1'120'000, 2));  // inside 150 ms, outside 150 - 50 ms: served anyway
  EXPECT_EQ(n->take_ready().reads.size(), 1u);
}

TEST(RaftRules, InstallSnapshotReplacesAShorterLogAndIgnoresStaleOnes) {
  auto n = make(1);
  n->step(10, 0, SnapshotRequest{2, 50, 2, 0, Bytes{1, 2}});
  Ready r = n->take_ready();
  ASSERT_TRUE(r.snapshot_to_apply);
  EXPECT_EQ(r.snapshot_to_apply->index, 50u);
  EXPECT_EQ(n->commit_index(), 50u);
  n->step(11, 0, SnapshotRequest{2, 40, 2, 0, Bytes{3}});  // older than what we have
  r = n->take_ready();
  EXPECT_FALSE(r.snapshot_to_apply);
  EXPECT_EQ(n->commit_index(), 50u);
}

TEST(RaftRules, CompactionKeepsLaterEntriesAndLeaderShipsSnapshotToLaggards) {
  auto n = leader();
  for (int i = 0; i < 5; ++i) n->propose(1'000'010, Bytes{static_cast<std::uint8_t>(i)});
  n->step(1'000'020, 1, AppendResponse{1, true, 6, 0, 0});
  Ready r = n->take_ready();
  EXPECT_EQ(r.committed.size(), 6u);
  n->compact(4, Bytes{4});
  EXPECT_EQ(n->log().snapshot_index(), 4u);
  EXPECT_EQ(n->log().last_index(), 6u);
  n->take_ready();
  // Node 2 is behind the snapshot: the next heartbeat carries an InstallSnapshot.
  n->step(1'000'030, 2, AppendResponse{1, false, 0, 1, 0});
  EXPECT_EQ(sent<SnapshotRequest>(n->take_ready()).size(), 1u);
}

}  // namespace
}  // namespace simbus::core

namespace simbus::core {
namespace {

TEST(RaftLog, ForEachWithChecksumWalksTheLogAboveTheSnapshot) {
  // status() lists the log through this walk; it must visit exactly the entries at()
  // reaches, in order, with checksum_at()'s values, before and after a compaction and a
  // truncation.
  RaftLog log;
  for (std::uint64_t i = 1; i <= 10; ++i) log.append(LogEntry{1 + i / 4, i, Bytes(i, static_cast<std::uint8_t>(i))});
  auto walk = [&log] {
    std::vector<std::pair<std::uint64_t, std::uint64_t>> seen;
    log.for_each_with_checksum([&seen](const LogEntry& entry, std::uint64_t checksum) {
      seen.emplace_back(entry.index, checksum);
    });
    return seen;
  };
  auto expected = [&log] {
    std::vector<std::pair<std::uint64_t, std::uint64_t>> want;
    for (std::uint64_t i = log.first_index(); i <= log.last_index(); ++i) {
      want.emplace_back(i, checksum64(log.at(i).command));
    }
    return want;
  };
  EXPECT_EQ(walk().size(), 10u);
  EXPECT_EQ(walk(), expected());
  log.compact_to(4);
  EXPECT_EQ(walk().front().first, 5u);
  EXPECT_EQ(walk(), expected());
  log.truncate_from(9);
  EXPECT_EQ(walk().back().first, 8u);
  EXPECT_EQ(walk(), expected());
  EXPECT_EQ(log.checksum_at(6), checksum64(Bytes(6, 6)));
}

}  // namespace
}  // namespace simbus::core
