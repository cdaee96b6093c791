#include "scenarios/suite.h"

#include "base/assert.h"

namespace simbus::scenarios {
namespace {

std::vector<Suite>& suites() {
  static std::vector<Suite> all = {
      {"smoke",
       "seconds: every runtime scenario on a few seeds, every broker scenario on one to three",
       {
           // Widened after mutation testing (tools/mutate.py): broker-smoke and leader-crash
           // alone left presence, resume and retry paths of core/ unexercised; then every
           // fault kind of ci on three seeds (Raft's vote, ack and snapshot-response paths
           // are only reached under faults; ~30 ms a run) and broker-edges (the protocol's
           // edges no workload reached). Then (a fresh sample left half its mutants alive)
           // a 1-node cluster (its own majority: vote and commit counts at their bounds),
           // stable-leader (pre-vote and CheckQuorum's lease, which no invariant saw) and
           // the figure-8 script (a deposed leader's suffix overwritten), broker-limits.
           {"broker-smoke", {}, 3, ""},
           {"broker-smoke", {{"nodes", "1"}}, 1, ""},
           {"stable-leader", {}, 3, ""},
           {"raft-figure8", {}, 2, ""},
           {"broker-edges", {}, 2, ""},
           {"broker-limits", {}, 1, ""},
           {"leader-crash", {}, 3, ""},
           {"presence-churn", {}, 3, ""},
           {"resume-after-failover", {}, 3, ""},
           {"connect-churn", {}, 1, ""},
           {"retry-storm", {}, 3, ""},
           {"snapshot-catchup", {}, 3, ""},
           {"partition-majority", {}, 3, ""},
           {"partition-bridge", {}, 3, ""},
           {"partition-flaky", {}, 3, ""},
           {"crash-restart-all", {}, 3, ""},
           {"disk-torn-writes", {}, 3, ""},
           {"clock-skew", {}, 3, ""},
           {"lease-reads-skew", {}, 3, ""},
           // A ReadIndex read confirmed by an old round survived every scenario (mutation
           // testing) until a leader slept through its deposition and woke to queued reads.
           {"paused-leader-reads", {}, 3, ""},
           {"crash-after-vote", {}, 3, ""},
           {"big-cluster", {}, 2, ""},
           {"storage-crash", {}, 5, ""},
           {"pingpong", {}, 10, ""},
           {"pingpong", {{"dedup", "0"}}, 10, "exactly-once"},
           {"mutex-counter", {}, 10, ""},
           {"racy-counter", {}, 20, "lost-update"},
           {"philosophers", {}, 100, "deadlock"},
       }},
      {"ci",
       "minutes on 2 cores: more seeds and larger shapes",
       {
           {"broker-smoke", {}, 30, ""},
           {"leader-crash", {}, 30, ""},
           {"partition-majority", {}, 30, ""},
           {"partition-bridge", {}, 30, ""},
           {"partition-flaky", {}, 30, ""},
           {"crash-restart-all", {}, 30, ""},
           {"disk-torn-writes", {}, 30, ""},
           {"clock-skew", {}, 30, ""},
           {"presence-churn", {}, 30, ""},
           {"resume-after-failover", {}, 30, ""},
           {"retry-storm", {}, 30, ""},
           {"big-cluster", {}, 15, ""},
           {"lease-reads-skew", {}, 30, ""},
           {"paused-leader-reads", {}, 30, ""},
           {"crash-after-vote", {}, 30, ""},
           {"snapshot-catchup", {}, 30, ""},
           {"connect-churn", {}, 30, ""},
           {"raft-figure8", {}, 30, ""},
           {"stable-leader", {}, 30, ""},
           {"stable-leader", {{"nodes", "5"}}, 10, ""},
           {"broker-smoke", {{"nodes", "1"}}, 5, ""},
           {"broker-edges", {}, 10, ""},
           {"broker-limits", {}, 3, ""},
           {"storage-crash", {}, 100, ""},
           {"pingpong", {}, 200, ""},
           {"pingpong", {{"nodes", "5"}, {"drop_pct", "30"}}, 50, ""},
           {"pingpong", {{"dedup", "0"}}, 50, "exactly-once"},
           {"mutex-counter", {}, 200, ""},
           {"mutex-counter", {{"fibers", "8"}, {"increments", "20"}}, 200, ""},
           {"racy-counter", {}, 200, "lost-update"},
           {"racy-counter", {{"fibers", "3"}, {"increments", "3"}}, 200, "lost-update"},
           {"philosophers", {}, 1000, "deadlock"},
           {"philosophers", {{"n", "3"}, {"meals", "3"}}, 500, "deadlock"},
       }},
      {"nightly",
       "an hour: wide seed sweeps",
       {
           {"broker-smoke", {}, 5000, ""},
           {"leader-crash", {}, 5000, ""},
           {"partition-majority", {}, 5000, ""},
           {"partition-bridge", {}, 5000, ""},
           {"partition-flaky", {}, 5000, ""},
           {"crash-restart-all", {}, 5000, ""},
           {"disk-torn-writes", {}, 5000, ""},
           {"clock-skew", {}, 5000, ""},
           {"presence-churn", {}, 5000, ""},
           {"resume-after-failover", {}, 5000, ""},
           {"retry-storm", {}, 5000, ""},
           {"big-cluster", {}, 5000, ""},
           {"lease-reads-skew", {}, 5000, ""},
           {"paused-leader-reads", {}, 5000, ""},
           {"crash-after-vote", {}, 5000, ""},
           {"snapshot-catchup", {}, 5000, ""},
           {"connect-churn", {}, 5000, ""},
           {"raft-figure8", {}, 5000, ""},
           {"stable-leader", {}, 5000, ""},
           {"stable-leader", {{"nodes", "5"}}, 1000, ""},
           {"broker-edges", {}, 5000, ""},
           {"broker-limits", {}, 1000, ""},
           {"storage-crash", {}, 10000, ""},
           {"pingpong", {}, 20000, ""},
           {"pingpong", {{"nodes", "7"}, {"drop_pct", "40"}, {"dup_pct", "20"}}, 5000, ""},
           {"mutex-counter", {}, 20000, ""},
           {"mutex-counter", {{"fibers", "16"}, {"increments", "50"}}, 5000, ""},
           {"racy-counter", {{"fibers", "4"}, {"increments", "5"}}, 20000, "lost-update"},
           {"philosophers", {{"n", "7"}, {"meals", "2"}}, 20000, "deadlock"},
       }},
  };
  return all;
}

}  // namespace

void add_suite_entries(const std::string& suite, const std::vector<SuiteEntry>& entries) {
  for (Suite& s : suites()) {
    if (s.name != suite) continue;
    s.entries.insert(s.entries.end(), entries.begin(), entries.end());
    return;
  }
  SIMBUS_ASSERT_MSG(false, "add_suite_entries: no such suite");
}

const Suite* find_suite(const std::string& name) {
  for (const Suite& s : suites()) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

std::vector<const Suite*> all_suites() {
  std::vector<const Suite*> out;
  for (const Suite& s : suites()) out.push_back(&s);
  return out;
}

}  // namespace simbus::scenarios
