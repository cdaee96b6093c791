#include "checkers/raft_safety.h"

#include <fmt/format.h>

#include <map>
#include <unordered_map>

#include "base/assert.h"
#include "base/hash.h"

namespace simbus::checkers {
namespace {

std::uint64_t entry_hash(std::uint64_t prefix, const RaftLogEntry& e) {
  return hash_combine(hash_combine(prefix, static_cast<std::uint64_t>(e.term)), e.digest);
}

struct Where {
  std::size_t snapshot;
  std::uint64_t value;
};

void election_safety(const std::vector<RaftNodeSnapshot>& snaps, CheckReport& report) {
  std::map<std::int64_t, std::size_t> leader_of_term;
  for (std::size_t i = 0; i < snaps.size(); ++i) {
    if (snaps[i].role != RaftRole::leader) continue;
    auto [it, fresh] = leader_of_term.emplace(snaps[i].term, i);
    if (fresh || snaps[it->second].node == snaps[i].node) continue;
    const RaftNodeSnapshot& a = snaps[it->second];
    report.add({"raft-election-safety",
                fmt::format("term {} has two leaders: {} (at {}) and {} (at {})", snaps[i].term, a.node, a.time,
                            snaps[i].node, snaps[i].time),
                {}, {}, std::min(a.time, snaps[i].time), std::max(a.time, snaps[i].time)});
  }
}

// If two logs hold an entry with the same index and term, the logs are identical up to
// it: equivalently, (index, term) determines the hash of the whole prefix.
void log_matching(const std::vector<RaftNodeSnapshot>& snaps, CheckReport& report) {
  std::unordered_map<std::uint64_t, Where> prefix_at;  // hash(index, term) -> prefix hash
  for (std::size_t i = 0; i < snaps.size(); ++i) {
    std::uint64_t prefix = 0;
    for (std::size_t k = 0; k < snaps[i].log.size(); ++k) {
      const RaftLogEntry& e = snaps[i].log[k];
      prefix = entry_hash(prefix, e);
      const std::uint64_t key = hash_combine(static_cast<std::uint64_t>(k + 1), static_cast<std::uint64_t>(e.term));
      auto [it, fresh] = prefix_at.emplace(key, Where{i, prefix});
      if (fresh || it->second.value == prefix) continue;
      const RaftNodeSnapshot& a = snaps[it->second.snapshot];
      report.add({"raft-log-matching",
                  fmt::format("{} (at {}) and {} (at {}) both hold index {} in term {} but their logs differ before it",
                              a.node, a.time, snaps[i].node, snaps[i].time, k + 1, e.term),
                  {}, {}, std::min(a.time, snaps[i].time), std::max(a.time, snaps[i].time)});
      break;  // one report per log is enough
    }
  }
}

// No two nodes commit different entries at one index.
void state_machine_safety(const std::vector<RaftNodeSnapshot>& snaps, CheckReport& report) {
  std::unordered_map<std::int64_t, Where> committed;  // index -> entry hash
  for (std::size_t i = 0; i < snaps.size(); ++i) {
    const std::int64_t commit = std::min<std::int64_t>(snaps[i].commit_index, static_cast<std::int64_t>(snaps[i].log.size()));
    for (std::int64_t k = 1; k <= commit; ++k) {
      const std::uint64_t h = entry_hash(0, snaps[i].log[k - 1]);
      auto [it, fresh] = committed.emplace(k, Where{i, h});
      if (fresh || it->second.value == h) continue;
      const RaftNodeSnapshot& a = snaps[it->second.snapshot];
      report.add({"raft-state-machine-safety",
                  fmt::format("{} (at {}) and {} (at {}) committed different entries at index {}", a.node, a.time,
                              snaps[i].node, snaps[i].time, k),
                  {}, {}, std::min(a.time, snaps[i].time), std::max(a.time, snaps[i].time)});
      break;
    }
  }
}

// An entry a node saw committed while in term T is in the log of every leader of a
// later term. (It was committed in some term <= T, so this is implied by Raft's leader
// completeness and never flags a correct run.)
void leader_completeness(const std::vector<RaftNodeSnapshot>& snaps, CheckReport& report) {
  struct Committed {
    std::int64_t observed_term;
    std::uint64_t hash;
    std::size_t snapshot;
  };
  std::map<std::int64_t, Committed> earliest;  // index -> the committed entry seen in the lowest term
  for (std::size_t i = 0; i < snaps.size(); ++i) {
    const std::int64_t commit = std::min<std::int64_t>(snaps[i].commit_index, static_cast<std::int64_t>(snaps[i].log.size()));
    for (std::int64_t k = 1; k <= commit; ++k) {
      auto [it, fresh] = earliest.emplace(k, Committed{snaps[i].term, entry_hash(0, snaps[i].log[k - 1]), i});
      if (!fresh && snaps[i].term < it->second.observed_term) {
        it->second = Committed{snaps[i].term, entry_hash(0, snaps[i].log[k - 1]), i};
      }
    }
  }
  for (std::size_t i = 0; i < snaps.size(); ++i) {
    const RaftNodeSnapshot& leader = snaps[i];
    if (leader.role != RaftRole::leader) continue;
    for (const auto& [index, c] : earliest) {
      if (leader.term <= c.observed_term) continue;
      const bool has = index <= static_cast<std::int64_t>(leader.log.size()) &&
                       entry_hash(0, leader.log[index - 1]) == c.hash;
      if (has) continue;
      const RaftNodeSnapshot& seen = snaps[c.snapshot];
      report.add({"raft-leader-completeness",
                  fmt::format("leader {} of term {} (at {}) lacks index {}, committed as seen by {} in term {} (at {})",
                              leader.node, leader.term, leader.time, index, seen.node, seen.term, seen.time),
                  {}, {}, std::min(seen.time, leader.time), std::max(seen.time, leader.time)});
      break;
    }
  }
}

}  // namespace

CheckReport check_raft_safety(const std::vector<RaftNodeSnapshot>& snapshots) {
  CheckReport report;
  for (const RaftNodeSnapshot& s : snapshots) SIMBUS_ASSERT(s.commit_index >= 0);
  election_safety(snapshots, report);
  log_matching(snapshots, report);
  leader_completeness(snapshots, report);
  state_machine_safety(snapshots, report);
  return report;
}

}  // namespace simbus::checkers
