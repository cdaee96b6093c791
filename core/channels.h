// The replicated channel state machine: pure and deterministic, applied on every node from
// committed log entries in log order. It owns channels (sequence numbers, retained
// history, subscribers, presence members), connections (which node owns each socket),
// and client sessions (client id, request number) for exactly-once retries.
//
// apply() returns effects: messages for sockets, each tagged with the node that owns the
// socket; a node sends only its own. Ordered containers everywhere: iteration order never
// depends on hashing or addresses.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/auth.h"
#include "core/bugs.h"
#include "core/messages.h"
#include "core/names.h"
#include "core/presence.h"

namespace simbus::core {

inline constexpr std::size_t history_per_channel_max_limit = 4096;
inline constexpr std::size_t sessions_max_limit = 1 << 16;

inline constexpr std::size_t channels_max = 1 << 16;
static_assert(channels_max <= serial::list_elements_max);
static_assert(sessions_max_limit <= serial::list_elements_max);
static_assert(history_per_channel_max_limit <= serial::list_elements_max);

// A node's session id (client_id) for the commands it forwards: distinct from any external
// client's (top bit set) and from its other incarnations' (which must fit in 32 bits).
std::uint64_t node_session_id(NodeId node, std::uint64_t incarnation);
struct NodeSessionOrigin {
  NodeId node = 0;
  std::uint64_t incarnation = 0;
};
// The node (and incarnation) that forwarded a command; nullopt for an external client's.
std::optional<NodeSessionOrigin> node_session_origin(std::uint64_t client_id);

// An event kept in a channel's history for resume.
struct RetainedEvent {
  std::uint64_t seq = 0;
  std::string event;
  std::string data;
  std::string user_id;
  std::string exclude_socket_id;
  SIMBUS_FIELDS(seq, event, data, user_id, exclude_socket_id)
};

inline constexpr std::string_view member_added_event = "pusher_internal:member_added";
inline constexpr std::string_view member_removed_event = "pusher_internal:member_removed";

struct ChannelConfig {
  AppCredentials app;
  std::size_t history_per_channel_max = 128;  // events retained for resume
  std::size_t sessions_max = 4096;            // client sessions kept for deduplication
};

struct Effect {
  NodeId node = 0;  // the node that owns the socket
  std::uint64_t incarnation = 0;
  std::string socket_id;
  Message message;
};

// The outcome of a command for its session (what a publisher is answered).
struct CommandResult {
  Status status = Status::ok;
  std::vector<ChannelSeq> seqs;
  bool duplicate = false;  // a retry: the stored result, nothing applied again
};

struct ApplyOutcome {
  CommandResult result;
  std::vector<Effect> effects;
  // For a retry of a node's command (result.duplicate): the replies the original sent to
  // that node's connections. A node that skipped the original's entry by installing a
  // snapshot never sent them; it sends these when its own retry comes back.
  std::vector<Effect> replies_again;
};

struct ChannelInfo {
  bool occupied = false;
  std::uint64_t subscription_count = 0;
  std::uint64_t user_count = 0;
  std::uint64_t seq_last = 0;
  std::vector<std::string> users;
};

class ChannelState {
 public:
  ChannelState(ChannelConfig config, Bugs bugs);

  // Applies the command at log index `index`. Effects are built only for sockets owned
  // by `effects_for` (0: every node, for tests and checkers).
  ApplyOutcome apply(std::uint64_t index, const Command& command, NodeId effects_for = 0);

  ChannelInfo info(const std::string& channel) const;
  // Names of the channels with at least one subscriber that start with `prefix`, in name
  // order, at most `limit` (the HTTP API's channel list).
  std::vector<std::string> occupied_channels(std::string_view prefix, std::size_t limit) const;
  std::uint64_t applied_index() const { return applied_index_; }
  // Connections currently owned by `node` (any incarnation).
  std::vector<std::string> sockets_of(NodeId node) const;
  std::uint64_t known_incarnation(NodeId node) const;
  bool has_socket(const std::string& socket_id) const { return connections_.contains(socket_id); }
  // The channels a connection is subscribed to, in name order (none: not connected).
  std::vector<std::string> channels_of(const std::string& socket_id) const;

  Bytes snapshot() const;
  bool restore(std::span<const std::uint8_t> data);
  // Restores a newer snapshot over this state and returns the events the skipped log
  // entries emitted to subscriptions owned by `effects_for` that survive the restore (same
  // socket, node and incarnation before and after): what applying those entries one by one
  // would have delivered, from the restored channel histories (a MissedEvents first where
  // the history no longer reaches back). Without this a follower that catches up by
  // InstallSnapshot silently drops those events for its local subscribers.
  std::optional<std::vector<Effect>> restore_catching_up(std::span<const std::uint8_t> data,
                                                         NodeId effects_for);
  // A digest of the whole state (over the snapshot bytes): equal on every replica that
  // applied the same prefix.
  std::uint64_t digest() const;

 private:
  struct Subscriber {
    NodeId node = 0;
    std::uint64_t incarnation = 0;
    std::string user_id;
  };
  struct Channel {
    std::uint64_t seq_last = 0;
    std::deque<RetainedEvent> history;
    std::map<std::string, Subscriber> subscribers;
    PresenceMembers members;
  };
  struct Connection {
    NodeId node = 0;
    std::uint64_t incarnation = 0;
    std::set<std::string> channels;
  };
  struct Session {
    std::uint64_t request_no = 0;
    std::uint64_t index = 0;  // log index of the last applied request (for eviction)
    CommandResult result;
    std::vector<Effect> replies;  // node sessions only: see ApplyOutcome::replies_again
  };

  struct Ctx {
    NodeId effects_for = 0;
    std::vector<Effect>* effects = nullptr;
    std::vector<Effect>* replies = nullptr;  // every node's replies, unfiltered (node sessions)
    // The node whose batch this is: where an op of a connection the cluster does not know
    // (subscribed to nothing) is answered.
    std::optional<NodeSessionOrigin> origin;
  };

  Status apply_op(Ctx& ctx, const Op& op, CommandResult& result);
  Status apply_publish(Ctx& ctx, const PublishOp& op, CommandResult& result);
  Status apply_subscribe(Ctx& ctx, const SubscribeOp& op);
  void replay(Ctx& ctx, const SubscribeOp& op, const Channel& channel);
  // Brings one connection up to date from `channel`'s retained history: a MissedEvents
  // notice for what no longer reaches back to `missed_from`, then each retained event from
  // `replay_from` on (EventOmitted in place of the connection's own client events).
  void send_retained(Ctx& ctx, NodeId node, std::uint64_t incarnation, const std::string& socket_id,
                     const std::string& name, const Channel& channel, std::uint64_t missed_from,
                     std::uint64_t replay_from);
  Status apply_unsubscribe(Ctx& ctx, const UnsubscribeOp& op, bool reply);
  Status apply_client_event(Ctx& ctx, const ClientEventOp& op);
  void apply_close(Ctx& ctx, const std::string& socket_id);
  void apply_node_up(Ctx& ctx, const NodeUpOp& op);
  void apply_expire(Ctx& ctx, const ExpireNodeOp& op);

  // Appends an event to a channel's history and fans it out; returns its seq.
  std::uint64_t emit(Ctx& ctx, const std::string& name, Channel& channel, RetainedEvent event);
  void send_to(Ctx& ctx, NodeId node, std::uint64_t incarnation, const std::string& socket_id,
               Message message);
  void remove_connection(Ctx& ctx, const std::string& socket_id, bool notify);
  void remember_session(std::uint64_t client_id, std::uint64_t request_no, std::uint64_t index,
                        const CommandResult& result, std::vector<Effect> replies);

  ChannelConfig config_;
  Bugs bugs_;
  std::uint64_t applied_index_ = 0;
  std::map<std::string, Channel> channels_;
  std::map<std::string, Connection> connections_;
  std::map<NodeId, std::uint64_t> incarnations_;
  std::map<std::uint64_t, Session> sessions_;
};

}  // namespace simbus::core
