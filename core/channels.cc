#include "core/channels.h"

#include <algorithm>

#include "base/assert.h"
#include "core/codec.h"

namespace simbus::core {
namespace {

struct SnapSubscriber {
  std::string socket_id;
  NodeId node = 0;
  std::uint64_t incarnation = 0;
  std::string user_id;
  SIMBUS_FIELDS(socket_id, node, incarnation, user_id)
};
struct SnapMember {
  std::string user_id;
  std::string user_info;
  std::uint32_t connections = 0;
  SIMBUS_FIELDS(user_id, user_info, connections)
};
struct SnapChannel {
  std::string name;
  std::uint64_t seq_last = 0;
  std::vector<RetainedEvent> history;
  std::vector<SnapSubscriber> subscribers;
  std::vector<SnapMember> members;
  SIMBUS_FIELDS(name, seq_last, history, subscribers, members)
};
struct SnapConnection {
  std::string socket_id;
  NodeId node = 0;
  std::uint64_t incarnation = 0;
  std::vector<std::string> channels;
  SIMBUS_FIELDS(socket_id, node, incarnation, channels)
};
struct SnapIncarnation {
  NodeId node = 0;
  std::uint64_t incarnation = 0;
  SIMBUS_FIELDS(node, incarnation)
};
struct SnapReply {
  NodeId node = 0;
  std::uint64_t incarnation = 0;
  std::string socket_id;
  Bytes message;  // encode_message
  SIMBUS_FIELDS(node, incarnation, socket_id, message)
};
struct SnapSession {
  std::uint64_t client_id = 0;
  std::uint64_t request_no = 0;
  std::uint64_t index = 0;
  Status status = Status::ok;
  std::vector<ChannelSeq> seqs;
  std::vector<SnapReply> replies;
  SIMBUS_FIELDS(client_id, request_no, index, status, seqs, replies)
};
struct SnapState {
  std::uint64_t applied_index = 0;
  std::vector<SnapChannel> channels;
  std::vector<SnapConnection> connections;
  std::vector<SnapIncarnation> incarnations;
  std::vector<SnapSession> sessions;
  SIMBUS_FIELDS(applied_index, channels, connections, incarnations, sessions)
};

}  // namespace

std::uint64_t node_session_id(NodeId node, std::uint64_t incarnation) {
  SIMBUS_ASSERT(node <= 0x7fffffffu);
  SIMBUS_ASSERT(incarnation <= 0xffffffffULL);
  return (1ULL << 63) | (static_cast<std::uint64_t>(node) << 32) | incarnation;
}

std::optional<NodeSessionOrigin> node_session_origin(std::uint64_t client_id) {
  if ((client_id >> 63) == 0) return std::nullopt;
  return NodeSessionOrigin{static_cast<NodeId>((client_id >> 32) & 0x7fffffffu), client_id & 0xffffffffULL};
}

ChannelState::ChannelState(ChannelConfig config, Bugs bugs)
    : config_(std::move(config)), bugs_(bugs) {
  SIMBUS_ASSERT(config_.history_per_channel_max <= history_per_channel_max_limit);
  SIMBUS_ASSERT(config_.sessions_max > 0);
  SIMBUS_ASSERT(config_.sessions_max <= sessions_max_limit);
}

ApplyOutcome ChannelState::apply(std::uint64_t index, const Command& command,
                                 NodeId effects_for) {
  SIMBUS_ASSERT(index > applied_index_);
  applied_index_ = index;
  ApplyOutcome out;
  Ctx ctx{effects_for, &out.effects};
  // BUG(retry_applied_twice): sessions are not consulted, so a retry applies again.
  if (command.client_id != 0 && !bugs_.has(Bug::retry_applied_twice)) {
    auto it = sessions_.find(command.client_id);
    if (it != sessions_.end() && command.request_no <= it->second.request_no) {
      if (command.request_no == it->second.request_no) {
        out.result = it->second.result;
        for (const Effect& reply : it->second.replies) {
          if (effects_for == 0 || reply.node == effects_for) out.replies_again.push_back(reply);
        }
      } else {
        out.result.status = Status::stale_request;
      }
      out.result.duplicate = true;
      return out;
    }
  }
  CommandResult result;
  // A node's command: keep what it answered its connections, for a node that will skip
  // this entry by installing a snapshot (ApplyOutcome::replies_again).
  std::vector<Effect> replies;
  ctx.origin = node_session_origin(command.client_id);
  if (ctx.origin) ctx.replies = &replies;
  for (const Op& op : command.ops) {
    const Status status = apply_op(ctx, op, result);
    if (status != Status::ok && result.status == Status::ok) result.status = status;
  }
  SIMBUS_ASSERT(replies.size() <= command.ops.size());  // one answer per op at most
  if (result.status != Status::ok) result.seqs.clear();
  if (command.client_id != 0) {
    remember_session(command.client_id, command.request_no, index, result, std::move(replies));
  }
  out.result = std::move(result);
  SIMBUS_ASSERT(applied_index_ == index);
  return out;
}

Status ChannelState::apply_op(Ctx& ctx, const Op& op, CommandResult& result) {
  return std::visit(
      [&](const auto& o) -> Status {
        using T = std::decay_t<decltype(o)>;
        if constexpr (std::is_same_v<T, PublishOp>) return apply_publish(ctx, o, result);
        if constexpr (std::is_same_v<T, SubscribeOp>) return apply_subscribe(ctx, o);
        if constexpr (std::is_same_v<T, UnsubscribeOp>) return apply_unsubscribe(ctx, o, true);
        if constexpr (std::is_same_v<T, ClientEventOp>) return apply_client_event(ctx, o);
        if constexpr (std::is_same_v<T, CloseOp>) {
          apply_close(ctx, o.socket_id);
          return Status::ok;
        }
        if constexpr (std::is_same_v<T, NodeUpOp>) {
          apply_node_up(ctx, o);
          return Status::ok;
        }
        if constexpr (std::is_same_v<T, ExpireNodeOp>) {
          apply_expire(ctx, o);
          return Status::ok;
        }
        return Status::invalid_request;
      },
      op);
}

void ChannelState::send_to(Ctx& ctx, NodeId node, std::uint64_t incarnation,
                           const std::string& socket_id, Message message) {
  if (ctx.replies != nullptr &&
      (std::holds_alternative<SubscribeReply>(message) || std::holds_alternative<UnsubscribeReply>(message) ||
       std::holds_alternative<ClientEventReply>(message))) {
    ctx.replies->push_back(Effect{node, incarnation, socket_id, message});
  }
  if (ctx.effects_for != 0 && ctx.effects_for != node) return;
  ctx.effects->push_back(Effect{node, incarnation, socket_id, std::move(message)});
}

std::uint64_t ChannelState::emit(Ctx& ctx, const std::string& name, Channel& channel,
                                 RetainedEvent event) {
  ++channel.seq_last;
  event.seq = channel.seq_last;
  for (const auto& [socket_id, sub] : channel.subscribers) {
    if (socket_id == event.exclude_socket_id) continue;
    send_to(ctx, sub.node, sub.incarnation, socket_id,
            EventMessage{socket_id, name, event.seq, event.event, event.data, event.user_id});
  }
  channel.history.push_back(std::move(event));
  while (channel.history.size() > config_.history_per_channel_max) channel.history.pop_front();
  SIMBUS_ASSERT(channel.history.size() <= config_.history_per_channel_max);
  return channel.seq_last;
}

Status ChannelState::apply_publish(Ctx& ctx, const PublishOp& op, CommandResult& result) {
  if (op.channels.empty()) return Status::invalid_request;
  if (op.channels.size() > channels_per_publish_max) return Status::too_many_channels;
  if (!valid_event_name(op.event) || op.data.size() > event_data_bytes_max) {
    return Status::invalid_request;
  }
  std::set<std::string> distinct;
  std::size_t fresh = 0;
  for (const std::string& name : op.channels) {
    if (!valid_channel_name(name)) return Status::invalid_channel;
    if (!distinct.insert(name).second) return Status::invalid_request;
    if (!channels_.contains(name)) ++fresh;
  }
  if (channels_.size() + fresh > channels_max) return Status::invalid_request;
  for (const std::string& name : op.channels) {
    const std::uint64_t seq = emit(ctx, name, channels_[name],
                                   RetainedEvent{0, op.event, op.data, "", op.exclude_socket_id});
    result.seqs.push_back(ChannelSeq{name, seq});
  }
  SIMBUS_ASSERT(result.seqs.size() == op.channels.size());
  return Status::ok;
}

Status ChannelState::apply_subscribe(Ctx& ctx, const SubscribeOp& op) {
  auto reply = [&](Status status, std::uint64_t seq_last, std::vector<Member> members) {
    send_to(ctx, op.node, op.incarnation, op.socket_id,
            SubscribeReply{op.socket_id, op.channel, status, seq_last, std::move(members)});
    return status;
  };
  const std::uint64_t known = known_incarnation(op.node);
  if (op.incarnation < known) return Status::unknown_socket;  // its node restarted since
  if (op.incarnation > known) apply_node_up(ctx, NodeUpOp{op.node, op.incarnation});
  if (op.socket_id.empty()) return reply(Status::invalid_request, 0, {});
  if (!valid_channel_name(op.channel)) return reply(Status::invalid_channel, 0, {});
  const ChannelKind kind = channel_kind(op.channel);
  if (kind != ChannelKind::public_channel &&
      !verify_subscription(config_.app, op.auth, op.socket_id, op.channel,
                           kind == ChannelKind::presence_channel ? op.channel_data : "")) {
    return reply(Status::auth_failed, 0, {});
  }
  std::string user_id;
  if (kind == ChannelKind::presence_channel) {
    std::optional<std::string> id = presence_user_id(op.channel_data);
    if (!id) return reply(Status::invalid_request, 0, {});
    user_id = *id;
  }
  if (!channels_.contains(op.channel) && channels_.size() >= channels_max) {
    return reply(Status::invalid_request, 0, {});
  }
  auto conn = connections_.find(op.socket_id);
  if (conn == connections_.end()) {
    conn = connections_.emplace(op.socket_id, Connection{op.node, op.incarnation, {}}).first;
  }
  if (conn->second.node != op.node) return reply(Status::invalid_request, 0, {});
  Channel& channel = channels_[op.channel];
  if (!channel.subscribers.contains(op.socket_id)) {
    channel.subscribers.emplace(op.socket_id, Subscriber{op.node, op.incarnation, user_id});
    conn->second.channels.insert(op.channel);
    if (kind == ChannelKind::presence_channel && channel.members.add(user_id, op.channel_data)) {
      emit(ctx, op.channel, channel,
           RetainedEvent{0, std::string(member_added_event), op.channel_data, user_id,
                         op.socket_id});
    }
  }
  reply(Status::ok, channel.seq_last,
        kind == ChannelKind::presence_channel ? channel.members.list() : std::vector<Member>{});
  if (op.resume) replay(ctx, op, channel);
  return Status::ok;
}

void ChannelState::replay(Ctx& ctx, const SubscribeOp& op, const Channel& channel) {
  if (op.last_seq >= channel.seq_last) return;
  const std::uint64_t missed_from = op.last_seq + 1;
  // BUG(resume_off_by_one): replays from the last seen event inclusive.
  const std::uint64_t replay_from =
      bugs_.has(Bug::resume_off_by_one) && op.last_seq > 0 ? op.last_seq : missed_from;
  send_retained(ctx, op.node, op.incarnation, op.socket_id, op.channel, channel, missed_from, replay_from);
}

void ChannelState::send_retained(Ctx& ctx, NodeId node, std::uint64_t incarnation, const std::string& socket_id,
                                 const std::string& name, const Channel& channel, std::uint64_t missed_from,
                                 std::uint64_t replay_from) {
  const std::uint64_t first_retained =
      channel.history.empty() ? channel.seq_last + 1 : channel.history.front().seq;
  if (missed_from < first_retained) {
    send_to(ctx, node, incarnation, socket_id, MissedEvents{socket_id, name, missed_from, first_retained - 1});
  }
  for (const RetainedEvent& event : channel.history) {
    if (event.seq < replay_from) continue;
    if (event.exclude_socket_id == socket_id) {
      // Client events are never echoed: only the number it took, which the sender may not
      // know (its ClientEventReply lost, or applied where a snapshot skipped it).
      send_to(ctx, node, incarnation, socket_id, EventOmitted{socket_id, name, event.seq});
      continue;
    }
    send_to(ctx, node, incarnation, socket_id,
            EventMessage{socket_id, name, event.seq, event.event, event.data, event.user_id});
  }
}

Status ChannelState::apply_unsubscribe(Ctx& ctx, const UnsubscribeOp& op, bool reply) {
  auto it = channels_.find(op.channel);
  if (it == channels_.end() || !it->second.subscribers.contains(op.socket_id)) {
    auto conn = connections_.find(op.socket_id);
    if (reply && conn != connections_.end()) {
      send_to(ctx, conn->second.node, conn->second.incarnation, op.socket_id,
              UnsubscribeReply{op.socket_id, op.channel, Status::not_subscribed});
    } else if (reply && ctx.origin) {
      send_to(ctx, ctx.origin->node, ctx.origin->incarnation, op.socket_id,
              UnsubscribeReply{op.socket_id, op.channel, Status::not_subscribed});
    }
    return Status::not_subscribed;
  }
  Channel& channel = it->second;
  const Subscriber sub = channel.subscribers.at(op.socket_id);
  channel.subscribers.erase(op.socket_id);
  auto conn = connections_.find(op.socket_id);
  if (conn != connections_.end()) conn->second.channels.erase(op.channel);
  if (channel_kind(op.channel) == ChannelKind::presence_channel) {
    // BUG(presence_remove_on_first_close): the member goes with its first connection.
    const bool removed = bugs_.has(Bug::presence_remove_on_first_close)
                             ? channel.members.remove_all(sub.user_id)
                             : channel.members.remove(sub.user_id);
    if (removed) {
      emit(ctx, op.channel, channel,
           RetainedEvent{0, std::string(member_removed_event), "", sub.user_id, op.socket_id});
    }
  }
  if (reply) {
    send_to(ctx, sub.node, sub.incarnation, op.socket_id,
            UnsubscribeReply{op.socket_id, op.channel, Status::ok});
  }
  return Status::ok;
}

Status ChannelState::apply_client_event(Ctx& ctx, const ClientEventOp& op) {
  auto conn = connections_.find(op.socket_id);
  if (conn == connections_.end()) {
    // Subscribed to nothing, so the cluster has no record of the connection; its node
    // checked that it owns it, and answers it (left unanswered, the client waits out its
    // timeout for a refusal).
    if (ctx.origin) {
      send_to(ctx, ctx.origin->node, ctx.origin->incarnation, op.socket_id,
              ClientEventReply{op.socket_id, op.channel, Status::not_subscribed, 0});
    }
    return Status::not_subscribed;
  }
  const NodeId node = conn->second.node;
  const std::uint64_t incarnation = conn->second.incarnation;
  auto reply = [&](Status status, std::uint64_t seq) {
    send_to(ctx, node, incarnation, op.socket_id,
            ClientEventReply{op.socket_id, op.channel, status, seq});
    return status;
  };
  auto it = channels_.find(op.channel);
  if (it == channels_.end() || !it->second.subscribers.contains(op.socket_id)) {
    return reply(Status::not_subscribed, 0);
  }
  if (channel_kind(op.channel) == ChannelKind::public_channel) return reply(Status::forbidden, 0);
  if (!is_client_event(op.event) || !valid_event_name(op.event)) {
    return reply(Status::forbidden, 0);
  }
  if (op.data.size() > event_data_bytes_max) return reply(Status::invalid_request, 0);
  Channel& channel = it->second;
  const std::string user_id = channel.subscribers.at(op.socket_id).user_id;
  // BUG(client_event_echoed): the sender is not excluded from its own client event.
  const std::string exclude = bugs_.has(Bug::client_event_echoed) ? "" : op.socket_id;
  const std::uint64_t seq =
      emit(ctx, op.channel, channel, RetainedEvent{0, op.event, op.data, user_id, exclude});
  return reply(Status::ok, seq);
}

void ChannelState::remove_connection(Ctx& ctx, const std::string& socket_id, bool notify) {
  auto conn = connections_.find(socket_id);
  if (conn == connections_.end()) return;
  const std::vector<std::string> channels(conn->second.channels.begin(),
                                          conn->second.channels.end());
  for (const std::string& channel : channels) {
    apply_unsubscribe(ctx, UnsubscribeOp{socket_id, channel}, false);
  }
  conn = connections_.find(socket_id);
  SIMBUS_ASSERT(conn != connections_.end());
  if (notify) {
    send_to(ctx, conn->second.node, conn->second.incarnation, socket_id,
            SessionExpired{socket_id});
  }
  connections_.erase(conn);
  SIMBUS_ASSERT(!connections_.contains(socket_id));
}

void ChannelState::apply_close(Ctx& ctx, const std::string& socket_id) {
  remove_connection(ctx, socket_id, false);
}

void ChannelState::apply_node_up(Ctx& ctx, const NodeUpOp& op) {
  const std::uint64_t known = known_incarnation(op.node);
  if (op.incarnation <= known && incarnations_.contains(op.node)) return;
  incarnations_[op.node] = op.incarnation;
  std::vector<std::string> dead;
  for (const auto& [socket_id, conn] : connections_) {
    // BUG(node_up_expires_others): any node's connection of a lower incarnation goes too.
    const bool owned = conn.node == op.node || bugs_.has(Bug::node_up_expires_others);
    if (owned && conn.incarnation < op.incarnation) dead.push_back(socket_id);
  }
  for (const std::string& socket_id : dead) remove_connection(ctx, socket_id, false);
}

void ChannelState::apply_expire(Ctx& ctx, const ExpireNodeOp& op) {
  std::vector<std::string> dead;
  for (const auto& [socket_id, conn] : connections_) {
    if (conn.node == op.node && conn.incarnation <= op.incarnation) dead.push_back(socket_id);
  }
  for (const std::string& socket_id : dead) remove_connection(ctx, socket_id, true);
}

void ChannelState::remember_session(std::uint64_t client_id, std::uint64_t request_no,
                                    std::uint64_t index, const CommandResult& result,
                                    std::vector<Effect> replies) {
  sessions_[client_id] = Session{request_no, index, result, std::move(replies)};
  if (sessions_.size() <= config_.sessions_max) return;
  // Evict the session idle longest (lowest log index): deterministic, no clocks.
  auto oldest = sessions_.begin();
  for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
    if (it->second.index < oldest->second.index) oldest = it;
  }
  sessions_.erase(oldest);
  SIMBUS_ASSERT(sessions_.size() == config_.sessions_max);
}

ChannelInfo ChannelState::info(const std::string& channel) const {
  ChannelInfo out;
  auto it = channels_.find(channel);
  if (it == channels_.end()) return out;
  out.subscription_count = it->second.subscribers.size();
  out.occupied = out.subscription_count > 0;
  out.seq_last = it->second.seq_last;
  for (const Member& m : it->second.members.list()) out.users.push_back(m.user_id);
  out.user_count = out.users.size();
  return out;
}

std::vector<std::string> ChannelState::occupied_channels(std::string_view prefix, std::size_t limit) const {
  std::vector<std::string> out;
  for (auto it = channels_.lower_bound(std::string(prefix)); it != channels_.end() && out.size() < limit; ++it) {
    if (!it->first.starts_with(prefix)) break;  // sorted: past the prefix's range
    if (!it->second.subscribers.empty()) out.push_back(it->first);
  }
  return out;
}

std::vector<std::string> ChannelState::sockets_of(NodeId node) const {
  std::vector<std::string> out;
  for (const auto& [socket_id, conn] : connections_) {
    if (conn.node == node) out.push_back(socket_id);
  }
  return out;
}

std::vector<std::string> ChannelState::channels_of(const std::string& socket_id) const {
  auto it = connections_.find(socket_id);
  if (it == connections_.end()) return {};
  return {it->second.channels.begin(), it->second.channels.end()};
}

std::uint64_t ChannelState::known_incarnation(NodeId node) const {
  auto it = incarnations_.find(node);
  return it == incarnations_.end() ? 0 : it->second;
}

Bytes ChannelState::snapshot() const {
  SnapState s;
  s.applied_index = applied_index_;
  for (const auto& [name, channel] : channels_) {
    SnapChannel c;
    c.name = name;
    c.seq_last = channel.seq_last;
    c.history.assign(channel.history.begin(), channel.history.end());
    for (const auto& [socket_id, sub] : channel.subscribers) {
      c.subscribers.push_back(SnapSubscriber{socket_id, sub.node, sub.incarnation, sub.user_id});
    }
    // BUG(snapshot_omits_members): presence members are not written.
    if (!bugs_.has(Bug::snapshot_omits_members)) {
      for (const auto& [user_id, entry] : channel.members.entries()) {
        c.members.push_back(SnapMember{user_id, entry.user_info, entry.connections});
      }
    }
    s.channels.push_back(std::move(c));
  }
  for (const auto& [socket_id, conn] : connections_) {
    s.connections.push_back(SnapConnection{
        socket_id, conn.node, conn.incarnation,
        std::vector<std::string>(conn.channels.begin(), conn.channels.end())});
  }
  for (const auto& [node, incarnation] : incarnations_) {
    s.incarnations.push_back(SnapIncarnation{node, incarnation});
  }
  for (const auto& [client_id, session] : sessions_) {
    SnapSession snap{client_id, session.request_no, session.index, session.result.status, session.result.seqs, {}};
    for (const Effect& reply : session.replies) {
      snap.replies.push_back(SnapReply{reply.node, reply.incarnation, reply.socket_id, encode_message(reply.message)});
    }
    s.sessions.push_back(std::move(snap));
  }
  return serial::encode_body(s);
}

bool ChannelState::restore(std::span<const std::uint8_t> data) {
  SnapState s;
  if (!serial::decode_body(data, s)) return false;
  channels_.clear();
  connections_.clear();
  incarnations_.clear();
  sessions_.clear();
  applied_index_ = s.applied_index;
  for (SnapChannel& c : s.channels) {
    Channel& channel = channels_[c.name];
    channel.seq_last = c.seq_last;
    channel.history.assign(c.history.begin(), c.history.end());
    for (SnapSubscriber& sub : c.subscribers) {
      channel.subscribers[sub.socket_id] = Subscriber{sub.node, sub.incarnation, sub.user_id};
    }
    for (SnapMember& m : c.members) {
      channel.members.entries()[m.user_id] = PresenceMembers::Entry{m.user_info, m.connections};
    }
  }
  for (SnapConnection& c : s.connections) {
    connections_[c.socket_id] =
        Connection{c.node, c.incarnation, std::set<std::string>(c.channels.begin(), c.channels.end())};
  }
  for (const SnapIncarnation& i : s.incarnations) incarnations_[i.node] = i.incarnation;
  for (SnapSession& session : s.sessions) {
    std::vector<Effect> replies;
    for (SnapReply& reply : session.replies) {
      Message message;
      if (decode_message(reply.message, message) != DecodeError::none) return false;
      replies.push_back(Effect{reply.node, reply.incarnation, std::move(reply.socket_id), std::move(message)});
    }
    sessions_[session.client_id] = Session{session.request_no, session.index,
                                           CommandResult{session.status, session.seqs, false}, std::move(replies)};
  }
  return true;
}

std::optional<std::vector<Effect>> ChannelState::restore_catching_up(
    std::span<const std::uint8_t> data, NodeId effects_for) {
  SIMBUS_ASSERT(effects_for != 0);
  // Before: each channel's last sequence number and its subscribers owned by effects_for.
  struct Before {
    std::uint64_t seq_last = 0;
    std::map<std::string, std::uint64_t> local;  // socket -> incarnation
  };
  std::map<std::string, Before> before;
  for (const auto& [name, channel] : channels_) {
    Before& b = before[name];
    b.seq_last = channel.seq_last;
    for (const auto& [socket_id, sub] : channel.subscribers) {
      if (sub.node == effects_for) b.local.emplace(socket_id, sub.incarnation);
    }
  }
  if (!restore(data)) return std::nullopt;
  std::vector<Effect> effects;
  Ctx ctx{effects_for, &effects};
  for (const auto& [name, channel] : channels_) {
    auto b = before.find(name);
    if (b == before.end() || channel.seq_last <= b->second.seq_last) continue;
    const std::uint64_t missed_from = b->second.seq_last + 1;
    for (const auto& [socket_id, sub] : channel.subscribers) {
      auto was = b->second.local.find(socket_id);
      if (sub.node != effects_for || was == b->second.local.end() || was->second != sub.incarnation) {
        continue;
      }
      send_retained(ctx, sub.node, sub.incarnation, socket_id, name, channel, missed_from, missed_from);
    }
  }
  return effects;
}

std::uint64_t ChannelState::digest() const { return checksum64(snapshot()); }

}  // namespace simbus::core
