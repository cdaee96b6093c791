// Each Raft safety property: snapshots that hold it and snapshots that break it.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <map>
#include <random>
#include <unordered_map>

#include "base/hash.h"
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

TEST(RaftSafety, CommitDurability) {
  auto snaps = healthy();
  // n2 had entries 1..2 committed and then dropped index 2 (truncate_on_matching_prefix).
  snaps.push_back(node("n2", 45, 2, RaftRole::follower, {{1, 11}}, 2));
  CheckReport r = check_raft_safety(snaps);
  EXPECT_TRUE(has(r, "raft-commit-durability")) << r.to_string();
  EXPECT_EQ(r.violations.size(), 1u) << r.to_string();
}

RaftNodeSnapshot booted(RaftNodeSnapshot s, std::uint64_t incarnation) {
  s.incarnation = incarnation;
  return s;
}

// n1 leads term 2 with three entries; n2 follows it.
std::vector<RaftNodeSnapshot> term_two() {
  const std::vector<RaftLogEntry> log = {{1, 11}, {2, 21}, {2, 22}};
  return {booted(node("n1", 10, 2, RaftRole::leader, log, 1), 1),
          booted(node("n2", 10, 2, RaftRole::follower, log, 1), 1)};
}

TEST(RaftSafety, LogTruncationOfAMatchingEntry) {
  auto snaps = term_two();
  // Same term, same boot: n2 lost index 3, which its leader holds identically.
  snaps.push_back(booted(node("n2", 20, 2, RaftRole::follower, {{1, 11}, {2, 21}}, 1), 1));
  CheckReport r = check_raft_safety(snaps);
  EXPECT_TRUE(has(r, "raft-log-truncation")) << r.to_string();
  EXPECT_NE(r.to_string().find("n2 deleted index 3 (term 2)"), std::string::npos) << r.to_string();
}

TEST(RaftSafety, LogTruncationOfConflictsRestartsAndNewTermsIsFine) {
  // n2 held an entry of an old term that the leader replaced: deleting it is Raft's rule.
  std::vector<RaftNodeSnapshot> conflict = term_two();
  conflict[1].log = {{1, 11}, {1, 99}};
  conflict.push_back(booted(node("n2", 20, 2, RaftRole::follower, {{1, 11}}, 1), 1));
  EXPECT_FALSE(has(check_raft_safety(conflict), "raft-log-truncation"));
  // A restart may lose what was never synced.
  auto restart = term_two();
  restart.push_back(booted(node("n2", 20, 2, RaftRole::follower, {{1, 11}, {2, 21}}, 1), 2));
  EXPECT_FALSE(has(check_raft_safety(restart), "raft-log-truncation"));
  // Unknown boots are not judged.
  auto unknown = term_two();
  unknown.push_back(booted(node("n2", 20, 2, RaftRole::follower, {{1, 11}, {2, 21}}, 1), 0));
  EXPECT_FALSE(has(check_raft_safety(unknown), "raft-log-truncation"));
  // A new term's leader may hold other entries: judged against that term's leader only.
  auto later = term_two();
  later.push_back(booted(node("n3", 30, 3, RaftRole::leader, {{1, 11}, {2, 21}, {3, 31}}, 2), 1));
  later.push_back(booted(node("n2", 30, 3, RaftRole::follower, {{1, 11}, {2, 21}}, 2), 1));
  EXPECT_FALSE(has(check_raft_safety(later), "raft-log-truncation"));
}

TEST(RaftSafety, StateMachineSafety) {
  auto snaps = healthy();
  snaps.push_back(node("n3", 40, 4, RaftRole::follower, {{1, 11}, {3, 31}}, 2));
  CheckReport r = check_raft_safety(snaps);
  EXPECT_TRUE(has(r, "raft-state-machine-safety")) << r.to_string();
}


// The checker as first written: every entry of every snapshot, no skipping. The real one
// skips what a node's previous snapshot already checked; both must report the same.
namespace reference {

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

void log_matching(const std::vector<RaftNodeSnapshot>& snaps, CheckReport& report) {
  std::unordered_map<std::uint64_t, Where> prefix_at;
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
      break;
    }
  }
}

void state_machine_safety(const std::vector<RaftNodeSnapshot>& snaps, CheckReport& report) {
  std::unordered_map<std::int64_t, Where> committed;
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

void leader_completeness(const std::vector<RaftNodeSnapshot>& snaps, CheckReport& report) {
  struct Committed {
    std::int64_t observed_term;
    std::uint64_t hash;
    std::size_t snapshot;
  };
  std::map<std::int64_t, Committed> earliest;
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

// By the definition: every index up to the commit index is held.
void commit_durability(const std::vector<RaftNodeSnapshot>& snaps, CheckReport& report) {
  for (const RaftNodeSnapshot& s : snaps) {
    std::int64_t held = 0;
    while (held < s.commit_index && held < static_cast<std::int64_t>(s.log.size())) ++held;
    if (held == s.commit_index) continue;
    report.add({"raft-commit-durability",
                fmt::format("{} (at {}) has commit index {} but its log ends at index {}: it dropped entries "
                            "it knew committed",
                            s.node, s.time, s.commit_index, s.log.size()),
                {}, {}, s.time, s.time});
  }
}

CheckReport check(const std::vector<RaftNodeSnapshot>& snapshots) {
  CheckReport report;
  election_safety(snapshots, report);
  log_matching(snapshots, report);
  leader_completeness(snapshots, report);
  state_machine_safety(snapshots, report);
  commit_durability(snapshots, report);
  return report;
}

}  // namespace reference

// Random runs of a few nodes whose logs grow, get truncated and rewritten (from a small
// alphabet of entries, so logs collide and conflict), whose terms mostly rise and whose
// commit indices move both ways, snapshotted in a random interleaving.
std::vector<RaftNodeSnapshot> random_run(std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto below = [&](std::uint64_t n) { return static_cast<std::int64_t>(rng() % n); };
  const int nodes = 1 + static_cast<int>(below(4));
  const bool chaotic = below(3) == 0;  // terms may fall, commits run past the log
  struct Node {
    std::vector<RaftLogEntry> log;
    std::int64_t term = 1;
    std::int64_t commit = 0;
  };
  std::vector<Node> state(static_cast<std::size_t>(nodes));
  std::vector<RaftNodeSnapshot> snaps;
  const std::int64_t count = below(200);
  for (std::int64_t t = 0; t < count; ++t) {
    const auto who = static_cast<std::size_t>(below(static_cast<std::uint64_t>(nodes)));
    Node& n = state[who];
    switch (below(8)) {
      case 0: n.term += 1 + below(2); break;
      case 1:
        if (chaotic) n.term = std::max<std::int64_t>(1, n.term - 1);
        break;
      case 2:
        if (!n.log.empty()) n.log.resize(static_cast<std::size_t>(below(n.log.size() + 1)));
        break;
      case 3:
        if (!n.log.empty()) n.log[static_cast<std::size_t>(below(n.log.size()))].digest = 1 + static_cast<std::uint64_t>(below(3));
        break;
      default: {
        const std::int64_t extra = below(4);
        for (std::int64_t e = 0; e < extra; ++e) n.log.push_back({n.term, 1 + static_cast<std::uint64_t>(below(2))});
        break;
      }
    }
    const std::int64_t size = static_cast<std::int64_t>(n.log.size());
    if (below(3) == 0) n.commit = chaotic ? below(static_cast<std::uint64_t>(size + 3)) : std::min(size, n.commit + below(3));
    const RaftRole role = below(3) == 0 ? RaftRole::leader : below(2) == 0 ? RaftRole::candidate : RaftRole::follower;
    snaps.push_back(RaftNodeSnapshot{t, fmt::format("n{}", who), n.term, "", role, n.log, n.commit});
  }
  return snaps;
}

TEST(RaftSafety, SkippingReportsExactlyWhatCheckingEverythingReports) {
  int violating = 0;
  for (std::uint64_t seed = 1; seed <= 3000; ++seed) {
    const auto snaps = random_run(seed);
    const CheckReport want = reference::check(snaps);
    const CheckReport got = check_raft_safety(snaps);
    ASSERT_EQ(want.violations.size(), got.violations.size()) << "seed " << seed << "\n" << want.to_string() << "\n" << got.to_string();
    ASSERT_EQ(want.violations_dropped, got.violations_dropped) << "seed " << seed;
    for (std::size_t v = 0; v < want.violations.size(); ++v) {
      ASSERT_EQ(want.violations[v].checker, got.violations[v].checker) << "seed " << seed;
      ASSERT_EQ(want.violations[v].message, got.violations[v].message) << "seed " << seed;
      ASSERT_EQ(want.violations[v].window_begin, got.violations[v].window_begin) << "seed " << seed;
      ASSERT_EQ(want.violations[v].window_end, got.violations[v].window_end) << "seed " << seed;
    }
    if (!want.ok()) ++violating;
  }
  EXPECT_GT(violating, 300);  // the random runs do break every property, often
}

}  // namespace
}  // namespace simbus::checkers
