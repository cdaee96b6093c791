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
  // Which boot of the node this is; 0 = unknown (then truncations are not judged: a
  // restart may legitimately lose entries that were never synced).
  std::uint64_t incarnation = 0;
};

CheckReport check_raft_safety(const std::vector<RaftNodeSnapshot>& snapshots);

// Raft deletes a follower's entries only from the first one that conflicts with its
// leader's (AppendEntries rule 3). Within one term and one boot a node hears from one
// leader only, so an entry `previous` held that `current` lost while the term's leader
// holds the same entry (index, term and command) was deleted though it matched: reported
// as raft-log-truncation. `leader` is a snapshot of the term's leader (its log only grows
// within the term, so any later one will do), or nullptr. An empty string when fine.
std::string check_truncation(const RaftNodeSnapshot& previous, const RaftNodeSnapshot& current,
                             const RaftNodeSnapshot* leader);

}  // namespace simbus::checkers
