// One broker node on a core::Env: Raft (raft.h) persisted through FileStorage, the channel
// state machine (channels.h), the client protocol (messages.h), and fan-out of committed
// events to this node's local subscribers in log order.
//
// Tasks: the main loop (receive with a timeout, step Raft, tick, persist + fsync, send,
// apply, deliver) and one short "handshake" task per client connect. Requests from a
// follower's own connections (subscribe, unsubscribe, client events, disconnect) are
// batched into commands of this node's session and forwarded to the leader, retried until
// applied (sessions make the retries exactly-once). Publishes and channel-info reads are
// answered with a redirect (not_leader + leader_hint) unless this node leads.
//
// Lifetime: create it with std::make_shared inside the node's boot task and call run();
// every task it spawns holds a reference, so a crash (which unwinds every task of the
// node) frees it with the node.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/bugs.h"
#include "core/channels.h"
#include "core/env.h"
#include "core/raft.h"
#include "core/storage_file.h"

namespace simbus::core {

inline constexpr std::size_t ops_per_batch_max = 256;
inline constexpr std::size_t messages_per_ready_max = 32;
inline constexpr std::size_t queued_ops_max = 65536;
inline constexpr std::size_t publish_waiters_max = 65536;
inline constexpr std::uint64_t handshake_us_max = 1'000;  // a connect's work, drawn per connect
static_assert(ops_per_batch_max <= serial::list_elements_max);

struct BrokerConfig {
  RaftConfig raft;  // raft.id is taken from Env::node_id(); raft.members must list it
  ChannelConfig channels;
  std::int64_t session_timeout_us = 3'000'000;  // a silent node's connections expire
  std::int64_t forward_retry_us = 100'000;      // resend an unapplied batch after this
  std::int64_t housekeeping_interval_us = 20'000;
  std::uint64_t compact_after_entries = 512;  // snapshot + compact beyond this many
  std::string file_prefix = "raft";
  Bugs bugs;
};

// Synchronous callbacks from the node's own task, for recorders and checkers.
struct BrokerHooks {
  std::function<void(NodeId node, const LogEntry& entry)> on_apply;
  std::function<void(NodeId node, const Snapshot& snapshot)> on_restore;
  std::function<void(NodeId node, std::uint64_t term)> on_leader;
};

class BrokerNode : public std::enable_shared_from_this<BrokerNode> {
 public:
  BrokerNode(std::shared_ptr<Env> env, BrokerConfig config, BrokerHooks hooks = {});
  // Recovers from disk and serves forever (until the node crashes). Call from a task.
  void run();

  NodeId id() const { return id_; }
  // Observers: consistent between scheduling points. Null before run() recovered.
  const RaftNode* raft() const { return raft_.get(); }
  RaftStatus raft_status() const;
  const ChannelState& channels() const { return channels_; }
  std::uint64_t session_id() const { return session_id_; }
  std::size_t local_connections() const { return registry_.size(); }
  // The socket ids of this node's open connections, in order.
  std::vector<std::string> local_socket_ids() const;

 private:
  struct PublishWaiter {
    NodeId client = 0;
    std::uint64_t client_id = 0;
    std::uint64_t request_no = 0;
  };
  struct ReadWaiter {
    NodeId client = 0;
    std::uint64_t request_no = 0;
    std::string channel;
  };
  struct ReadyRead {
    std::uint64_t index = 0;
    ReadWaiter waiter;
  };

  void recover();
  void handle(std::int64_t now_us, const Envelope& envelope);
  void handle_client(std::int64_t now_us, NodeId from, const Message& message);
  void process_ready(std::int64_t now_us);
  void apply_entry(const LogEntry& entry);
  void deliver(const Effect& effect);
  void housekeeping(std::int64_t now_us);
  void queue_op(Op op);
  void flush_ops(std::int64_t now_us, bool retry);
  void submit(std::int64_t now_us, const Bytes& command);
  void serve_reads();
  void answer_info(NodeId client, std::uint64_t request_no, const std::string& channel);
  void send(NodeId to, const Message& message);
  bool owns_socket(NodeId client, const std::string& socket_id) const;
  void update_registry(const std::function<void(std::map<std::string, NodeId>&)>& change,
                       std::int64_t work_us = 0);
  void connect(NodeId client, std::uint64_t request_no);
  void fanout_worker(int worker);

  std::shared_ptr<Env> env_;
  BrokerConfig config_;
  BrokerHooks hooks_;
  NodeId id_ = 0;
  std::uint64_t incarnation_ = 0;
  std::uint64_t session_id_ = 0;
  Bugs bugs_;

  std::unique_ptr<FileStorage> storage_;
  std::unique_ptr<RaftNode> raft_;
  HardState hard_state_written_;
  ChannelState channels_;
  Role last_role_ = Role::follower;

  // Local connections: socket id -> client node. Guarded by registry_mutex_.
  std::map<std::string, NodeId> registry_;
  std::unique_ptr<Mutex> registry_mutex_;
  std::uint64_t sockets_opened_ = 0;

  // This node's session: ops of local connections, batched and forwarded.
  std::vector<Op> queued_ops_;
  std::optional<Command> batch_;
  Bytes batch_bytes_;
  std::uint64_t batch_request_no_ = 0;
  std::int64_t batch_sent_us_ = 0;

  // Leader-side.
  std::map<std::uint64_t, PublishWaiter> publish_waiters_;  // by log index
  std::map<std::uint64_t, ReadWaiter> read_waiters_;        // by read ctx
  std::vector<ReadyRead> ready_reads_;
  std::uint64_t read_ctx_ = 0;
  std::map<NodeId, std::int64_t> last_heard_us_;
  std::map<NodeId, std::int64_t> expire_not_before_us_;
  std::map<std::string, std::uint64_t> predicted_seq_;  // only for publish_ack_before_commit
  std::int64_t next_housekeeping_us_ = 0;

  // Only with fanout_unordered_workers.
  std::vector<std::pair<NodeId, Bytes>> fanout_queue_[2];
  std::unique_ptr<Mutex> fanout_mutex_;
  std::unique_ptr<CondVar> fanout_cv_;
  std::uint64_t fanout_next_ = 0;
};

}  // namespace simbus::core
