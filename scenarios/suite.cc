#include "scenarios/suite.h"

#include "base/assert.h"

namespace simbus::scenarios {
namespace {

std::vector<Suite> make_suites() {
  std::vector<Suite> all = {
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
           // the figure-8 script (a deposed leader's suffix overwritten), broker-limits. Then
           // (mutants that only ci's seeds killed) twenty seeds of each fault kind instead of
           // three (a run takes ~5 ms): ~2 s with --jobs 2.
           {"broker-smoke", {}, 10, ""},
           {"broker-smoke", {{"nodes", "1"}}, 2, ""},
           {"stable-leader", {}, 10, ""},
           {"raft-figure8", {}, 8, ""},
           {"broker-edges", {}, 8, ""},
           {"broker-limits", {}, 1, ""},
           {"leader-crash", {}, 20, ""},
           {"presence-churn", {}, 20, ""},
           {"resume-after-failover", {}, 20, ""},
           {"connect-churn", {}, 8, ""},
           {"retry-storm", {}, 20, ""},
           {"snapshot-catchup", {}, 20, ""},
           {"partition-majority", {}, 20, ""},
           {"session-expiry", {}, 20, ""},
           {"partition-bridge", {}, 20, ""},
           {"partition-flaky", {}, 20, ""},
           {"crash-restart-all", {}, 20, ""},
           {"disk-torn-writes", {}, 20, ""},
           {"clock-skew", {}, 20, ""},
           {"lease-reads-skew", {}, 20, ""},
           // A ReadIndex read confirmed by an old round survived every scenario (mutation
           // testing) until a leader slept through its deposition and woke to queued reads.
           {"paused-leader-reads", {}, 20, ""},
           {"crash-after-vote", {}, 20, ""},
           {"big-cluster", {}, 2, ""},
           {"storage-crash", {}, 20, ""},
       }},
      {"runtime",
       "a second: the runtime scenarios alone (no broker), for the scheduler and its strategies",
       {
           {"pingpong", {}, 10, ""},
           {"pingpong", {{"dedup", "0"}}, 10, "exactly-once"},
           {"mutex-counter", {}, 10, ""},
           {"racy-counter", {}, 20, "lost-update"},
           {"philosophers", {}, 100, "deadlock"},
       }},
      {"ci",
       "minutes on 2 cores: more seeds and larger shapes",
       {
           {"broker-smoke", {}, 100, ""},
           {"leader-crash", {}, 100, ""},
           {"partition-majority", {}, 100, ""},
           {"session-expiry", {}, 100, ""},
           {"partition-bridge", {}, 100, ""},
           {"partition-flaky", {}, 100, ""},
           {"crash-restart-all", {}, 100, ""},
           {"disk-torn-writes", {}, 100, ""},
           {"clock-skew", {}, 100, ""},
           {"presence-churn", {}, 100, ""},
           {"resume-after-failover", {}, 100, ""},
           {"retry-storm", {}, 100, ""},
           {"big-cluster", {}, 15, ""},
           {"lease-reads-skew", {}, 100, ""},
           {"paused-leader-reads", {}, 100, ""},
           {"crash-after-vote", {}, 100, ""},
           {"snapshot-catchup", {}, 100, ""},
           {"connect-churn", {}, 100, ""},
           {"raft-figure8", {}, 100, ""},
           {"stable-leader", {}, 100, ""},
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
           {"session-expiry", {}, 5000, ""},
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
  // smoke ends with the runtime suite's entries (written once, in the runtime suite).
  Suite* smoke = nullptr;
  const Suite* runtime = nullptr;
  for (Suite& suite : all) {
    if (suite.name == "smoke") smoke = &suite;
    if (suite.name == "runtime") runtime = &suite;
  }
  SIMBUS_ASSERT(smoke != nullptr && runtime != nullptr);
  smoke->entries.insert(smoke->entries.end(), runtime->entries.begin(), runtime->entries.end());
  return all;
}

std::vector<Suite>& suites() {
  static std::vector<Suite> all = make_suites();
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
