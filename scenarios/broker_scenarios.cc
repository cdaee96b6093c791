// The broker scenarios: one cluster, workload and checker set, each with its own faults.
#include "scenarios/broker_cluster.h"

namespace simbus::scenarios {
namespace {

void add(const char* name, const char* description, std::int64_t nodes, BrokerScenarioOptions options,
         std::vector<ParamSpec> extra = {}) {
  Scenario s;
  s.name = name;
  s.description = description;
  s.params = broker_params(nodes);
  s.params.insert(s.params.end(), extra.begin(), extra.end());
  s.setup = [options](ScenarioContext& ctx) { setup_broker_scenario(ctx, options); };
  // A healthy run takes 5–30 k steps; a seeded bug that makes the cluster spin must end as
  // a livelock failure in a second or two, not after minutes and gigabytes.
  s.time_us_max = 120'000'000;
  s.steps_max = 1'000'000;
  s.determinism_seeds = 6;
  register_scenario(std::move(s));
}

}  // namespace

void register_broker_scenarios() {
  BrokerScenarioOptions o;
  o.raw_subscribers = true;
  o.presence = true;
  add("broker-smoke", "3-node broker, publishers, subscribers and presence members, no faults", 3, o);

  o = {};
  o.nemesis = kCrashLeader;
  add("leader-crash", "the Raft leader crashes and restarts, repeatedly", 3, o);

  o = {};
  o.nemesis = kPartitionMajority | kIsolate;
  add("partition-majority", "majority/minority splits and isolated nodes", 5, o);

  // Isolations longer than the 3 s session timeout: the leader expires the cut-off node's
  // connections, which learns it after the heal and must tell its clients.
  o = {};
  o.nemesis = kIsolate;
  o.fault_period_us = 8'000'000;
  o.fault_duration_us_max = 5'000'000;
  add("session-expiry", "a node isolated past the session timeout: its connections expire", 3, o);

  o = {};
  o.nemesis = kPartitionBridge | kPartitionRing | kOneWay;
  add("partition-bridge", "bridge, ring and one-way partitions", 5, o);

  o = {};
  o.nemesis = kFlaky | kClog;
  o.message_faults = true;
  add("partition-flaky", "many short partitions, clogged links, lossy network", 3, o);

  o = {};
  o.nemesis = kCrashAll | kCrashAny;
  add("crash-restart-all", "every node crashes and recovers from its disk", 3, o);

  o = {};
  o.nemesis = kCrashAny | kCrashAll;
  o.torn_writes = true;
  add("disk-torn-writes", "crashes that lose unsynced writes and tear the last one", 3, o);

  o = {};
  o.nemesis = kClockSkew | kPause;
  add("clock-skew", "skewed and drifting node clocks, paused nodes", 3, o);

  o = {};
  o.nemesis = kCrashAny | kIsolate;
  o.presence = true;
  add("presence-churn", "presence members joining and leaving across node crashes and isolation", 3, o);

  o = {};
  o.nemesis = kCrashLeader | kPartitionMajority;
  o.resume_clients = true;
  add("resume-after-failover", "subscribers reconnect to other nodes and resume by sequence number", 3, o);

  o = {};
  o.nemesis = kPartitionMajority | kCrashLeader;
  o.message_faults = true;
  o.retry_storm = true;
  add("retry-storm", "short client timeouts: publishes retried many times, applied once", 3, o);

  o = {};
  o.nemesis = kPartitionMajority | kCrashAny | kPause;
  o.message_faults = true;
  add("big-cluster", "7 nodes under partitions, crashes and pauses", 7, o);

  o = {};
  o.nemesis = kLeaseSkew;
  o.lease_reads = true;
  // Lease = 300 - 150 ms of the leader's clock; the clocks' rates stay within the bound.
  o.election_timeout_us_min = 300'000;
  o.election_timeout_us_max = 400'000;
  o.lease_clock_skew_us_max = 150'000;
  o.info_readers = 2;
  o.publisher_timeout_us = 30'000;
  add("lease-reads-skew", "lease reads; a slow-clock leader is cut off while the others elect a new one", 3, o);

  o = {};
  o.nemesis = kCrashVoter;
  // A narrow timeout window: candidates often start together and split the votes.
  o.election_timeout_us_min = 150'000;
  o.election_timeout_us_max = 165'000;
  add("crash-after-vote", "all nodes restart together; a node crashes right after granting a vote", 3, o);

  o = {};
  o.nemesis = kCrashAny | kIsolate | kClog;
  o.message_faults = true;
  o.compact_after_entries = 8;
  add("snapshot-catchup", "frequent snapshots: lagging followers catch up by InstallSnapshot, duplicated and delayed",
      3, o);

  o = {};
  o.raw_subscribers = true;
  o.raw_per_node = 1;
  o.raw_resumers = 4;
  o.churners = 8;
  add("connect-churn", "clients connect, subscribe and leave over and over; raw subscribers resume on other nodes",
      3, o);

  o = {};
  o.nemesis = kFigure8;
  // One scripted round (it takes about a second of its own); the burst outgrows one append
  // (entries_per_append_max = 64) with room for the entries C may lack already.
  o.fault_period_us = 1'000'000;
  o.burst_publishes = 96;
  // No snapshots: C must catch up by appends, 64 entries at a time, not by InstallSnapshot.
  o.compact_after_entries = 100'000;
  add("raft-figure8", "Raft figure 8 scripted on 5 nodes: an old-term entry on a majority, then overwritten", 5, o);

  o = {};
  o.nemesis = kPausedLeader;
  o.info_readers = 4;
  o.info_readers_anywhere = true;
  o.info_reader_timeout_us = 3'000'000;  // longer than the pause
  o.publisher_timeout_us = 100'000;       // publishes move on to the new leader
  add("paused-leader-reads",
      "the leader sleeps, cut off from the others, while they elect a new one; it wakes to the reads that queued",
      3, o);

  o = {};
  o.nemesis = kStableLeader;
  o.fault_period_us = 8'000'000;  // about four rounds
  add("stable-leader",
      "a follower cut off from the leader (or from all) rejoins: pre-vote and CheckQuorum keep the term unchanged",
      3, o);
}

}  // namespace simbus::scenarios
