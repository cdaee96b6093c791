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
}

}  // namespace simbus::scenarios
