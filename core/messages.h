// Every message on the wire (node<->node Raft and forwarding, client<->node) and every
// command in the replicated log. Encoding: serial.h inside a codec.h frame.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "core/codec.h"
#include "core/env.h"
#include "core/serial.h"

namespace simbus::core {

// ---------------------------------------------------------------- Raft
struct LogEntry {
  std::uint64_t term = 0;
  std::uint64_t index = 0;
  Bytes command;
  SIMBUS_FIELDS(term, index, command)
  bool operator==(const LogEntry&) const = default;
};

struct VoteRequest {
  std::uint64_t term = 0;  // for a pre-vote: the term the candidate would campaign in
  std::uint64_t last_log_index = 0;
  std::uint64_t last_log_term = 0;
  bool pre_vote = false;
  SIMBUS_FIELDS(term, last_log_index, last_log_term, pre_vote)
};

struct VoteResponse {
  std::uint64_t term = 0;
  bool granted = false;
  bool pre_vote = false;
  SIMBUS_FIELDS(term, granted, pre_vote)
};

struct AppendRequest {
  std::uint64_t term = 0;
  std::uint64_t prev_log_index = 0;
  std::uint64_t prev_log_term = 0;
  std::uint64_t leader_commit = 0;
  std::uint64_t read_ctx = 0;  // heartbeat round, echoed back (ReadIndex, CheckQuorum)
  std::vector<LogEntry> entries;
  SIMBUS_FIELDS(term, prev_log_index, prev_log_term, leader_commit, read_ctx, entries)
};

struct AppendResponse {
  std::uint64_t term = 0;
  bool success = false;
  std::uint64_t match_index = 0;     // on success: last index known to match
  std::uint64_t conflict_index = 0;  // on failure: where the leader should back off to
  std::uint64_t read_ctx = 0;
  SIMBUS_FIELDS(term, success, match_index, conflict_index, read_ctx)
};

struct SnapshotRequest {
  std::uint64_t term = 0;
  std::uint64_t last_index = 0;
  std::uint64_t last_term = 0;
  std::uint64_t read_ctx = 0;
  Bytes data;
  SIMBUS_FIELDS(term, last_index, last_term, read_ctx, data)
};

struct SnapshotResponse {
  std::uint64_t term = 0;
  std::uint64_t match_index = 0;
  std::uint64_t read_ctx = 0;
  SIMBUS_FIELDS(term, match_index, read_ctx)
};

using RaftMessage = std::variant<VoteRequest, VoteResponse, AppendRequest, AppendResponse,
                                 SnapshotRequest, SnapshotResponse>;

// ---------------------------------------------------------------- replicated commands
struct PublishOp {
  std::vector<std::string> channels;
  std::string event;
  std::string data;
  std::string exclude_socket_id;  // empty: none
  SIMBUS_FIELDS(channels, event, data, exclude_socket_id)
};

struct SubscribeOp {
  std::string socket_id;
  NodeId node = 0;
  std::uint64_t incarnation = 0;
  std::string channel;
  std::string auth;
  std::string channel_data;
  bool resume = false;
  std::uint64_t last_seq = 0;  // with resume: the last sequence number the client saw
  SIMBUS_FIELDS(socket_id, node, incarnation, channel, auth, channel_data, resume, last_seq)
};

struct UnsubscribeOp {
  std::string socket_id;
  std::string channel;
  SIMBUS_FIELDS(socket_id, channel)
};

struct ClientEventOp {
  std::string socket_id;
  std::string channel;
  std::string event;
  std::string data;
  SIMBUS_FIELDS(socket_id, channel, event, data)
};

struct CloseOp {
  std::string socket_id;
  SIMBUS_FIELDS(socket_id)
};

// A node (re)started with this incarnation: connections of older incarnations are gone.
struct NodeUpOp {
  NodeId node = 0;
  std::uint64_t incarnation = 0;
  SIMBUS_FIELDS(node, incarnation)
};

// The leader has not heard from `node` for the session timeout: its connections expire.
struct ExpireNodeOp {
  NodeId node = 0;
  std::uint64_t incarnation = 0;
  SIMBUS_FIELDS(node, incarnation)
};

using Op = std::variant<PublishOp, SubscribeOp, UnsubscribeOp, ClientEventOp, CloseOp,
                        NodeUpOp, ExpireNodeOp>;

// One log entry's payload. client_id 0 = no session (never deduplicated). No ops = no-op.
struct Command {
  std::uint64_t client_id = 0;
  std::uint64_t request_no = 0;
  std::vector<Op> ops;
  SIMBUS_FIELDS(client_id, request_no, ops)
};

// ---------------------------------------------------------------- client protocol
enum class Status : std::uint8_t {
  ok,
  not_leader,        // retry at leader_hint (no_node: unknown)
  invalid_channel,   // name rules
  auth_failed,
  forbidden,         // e.g. client event on a public channel, or without "client-" prefix
  not_subscribed,
  too_many_channels,
  invalid_request,
  stale_request,     // an older request number of a session that has moved on
  unknown_socket,
  count,
};
std::string_view status_name(Status status);

struct ChannelSeq {
  std::string channel;
  std::uint64_t seq = 0;
  SIMBUS_FIELDS(channel, seq)
  bool operator==(const ChannelSeq&) const = default;
};

struct Member {
  std::string user_id;
  std::string user_info;
  SIMBUS_FIELDS(user_id, user_info)
  bool operator==(const Member&) const = default;
};

struct ForwardCommand {  // follower -> leader: please propose this
  Bytes command;
  SIMBUS_FIELDS(command)
};

struct ConnectRequest {
  std::uint64_t request_no = 0;
  SIMBUS_FIELDS(request_no)
};
struct ConnectReply {
  std::uint64_t request_no = 0;
  std::string socket_id;
  SIMBUS_FIELDS(request_no, socket_id)
};

struct SubscribeRequest {
  std::string socket_id;
  std::string channel;
  std::string auth;
  std::string channel_data;
  bool resume = false;
  std::uint64_t last_seq = 0;
  SIMBUS_FIELDS(socket_id, channel, auth, channel_data, resume, last_seq)
};
// Sent once the subscription is committed; replayed events (resume) follow it.
struct SubscribeReply {
  std::string socket_id;
  std::string channel;
  Status status = Status::ok;
  std::uint64_t seq_last = 0;  // the channel's last sequence number when subscribed
  std::vector<Member> members;
  SIMBUS_FIELDS(socket_id, channel, status, seq_last, members)
};

struct UnsubscribeRequest {
  std::string socket_id;
  std::string channel;
  SIMBUS_FIELDS(socket_id, channel)
};
struct UnsubscribeReply {
  std::string socket_id;
  std::string channel;
  Status status = Status::ok;
  SIMBUS_FIELDS(socket_id, channel, status)
};

struct ClientEventRequest {
  std::string socket_id;
  std::string channel;
  std::string event;
  std::string data;
  SIMBUS_FIELDS(socket_id, channel, event, data)
};
struct ClientEventReply {  // once committed (or rejected)
  std::string socket_id;
  std::string channel;
  Status status = Status::ok;
  std::uint64_t seq = 0;
  SIMBUS_FIELDS(socket_id, channel, status, seq)
};

struct DisconnectRequest {
  std::string socket_id;
  SIMBUS_FIELDS(socket_id)
};

struct PublishRequest {  // server-side trigger, with a client session
  std::uint64_t client_id = 0;
  std::uint64_t request_no = 0;
  std::vector<std::string> channels;
  std::string event;
  std::string data;
  std::string exclude_socket_id;
  SIMBUS_FIELDS(client_id, request_no, channels, event, data, exclude_socket_id)
};
struct PublishReply {
  std::uint64_t client_id = 0;
  std::uint64_t request_no = 0;
  Status status = Status::ok;
  NodeId leader_hint = no_node;
  std::vector<ChannelSeq> seqs;
  SIMBUS_FIELDS(client_id, request_no, status, leader_hint, seqs)
};

struct InfoRequest {  // linearizable channel info (ReadIndex or lease at the leader)
  std::uint64_t request_no = 0;
  std::string channel;
  SIMBUS_FIELDS(request_no, channel)
};
struct InfoReply {
  std::uint64_t request_no = 0;
  Status status = Status::ok;
  NodeId leader_hint = no_node;
  bool occupied = false;
  std::uint64_t subscription_count = 0;
  std::uint64_t user_count = 0;
  std::uint64_t seq_last = 0;
  std::vector<std::string> users;
  SIMBUS_FIELDS(request_no, status, leader_hint, occupied, subscription_count, user_count,
                seq_last, users)
};

// Node -> subscriber.
struct EventMessage {
  std::string socket_id;
  std::string channel;
  std::uint64_t seq = 0;
  std::string event;
  std::string data;
  std::string user_id;  // client events on presence channels; member events
  SIMBUS_FIELDS(socket_id, channel, seq, event, data, user_id)
};
// Resume asked for events no longer retained: [first_seq, last_seq] are lost to it.
struct MissedEvents {
  std::string socket_id;
  std::string channel;
  std::uint64_t first_seq = 0;
  std::uint64_t last_seq = 0;
  SIMBUS_FIELDS(socket_id, channel, first_seq, last_seq)
};
struct SessionExpired {
  std::string socket_id;
  SIMBUS_FIELDS(socket_id)
};
// Sent when a resume (or a snapshot catch-up) passes over an event this connection sent
// itself, in place of the event (client events are never echoed to their sender): an
// ordered client otherwise waits for that sequence number forever when it never got the
// ClientEventReply that told it the number (the reply lost, or applied on a node that
// caught up by snapshot).
struct EventOmitted {
  std::string socket_id;
  std::string channel;
  std::uint64_t seq = 0;
  SIMBUS_FIELDS(socket_id, channel, seq)
};

using Message =
    std::variant<VoteRequest, VoteResponse, AppendRequest, AppendResponse, SnapshotRequest,
                 SnapshotResponse, ForwardCommand, ConnectRequest, ConnectReply,
                 SubscribeRequest, SubscribeReply, UnsubscribeRequest, UnsubscribeReply,
                 ClientEventRequest, ClientEventReply, DisconnectRequest, PublishRequest,
                 PublishReply, InfoRequest, InfoReply, EventMessage, MissedEvents,
                 SessionExpired, EventOmitted>;

inline constexpr std::uint8_t frame_kind_message = 1;
inline constexpr std::uint8_t frame_kind_command = 2;
inline constexpr std::uint8_t frame_kind_log_record = 3;

Bytes encode_message(const Message& message);
DecodeError decode_message(std::span<const std::uint8_t> in, Message& out);

Bytes encode_command(const Command& command);
DecodeError decode_command(std::span<const std::uint8_t> in, Command& out);

// Raft messages are a prefix of Message's alternatives.
Message to_message(const RaftMessage& raft);
bool to_raft(const Message& message, RaftMessage& out);

}  // namespace simbus::core
