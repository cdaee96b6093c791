// Raft as a pure, deterministic state machine (after etcd/raft's shape): the driver feeds
// it messages (step) and time (tick), and drains a Ready: what to persist, then what to
// send, then which committed entries to apply. No I/O, no clock, no randomness of its own
// (election timeouts are drawn through the RandomBelow function it is given).
//
// Features: randomized election timeouts, PreVote, CheckQuorum with leader stickiness,
// conflict back-off, the current-term commit rule, snapshots/compaction/InstallSnapshot,
// ReadIndex reads and (optionally) lease reads with an explicit clock-skew bound.
// Membership is fixed.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <vector>

#include "core/bugs.h"
#include "core/messages.h"
#include "core/raft_log.h"
#include "core/storage.h"

namespace simbus::core {

inline constexpr std::size_t entries_per_append_max = 64;
inline constexpr std::size_t pending_reads_max = 1024;
inline constexpr std::size_t rounds_tracked_max = 64;
inline constexpr std::size_t members_max = 15;
static_assert(entries_per_append_max <= serial::list_elements_max);

struct RaftConfig {
  NodeId id = 0;
  std::vector<NodeId> members;  // every voter, including id; fixed
  std::int64_t election_timeout_us_min = 150'000;
  std::int64_t election_timeout_us_max = 300'000;
  std::int64_t heartbeat_interval_us = 50'000;
  bool pre_vote = true;
  bool check_quorum = true;
  // Lease reads: off unless a clock-skew bound is given (lease = election_timeout_us_min
  // minus this bound, measured from the send time of a majority-acknowledged heartbeat).
  bool lease_reads = false;
  std::int64_t lease_clock_skew_us_max = 0;
};

enum class Role : std::uint8_t { follower, pre_candidate, candidate, leader };
std::string_view role_name(Role role);

struct Outgoing {
  NodeId to = 0;
  RaftMessage message;
};

struct ReadState {
  std::uint64_t ctx = 0;    // the caller's id for the read
  std::uint64_t index = 0;  // serve once the state machine has applied this index
};

struct Ready {
  // 1. persist, in this order, then sync
  std::optional<Snapshot> snapshot_to_persist;
  std::optional<std::uint64_t> truncate_from;
  std::vector<LogEntry> entries_to_append;
  std::optional<HardState> hard_state;
  // 2. then send
  std::vector<Outgoing> messages;
  // 3. then apply: a snapshot from the leader first (restore), then entries in order
  std::optional<Snapshot> snapshot_to_apply;
  std::vector<LogEntry> committed;
  std::vector<ReadState> reads;
  bool empty() const;
};

// What a safety checker sees of a node.
struct EntryDigest {
  std::uint64_t index = 0;
  std::uint64_t term = 0;
  std::uint64_t checksum = 0;
};
struct RaftStatus {
  NodeId id = 0;
  Role role = Role::follower;
  std::uint64_t term = 0;
  NodeId voted_for = no_node;
  NodeId leader_id = no_node;
  std::uint64_t commit_index = 0;
  std::uint64_t applied_index = 0;  // handed out for applying
  std::uint64_t snapshot_index = 0;
  std::uint64_t snapshot_term = 0;
  std::vector<EntryDigest> log;  // entries above the snapshot
};

using RandomBelow = std::function<std::uint64_t(std::uint64_t bound)>;

class RaftNode {
 public:
  RaftNode(RaftConfig config, Bugs bugs, RecoveredState recovered, RandomBelow random_below,
           std::int64_t now_us);

  void tick(std::int64_t now_us);
  void step(std::int64_t now_us, NodeId from, const RaftMessage& message);
  // Leader only: appends a command; returns its index, or nullopt when not leader.
  std::optional<std::uint64_t> propose(std::int64_t now_us, Bytes command);
  // Leader only: a linearizable read; its ReadState appears in a later Ready. Uses the
  // lease when enabled and valid, else ReadIndex. False when not leader.
  bool read(std::int64_t now_us, std::uint64_t ctx);
  // The application's state at `index` (<= applied), for compaction.
  void compact(std::uint64_t index, Bytes data);
  Ready take_ready();
  // The earliest time tick() has something to do.
  std::int64_t next_deadline_us() const;

  Role role() const { return role_; }
  std::uint64_t term() const { return term_; }
  NodeId voted_for() const { return voted_for_; }
  NodeId id() const { return config_.id; }
  NodeId leader_id() const { return leader_id_; }
  std::uint64_t commit_index() const { return commit_index_; }
  std::uint64_t applied_index() const { return applied_; }
  const RaftLog& log() const { return log_; }
  const std::optional<Snapshot>& snapshot() const { return snapshot_; }
  RaftStatus status() const;
  // True once this leader has committed an entry of its own term.
  bool committed_in_term() const;

 private:
  struct Progress {
    std::uint64_t next_index = 1;
    std::uint64_t match_index = 0;
    std::int64_t last_ack_us = 0;
    std::uint64_t acked_round = 0;
  };
  struct PendingRead {
    std::uint64_t ctx = 0;
    std::uint64_t round = 0;
    std::uint64_t index = 0;
  };

  std::size_t majority() const { return config_.members.size() / 2 + 1; }
  void become_follower(std::int64_t now_us, std::uint64_t term, NodeId leader);
  void become_pre_candidate(std::int64_t now_us);
  void become_candidate(std::int64_t now_us);
  void become_leader(std::int64_t now_us);
  void reset_election_deadline(std::int64_t now_us);
  void set_term(std::uint64_t term);
  void set_vote(NodeId vote);
  bool in_lease(std::int64_t now_us) const;
  bool log_up_to_date(std::uint64_t last_index, std::uint64_t last_term) const;
  void send(NodeId to, RaftMessage message);
  void send_append(NodeId peer, std::uint64_t read_ctx);
  void broadcast_heartbeat(std::int64_t now_us);
  void maybe_commit(std::int64_t now_us);
  void advance_commit(std::uint64_t index);
  void record_ack(std::int64_t now_us, NodeId from, std::uint64_t read_ctx);
  void check_reads();
  bool lease_valid(std::int64_t now_us) const;
  void mark_unstable_from(std::uint64_t index);
  // The invariants that hold between inputs, for every role; asserted as each Ready is taken.
  void check_invariants() const;

  void on_vote_request(std::int64_t now_us, NodeId from, const VoteRequest& m);
  void on_vote_response(std::int64_t now_us, NodeId from, const VoteResponse& m);
  void on_append_request(std::int64_t now_us, NodeId from, const AppendRequest& m);
  void on_append_response(std::int64_t now_us, NodeId from, const AppendResponse& m);
  void on_snapshot_request(std::int64_t now_us, NodeId from, const SnapshotRequest& m);
  void on_snapshot_response(std::int64_t now_us, NodeId from, const SnapshotResponse& m);

  RaftConfig config_;
  Bugs bugs_;
  RandomBelow random_below_;

  // persistent
  std::uint64_t term_ = 0;
  NodeId voted_for_ = no_node;
  RaftLog log_;
  std::optional<Snapshot> snapshot_;

  // volatile
  Role role_ = Role::follower;
  NodeId leader_id_ = no_node;
  std::uint64_t commit_index_ = 0;
  std::uint64_t applied_ = 0;
  std::int64_t boot_us_ = 0;
  std::int64_t election_deadline_us_ = 0;
  std::int64_t heartbeat_deadline_us_ = 0;
  std::int64_t quorum_check_deadline_us_ = 0;
  std::int64_t last_leader_contact_us_ = 0;
  std::set<NodeId> votes_;
  std::map<NodeId, Progress> progress_;
  std::uint64_t round_ = 0;
  std::map<std::uint64_t, std::int64_t> round_sent_us_;
  std::vector<PendingRead> pending_reads_;
  std::vector<std::uint64_t> reads_waiting_commit_;  // ctx of reads before a term commit

  // the Ready being built
  bool hard_state_dirty_ = false;
  std::uint64_t unstable_from_ = 1;
  std::optional<std::uint64_t> truncate_from_;
  bool snapshot_dirty_ = false;
  std::optional<Snapshot> snapshot_to_apply_;
  std::vector<Outgoing> outbox_;
  std::vector<ReadState> reads_ready_;
};

}  // namespace simbus::core
