// Each Raft safety property: snapshots that hold it and snapshots that break it.
#include <gtest/gtest.h>

#include "checkers/raft_safety.h"

namespace simbus::checkers {
namespace {

RaftNodeSnapshot node(const std::string& name, std::int64_t time, std::int64_t term, RaftRole role,
                      std::vector<RaftLogEntry> log, std::int64_t commit) {
  return RaftNodeSnapshot{time, name, term, "", role, std::move(log), commit};
}

bool has(const CheckReport& r, const std::string& checker) {
  for (const Violation& v : r.violations) {
    if (v.checker == checker) return true;
  }
  return false;
}

// Three nodes: n1 leads term 1 and commits two entries; n2 leads term 2 with both.
std::vector<RaftNodeSnapshot> healthy() {
  std::vector<RaftLogEntry> log = {{1, 11}, {1, 12}};
  return {node("n1", 10, 1, RaftRole::leader, log, 2), node("n2", 10, 1, RaftRole::follower, log, 2),
          node("n3", 10, 1, RaftRole::follower, {{1, 11}}, 1),
          node("n2", 20, 2, RaftRole::leader, {{1, 11}, {1, 12}, {2, 21}}, 2),
          node("n1", 20, 2, RaftRole::follower, {{1, 11}, {1, 12}, {2, 21}}, 3)};
}

TEST(RaftSafety, HoldsOnAHealthyRun) {
  CheckReport r = check_raft_safety(healthy());
  EXPECT_TRUE(r.ok()) << r.to_string();
}

TEST(RaftSafety, ElectionSafety) {
  auto snaps = healthy();
  snaps.push_back(node("n3", 21, 2, RaftRole::leader, {{1, 11}, {1, 12}}, 1));
  CheckReport r = check_raft_safety(snaps);
  EXPECT_TRUE(has(r, "raft-election-safety")) << r.to_string();
}

TEST(RaftSafety, LogMatching) {
  auto snaps = healthy();
  // Same index 3 and term 2 as n2's log, but a different entry at index 2.
  snaps.push_back(node("n3", 22, 2, RaftRole::follower, {{1, 11}, {1, 99}, {2, 21}}, 1));
  CheckReport r = check_raft_safety(snaps);
  EXPECT_TRUE(has(r, "raft-log-matching")) << r.to_string();
}

TEST(RaftSafety, LeaderCompleteness) {
  auto snaps = healthy();
  // n3 leads term 3 without index 2, committed in term 1.
  snaps.push_back(node("n3", 30, 3, RaftRole::leader, {{1, 11}}, 1));
  CheckReport r = check_raft_safety(snaps);
  EXPECT_TRUE(has(r, "raft-leader-completeness")) << r.to_string();
}

TEST(RaftSafety, StateMachineSafety) {
  auto snaps = healthy();
  snaps.push_back(node("n3", 40, 4, RaftRole::follower, {{1, 11}, {3, 31}}, 2));
  CheckReport r = check_raft_safety(snaps);
  EXPECT_TRUE(has(r, "raft-state-machine-safety")) << r.to_string();
}

}  // namespace
}  // namespace simbus::checkers
