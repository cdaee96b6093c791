// The broker under test as a scenario: a Raft cluster of BrokerNodes on SimEnv, client
// nodes running a workload (publishers, subscribers, presence members, channel-info
// readers), a nemesis drawing its faults from the seed, a quiet period for liveness, and
// the checkers judging the recorded history, delivery log and Raft states.
#pragma once

#include <cstdint>
#include <string>

#include "scenarios/scenario.h"

namespace simbus::scenarios {

// Fault kinds a scenario's nemesis may use (bit flags). Which of them are active for a
// seed, and their parameters, are drawn from the seed (swarm testing) and printed.
enum NemesisKind : std::uint32_t {
  kNemesisNone = 0,
  kPartitionMajority = 1u << 0,  // split into a majority and a minority
  kPartitionBridge = 1u << 1,    // two halves that only one bridge node sees both of
  kPartitionRing = 1u << 2,      // each node sees only its ring neighbours
  kIsolate = 1u << 3,            // one node cut from all
  kOneWay = 1u << 4,             // one direction of one link cut
  kFlaky = 1u << 5,              // many short random partitions
  kCrashLeader = 1u << 6,
  kCrashAny = 1u << 7,
  kCrashAll = 1u << 8,           // every node down, then all back
  kPause = 1u << 9,
  kClockSkew = 1u << 10,
  kClog = 1u << 11,
  // The leader's clock runs slow and the others' fast (rates drawn per seed within the
  // lease's clock-skew bound, changed without jumps), then the leader is cut off from the
  // other brokers (clients still reach it) while they elect a new one.
  kLeaseSkew = 1u << 12,
  // An election is forced (the leader crashes or is isolated), and a node is crashed and
  // restarted right after it grants a vote, before its next fsync.
  kCrashVoter = 1u << 13,
  // Raft's figure 8 (§5.4.2), scripted on the brokers' observed Raft state (5+ brokers):
  // an old-term entry reaches a majority through a follower more than one append (64
  // entries) behind, while the new leader's no-op does not; then a node whose log ends in
  // a newer term wins and overwrites it. Needs burst_publishes to make the lag.
  kFigure8 = 1u << 14,
  // Leader stickiness, checked as it goes: while a leader keeps a majority, one follower is
  // cut off from it (alone, or from the leader only, still reaching the others) for several
  // election timeouts, then rejoins. Pre-vote and CheckQuorum promise that no running
  // broker's term changes meanwhile (failed as "raft-stability"). Fault-free otherwise.
  kStableLeader = 1u << 15,
  // The leader is paused, and while it sleeps it is cut off from the other brokers (clients
  // still reach it) long enough for them to elect a new leader and commit; it then wakes
  // to the clients' requests that queued meanwhile, and no message of the new term, before
  // the cut heals. A ReadIndex read it answers from its old rounds' acknowledgements is
  // stale: only a round sent after the read arrived may confirm its leadership.
  kPausedLeader = 1u << 16,
};

// The kinds of the "faults=1" parameter: random partitions only, whatever the scenario's
// own faults are (its workload stays): a baseline for how much a scenario's fault
// schedule, rather than partitions alone, finds.
constexpr std::uint32_t kRandomPartitionKinds = kPartitionMajority | kPartitionBridge | kPartitionRing | kIsolate | kOneWay;
// Values of the "faults" parameter every broker scenario takes.
constexpr std::int64_t kFaultsScenario = 0;
constexpr std::int64_t kFaultsPartitionsOnly = 1;

struct BrokerScenarioOptions {
  std::uint32_t nemesis = kNemesisNone;
  bool message_faults = false;     // drop / duplicate / reorder, rates drawn per seed
  bool torn_writes = false;        // disk: torn last write and lost unsynced writes at crash
  bool presence = false;           // presence members joining and leaving
  bool resume_clients = false;     // ordered subscribers that reconnect elsewhere and resume
  bool retry_storm = false;        // short client timeouts: many retried publishes
  // Fixed latency (per-link FIFO) and raw subscribers that see exactly what their node
  // sends, in the order it sends it: node-side ordering and gap bugs show directly.
  bool raw_subscribers = false;
  // Raw subscribers per broker node (raw_subscribers only).
  std::int64_t raw_per_node = 2;
  // Raw subscribers that leave their connection now and then and resume on a new one
  // (another node) from the last sequence number they received, recording exactly what
  // arrives: a replayed duplicate shows. Needs the FIFO network of raw_subscribers.
  std::int64_t raw_resumers = 0;
  // Clients that connect, subscribe, stay briefly and leave, over and over, all on one
  // node: many concurrent handshakes on one connection registry.
  std::int64_t churners = 0;
  // Clients reading channel info in a loop (they stick to whichever node answered last).
  std::int64_t info_readers = 0;
  // The info readers aim each read at a broker drawn from the seed instead (a redirect is
  // still followed), and wait this long for a reply (0: the client's default), so a read
  // can wait at a paused leader until it wakes.
  bool info_readers_anywhere = false;
  std::int64_t info_reader_timeout_us = 0;
  std::int64_t publisher_timeout_us = 0;  // 0: the client's default
  // Publishes fired at once at a leader on the nemesis's request (kFigure8: more entries
  // than one append carries, appended while the leader is cut off with one follower).
  std::int64_t burst_publishes = 0;
  // The event name presence members send as their client event. Test seam: a name without
  // the "client-" prefix is one a correct broker refuses, which a fault-free run must flag.
  std::string member_client_event = "client-hello";
  // Raft: 0 keeps core's defaults.
  std::int64_t election_timeout_us_min = 0;
  std::int64_t election_timeout_us_max = 0;
  bool lease_reads = false;
  std::int64_t lease_clock_skew_us_max = 0;
  bool pre_vote = true;  // test seam: off, a rejoining follower's election disrupts the leader
  std::uint64_t compact_after_entries = 64;
  std::int64_t fault_period_us = 4'000'000;
  std::int64_t quiet_period_us = 6'000'000;
  // How long one partition, isolation or one-way cut lasts at most (drawn from 100 ms).
  std::int64_t fault_duration_us_max = 1'500'000;
};

// Declares the parameters every broker scenario takes (nodes, publishers, ...).
std::vector<ParamSpec> broker_params(std::int64_t nodes_default);
void setup_broker_scenario(ScenarioContext& ctx, const BrokerScenarioOptions& options);

}  // namespace simbus::scenarios
