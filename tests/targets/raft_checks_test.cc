// Each online Raft check of the libraft target fails on a crafted observation that breaks
// its property, and stays quiet on the same observations made consistent.
#include <gtest/gtest.h>

#include <map>

#include "targets/libraft/raft_checks.h"

namespace simbus::targets::libraft {
namespace {

// A node's view over a log given as terms (entry i+1 has term terms[i], digest from term
// and index unless overridden).
struct FakeNode {
  std::string name;
  std::uint64_t id;
  std::uint64_t term = 1;
  bool leader = false;
  std::uint64_t commit = 0;
  std::vector<std::uint64_t> terms;
  std::map<std::uint64_t, std::uint64_t> digest_override;

  NodeView view() const {
    NodeView v;
    v.node = name;
    v.id = id;
    v.incarnation = 0;
    v.term = term;
    v.leader = leader;
    v.commit_index = commit;
    v.first_index = 1;
    v.last_index = terms.size();
    v.entry = [this](std::uint64_t i) {
      const auto o = digest_override.find(i);
      return EntryView{terms[i - 1], o != digest_override.end() ? o->second : terms[i - 1] * 1000 + i};
    };
    return v;
  }
};

TEST(LibraftRaftChecks, ConsistentObservationsPass) {
  RaftChecks c;
  FakeNode a{"n1", 1, 2, true, 2, {1, 2}};
  FakeNode b{"n2", 2, 2, false, 2, {1, 2}};
  c.observe(a.view(), 1);
  c.observe(b.view(), 2);
  a.terms.push_back(2);
  a.commit = 3;
  c.observe(a.view(), 3);
  c.applied("n2", 2, 0, 1, EntryView{1, 1001}, 4);
  c.applied("n2", 2, 0, 2, EntryView{2, 2002}, 5);
  EXPECT_FALSE(c.failed()) << c.failure()->message;
}

TEST(LibraftRaftChecks, TwoLeadersOfOneTermBreakElectionSafety) {
  RaftChecks c;
  c.observe(FakeNode{"n1", 1, 3, true, 0, {1}}.view(), 1);
  c.observe(FakeNode{"n2", 2, 3, true, 0, {1}}.view(), 2);
  ASSERT_TRUE(c.failed());
  EXPECT_EQ(c.failure()->check, "raft-election-safety");
}

TEST(LibraftRaftChecks, ALeaderShrinkingOrOverwritingItsLogBreaksAppendOnly) {
  {
    RaftChecks c;
    FakeNode a{"n1", 1, 2, true, 0, {1, 2, 2}};
    c.observe(a.view(), 1);
    a.terms.pop_back();
    c.observe(a.view(), 2);
    ASSERT_TRUE(c.failed());
    EXPECT_EQ(c.failure()->check, "raft-leader-append-only");
  }
  {
    RaftChecks c;
    FakeNode a{"n1", 1, 2, true, 0, {1, 2}};
    c.observe(a.view(), 1);
    a.digest_override[2] = 77;
    c.observe(a.view(), 2);
    ASSERT_TRUE(c.failed());
    EXPECT_EQ(c.failure()->check, "raft-leader-append-only");
  }
}

TEST(LibraftRaftChecks, ANewLeaderWithoutACommittedEntryBreaksCompleteness) {
  RaftChecks c;
  c.observe(FakeNode{"n1", 1, 2, true, 3, {1, 2, 2}}.view(), 1);
  c.observe(FakeNode{"n2", 2, 3, true, 0, {1, 2}}.view(), 2);
  ASSERT_TRUE(c.failed());
  EXPECT_EQ(c.failure()->check, "raft-leader-completeness");
  RaftChecks d;
  d.observe(FakeNode{"n1", 1, 2, true, 2, {1, 2}}.view(), 1);
  d.observe(FakeNode{"n2", 2, 3, true, 0, {1, 1}}.view(), 2);
  ASSERT_TRUE(d.failed());
  EXPECT_EQ(d.failure()->check, "raft-leader-completeness");
}

// A leader of an earlier term may take office late (its votes were delayed) after a later
// term committed entries it lacks: Raft allows that, it cannot commit anything.
TEST(LibraftRaftChecks, AStaleTermLeaderNeedNotHoldLaterCommits) {
  RaftChecks c;
  c.observe(FakeNode{"n1", 1, 3, true, 2, {1, 3}}.view(), 1);
  c.observe(FakeNode{"n2", 2, 2, true, 0, {1}}.view(), 2);
  EXPECT_FALSE(c.failed()) << c.failure()->message;
  c.observe(FakeNode{"n3", 3, 4, true, 0, {1}}.view(), 3);
  ASSERT_TRUE(c.failed());
  EXPECT_EQ(c.failure()->check, "raft-leader-completeness");
}

TEST(LibraftRaftChecks, TwoDifferentEntriesCommittedAtOneIndexBreakStateMachineSafety) {
  RaftChecks c;
  c.observe(FakeNode{"n1", 1, 2, false, 2, {1, 2}}.view(), 1);
  c.observe(FakeNode{"n2", 2, 3, false, 2, {1, 3}}.view(), 2);
  ASSERT_TRUE(c.failed());
  EXPECT_EQ(c.failure()->check, "raft-state-machine-safety");
}

TEST(LibraftRaftChecks, ACommitIndexBeyondTheLogIsReported) {
  RaftChecks c;
  c.observe(FakeNode{"n1", 1, 2, false, 5, {1, 2}}.view(), 1);
  ASSERT_TRUE(c.failed());
  EXPECT_EQ(c.failure()->check, "raft-commit-beyond-log");
}

TEST(LibraftRaftChecks, AppliedEntriesMustAgreeAndComeInOrder) {
  {
    RaftChecks c;
    c.applied("n1", 1, 0, 1, EntryView{1, 10}, 1);
    c.applied("n2", 2, 0, 1, EntryView{1, 11}, 2);
    ASSERT_TRUE(c.failed());
    EXPECT_EQ(c.failure()->check, "raft-state-machine-safety");
  }
  {
    RaftChecks c;
    c.applied("n1", 1, 0, 2, EntryView{1, 10}, 1);
    c.applied("n1", 1, 0, 2, EntryView{1, 10}, 2);
    ASSERT_TRUE(c.failed());
    EXPECT_EQ(c.failure()->check, "raft-state-machine-safety");
  }
  {
    RaftChecks c;  // a new incarnation applies from the start again: fine
    c.applied("n1", 1, 0, 2, EntryView{1, 10}, 1);
    c.applied("n1", 1, 1, 1, EntryView{1, 9}, 2);
    EXPECT_FALSE(c.failed());
  }
}

TEST(LibraftRaftChecks, OneIndexAndTermWithTwoContentsBreaksLogMatching) {
  RaftChecks c;
  c.persisted("n1", 4, EntryView{2, 100}, 1);
  c.persisted("n2", 4, EntryView{3, 200}, 2);  // another term: fine
  EXPECT_FALSE(c.failed());
  c.persisted("n3", 4, EntryView{2, 101}, 3);
  ASSERT_TRUE(c.failed());
  EXPECT_EQ(c.failure()->check, "raft-log-matching");
}

}  // namespace
}  // namespace simbus::targets::libraft
