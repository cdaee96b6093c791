// Raft's safety properties (Raft paper, figure 3) from snapshots of every node's state
// taken during a run: election safety, log matching, leader completeness, state machine
// safety; and commit durability (no node's log ends before its own commit index). Linear in the total size of the snapshotted logs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "checkers/report.h"

namespace simbus::checkers {

enum class RaftRole : std::uint8_t { follower, candidate, leader };

struct RaftLogEntry {
  std::int64_t term = 0;
  std::uint64_t digest = 0;  // of the entry's command bytes
};

struct RaftNodeSnapshot {
  std::int64_t time = 0;
  std::string node;
  std::int64_t term = 0;
  std::string voted_for;  // "" = none
  RaftRole role = RaftRole::follower;
  std::vector<RaftLogEntry> log;  // log[0] is index 1
  std::int64_t commit_index = 0;  // entries 1..commit_index are committed
};

CheckReport check_raft_safety(const std::vector<RaftNodeSnapshot>& snapshots);

}  // namespace simbus::checkers
