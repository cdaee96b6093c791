#include "checkers/raft_safety.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <unordered_map>

#include "base/assert.h"
#include "base/hash.h"

namespace simbus::checkers {
namespace {

// Snapshots are taken every few tens of milliseconds, so one node's consecutive
// snapshots mostly hold the same log with a few entries more: each property below skips
// the part of a snapshot that its predecessor (of the same node) already checked cleanly,
// when the skipped part provably adds no report. The reports are exactly those of
// checking every entry of every snapshot (tests/checkers/raft_safety_test.cc compares the
// two on random runs), at a cost linear in what changed between snapshots.

constexpr std::size_t kNone = static_cast<std::size_t>(-1);

std::uint64_t entry_hash(std::uint64_t prefix, const RaftLogEntry& e) {
  return hash_combine(hash_combine(prefix, static_cast<std::uint64_t>(e.term)), e.digest);
}

struct Where {
  std::size_t snapshot;
  std::uint64_t value;
};

// How many leading entries two logs share.
std::size_t common_prefix(const std::vector<RaftLogEntry>& a, const std::vector<RaftLogEntry>& b) {
  const std::size_t n = std::min(a.size(), b.size());
  std::size_t k = 0;
  while (k < n && a[k].term == b[k].term && a[k].digest == b[k].digest) ++k;
  return k;
}

std::int64_t committed_length(const RaftNodeSnapshot& s) {
  return std::min<std::int64_t>(s.commit_index, static_cast<std::int64_t>(s.log.size()));
}

// For each snapshot: the previous snapshot of the same node (kNone for its first), and
// how many log entries the two share.
struct Lineage {
  std::vector<std::size_t> previous;
  std::vector<std::size_t> shared;
};

Lineage lineage(const std::vector<RaftNodeSnapshot>& snaps) {
  Lineage l;
  l.previous.assign(snaps.size(), kNone);
  l.shared.assign(snaps.size(), 0);
  std::map<std::string, std::size_t> last;
  for (std::size_t i = 0; i < snaps.size(); ++i) {
    auto [it, fresh] = last.emplace(snaps[i].node, i);
    if (!fresh) {
      l.previous[i] = it->second;
      l.shared[i] = common_prefix(snaps[it->second].log, snaps[i].log);
      it->second = i;
    }
  }
  return l;
}

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
// Skipping: once a snapshot's log went through without a report, every (index, term) of
// it maps to its own prefix hash, which never changes; a successor sharing the first m
// entries computes the same hashes for them, so it starts at entry m + 1.
void log_matching(const std::vector<RaftNodeSnapshot>& snaps, const Lineage& lin, CheckReport& report) {
  std::unordered_map<std::uint64_t, Where> prefix_at;  // hash(index, term) -> prefix hash
  std::vector<std::vector<std::uint64_t>> prefixes(snaps.size());  // per snapshot, while it is a node's latest
  std::vector<bool> clean(snaps.size(), false);
  for (std::size_t i = 0; i < snaps.size(); ++i) {
    const std::vector<RaftLogEntry>& log = snaps[i].log;
    std::vector<std::uint64_t> prefix_hashes;
    std::size_t start = 0;
    if (const std::size_t p = lin.previous[i]; p != kNone) {
      prefix_hashes = std::move(prefixes[p]);  // valid for the entries p checked
      if (clean[p]) start = lin.shared[i];
    }
    prefix_hashes.resize(log.size());
    std::uint64_t prefix = start == 0 ? 0 : prefix_hashes[start - 1];
    clean[i] = true;
    for (std::size_t k = start; k < log.size(); ++k) {
      const RaftLogEntry& e = log[k];
      prefix = entry_hash(prefix, e);
      prefix_hashes[k] = prefix;
      const std::uint64_t key = hash_combine(static_cast<std::uint64_t>(k + 1), static_cast<std::uint64_t>(e.term));
      auto [it, fresh] = prefix_at.emplace(key, Where{i, prefix});
      if (fresh || it->second.value == prefix) continue;
      const RaftNodeSnapshot& a = snaps[it->second.snapshot];
      report.add({"raft-log-matching",
                  fmt::format("{} (at {}) and {} (at {}) both hold index {} in term {} but their logs differ before it",
                              a.node, a.time, snaps[i].node, snaps[i].time, k + 1, e.term),
                  {}, {}, std::min(a.time, snaps[i].time), std::max(a.time, snaps[i].time)});
      clean[i] = false;
      break;  // one report per log is enough
    }
    prefixes[i] = std::move(prefix_hashes);
  }
}

// No two nodes commit different entries at one index.
// Skipping: after a snapshot's committed entries went through without a report, the
// value stored for each of them is its own; a successor sharing them starts after them.
void state_machine_safety(const std::vector<RaftNodeSnapshot>& snaps, const Lineage& lin, CheckReport& report) {
  std::vector<Where> committed;  // [index - 1] -> entry hash; snapshot kNone: not yet seen
  std::vector<bool> clean(snaps.size(), false);
  for (std::size_t i = 0; i < snaps.size(); ++i) {
    const std::int64_t commit = committed_length(snaps[i]);
    std::int64_t start = 1;
    if (const std::size_t p = lin.previous[i]; p != kNone && clean[p]) {
      start = std::min<std::int64_t>(static_cast<std::int64_t>(lin.shared[i]), committed_length(snaps[p])) + 1;
    }
    if (static_cast<std::int64_t>(committed.size()) < commit) {
      committed.resize(static_cast<std::size_t>(commit), Where{kNone, 0});
    }
    clean[i] = true;
    for (std::int64_t k = start; k <= commit; ++k) {
      const std::uint64_t h = entry_hash(0, snaps[i].log[static_cast<std::size_t>(k - 1)]);
      Where& w = committed[static_cast<std::size_t>(k - 1)];
      if (w.snapshot == kNone) {
        w = Where{i, h};
        continue;
      }
      if (w.value == h) continue;
      const RaftNodeSnapshot& a = snaps[w.snapshot];
      report.add({"raft-state-machine-safety",
                  fmt::format("{} (at {}) and {} (at {}) committed different entries at index {}", a.node, a.time,
                              snaps[i].node, snaps[i].time, k),
                  {}, {}, std::min(a.time, snaps[i].time), std::max(a.time, snaps[i].time)});
      clean[i] = false;
      break;
    }
  }
}

// An entry a node saw committed while in term T is in the log of every leader of a
// later term. (It was committed in some term <= T, so this is implied by Raft's leader
// completeness and never flags a correct run.)
void leader_completeness(const std::vector<RaftNodeSnapshot>& snaps, const Lineage& lin, CheckReport& report) {
  struct Committed {
    std::int64_t observed_term;
    std::uint64_t hash;
    std::size_t snapshot;  // kNone: this index was never seen committed
  };
  // [index - 1] -> the committed entry seen in the lowest term. A snapshot's committed
  // entries shared with its node's previous snapshot, in a term no lower, change nothing.
  std::vector<Committed> earliest;
  for (std::size_t i = 0; i < snaps.size(); ++i) {
    const std::int64_t commit = committed_length(snaps[i]);
    std::int64_t start = 1;
    if (const std::size_t p = lin.previous[i]; p != kNone && snaps[i].term >= snaps[p].term) {
      start = std::min<std::int64_t>(static_cast<std::int64_t>(lin.shared[i]), committed_length(snaps[p])) + 1;
    }
    if (static_cast<std::int64_t>(earliest.size()) < commit) {
      earliest.resize(static_cast<std::size_t>(commit), Committed{0, 0, kNone});
    }
    for (std::int64_t k = start; k <= commit; ++k) {
      Committed& c = earliest[static_cast<std::size_t>(k - 1)];
      if (c.snapshot == kNone || snaps[i].term < c.observed_term) {
        c = Committed{snaps[i].term, entry_hash(0, snaps[i].log[static_cast<std::size_t>(k - 1)]), i};
      }
    }
  }
  // Per leader term: the indices a leader of that term must hold (seen committed in a
  // lower term), ascending.
  std::map<std::int64_t, std::vector<std::size_t>> required;
  auto required_for = [&](std::int64_t term) -> const std::vector<std::size_t>& {
    auto [it, fresh] = required.emplace(term, std::vector<std::size_t>{});
    if (fresh) {
      for (std::size_t k = 0; k < earliest.size(); ++k) {
        if (earliest[k].snapshot != kNone && earliest[k].observed_term < term) it->second.push_back(k + 1);
      }
    }
    return it->second;
  };
  // A leader snapshot that held every required index lets the next snapshot of the same
  // node, leading in the same term, skip the entries the two share.
  std::map<std::string, std::size_t> last_clean_leader;
  for (std::size_t i = 0; i < snaps.size(); ++i) {
    const RaftNodeSnapshot& leader = snaps[i];
    if (leader.role != RaftRole::leader) continue;
    std::size_t skip = 0;
    auto last = last_clean_leader.find(leader.node);
    if (last != last_clean_leader.end() && snaps[last->second].term == leader.term) {
      skip = common_prefix(snaps[last->second].log, leader.log);
    }
    const std::vector<std::size_t>& indices = required_for(leader.term);
    bool clean = true;
    for (auto it = std::upper_bound(indices.begin(), indices.end(), skip); it != indices.end(); ++it) {
      const std::size_t index = *it;
      const Committed& c = earliest[index - 1];
      const bool has = index <= leader.log.size() && entry_hash(0, leader.log[index - 1]) == c.hash;
      if (has) continue;
      const RaftNodeSnapshot& seen = snaps[c.snapshot];
      report.add({"raft-leader-completeness",
                  fmt::format("leader {} of term {} (at {}) lacks index {}, committed as seen by {} in term {} (at {})",
                              leader.node, leader.term, leader.time, index, seen.node, seen.term, seen.time),
                  {}, {}, std::min(seen.time, leader.time), std::max(seen.time, leader.time)});
      clean = false;
      break;
    }
    if (clean) {
      last_clean_leader[leader.node] = i;
    } else {
      last_clean_leader.erase(leader.node);
    }
  }
}

// A node's entries up to its own commit index stay in its log: it counted towards the
// majority that committed them, so dropping one can cost the cluster a committed entry
// once that node helps elect a leader. (Raft only ever truncates past the commit index.)
void commit_durability(const std::vector<RaftNodeSnapshot>& snaps, CheckReport& report) {
  for (const RaftNodeSnapshot& s : snaps) {
    if (s.commit_index <= static_cast<std::int64_t>(s.log.size())) continue;
    report.add({"raft-commit-durability",
                fmt::format("{} (at {}) has commit index {} but its log ends at index {}: it dropped entries "
                            "it knew committed",
                            s.node, s.time, s.commit_index, s.log.size()),
                {}, {}, s.time, s.time});
  }
}

// Each snapshot against its node's previous one, with the longest log any snapshot shows
// the same term's leader holding.
void truncation(const std::vector<RaftNodeSnapshot>& snaps, const Lineage& lin, CheckReport& report) {
  std::map<std::int64_t, std::size_t> leader_of_term;  // term -> snapshot with the longest leader log
  for (std::size_t i = 0; i < snaps.size(); ++i) {
    if (snaps[i].role != RaftRole::leader) continue;
    auto [it, fresh] = leader_of_term.emplace(snaps[i].term, i);
    if (!fresh && snaps[it->second].log.size() < snaps[i].log.size()) it->second = i;
  }
  for (std::size_t i = 0; i < snaps.size(); ++i) {
    if (lin.previous[i] == kNone) continue;
    auto leader = leader_of_term.find(snaps[i].term);
    if (leader == leader_of_term.end()) continue;
    const RaftNodeSnapshot& previous = snaps[lin.previous[i]];
    const std::string why = check_truncation(previous, snaps[i], &snaps[leader->second]);
    if (why.empty()) continue;
    report.add({"raft-log-truncation", why, {}, {}, previous.time, snaps[i].time});
    return;  // the first is the one to act on; later ones follow from it
  }
}

}  // namespace

std::string check_truncation(const RaftNodeSnapshot& previous, const RaftNodeSnapshot& current,
                             const RaftNodeSnapshot* leader) {
  SIMBUS_ASSERT(previous.node == current.node);
  if (leader == nullptr || leader->term != current.term || leader->node == current.node) return "";
  if (previous.term != current.term || previous.incarnation != current.incarnation || current.incarnation == 0) {
    return "";
  }
  const std::size_t kept = common_prefix(previous.log, current.log);
  // Entries past `kept` that `previous` held are gone (or replaced).
  for (std::size_t k = kept; k < previous.log.size() && k < leader->log.size(); ++k) {
    const RaftLogEntry& lost = previous.log[k];
    const RaftLogEntry& held = leader->log[k];
    if (lost.term != held.term || lost.digest != held.digest) continue;
    return fmt::format("{} deleted index {} (term {}) between {} and {} in term {}, though its leader {} holds the "
                       "same entry: Raft deletes only from the first entry that conflicts with the leader's",
                       current.node, k + 1, lost.term, previous.time, current.time, current.term, leader->node);
  }
  return "";
}

CheckReport check_raft_safety(const std::vector<RaftNodeSnapshot>& snapshots) {
  CheckReport report;
  for (const RaftNodeSnapshot& s : snapshots) SIMBUS_ASSERT(s.commit_index >= 0);
  const Lineage lin = lineage(snapshots);
  election_safety(snapshots, report);
  log_matching(snapshots, lin, report);
  leader_completeness(snapshots, lin, report);
  state_machine_safety(snapshots, lin, report);
  commit_durability(snapshots, report);
  truncation(snapshots, lin, report);
  return report;
}

}  // namespace simbus::checkers
