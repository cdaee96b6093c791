#include "scenarios/broker_cluster.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>
#include <tuple>
#include <memory>
#include <set>
#include <sstream>
#include <vector>

#include "base/assert.h"
#include "checkers/delivery.h"
#include "checkers/linearizability.h"
#include "checkers/delivery_files.h"
#include "checkers/liveness.h"
#include "checkers/model.h"
#include "checkers/raft_safety.h"
#include "checkers/readers.h"
#include "core/auth.h"
#include "core/broker_node.h"
#include "core/bugs.h"
#include "core/channels.h"
#include "core/client.h"
#include "scenarios/broker_nemesis.h"
#include "scenarios/sim_env.h"
#include "sim/disk.h"
#include "sim/network.h"

namespace simbus::scenarios {

namespace {

constexpr std::size_t kRaftSnapshotsMax = 20'000;
constexpr std::size_t kRaftSampledEntriesMax = 20'000'000;  // bounds the samples' memory
constexpr std::int64_t kRaftSampleIntervalUs = 50'000;
constexpr std::int64_t kLivenessBoundUs = 5'000'000;
constexpr std::int64_t kHealthyRequestBoundUs = 20'000;
constexpr std::int64_t kHealthyDeliveryBoundUs = 200'000;
constexpr std::int64_t kCloseInFlightUsMax = 1'000'000;  // ten forward retries
// A session expiry's notice goes out, and the node lets go of the socket, one registry
// update after the expiry is applied (behind a handshake at most): far below this.
constexpr std::int64_t kSubscriptionLostUsMax = 300'000;
constexpr std::size_t kUnsubscribedMax = 100'000;
// A session-expiry notice is sent before the node lets go of the socket, so it is on its
// way before any refusal of that socket: it arrives within a network latency of it.
constexpr std::int64_t kNoticeInFlightUsMax = 1'000'000;
constexpr std::size_t kSessionEndsKeptMax = 10'000;
constexpr std::size_t kUnansweredKeptMax = 1024;
// After the heal: crashed nodes restart and may elect (election timeout up to 300 ms after
// recovery, pre-vote first); from then on the cluster owes every request an answer.
constexpr std::int64_t kElectionAfterHealUsMax = 2'000'000;
constexpr std::int64_t kQuietPublishes = 3;
constexpr std::uint64_t kBurstClientIdBase = 100'000;  // above every other client's id
constexpr std::int64_t kBurstProcessBase = 1'000;      // history processes of burst publishes
constexpr std::int64_t kBurstPublishesMax = 10'000;    // per run, over all bursts
constexpr std::int64_t kInfoReaderProcessBase = kBurstProcessBase + kBurstPublishesMax;
constexpr const char* kBurstChannel = "burst";

checkers::RaftRole to_checker_role(core::Role role) {
  switch (role) {
    case core::Role::leader: return checkers::RaftRole::leader;
    case core::Role::candidate: return checkers::RaftRole::candidate;
    default: return checkers::RaftRole::follower;
  }
}

// Everything one broker run shares between its fibers and its end checks.
struct BrokerRun {
  BrokerScenarioOptions options;
  std::vector<sim::NodeIndex> brokers;
  std::map<sim::NodeIndex, std::weak_ptr<core::BrokerNode>> nodes;
  std::vector<std::string> channels;
  core::AppCredentials app;
  core::Bugs bugs;

  checkers::History history;
  checkers::DeliveryLog deliveries;
  std::vector<checkers::RaftNodeSnapshot> raft_snapshots;
  std::size_t sampled_entries = 0;
  std::map<std::uint64_t, std::pair<std::uint64_t, std::uint64_t>> applied;  // index -> (term, digest)
  std::vector<checkers::RaftLogEntry> applied_prefix;  // applied[1..n], as far as it has no gap
  std::string state_machine_violation;
  std::string truncation_violation;
  // Per (node, term, incarnation): the highest index the node acknowledged as matching
  // its leader's log (AppendResponse success). Within one term and boot its log may never
  // end before it: nothing but a leader of a higher term can make those entries conflict.
  std::map<std::tuple<sim::NodeIndex, std::uint64_t, std::uint64_t>, std::uint64_t> acked_match;
  // Per node: the last index it applied in its current incarnation. Within one
  // incarnation a node applies each index once, in order; a restore from the leader's
  // snapshot only ever moves it forward (a restart re-applies from its own disk).
  struct Applied {
    std::uint64_t incarnation = 0;
    std::uint64_t last_index = 0;
  };
  std::map<sim::NodeIndex, Applied> applied_by_node;
  // Every leadership as it happens (the 50 ms samples can miss a short-lived leader).
  std::map<std::uint64_t, std::string> leader_of_term;
  std::int64_t first_leader_us = -1;  // when the run's first leadership began
  // Connections a node's replicated state holds but the node no longer has open, with when
  // each was first seen so (on the Raft observer's samples): a close in flight is one for a
  // round trip, a leaked one for ever.
  std::map<std::pair<sim::NodeIndex, std::string>, std::int64_t> unowned_since_us;
  // The reverse: each node's own open connections' subscriptions as its replicated state
  // listed them at the last sample, and each one since missing although the connection is
  // still open and the log holds no unsubscribe of it, with when it went missing.
  using SocketChannel = std::pair<std::string, std::string>;
  std::map<sim::NodeIndex, std::set<SocketChannel>> listed;
  std::map<std::pair<sim::NodeIndex, SocketChannel>, std::int64_t> lost_since_us;
  std::set<SocketChannel> unsubscribed;  // unsubscribes in the log (socket, channel)
  std::string subscription_violation;
  // Repairs refused as unknown_socket by a node that had not restarted since the connection
  // opened (so it expired the session), and the sockets whose client got the SessionExpired
  // notice: every such refusal must be matched by a notice (judged at the end).
  struct UntoldEnd {
    std::string session;
    std::string socket_id;
    std::string node;
    std::int64_t at_us = 0;
  };
  std::vector<UntoldEnd> refused_repairs;
  std::set<std::string> told_expired;
  std::string election_violation;

  NemesisState nemesis;
  std::int64_t publishers_done = 0;
  std::int64_t burst_publishes = 0;  // fired so far (kFigure8)
  // The first request a node explicitly refused (a non-ok status) in a run without faults,
  // where every subscribe, unsubscribe, client event and channel-info read must succeed:
  // a broker that wrongly refuses them is otherwise invisible (the history holds publishes).
  std::string refusal;

  struct InfoRead {
    std::int64_t process = 0;  // the history process: the publisher or reader that read
    std::string channel;
    std::int64_t invoke_us = 0;
    std::int64_t complete_us = 0;
    std::uint64_t seq_last = 0;
    std::string node;
  };
  std::vector<InfoRead> info_reads;
  std::vector<checkers::UnansweredAttempt> unanswered;  // client request attempts that timed out

  struct MemberState {
    std::string session;
    std::string user;
    std::set<std::string> view;     // the members this session believes are present
    bool holding = false;           // subscribed at the end
    std::string echoed;             // a client event of its own it received, if any
    std::string connection_session; // the session of its current connection
  };
  std::vector<MemberState> members;
};

bool fault_free(const BrokerScenarioOptions& o) {
  return o.nemesis == kNemesisNone && !o.message_faults && !o.torn_writes && !o.retry_storm;
}

// Notes an explicit refusal (not a timeout: a loaded node may shed requests) of a request
// that a fault-free cluster must grant.
template <typename Reply>
void note_refusal(BrokerRun& run, sim::World& world, const char* what, const std::string& channel,
                  const std::optional<Reply>& reply) {
  if (!reply || reply->status == core::Status::ok || !fault_free(run.options) || !run.refusal.empty()) return;
  run.refusal = fmt::format("{} on {} refused with status {} at {} us", what, channel,
                            core::status_name(reply->status), world.now_us());
}

std::size_t invoke(BrokerRun& run, std::int64_t process, std::string function, std::string key,
                   std::vector<checkers::Value> args, std::int64_t now_us) {
  checkers::Operation op;
  op.process = process;
  op.function = std::move(function);
  op.key = std::move(key);
  op.args = std::move(args);
  op.status = checkers::Status::info;
  op.invoke_time = now_us;
  run.history.operations.push_back(std::move(op));
  return run.history.operations.size() - 1;
}

void complete(BrokerRun& run, std::size_t index, checkers::Status status, std::vector<checkers::Value> results,
              std::int64_t now_us) {
  auto& op = run.history.operations[index];
  op.status = status;
  op.results = std::move(results);
  if (status != checkers::Status::info) op.complete_time = now_us;
}

// Diverged state machines, and committed entries dropped from a log, are final: the run
// stops there and the end checks report it. A cluster left to go on may spin instead (a
// node whose commit index lies past the leader's log rejects every append it gets), and
// the step budget's livelock would hide the cause.
void stop_on_safety_violation(sim::World& world) { world.stop(); }

// Read from the log, once per index as it is first applied anywhere: any client's, the
// prober's raw frames included.
void note_unsubscribes(BrokerRun& run, const core::LogEntry& entry) {
  core::Command command;
  if (core::decode_command(entry.command, command) != core::DecodeError::none) return;
  for (const core::Op& op : command.ops) {
    const auto* leave = std::get_if<core::UnsubscribeOp>(&op);
    if (leave != nullptr && run.unsubscribed.size() < kUnsubscribedMax) {
      run.unsubscribed.emplace(leave->socket_id, leave->channel);
    }
  }
}

// A subscription leaves a node's replicated state by an unsubscribe, a close or a session
// expiry; the last two end the connection (the node lets go of a socket whose session
// expired once the notice is sent). So a subscription of a connection the node still has
// open, missing for kSubscriptionLostUsMax although its client never unsubscribed, was
// dropped by the state machine itself: the client, never told, would learn it only when
// its idle resync finds it (ordered clients) or never (raw subscribers).
void watch_subscriptions(BrokerRun& run, sim::World& world) {
  std::map<std::pair<sim::NodeIndex, BrokerRun::SocketChannel>, std::int64_t> still_lost;
  for (const auto& [index, weak] : run.nodes) {
    const auto node = weak.lock();
    if (node == nullptr || node->raft() == nullptr || !world.node_up(index)) {
      run.listed.erase(index);
      continue;
    }
    const std::vector<std::string> open = node->local_socket_ids();
    std::set<BrokerRun::SocketChannel> listed;
    for (const std::string& socket_id : open) {
      for (std::string& channel : node->channels().channels_of(socket_id)) listed.emplace(socket_id, std::move(channel));
    }
    std::set<BrokerRun::SocketChannel>& before = run.listed[index];
    for (const BrokerRun::SocketChannel& pair : before) {
      if (listed.contains(pair) || run.unsubscribed.contains(pair)) continue;
      if (!std::binary_search(open.begin(), open.end(), pair.first)) continue;  // closed: not lost
      auto key = std::make_pair(index, pair);
      const auto was = run.lost_since_us.find(key);
      const std::int64_t since_us = was == run.lost_since_us.end() ? world.now_us() : was->second;
      if (world.now_us() - since_us >= kSubscriptionLostUsMax && run.subscription_violation.empty()) {
        run.subscription_violation = fmt::format(
            "{}'s replicated state dropped the subscription of its open connection {} to {} at {} us, and {} "
            "us later the connection is still open, was never unsubscribed, and is still not subscribed",
            world.node_name(index), pair.first, pair.second, since_us, world.now_us() - since_us);
      }
      still_lost.emplace(std::move(key), since_us);
      listed.insert(pair);  // still owed: judged again at the next sample
    }
    before = std::move(listed);
  }
  run.lost_since_us = std::move(still_lost);
}

void watch_connections(BrokerRun& run, sim::World& world) {
  std::map<std::pair<sim::NodeIndex, std::string>, std::int64_t> now_unowned;
  for (const auto& [index, weak] : run.nodes) {
    const auto node = weak.lock();
    if (node == nullptr || node->raft() == nullptr || !world.node_up(index)) continue;
    const std::vector<std::string> open = node->local_socket_ids();
    for (std::string& socket_id : node->channels().sockets_of(node->id())) {
      if (std::binary_search(open.begin(), open.end(), socket_id)) continue;
      auto key = std::make_pair(index, std::move(socket_id));
      const auto was = run.unowned_since_us.find(key);
      now_unowned.emplace(std::move(key), was == run.unowned_since_us.end() ? world.now_us() : was->second);
    }
  }
  run.unowned_since_us = std::move(now_unowned);
  watch_subscriptions(run, world);
}

void sample_raft(BrokerRun& run, sim::World& world) {
  if (run.raft_snapshots.size() >= kRaftSnapshotsMax) return;
  if (run.sampled_entries >= kRaftSampledEntriesMax) return;
  for (const auto& [index, weak] : run.nodes) {
    auto node = weak.lock();
    if (!node || node->raft() == nullptr || !world.node_up(index)) continue;
    const core::RaftStatus status = node->raft_status();
    checkers::RaftNodeSnapshot snap;
    snap.time = world.now_us();
    snap.node = world.node_name(index);
    snap.term = static_cast<std::int64_t>(status.term);
    snap.voted_for = status.voted_for == core::no_node ? "" : world.node_name(status.voted_for);
    snap.role = to_checker_role(status.role);
    snap.commit_index = static_cast<std::int64_t>(status.commit_index);
    snap.incarnation = world.incarnation(index) + 1;  // 0 means unknown
    // Entries compacted into the snapshot are committed: every node applied the same ones
    // (checked on apply), so the prefix is taken from what was applied. `applied` only
    // grows and never changes an index, so its gap-free start is kept as it extends.
    while (true) {
      auto it = run.applied.find(run.applied_prefix.size() + 1);
      if (it == run.applied.end()) break;
      run.applied_prefix.push_back({static_cast<std::int64_t>(it->second.first), it->second.second});
    }
    // A prefix we never saw applied: leave this node's log out of the sample.
    if (run.applied_prefix.size() < status.snapshot_index) continue;
    snap.log.reserve(status.snapshot_index + status.log.size());
    snap.log.assign(run.applied_prefix.begin(),
                    run.applied_prefix.begin() + static_cast<std::ptrdiff_t>(status.snapshot_index));
    for (const core::EntryDigest& e : status.log) {
      snap.log.push_back({static_cast<std::int64_t>(e.term), e.checksum});
    }
    run.sampled_entries += snap.log.size();
    // The raft-commit-durability check reports it at the end.
    if (snap.commit_index > static_cast<std::int64_t>(snap.log.size())) stop_on_safety_violation(world);
    run.raft_snapshots.push_back(std::move(snap));
  }
}

core::BrokerConfig broker_config(const BrokerRun& run) {
  const BrokerScenarioOptions& o = run.options;
  core::BrokerConfig config;
  config.raft.members.assign(run.brokers.begin(), run.brokers.end());
  if (o.election_timeout_us_min > 0) config.raft.election_timeout_us_min = o.election_timeout_us_min;
  if (o.election_timeout_us_max > 0) config.raft.election_timeout_us_max = o.election_timeout_us_max;
  SIMBUS_ASSERT(config.raft.election_timeout_us_min < config.raft.election_timeout_us_max);
  config.raft.lease_reads = o.lease_reads;
  config.raft.lease_clock_skew_us_max = o.lease_clock_skew_us_max;
  config.raft.pre_vote = o.pre_vote;
  config.channels.app = run.app;
  SIMBUS_ASSERT(o.compact_after_entries > 0);
  config.compact_after_entries = o.compact_after_entries;
  config.bugs = run.bugs;
  return config;
}

void add_brokers(sim::World& world, const std::shared_ptr<BrokerRun>& run, std::int64_t count) {
  for (std::int64_t i = 0; i < count; ++i) {
    run->brokers.push_back(static_cast<sim::NodeIndex>(world.node_count() + static_cast<std::size_t>(i)));
  }
  for (std::int64_t i = 0; i < count; ++i) {
    const sim::NodeIndex index = run->brokers[static_cast<std::size_t>(i)];
    auto boot = [&world, run, index] {
      auto env = std::make_shared<SimEnv>(world, index);
      core::BrokerHooks hooks;
      // The node's applied index within this incarnation (reset by a restart).
      auto applied_here = [&world, run, index]() -> BrokerRun::Applied& {
        auto& a = run->applied_by_node[index];
        if (a.incarnation != world.incarnation(index)) a = {world.incarnation(index), 0};
        return a;
      };
      hooks.on_apply = [&world, run, index, applied_here](core::NodeId, const core::LogEntry& entry) {
        const auto value = std::make_pair(entry.term, core::checksum64(entry.command));
        auto [it, inserted] = run->applied.emplace(entry.index, value);
        if (inserted) note_unsubscribes(*run, entry);
        if (!inserted && it->second != value && run->state_machine_violation.empty()) {
          run->state_machine_violation = fmt::format(
              "two nodes applied different entries at index {} (terms {} and {})", entry.index, it->second.first,
              value.first);
          stop_on_safety_violation(world);
        }
        BrokerRun::Applied& a = applied_here();
        if (entry.index <= a.last_index && run->state_machine_violation.empty()) {
          run->state_machine_violation =
              fmt::format("{} applied index {} again at {} us after applying up to {} (its state was rewound)",
                          world.node_name(index), entry.index, world.now_us(), a.last_index);
          stop_on_safety_violation(world);
        }
        a.last_index = std::max(a.last_index, entry.index);
      };
      hooks.on_restore = [&world, run, index, applied_here](core::NodeId, const core::Snapshot& snapshot) {
        BrokerRun::Applied& a = applied_here();
        if (snapshot.index <= a.last_index && run->state_machine_violation.empty()) {
          run->state_machine_violation =
              fmt::format("{} installed a snapshot at index {} at {} us after applying up to {} in the same "
                          "incarnation (its state was rewound)",
                          world.node_name(index), snapshot.index, world.now_us(), a.last_index);
          stop_on_safety_violation(world);
        }
        a.last_index = std::max(a.last_index, snapshot.index);
      };
      hooks.on_leader = [&world, run, index](core::NodeId, std::uint64_t term) {
        auto [it, fresh] = run->leader_of_term.emplace(term, world.node_name(index));
        if (run->first_leader_us < 0) run->first_leader_us = world.now_us();
        if (!fresh && it->second != world.node_name(index) && run->election_violation.empty()) {
          run->election_violation = fmt::format("term {} has two leaders: {} and {} (at {} us)", term, it->second,
                                                world.node_name(index), world.now_us());
        }
      };
      // Checked as each acknowledgement leaves, not on the 50 ms samples: a follower that
      // deletes matching entries gets them back from the leader within a round trip, so
      // no sample sees the loss, while the cluster spins resending them.
      // Only what a non-leader sends to another broker can be an acknowledgement: the
      // leader's appends (most of the bytes) and the events to clients are not decoded.
      env->observe_sends([&world, run, index](core::NodeId to, const core::Bytes& payload) {
        if (!run->truncation_violation.empty()) return;
        auto node = run->nodes[index].lock();
        if (node == nullptr || node->raft() == nullptr || node->raft()->role() == core::Role::leader) return;
        if (std::find(run->brokers.begin(), run->brokers.end(), static_cast<sim::NodeIndex>(to)) == run->brokers.end()) {
          return;
        }
        core::Message message;
        if (core::decode_message(payload, message) != core::DecodeError::none) return;
        const auto* ack = std::get_if<core::AppendResponse>(&message);
        if (ack == nullptr) return;
        const core::RaftNode& raft = *node->raft();
        const std::uint64_t last = raft.log().last_index();
        std::uint64_t& acked = run->acked_match[{index, raft.term(), world.incarnation(index)}];
        if (acked > last) {
          run->truncation_violation = fmt::format(
              "{} acknowledged index {} in term {}, and at {} us its log ends at index {}: it deleted entries "
              "that matched its leader's (Raft deletes only from the first conflicting entry)",
              world.node_name(index), acked, raft.term(), world.now_us(), last);
          stop_on_safety_violation(world);
          return;
        }
        if (ack->success && ack->term == raft.term()) acked = std::max(acked, ack->match_index);
      });
      auto node = std::make_shared<core::BrokerNode>(env, broker_config(*run), hooks);
      run->nodes[index] = node;
      node->run();
    };
    const sim::NodeIndex added = world.add_node(fmt::format("b{}", i + 1), boot);
    SIMBUS_ASSERT(added == index);
    world.spawn(added, "boot", boot);
  }
}

// One event as a subscriber session received it, into the delivery log.
void record_event(BrokerRun& run, const std::string& session, const core::EventMessage& e, std::int64_t now_us) {
  checkers::Delivery d;
  d.session = session;
  d.channel = e.channel;
  d.kind = checkers::DeliveryKind::event;
  d.seq = static_cast<std::int64_t>(e.seq);
  d.payload = e.data;
  d.time = now_us;
  run.deliveries.deliveries.push_back(std::move(d));
}

// A notice that events first_seq.. no longer reach the session (past the history).
void record_missed(BrokerRun& run, const std::string& session, const core::MissedEvents& missed, std::int64_t now_us) {
  checkers::Delivery d;
  d.session = session;
  d.channel = missed.channel;
  d.kind = checkers::DeliveryKind::missed;
  d.seq = static_cast<std::int64_t>(missed.first_seq);
  d.time = now_us;
  run.deliveries.deliveries.push_back(std::move(d));
}

// A refusal from the node the connection was opened on, in the same incarnation: it let go
// of the socket itself, which it does only as it sends the session-expiry notice.
void note_refused_repair(BrokerRun& run, const sim::World& world, const std::string& session, sim::NodeIndex node,
                         std::uint64_t incarnation, const core::SubscribeReply& reply) {
  if (incarnation == 0 || world.incarnation(node) != incarnation || !world.node_up(node)) return;
  if (run.refused_repairs.size() >= kSessionEndsKeptMax) return;
  run.refused_repairs.push_back({session, reply.socket_id, world.node_name(node), world.now_us()});
}

void note_told_expired(BrokerRun& run, const std::string& socket_id) {
  if (run.told_expired.size() < kSessionEndsKeptMax) run.told_expired.insert(socket_id);
}

core::ClientConfig client_config(BrokerRun& run, bool ordered) {
  core::ClientConfig config;
  config.brokers.assign(run.brokers.begin(), run.brokers.end());
  config.ordered = ordered;
  config.on_timeout = [&run](std::string_view request, std::int64_t sent_us) {
    // The checks look at the last ones (after the heal): keep the newest, bounded.
    if (run.unanswered.size() >= kUnansweredKeptMax) {
      run.unanswered.erase(run.unanswered.begin(), run.unanswered.begin() + kUnansweredKeptMax / 2);
    }
    run.unanswered.push_back({std::string(request), sent_us});
  };
  if (run.options.retry_storm) {
    config.request_timeout_us = 30'000;  // shorter than a commit under faults: many retries
    config.attempts_max = 40;
  }
  return config;
}

core::ClientConfig publisher_config(BrokerRun& run) {
  core::ClientConfig config = client_config(run, true);
  if (run.options.publisher_timeout_us > 0) {
    // Quick to give up on a node that does not answer (a leader cut off from the others):
    // publishes reach a newly elected leader soon after it wins.
    config.request_timeout_us = run.options.publisher_timeout_us;
    config.attempts_max = 100;
  }
  return config;
}

// Records a publish's outcome: ok with its sequence number, failed, or indeterminate.
void complete_publish(BrokerRun& run, std::size_t op, const std::optional<core::PublishReply>& reply,
                      std::int64_t now_us) {
  if (!reply) {
    complete(run, op, checkers::Status::info, {}, now_us);
  } else if (reply->status == core::Status::ok && reply->seqs.size() == 1) {
    complete(run, op, checkers::Status::ok, {checkers::int_value(static_cast<std::int64_t>(reply->seqs[0].seq))},
             now_us);
  } else {
    complete(run, op, checkers::Status::fail, {}, now_us);
  }
}

// One publish of a burst the nemesis fires (kFigure8), from a client of its own that
// tries `target` first, on a channel of its own (no subscriber: the burst is there to
// lengthen the log; its publishes are still checked for linearizability and liveness).
void burst_publish(sim::World& world, const std::shared_ptr<BrokerRun>& run, sim::NodeIndex self,
                   sim::NodeIndex target, std::int64_t k) {
  SimEnv env(world, self);
  core::ClientConfig config = client_config(*run, true);
  const auto first = std::find(config.brokers.begin(), config.brokers.end(), static_cast<core::NodeId>(target));
  SIMBUS_ASSERT(first != config.brokers.end());
  std::rotate(config.brokers.begin(), first, config.brokers.end());
  core::BrokerClient client(env, config, kBurstClientIdBase + static_cast<std::uint64_t>(k));
  const std::string payload = fmt::format("burst{}", k);
  const std::size_t op =
      invoke(*run, kBurstProcessBase + k, "publish", kBurstChannel, {checkers::text_value(payload)}, world.now_us());
  const auto reply = client.publish({kBurstChannel}, "evt", payload);
  complete_publish(*run, op, reply, world.now_us());  // now: after the reply came
}

// A publisher: one publish at a time (so per-publisher order is defined), unique payloads.
void publisher_main(sim::World& world, const std::shared_ptr<BrokerRun>& run, sim::NodeIndex self, std::int64_t id,
                    std::int64_t publishes) {
  SimEnv env(world, self);
  core::BrokerClient client(env, publisher_config(*run), 1000 + static_cast<std::uint64_t>(id));
  const std::int64_t gap_us = std::max<std::int64_t>(1'000, run->options.fault_period_us / std::max<std::int64_t>(publishes, 1));
  auto publish_one = [&](std::int64_t n) {
    const std::string& channel = run->channels[world.draw_below(sim::DataTag::kUser, run->channels.size())];
    const std::string payload = fmt::format("p{}-{}", id, n);
    const std::size_t op = invoke(*run, id, "publish", channel, {checkers::text_value(payload)}, world.now_us());
    const auto reply = client.publish({channel}, "evt", payload);
    complete_publish(*run, op, reply, world.now_us());  // now: after the reply came
  };
  auto read_info = [&] {
    const std::string& channel = run->channels[world.draw_below(sim::DataTag::kUser, run->channels.size())];
    BrokerRun::InfoRead read;
    read.process = id;
    read.channel = channel;
    read.invoke_us = world.now_us();
    auto reply = client.info(channel);
    note_refusal(*run, world, "channel_info", channel, reply);
    if (!reply || reply->status != core::Status::ok) return;
    read.complete_us = world.now_us();
    read.seq_last = reply->seq_last;
    run->info_reads.push_back(read);
  };
  std::int64_t n = 0;
  for (; n < publishes; ++n) {
    // Shrinking removes client operations one by one (World::skip).
    const bool skipped = world.skip(fmt::format("op-p{}-{}", id, n));
    if (!skipped) publish_one(n);
    if (!skipped && world.draw_chance(sim::DataTag::kUser, 1, 2)) read_info();
    world.sleep_for_us(static_cast<std::int64_t>(world.draw_below(sim::DataTag::kUser, static_cast<std::uint64_t>(gap_us))) + 1);
  }
  // Liveness: after the faults heal, a few more publishes must complete within the bound.
  while (run->nemesis.heal_time_us < 0) world.sleep_for_us(10'000);
  world.sleep_for_us(500'000);
  for (std::int64_t k = 0; k < kQuietPublishes; ++k, ++n) publish_one(n);
  run->publishers_done += 1;
}

// A subscriber: connects, subscribes to every channel, records what reaches it.
// Ordered clients repair gaps by resuming; when the broker they are on dies (or, with
// resume_clients, now and then anyway) they reconnect elsewhere and resume from the last
// sequence number they saw. Each connection gets a fresh client object, so nothing of the
// old connection's tracking leaks into the new one. Events are recorded as the client
// library hands them over, even while a subscribe is still waiting for its reply (its
// reply lost, the subscriber would otherwise hold events it already has for seconds).
void subscriber_main(sim::World& world, const std::shared_ptr<BrokerRun>& run, sim::NodeIndex self, std::int64_t id) {
  SimEnv env(world, self);
  const std::string session = fmt::format("sub{}", id);
  std::map<std::string, std::uint64_t> last_seq;  // per channel: last delivered sequence number
  // Channels with a subscription on record: later connections resume them from last_seq.
  std::set<std::string> subscribed;
  std::size_t rotation = static_cast<std::size_t>(id);
  while (true) {
    const core::NodeId broker = run->brokers[rotation++ % run->brokers.size()];
    const auto broker_index = static_cast<sim::NodeIndex>(broker);
    std::uint64_t incarnation = 0;  // set once connected
    core::ClientConfig config = client_config(*run, true);
    config.on_repair_refused = [&](const core::SubscribeReply& reply) {
      note_refused_repair(*run, world, session, broker_index, incarnation, reply);
    };
    core::BrokerClient client(env, config, 5000 + static_cast<std::uint64_t>(id));
    auto socket = client.connect(broker);
    if (!socket) continue;
    incarnation = world.incarnation(broker_index);
    // The broker restarting takes its connections with it; the client hears of it at once.
    client.set_connection_alive([&world, broker_index, incarnation] {
      return world.incarnation(broker_index) == incarnation && world.node_up(broker_index);
    });
    bool expired = false;
    client.set_listener([&](core::Message&& m) {
      if (auto* e = std::get_if<core::EventMessage>(&m)) {
        record_event(*run, session, *e, world.now_us());
        last_seq[e->channel] = std::max(last_seq[e->channel], e->seq);
      } else if (auto* missed = std::get_if<core::MissedEvents>(&m)) {
        record_missed(*run, session, *missed, world.now_us());
        last_seq[missed->channel] = std::max(last_seq[missed->channel], missed->last_seq);
      } else if (const auto* end = std::get_if<core::SessionExpired>(&m)) {
        expired = true;
        note_told_expired(*run, end->socket_id);
      }
    });
    bool all = true;
    for (const std::string& channel : run->channels) {
      const bool resume = subscribed.count(channel) != 0;
      core::SubscribeRequest request{*socket, channel, "", "", resume, last_seq[channel]};
      auto reply = client.subscribe(broker, request);
      note_refusal(*run, world, "subscribe", channel, reply);
      if (!reply || reply->status != core::Status::ok) {
        all = false;
        break;
      }
      if (!resume) {
        // A fresh subscription starts after the channel's last event as of its reply (the
        // client already handed over only what came later).
        last_seq[channel] = std::max(last_seq[channel], reply->seq_last);
        subscribed.insert(channel);
        checkers::Subscription sub;
        sub.session = session;
        sub.channel = channel;
        sub.subscribe_time = world.now_us();
        run->deliveries.subscriptions.push_back(sub);
      }
    }
    const std::int64_t connected_at_us = world.now_us();
    // Receive until the broker we are on restarts (its connections are gone with it).
    while (all && !expired && world.incarnation(broker_index) == incarnation && world.node_up(broker_index)) {
      client.poll(100'000);
      if (run->options.resume_clients && world.now_us() - connected_at_us > 1'500'000 &&
          world.draw_chance(sim::DataTag::kUser, 1, 20)) {
        break;  // move to another broker and resume there
      }
    }
    client.disconnect(broker, *socket);
  }
}

// A raw subscriber: one connection to one node for the whole run, events recorded exactly
// as they arrive (no reordering, no de-duplication, no repair). Only meaningful on a
// FIFO network without faults: then it sees the node's own send order.
void raw_subscriber_main(sim::World& world, const std::shared_ptr<BrokerRun>& run, sim::NodeIndex self,
                         std::int64_t id) {
  SimEnv env(world, self);
  const std::string session = fmt::format("raw{}", id);
  const core::NodeId broker = run->brokers[static_cast<std::size_t>(id) % run->brokers.size()];
  core::BrokerClient client(env, client_config(*run, false), 6000 + static_cast<std::uint64_t>(id));
  std::optional<std::string> socket;
  while (!socket) socket = client.connect(broker);
  for (const std::string& channel : run->channels) {
    std::optional<core::SubscribeReply> reply;
    while (!reply) reply = client.subscribe(broker, core::SubscribeRequest{*socket, channel, "", "", false, 0});
    note_refusal(*run, world, "subscribe", channel, reply);
    if (reply->status != core::Status::ok) return;
    checkers::Subscription sub;
    sub.session = session;
    sub.channel = channel;
    sub.subscribe_time = world.now_us();
    run->deliveries.subscriptions.push_back(sub);
  }
  while (true) {
    client.poll(100'000);
    while (!client.inbox().empty()) {
      core::Message m = std::move(client.inbox().front());
      client.inbox().pop_front();
      if (auto* e = std::get_if<core::EventMessage>(&m)) {
        record_event(*run, session, *e, world.now_us());
      }
    }
  }
}

// A raw resuming subscriber: like a raw subscriber it records exactly what arrives (FIFO
// network, no repair, no de-duplication), but now and then it leaves its connection and
// opens one on the next node, subscribing with resume from the last sequence number it
// received: the node must replay exactly the events after it.
void raw_resumer_main(sim::World& world, const std::shared_ptr<BrokerRun>& run, sim::NodeIndex self,
                      std::int64_t id) {
  SimEnv env(world, self);
  const std::string session = fmt::format("resumer{}", id);
  core::BrokerClient client(env, client_config(*run, false), 7000 + static_cast<std::uint64_t>(id));
  std::map<std::string, std::uint64_t> last_seq;  // per channel: the last seq received
  std::size_t rotation = static_cast<std::size_t>(id);
  bool subscribed_once = false;
  while (true) {
    const core::NodeId broker = run->brokers[rotation++ % run->brokers.size()];
    auto socket = client.connect(broker);
    if (!socket) continue;
    bool all = true;
    for (const std::string& channel : run->channels) {
      core::SubscribeRequest request{*socket, channel, "", "", subscribed_once, last_seq[channel]};
      auto reply = client.subscribe(broker, request);
      note_refusal(*run, world, "subscribe", channel, reply);
      if (!reply || reply->status != core::Status::ok) {
        all = false;
        break;
      }
      if (!subscribed_once) last_seq[channel] = reply->seq_last;
    }
    if (!all) {
      // Only a seeded bug makes a fault-free node refuse a fresh connection; start over.
      client.disconnect(broker, *socket);
      continue;
    }
    if (!subscribed_once) {
      subscribed_once = true;
      for (const std::string& channel : run->channels) {
        checkers::Subscription sub;
        sub.session = session;
        sub.channel = channel;
        sub.subscribe_time = world.now_us();
        sub.connected_throughout = false;  // it moves between connections
        run->deliveries.subscriptions.push_back(sub);
      }
    }
    const std::int64_t leave_at_us =
        world.now_us() + 100'000 + static_cast<std::int64_t>(world.draw_below(sim::DataTag::kUser, 500'000));
    while (world.now_us() < leave_at_us) {
      client.poll(leave_at_us - world.now_us());
      while (!client.inbox().empty()) {
        core::Message m = std::move(client.inbox().front());
        client.inbox().pop_front();
        // Events still arriving for an earlier connection are not this connection's.
        if (auto* e = std::get_if<core::EventMessage>(&m); e != nullptr && e->socket_id == *socket) {
          record_event(*run, session, *e, world.now_us());
          last_seq[e->channel] = std::max(last_seq[e->channel], e->seq);
        } else if (auto* missed = std::get_if<core::MissedEvents>(&m);
                   missed != nullptr && missed->socket_id == *socket) {
          record_missed(*run, session, *missed, world.now_us());
          last_seq[missed->channel] = std::max(last_seq[missed->channel], missed->last_seq);
        }
      }
    }
    client.disconnect(broker, *socket);
  }
}

// A connection opener: finds the leader, then opens connection after connection there,
// a few ms apart, each subscribed to one channel and held to the end (one client node,
// many sockets; each socket its own session). Several of them together keep one node's
// connection registry busy with concurrent handshakes while subscriptions commit.
void churner_main(sim::World& world, const std::shared_ptr<BrokerRun>& run, sim::NodeIndex self, std::int64_t id,
                  std::int64_t connections) {
  SimEnv env(world, self);
  core::BrokerClient client(env, client_config(*run, false), 9000 + static_cast<std::uint64_t>(id));
  const std::string& channel = run->channels[static_cast<std::size_t>(id) % run->channels.size()];
  std::optional<core::InfoReply> found;
  while (!found) found = client.info(channel);  // the leader is where subscribes commit soonest
  const core::NodeId broker = client.leader_guess();
  std::map<std::string, std::string> session_of;  // socket id -> session
  auto drain = [&] {
    while (!client.inbox().empty()) {
      core::Message m = std::move(client.inbox().front());
      client.inbox().pop_front();
      auto* e = std::get_if<core::EventMessage>(&m);
      if (e == nullptr) continue;
      auto it = session_of.find(e->socket_id);
      if (it != session_of.end()) record_event(*run, it->second, *e, world.now_us());
    }
  };
  for (std::int64_t round = 0; round < connections;) {
    world.sleep_for_us(static_cast<std::int64_t>(world.draw_below(sim::DataTag::kUser, 10'000)) + 1);
    auto socket = client.connect(broker);
    drain();
    if (!socket) continue;
    auto reply = client.subscribe(broker, core::SubscribeRequest{*socket, channel, "", "", false, 0});
    note_refusal(*run, world, "subscribe", channel, reply);
    if (!reply || reply->status != core::Status::ok) {
      drain();
      client.disconnect(broker, *socket);
      continue;
    }
    checkers::Subscription sub;
    sub.session = fmt::format("conn{}/{}", id, round);
    sub.channel = channel;
    sub.subscribe_time = world.now_us();
    run->deliveries.subscriptions.push_back(sub);
    session_of[*socket] = sub.session;
    drain();
    ++round;
  }
  while (true) {
    client.poll(100'000);
    drain();
  }
}

// A channel-info reader: reads in a loop, a few ms apart, from whichever node answered it
// last (a client does not know a leader was deposed until that node stops answering).
void info_reader_main(sim::World& world, const std::shared_ptr<BrokerRun>& run, sim::NodeIndex self,
                      std::int64_t id, std::int64_t publishers) {
  SimEnv env(world, self);
  core::ClientConfig config = client_config(*run, true);
  if (run->options.info_reader_timeout_us > 0) config.request_timeout_us = run->options.info_reader_timeout_us;
  core::BrokerClient client(env, config, 3000 + static_cast<std::uint64_t>(id));
  while (run->publishers_done < publishers) {
    if (run->options.info_readers_anywhere) {
      client.aim_at(run->brokers[world.draw_below(sim::DataTag::kUser, run->brokers.size())]);
    }
    const std::string& channel = run->channels[world.draw_below(sim::DataTag::kUser, run->channels.size())];
    BrokerRun::InfoRead read;
    read.process = kInfoReaderProcessBase + id;
    read.channel = channel;
    read.invoke_us = world.now_us();
    auto reply = client.info(channel);
    note_refusal(*run, world, "channel_info", channel, reply);
    if (reply && reply->status == core::Status::ok) {
      read.complete_us = world.now_us();
      read.seq_last = reply->seq_last;
      read.node = world.node_name(static_cast<sim::NodeIndex>(client.leader_guess()));
      run->info_reads.push_back(read);
    }
    world.sleep_for_us(static_cast<std::int64_t>(world.draw_below(sim::DataTag::kUser, 5'000)) + 1'000);
  }
}

// A presence member: joins the presence channel as its user (two connections share each
// user), sends a client event, leaves; twice; then joins for good and keeps its view of
// the members up to date until the end.
void member_main(sim::World& world, const std::shared_ptr<BrokerRun>& run, sim::NodeIndex self, std::int64_t id,
                 std::size_t slot) {
  SimEnv env(world, self);
  const std::string channel = "presence-room";
  BrokerRun::MemberState& me = run->members[slot];
  const std::string channel_data = fmt::format("{{\"user_id\":\"{}\"}}", me.user);
  std::size_t rotation = static_cast<std::size_t>(id);
  std::set<std::string> sent;  // payloads of this member's own client events
  constexpr int kRounds = 3;
  int round = 0;
  while (true) {
    const core::NodeId broker = run->brokers[rotation++ % run->brokers.size()];
    const auto broker_index = static_cast<sim::NodeIndex>(broker);
    std::uint64_t incarnation = 0;  // set once connected
    core::ClientConfig config = client_config(*run, true);
    config.on_repair_refused = [&](const core::SubscribeReply& reply) {
      note_refused_repair(*run, world, me.session, broker_index, incarnation, reply);
    };
    core::BrokerClient client(env, config, 8000 + static_cast<std::uint64_t>(id));
    auto socket = client.connect(broker);
    if (!socket) continue;
    incarnation = world.incarnation(broker_index);
    const std::string auth = core::sign_subscription(run->app, *socket, channel, channel_data);
    auto reply = client.subscribe(broker, core::SubscribeRequest{*socket, channel, auth, channel_data, false, 0});
    note_refusal(*run, world, "presence subscribe", channel, reply);
    if (!reply || reply->status != core::Status::ok) {
      client.disconnect(broker, *socket);
      continue;
    }
    me.view.clear();
    for (const core::Member& m : reply->members) me.view.insert(m.user_id);
    const bool last_round = round >= kRounds;
    me.holding = last_round;
    // Presence events are promised per connection: each connection is its own session.
    const std::string session = fmt::format("{}/c{}", me.session, round);
    me.connection_session = session;
    checkers::Subscription sub;
    sub.session = session;
    sub.channel = channel;
    sub.user = me.user;
    sub.subscribe_time = world.now_us();
    run->deliveries.subscriptions.push_back(sub);
    const std::size_t sub_index = run->deliveries.subscriptions.size() - 1;
    const std::string payload = fmt::format("hello-{}-{}", me.session, round);
    sent.insert(payload);
    const core::ClientEventRequest hello{*socket, channel, run->options.member_client_event, payload};
    note_refusal(*run, world, "client event", channel, client.client_event(broker, hello));
    const std::int64_t stay_until_us =
        last_round ? sim::World::kNever
                   : world.now_us() + 200'000 + static_cast<std::int64_t>(world.draw_below(sim::DataTag::kUser, 800'000));
    while (world.now_us() < stay_until_us && world.incarnation(broker_index) == incarnation &&
           world.node_up(broker_index)) {
      client.poll(std::min<std::int64_t>(100'000, stay_until_us - world.now_us()));
      bool expired = false;
      while (!client.inbox().empty()) {
        core::Message m = std::move(client.inbox().front());
        client.inbox().pop_front();
        // The cluster expired this connection (its node was cut off too long): rejoin.
        if (const auto* end = std::get_if<core::SessionExpired>(&m)) {
          expired = true;
          note_told_expired(*run, end->socket_id);
        }
        auto* e = std::get_if<core::EventMessage>(&m);
        if (e == nullptr) continue;
        checkers::Delivery d;
        d.session = session;
        d.channel = e->channel;
        d.seq = static_cast<std::int64_t>(e->seq);
        d.payload = e->user_id;
        d.time = world.now_us();
        if (e->event == core::member_added_event) {
          d.kind = checkers::DeliveryKind::member_added;
          me.view.insert(e->user_id);
          run->deliveries.deliveries.push_back(std::move(d));
        } else if (e->event == core::member_removed_event) {
          d.kind = checkers::DeliveryKind::member_removed;
          me.view.erase(e->user_id);
          run->deliveries.deliveries.push_back(std::move(d));
        } else if (sent.count(e->data) != 0 && me.echoed.empty()) {
          me.echoed = fmt::format("{} received its own client event '{}' at {} us", me.session, e->data, world.now_us());
        }
      }
      if (expired) break;
    }
    // Left (or lost) this connection: the subscription ends here.
    run->deliveries.subscriptions[sub_index].end_time = world.now_us();
    run->deliveries.subscriptions[sub_index].connected_throughout = false;
    me.holding = false;
    if (world.incarnation(broker_index) == incarnation && world.node_up(broker_index)) {
      note_refusal(*run, world, "unsubscribe", channel, client.unsubscribe(broker, core::UnsubscribeRequest{*socket, channel}));
      client.disconnect(broker, *socket);
    }
    round += 1;
  }
}

// Would the end checks find every acknowledged event delivered and every presence view
// converged, as of now? Delivery asks the "lost" checker itself; presence compares the
// members' live views (the log holds views taken at the end only) with the users holding
// subscriptions, as "presence-convergence" will. Evaluated while the run goes on, to
// decide when it may end.
bool settled(const BrokerRun& run) {
  for (const checkers::Violation& v : checkers::check_delivery(run.history, run.deliveries).violations) {
    if (v.checker == "lost") return false;
  }
  if (run.options.presence) {
    std::set<std::string> users;
    for (const checkers::Subscription& s : run.deliveries.subscriptions) {
      if (s.end_time == checkers::kTimeNever && !s.user.empty()) users.insert(s.user);
    }
    for (const BrokerRun::MemberState& m : run.members) {
      if (m.holding && m.view != users) return false;
    }
  }
  return true;
}

std::string format_violation(const checkers::CheckReport& report, const checkers::History& history) {
  const auto& v = report.violations.front();
  std::string ops;
  for (std::size_t i = 0; i < v.operations.size() && i < 4; ++i) {
    ops += fmt::format("; {}", checkers::format_operation(history.operations[v.operations[i]]));
  }
  return fmt::format("{} (window {}..{} us{})", v.message, v.window_begin, v.window_end, ops);
}

// The publishes and the channel-info reads in one history: each read of seq_last is an
// observation of the channel's log, so the search also orders the reads among themselves
// (a read that misses what an earlier read saw is stale even if no publish reply says so).
checkers::History with_reads(const BrokerRun& run) {
  checkers::History h = run.history;
  h.operations.reserve(h.operations.size() + run.info_reads.size());
  for (const BrokerRun::InfoRead& read : run.info_reads) {
    SIMBUS_ASSERT(read.invoke_us <= read.complete_us);
    checkers::Operation op;
    op.process = read.process;
    op.function = "seq_last";
    op.key = read.channel;
    op.status = checkers::Status::ok;
    op.results = {checkers::Value{static_cast<std::int64_t>(read.seq_last)}};
    op.invoke_time = read.invoke_us;
    op.complete_time = read.complete_us;
    h.operations.push_back(std::move(op));
  }
  return h;
}

bool check_answered(ScenarioContext& ctx, const BrokerRun& run, std::int64_t from_us, std::string_view when) {
  const auto report = checkers::check_attempts_answered(run.unanswered, from_us, when);
  if (report.ok()) return true;
  ctx.fail(report.violations.front().checker, report.violations.front().message);
  return false;
}

// A fault-free cluster on a 200 us network answers in a few round trips: from its first
// leadership on, every publish and channel-info read completes within kHealthyRequestBoundUs
// (measured: at most 3.0 ms over 200 seeds of broker-smoke and connect-churn), under what a
// request that waits for the next heartbeat (50 ms), a resend (100 ms) or a client retry
// (500 ms) takes: a path that answers only on those is a bug no eventual-liveness bound
// sees. Every event reaches the sessions subscribed before it within
// kHealthyDeliveryBoundUs: a follower learns the commit with the next heartbeat (50 ms) and
// a subscriber records what its 100 ms poll returns (a sweep of 1,500 seeds with a 150 ms
// bound saw one at 150.3 ms; none over 200 ms in 1,500).
bool check_healthy_latency(ScenarioContext& ctx, const BrokerRun& run) {
  SIMBUS_ASSERT(fault_free(run.options));
  if (run.first_leader_us < 0) return true;  // the liveness checks below name a leaderless run
  checkers::LivenessOptions tight;
  tight.heal_time = run.first_leader_us;
  tight.completion_bound = kHealthyRequestBoundUs;
  tight.delivery_bound = kHealthyDeliveryBoundUs;
  tight.checker = "latency";
  tight.since = "in a fault-free cluster after its first leader";
  // Publishes (and their deliveries), then the channel-info reads, by the same bound.
  const auto report = checkers::check_liveness(run.history, &run.deliveries, tight);
  if (!report.ok()) {
    ctx.fail(report.violations.front().checker, format_violation(report, run.history));
    return false;
  }
  const checkers::History reads = with_reads(run);
  tight.function = "seq_last";
  tight.delivery_bound = 0;
  const auto read_report = checkers::check_liveness(reads, nullptr, tight);
  if (!read_report.ok()) {
    ctx.fail(read_report.violations.front().checker, format_violation(read_report, reads));
    return false;
  }
  return check_answered(ctx, run, run.first_leader_us, "us in a fault-free cluster after its first leader");
}

// What one replica's channel state says (each node's incarnation and connections, each
// channel's info), in a form independent of the snapshot encoding
// (a field the snapshot forgot would vanish from a digest over it on every replica alike).
std::string describe_state(const core::ChannelState& state, const BrokerRun& run) {
  std::vector<std::string> names = run.channels;
  names.push_back("presence-room");
  for (std::string& occupied : state.occupied_channels("", 1024)) names.push_back(std::move(occupied));
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  std::string out;
  for (const sim::NodeIndex broker : run.brokers) {
    const auto node = static_cast<core::NodeId>(broker);
    out += fmt::format("node {}: incarnation {} sockets [{}]; ", node, state.known_incarnation(node),
                       fmt::join(state.sockets_of(node), ","));
  }
  for (const std::string& name : names) {
    const core::ChannelInfo info = state.info(name);
    out += fmt::format("{}: occupied {} subscriptions {} users {} seq_last {} [{}]; ", name, info.occupied,
                       info.subscription_count, info.user_count, info.seq_last, fmt::join(info.users, ","));
  }
  return out;
}

// At the end of the quiet period, with every fault healed: replicas that applied the same
// prefix of the log hold the same state (digest and every channel's info: a snapshot or
// restore that loses a field, or an apply that depends on the node, makes them differ),
// and no node's replicated state has listed, for kCloseInFlightUsMax, a connection of that
// node which the node no longer has open (a close or expiry that was never applied leaks
// its subscriptions forever; one in flight takes a forward and a commit).
bool check_replicas_at_rest(ScenarioContext& ctx, const BrokerRun& run) {
  struct Replica {
    std::string name;
    std::uint64_t digest = 0;
    std::string state;
  };
  std::map<std::uint64_t, Replica> by_applied;
  for (const auto& [index, weak] : run.nodes) {
    const auto node = weak.lock();
    if (node == nullptr || !ctx.world.node_up(index) || node->raft() == nullptr) continue;
    const core::ChannelState& state = node->channels();
    Replica here{ctx.world.node_name(index), state.digest(), describe_state(state, run)};
    const auto [it, fresh] = by_applied.emplace(state.applied_index(), here);
    if (!fresh && (it->second.digest != here.digest || it->second.state != here.state)) {
      ctx.fail("replica-agreement",
               fmt::format("{} and {} both applied the log up to index {} but their states differ (digest {:016x} vs "
                           "{:016x}): {} | {}",
                           it->second.name, here.name, state.applied_index(), it->second.digest, here.digest,
                           it->second.state, here.state));
      return false;
    }
  }
  for (const auto& [key, since_us] : run.unowned_since_us) {
    if (ctx.world.now_us() - since_us < kCloseInFlightUsMax) continue;
    ctx.fail("connection-leak",
             fmt::format("at the end ({} us) {}'s replicated state still holds its connection {}, which {} has "
                         "not had open since {} us at the latest (a close never applied)",
                         ctx.world.now_us(), ctx.world.node_name(key.first), key.second,
                         ctx.world.node_name(key.first), since_us));
    return false;
  }
  return true;
}

void end_checks(ScenarioContext& ctx, const std::shared_ptr<BrokerRun>& run) {
  // Two leaders of one term come first: what they then commit differently follows from it.
  if (!run->election_violation.empty()) {
    ctx.fail("raft-election-safety", run->election_violation);
    return;
  }
  if (!run->truncation_violation.empty()) {
    ctx.fail("raft-log-truncation", run->truncation_violation);
    return;
  }
  if (!run->state_machine_violation.empty()) {
    ctx.fail("raft-state-machine-safety", run->state_machine_violation);
    return;
  }
  const auto raft = checkers::check_raft_safety(run->raft_snapshots);
  if (!raft.ok()) {
    ctx.fail(raft.violations.front().checker, format_violation(raft, run->history));
    return;
  }
  // Channel info is a linearizable read: it must see every publish that completed before
  // it was invoked. This necessary condition is checked first, in n log n, for its plain
  // message; the search below also judges the reads against each other.
  {
    std::map<std::string, std::vector<std::pair<std::int64_t, std::int64_t>>> acked;  // channel -> (complete, seq)
    for (const auto& op : run->history.operations) {
      if (op.function == "publish" && op.status == checkers::Status::ok && op.results.size() == 1) {
        acked[op.key].emplace_back(op.complete_time, std::get<std::int64_t>(op.results[0]));
      }
    }
    for (auto& [channel, list] : acked) {
      std::sort(list.begin(), list.end());
      for (std::size_t i = 1; i < list.size(); ++i) list[i].second = std::max(list[i].second, list[i - 1].second);
    }
    for (const auto& read : run->info_reads) {
      const auto& list = acked[read.channel];
      auto it = std::lower_bound(list.begin(), list.end(), std::make_pair(read.invoke_us, std::int64_t{0}));
      if (it == list.begin()) continue;
      const std::int64_t must_see = std::prev(it)->second;
      if (static_cast<std::int64_t>(read.seq_last) < must_see) {
        ctx.fail("linearizability", fmt::format("stale read: channel_info({}) invoked at {} us returned seq_last {}, "
                                                "but publish seq {} had completed before it",
                                                read.channel, read.invoke_us, read.seq_last, must_see));
        return;
      }
    }
  }
  checkers::LinearizabilityLimits limits;
  limits.steps_max = 5'000'000;
  limits.memory_bytes_max = std::int64_t{256} << 20;
  const auto model = checkers::make_model("channel");
  if (model) {
    const auto lin = checkers::check_linearizable(with_reads(*run), *model, limits);
    if (lin.verdict == checkers::Verdict::not_linearizable) {
      ctx.fail("linearizability", lin.explanation);
      return;
    }
    if (lin.verdict == checkers::Verdict::unknown) ctx.report("linearizability: unknown (search limit hit)");
  }
  for (const auto& m : run->members) {
    if (!m.echoed.empty()) {
      ctx.fail("phantom", "a client event was echoed to its sender: " + m.echoed);
      return;
    }
  }
  if (run->options.presence) {
    for (const auto& m : run->members) {
      if (!m.holding) continue;
      checkers::PresenceView view;
      view.session = m.connection_session;
      view.channel = "presence-room";
      view.members.assign(m.view.begin(), m.view.end());
      view.time = ctx.world.now_us();
      run->deliveries.presence_views.push_back(view);
    }
  }
  // Before delivery: a client never told its session ended misses what follows, and the
  // lost events would name the symptom, not the cause.
  for (const BrokerRun::UntoldEnd& end : run->refused_repairs) {
    if (run->told_expired.contains(end.socket_id) || ctx.world.now_us() - end.at_us < kNoticeInFlightUsMax) continue;
    ctx.fail("session-end-untold",
             fmt::format("{}'s connection {} on {}: the node, never restarted, refused its resync at {} us as an unknown "
                         "socket, and no session-expired notice for it reached the client by the end ({} us)",
                         end.session, end.socket_id, end.node, end.at_us, ctx.world.now_us()));
    return;
  }
  const auto delivery = checkers::check_delivery(run->history, run->deliveries);
  if (!delivery.ok()) {
    ctx.fail(delivery.violations.front().checker, format_violation(delivery, run->history));
    return;
  }
  if (run->options.presence) {
    const auto presence = checkers::check_presence(run->deliveries, run->nemesis.heal_time_us);
    if (!presence.ok()) {
      ctx.fail(presence.violations.front().checker, format_violation(presence, run->history));
      return;
    }
  }
  checkers::LivenessOptions live;
  live.heal_time = run->nemesis.heal_time_us + 500'000;
  live.completion_bound = kLivenessBoundUs;
  // A publish after the heal must also reach, within the bound, every session subscribed
  // before it and connected to the end: a node that stops fanning out is a liveness bug.
  live.delivery_bound = kLivenessBoundUs;
  const auto liveness = checkers::check_liveness(run->history, &run->deliveries, live);
  if (!liveness.ok()) {
    ctx.fail(liveness.violations.front().checker, format_violation(liveness, run->history));
    return;
  }
  if (fault_free(run->options) && !check_healthy_latency(ctx, *run)) return;
  // (The figure-8 script runs on past the heal it reports, crashing nodes as it goes.)
  if (!fault_free(run->options) && run->nemesis.heal_time_us >= 0 && (run->options.nemesis & kFigure8) == 0 &&
      !check_answered(ctx, *run, run->nemesis.heal_time_us + kElectionAfterHealUsMax,
                      "us after the faults healed and a leader settled")) {
    return;
  }
  if (!check_replicas_at_rest(ctx, *run)) return;
  if (!run->subscription_violation.empty()) {
    ctx.fail("subscription-lost", run->subscription_violation);
    return;
  }
  if (!run->refusal.empty()) {
    ctx.fail("liveness", "a fault-free cluster refused a request: " + run->refusal);
    return;
  }
  if (run->publishers_done == 0 && !run->history.operations.empty()) {
    ctx.fail("liveness", "no publisher finished its workload before the end of the quiet period");
  }
}

}  // namespace

std::vector<ParamSpec> broker_params(std::int64_t nodes_default) {
  return {{"nodes", nodes_default, 1, 9, "broker nodes (Raft voters)"},
          {"publishers", 2, 0, 16, "publishing clients"},
          {"subscribers", 2, 0, 16, "subscribing clients"},
          {"members", 0, 0, 16, "presence members (0: the scenario's default)"},
          {"channels", 2, 1, 16, "public channels"},
          {"publishes", 12, 0, 10'000, "publishes per publisher during the fault period"},
          {"compact", 0, 0, 1'000'000, "snapshot and compact after this many entries (0: the scenario's default)"},
          {"faults", kFaultsScenario, kFaultsScenario, kFaultsPartitionsOnly,
           "0: the scenario's faults; 1: random partitions only (majority, bridge, ring, isolate, one-way)"}};
}

void setup_broker_scenario(ScenarioContext& ctx, const BrokerScenarioOptions& scenario_options) {
  sim::World& world = ctx.world;
  auto run = std::make_shared<BrokerRun>();
  BrokerScenarioOptions options = scenario_options;
  if (ctx.params.get("faults") == kFaultsPartitionsOnly) {
    // The baseline a fault schedule is measured against: the scenario's workload under
    // random partitions only (no crashes, pauses, clock, message or disk faults).
    options.nemesis = kRandomPartitionKinds;
    options.message_faults = false;
    options.torn_writes = false;
    // Raw subscribers record exactly what arrives and never repair: they need the link to
    // their broker intact. Every other kind cuts brokers from brokers only; isolate cuts a
    // broker's clients too (broker-smoke seed 9001: a raw subscriber judged "gap").
    if (options.raw_subscribers) options.nemesis &= ~kIsolate;
  }
  run->options = options;
  if (ctx.params.get("compact") > 0) run->options.compact_after_entries = static_cast<std::uint64_t>(ctx.params.get("compact"));
  if (!ctx.bug.empty()) {
    auto bug = core::bug_from_name(ctx.bug);
    SIMBUS_ASSERT(bug.has_value());
    run->bugs.enable(*bug);
  }
  for (std::int64_t c = 0; c < ctx.params.get("channels"); ++c) run->channels.push_back(fmt::format("news-{}", c));

  sim::NetworkConfig net;
  net.latency_us_min = 200;
  net.latency_us_max = options.raw_subscribers ? 200 : 3'000;
  if (options.message_faults) {
    // Swarm: each seed draws its own rates.
    net.drop_per_million = static_cast<std::uint32_t>(world.draw_below(sim::DataTag::kNemesis, 150'001));
    net.duplicate_per_million = static_cast<std::uint32_t>(world.draw_below(sim::DataTag::kNemesis, 100'001));
    net.reorder_per_million = static_cast<std::uint32_t>(world.draw_below(sim::DataTag::kNemesis, 200'001));
    ctx.report(fmt::format("network: drop {} ppm, duplicate {} ppm, reorder {} ppm", net.drop_per_million,
                           net.duplicate_per_million, net.reorder_per_million));
  }
  world.network().configure(net);
  sim::DiskConfig disk;
  if (options.torn_writes) {
    disk.torn_write_per_million = 500'000;
    ctx.report("disk: unsynced writes lost at crash, first lost write torn half the time");
  }
  world.disk().configure(disk);

  add_brokers(world, run, ctx.params.get("nodes"));
  for (std::int64_t i = 0; i < ctx.params.get("publishers"); ++i) {
    const sim::NodeIndex node = world.add_node(fmt::format("pub{}", i));
    const std::int64_t publishes = ctx.params.get("publishes");
    world.spawn(node, "publisher", [&world, run, node, i, publishes] { publisher_main(world, run, node, i, publishes); });
  }
  for (std::int64_t i = 0; i < ctx.params.get("subscribers"); ++i) {
    const sim::NodeIndex node = world.add_node(fmt::format("sub{}", i));
    world.spawn(node, "subscriber", [&world, run, node, i] { subscriber_main(world, run, node, i); });
  }
  if (options.raw_subscribers) {
    // Two raw subscribers per node, so a node fans out to several local connections.
    for (std::int64_t i = 0; i < options.raw_per_node * static_cast<std::int64_t>(run->brokers.size()); ++i) {
      const sim::NodeIndex node = world.add_node(fmt::format("raw{}", i));
      world.spawn(node, "raw-subscriber", [&world, run, node, i] { raw_subscriber_main(world, run, node, i); });
    }
  }
  for (std::int64_t i = 0; i < options.raw_resumers; ++i) {
    SIMBUS_ASSERT(options.raw_subscribers);  // raw recording needs the FIFO network
    const sim::NodeIndex node = world.add_node(fmt::format("resumer{}", i));
    world.spawn(node, "raw-resumer", [&world, run, node, i] { raw_resumer_main(world, run, node, i); });
  }
  for (std::int64_t i = 0; i < options.churners; ++i) {
    SIMBUS_ASSERT(options.raw_subscribers);
    const sim::NodeIndex node = world.add_node(fmt::format("churn{}", i));
    constexpr std::int64_t kChurnRounds = 12;  // connections per churner
    world.spawn(node, "churner", [&world, run, node, i] { churner_main(world, run, node, i, kChurnRounds); });
  }
  for (std::int64_t i = 0; i < options.info_readers; ++i) {
    const sim::NodeIndex node = world.add_node(fmt::format("reader{}", i));
    const std::int64_t publishers = ctx.params.get("publishers");
    world.spawn(node, "info-reader",
                [&world, run, node, i, publishers] { info_reader_main(world, run, node, i, publishers); });
  }
  std::int64_t members = ctx.params.get("members");
  if (members == 0 && options.presence) members = 4;
  run->members.resize(static_cast<std::size_t>(members));
  for (std::int64_t i = 0; i < members; ++i) {
    const auto slot = static_cast<std::size_t>(i);
    run->members[slot].session = fmt::format("member{}", i);
    run->members[slot].user = fmt::format("u{}", i % 2);  // two connections per user
    const sim::NodeIndex node = world.add_node(fmt::format("member{}", i));
    world.spawn(node, "member", [&world, run, node, i, slot] { member_main(world, run, node, i, slot); });
  }

  world.spawn(sim::kControlNode, "raft-observer", [&world, run] {
    while (true) {
      world.sleep_for_us(kRaftSampleIntervalUs);
      sample_raft(*run, world);
      watch_connections(*run, world);
    }
  });
  NemesisSetup nemesis;
  nemesis.kinds = options.nemesis;
  nemesis.fault_period_us = options.fault_period_us;
  nemesis.fault_duration_us_max = options.fault_duration_us_max;
  nemesis.quiet_period_us = options.quiet_period_us;
  nemesis.brokers = run->brokers;
  const std::int64_t publishers = ctx.params.get("publishers");
  nemesis.workload_done = [run, publishers] { return run->publishers_done >= publishers; };
  nemesis.settled = [run] { return settled(*run); };
  nemesis.leader_of = [run, &world]() -> std::optional<sim::NodeIndex> {
    for (const auto& [index, weak] : run->nodes) {
      auto node = weak.lock();
      if (node && world.node_up(index) && node->raft() && node->raft()->role() == core::Role::leader) return index;
    }
    return std::nullopt;
  };
  nemesis.vote_of = [run, &world](sim::NodeIndex index) -> std::optional<NemesisSetup::Vote> {
    auto it = run->nodes.find(index);
    if (it == run->nodes.end() || !world.node_up(index)) return std::nullopt;
    auto node = it->second.lock();
    if (!node || node->raft() == nullptr) return std::nullopt;
    return NemesisSetup::Vote{node->raft()->term(), static_cast<std::uint64_t>(node->raft()->voted_for()),
                              node->raft()->role() == core::Role::leader};
  };
  nemesis.no_vote = static_cast<std::uint64_t>(core::no_node);
  nemesis.raft_view_of = [run, &world](sim::NodeIndex index) -> std::optional<NemesisSetup::RaftView> {
    auto it = run->nodes.find(index);
    if (it == run->nodes.end() || !world.node_up(index)) return std::nullopt;
    auto node = it->second.lock();
    if (!node || node->raft() == nullptr) return std::nullopt;
    const core::RaftNode& raft = *node->raft();
    return NemesisSetup::RaftView{raft.term(), raft.role() == core::Role::leader, raft.log().last_index(),
                                  raft.log().last_term()};
  };
  if (options.burst_publishes > 0) {
    const sim::NodeIndex loader = world.add_node("loader");
    nemesis.burst_publishes = options.burst_publishes;
    nemesis.burst = [run, &world, loader](sim::NodeIndex target, std::int64_t count) {
      for (std::int64_t i = 0; i < count && run->burst_publishes < kBurstPublishesMax; ++i) {
        const std::int64_t k = run->burst_publishes++;
        world.spawn(loader, "burst", [&world, run, loader, target, k] { burst_publish(world, run, loader, target, k); });
      }
    };
  }
  {
    const core::BrokerConfig config = broker_config(*run);
    nemesis.election_timeout_us_min = config.raft.election_timeout_us_min;
    nemesis.lease_clock_skew_us_max = config.raft.lease_clock_skew_us_max;
  }
  start_nemesis(ctx, nemesis, &run->nemesis);

  ctx.at_end([&ctx, run] {
    sample_raft(*run, ctx.world);
    end_checks(ctx, run);
  });
  // The checkers own the file format: simbus check --deliveries reads it back.
  ctx.deliveries_jsonl = [run] { return checkers::write_deliveries_jsonl(run->deliveries); };
  ctx.history_jsonl = [run] {
    std::ostringstream out;
    checkers::write_jsonl(with_reads(*run), out, "channel");
    return out.str();
  };
}

}  // namespace simbus::scenarios
