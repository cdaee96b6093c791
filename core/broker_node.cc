#include "core/broker_node.h"

#include <algorithm>

#include <fmt/format.h>

#include "base/assert.h"

namespace simbus::core {

BrokerNode::BrokerNode(std::shared_ptr<Env> env, BrokerConfig config, BrokerHooks hooks)
    : env_(std::move(env)),
      config_(std::move(config)),
      hooks_(std::move(hooks)),
      bugs_(config_.bugs),
      channels_(config_.channels, config_.bugs) {
  SIMBUS_ASSERT(env_ != nullptr);
  SIMBUS_ASSERT(config_.session_timeout_us > config_.raft.election_timeout_us_max);
  SIMBUS_ASSERT(config_.forward_retry_us > 0);
  SIMBUS_ASSERT(config_.housekeeping_interval_us > 0);
  SIMBUS_ASSERT(config_.compact_after_entries > 0);
  id_ = env_->node_id();
  incarnation_ = env_->incarnation();
  session_id_ = node_session_id(id_, incarnation_);
  config_.raft.id = id_;
}

RaftStatus BrokerNode::raft_status() const {
  if (!raft_) {
    RaftStatus status;
    status.id = id_;
    return status;
  }
  return raft_->status();
}

void BrokerNode::recover() {
  storage_ = std::make_unique<FileStorage>(*env_, config_.file_prefix);
  RecoveredState recovered = storage_->recover();
  hard_state_written_ = recovered.hard_state;
  Env* env = env_.get();
  raft_ = std::make_unique<RaftNode>(
      config_.raft, bugs_, std::move(recovered),
      [env](std::uint64_t bound) { return bound == 0 ? 0 : env->random_below(bound); },
      env_->now_us());
  registry_mutex_ = env_->make_mutex("registry");
  // Announce this incarnation first: connections of earlier ones are gone.
  queue_op(NodeUpOp{id_, incarnation_});
}

void BrokerNode::run() {
  auto self = shared_from_this();
  recover();
  if (bugs_.has(Bug::fanout_unordered_workers)) {
    fanout_mutex_ = env_->make_mutex("fanout");
    fanout_cv_ = env_->make_condvar("fanout");
    for (int worker = 0; worker < 2; ++worker) {
      env_->spawn(fmt::format("fanout{}", worker), [self, worker] { self->fanout_worker(worker); });
    }
  }
  process_ready(env_->now_us());
  while (true) {
    std::int64_t now_us = env_->now_us();
    const std::int64_t wake_us = std::min(raft_->next_deadline_us(), next_housekeeping_us_);
    std::optional<Envelope> envelope = env_->receive(std::max<std::int64_t>(0, wake_us - now_us));
    for (std::size_t i = 0; envelope && i < messages_per_ready_max; ++i) {
      handle(env_->now_us(), *envelope);
      if (i + 1 < messages_per_ready_max) envelope = env_->receive(0);
    }
    now_us = env_->now_us();
    if (now_us >= raft_->next_deadline_us()) raft_->tick(now_us);
    if (now_us >= next_housekeeping_us_) housekeeping(now_us);
    process_ready(now_us);
  }
}

void BrokerNode::send(NodeId to, const Message& message) {
  env_->send(to, encode_message(message));
}

void BrokerNode::handle(std::int64_t now_us, const Envelope& envelope) {
  Message message;
  if (decode_message(envelope.payload, message) != DecodeError::none) return;  // dropped
  const auto& members = config_.raft.members;
  const bool from_member = std::binary_search(members.begin(), members.end(), envelope.from);
  if (from_member) last_heard_us_[envelope.from] = now_us;
  RaftMessage raft_message;
  if (to_raft(message, raft_message)) {
    if (from_member) raft_->step(now_us, envelope.from, raft_message);
    return;
  }
  if (const auto* forward = std::get_if<ForwardCommand>(&message)) {
    Command command;
    if (!from_member || decode_command(forward->command, command) != DecodeError::none) return;
    if (raft_->role() == Role::leader) raft_->propose(now_us, forward->command);
    return;  // not leader: the sender retries, by then knowing the leader
  }
  handle_client(now_us, envelope.from, message);
}

bool BrokerNode::owns_socket(NodeId client, const std::string& socket_id) const {
  auto it = registry_.find(socket_id);
  return it != registry_.end() && it->second == client;
}

void BrokerNode::handle_client(std::int64_t now_us, NodeId from, const Message& message) {
  if (const auto* m = std::get_if<ConnectRequest>(&message)) {
    auto self = shared_from_this();
    const std::uint64_t request_no = m->request_no;
    env_->spawn("handshake", [self, from, request_no] { self->connect(from, request_no); });
  } else if (const auto* m = std::get_if<SubscribeRequest>(&message)) {
    if (!owns_socket(from, m->socket_id)) {
      send(from, SubscribeReply{m->socket_id, m->channel, Status::unknown_socket, 0, {}});
      return;
    }
    queue_op(SubscribeOp{m->socket_id, id_, incarnation_, m->channel, m->auth, m->channel_data,
                         m->resume, m->last_seq});
  } else if (const auto* m = std::get_if<UnsubscribeRequest>(&message)) {
    if (!owns_socket(from, m->socket_id)) {
      send(from, UnsubscribeReply{m->socket_id, m->channel, Status::unknown_socket});
      return;
    }
    queue_op(UnsubscribeOp{m->socket_id, m->channel});
  } else if (const auto* m = std::get_if<ClientEventRequest>(&message)) {
    if (!owns_socket(from, m->socket_id)) {
      send(from, ClientEventReply{m->socket_id, m->channel, Status::unknown_socket, 0});
      return;
    }
    queue_op(ClientEventOp{m->socket_id, m->channel, m->event, m->data});
  } else if (const auto* m = std::get_if<DisconnectRequest>(&message)) {
    if (!owns_socket(from, m->socket_id)) return;
    const std::string socket_id = m->socket_id;
    update_registry([&](auto& registry) { registry.erase(socket_id); });
    // BUG(close_not_replicated): the close is forgotten once the registry lets go.
    if (!bugs_.has(Bug::close_not_replicated)) queue_op(CloseOp{socket_id});
  } else if (const auto* m = std::get_if<PublishRequest>(&message)) {
    if (raft_->role() != Role::leader) {
      send(from, PublishReply{m->client_id, m->request_no, Status::not_leader, raft_->leader_id(), {}});
      return;
    }
    if (m->client_id == 0 || (m->client_id >> 63) != 0) {
      send(from, PublishReply{m->client_id, m->request_no, Status::invalid_request, id_, {}});
      return;
    }
    if (publish_waiters_.size() >= publish_waiters_max) return;  // shed: the client retries
    Command command{m->client_id, m->request_no,
                    {PublishOp{m->channels, m->event, m->data, m->exclude_socket_id}}};
    const std::optional<std::uint64_t> index = raft_->propose(now_us, encode_command(command));
    SIMBUS_ASSERT(index.has_value());
    // BUG(publish_ack_before_commit): answer now, with the sequence numbers it would get.
    if (bugs_.has(Bug::publish_ack_before_commit)) {
      PublishReply reply{m->client_id, m->request_no, Status::ok, id_, {}};
      for (const std::string& channel : m->channels) {
        std::uint64_t& seq = predicted_seq_[channel];
        seq = std::max(seq, channels_.info(channel).seq_last) + 1;
        reply.seqs.push_back(ChannelSeq{channel, seq});
      }
      send(from, reply);
      return;
    }
    publish_waiters_[*index] = PublishWaiter{from, m->client_id, m->request_no};
  } else if (const auto* m = std::get_if<InfoRequest>(&message)) {
    if (raft_->role() != Role::leader) {
      // BUG(follower_local_read): a follower answers from its own, maybe stale, state.
      if (bugs_.has(Bug::follower_local_read)) {
        answer_info(from, m->request_no, m->channel);
        return;
      }
      InfoReply reply;
      reply.request_no = m->request_no;
      reply.status = Status::not_leader;
      reply.leader_hint = raft_->leader_id();
      send(from, reply);
      return;
    }
    const std::uint64_t ctx = ++read_ctx_;
    if (raft_->read(now_us, ctx)) {
      read_waiters_[ctx] = ReadWaiter{from, m->request_no, m->channel};
    }
  }
}

void BrokerNode::answer_info(NodeId client, std::uint64_t request_no, const std::string& channel) {
  const ChannelInfo info = channels_.info(channel);
  InfoReply reply;
  reply.request_no = request_no;
  reply.status = valid_channel_name(channel) ? Status::ok : Status::invalid_channel;
  reply.leader_hint = raft_->leader_id();
  reply.occupied = info.occupied;
  reply.subscription_count = info.subscription_count;
  reply.user_count = info.user_count;
  reply.seq_last = info.seq_last;
  reply.users = info.users;
  send(client, reply);
}

void BrokerNode::update_registry(
    const std::function<void(std::map<std::string, NodeId>&)>& change, std::int64_t work_us) {
  // BUG(registry_update_without_lock): the read-modify-write below spans a scheduling
  // point; without the lock a concurrent update is lost.
  const bool locked = !bugs_.has(Bug::registry_update_without_lock);
  if (locked) registry_mutex_->lock();
  std::map<std::string, NodeId> copy = registry_;
  // The work done inside the update (a handshake's checks, I/O, logging).
  if (work_us > 0) {
    env_->sleep_for_us(work_us);
  } else {
    env_->yield();
  }
  change(copy);
  registry_ = std::move(copy);
  if (locked) registry_mutex_->unlock();
}

std::vector<std::string> BrokerNode::local_socket_ids() const {
  std::vector<std::string> ids;
  ids.reserve(registry_.size());
  for (const auto& [socket_id, client] : registry_) ids.push_back(socket_id);
  return ids;
}

void BrokerNode::connect(NodeId client, std::uint64_t request_no) {
  ++sockets_opened_;
  const std::string socket_id =
      fmt::format("{}.{}", static_cast<std::uint64_t>(id_) * 100'000 + incarnation_ % 100'000,
                  sockets_opened_);
  const auto handshake_us = static_cast<std::int64_t>(env_->random_below(handshake_us_max));
  update_registry([&](auto& registry) { registry[socket_id] = client; }, handshake_us);
  send(client, ConnectReply{request_no, socket_id});
}

void BrokerNode::queue_op(Op op) {
  if (queued_ops_.size() >= queued_ops_max) return;  // shed: the client times out
  queued_ops_.push_back(std::move(op));
}

void BrokerNode::submit(std::int64_t now_us, const Bytes& command) {
  batch_sent_us_ = now_us;
  if (raft_->role() == Role::leader) {
    raft_->propose(now_us, command);
    return;
  }
  const NodeId leader = raft_->leader_id();
  if (leader != no_node && leader != id_) send(leader, ForwardCommand{command});
}

void BrokerNode::flush_ops(std::int64_t now_us, bool retry) {
  if (batch_) {
    if (retry && now_us - batch_sent_us_ >= config_.forward_retry_us) submit(now_us, batch_bytes_);
    return;
  }
  if (queued_ops_.empty()) return;
  Command command;
  command.client_id = session_id_;
  command.request_no = ++batch_request_no_;
  const std::size_t n = std::min(queued_ops_.size(), ops_per_batch_max);
  command.ops.assign(queued_ops_.begin(), queued_ops_.begin() + static_cast<std::ptrdiff_t>(n));
  queued_ops_.erase(queued_ops_.begin(), queued_ops_.begin() + static_cast<std::ptrdiff_t>(n));
  batch_bytes_ = encode_command(command);
  batch_ = std::move(command);
  submit(now_us, batch_bytes_);
}

void BrokerNode::housekeeping(std::int64_t now_us) {
  next_housekeeping_us_ = now_us + config_.housekeeping_interval_us;
  flush_ops(now_us, true);
  if (raft_->role() != Role::leader) return;
  for (NodeId member : config_.raft.members) {
    if (member == id_) continue;
    auto heard = last_heard_us_.find(member);
    const std::int64_t heard_us = heard == last_heard_us_.end() ? 0 : heard->second;
    if (now_us - heard_us < config_.session_timeout_us) continue;
    if (now_us < expire_not_before_us_[member]) continue;
    if (channels_.sockets_of(member).empty()) continue;
    expire_not_before_us_[member] = now_us + config_.session_timeout_us;
    raft_->propose(now_us, encode_command(Command{
                               0, 0, {ExpireNodeOp{member, channels_.known_incarnation(member)}}}));
  }
}

void BrokerNode::process_ready(std::int64_t now_us) {
  for (int round = 0; round < 4; ++round) {
    flush_ops(now_us, false);
    Ready ready = raft_->take_ready();
    if (ready.empty()) break;
    persist_ready(*storage_, ready, hard_state_written_, bugs_);
    if (ready.hard_state) hard_state_written_ = *ready.hard_state;
    for (const Outgoing& out : ready.messages) send(out.to, to_message(out.message));
    if (ready.snapshot_to_apply) {
      // The entries the snapshot skips are never applied here: their events still go to
      // this node's subscribers, in order, before anything applied after the snapshot.
      std::optional<std::vector<Effect>> missed =
          channels_.restore_catching_up(ready.snapshot_to_apply->data, id_);
      SIMBUS_ASSERT(missed.has_value());
      if (hooks_.on_restore) hooks_.on_restore(id_, *ready.snapshot_to_apply);
      for (const Effect& effect : *missed) deliver(effect);
    }
    for (const LogEntry& entry : ready.committed) apply_entry(entry);
    for (const ReadState& read : ready.reads) {
      auto it = read_waiters_.find(read.ctx);
      if (it == read_waiters_.end()) continue;
      ready_reads_.push_back(ReadyRead{read.index, std::move(it->second)});
      read_waiters_.erase(it);
    }
    serve_reads();
    if (raft_->applied_index() >= raft_->log().snapshot_index() + config_.compact_after_entries &&
        channels_.applied_index() == raft_->applied_index()) {
      raft_->compact(channels_.applied_index(), channels_.snapshot());
    }
  }
  const Role role = raft_->role();
  if (role != last_role_) {
    if (role == Role::leader) {
      for (NodeId member : config_.raft.members) last_heard_us_[member] = now_us;
      if (hooks_.on_leader) hooks_.on_leader(id_, raft_->term());
    }
    if (last_role_ == Role::leader) {
      publish_waiters_.clear();  // their clients time out and retry (sessions dedup)
      read_waiters_.clear();
    }
    last_role_ = role;
  }
}

void BrokerNode::serve_reads() {
  std::size_t served = 0;
  for (const ReadyRead& read : ready_reads_) {
    if (channels_.applied_index() < read.index) break;
    answer_info(read.waiter.client, read.waiter.request_no, read.waiter.channel);
    ++served;
  }
  ready_reads_.erase(ready_reads_.begin(), ready_reads_.begin() + static_cast<std::ptrdiff_t>(served));
}

void BrokerNode::apply_entry(const LogEntry& entry) {
  Command command;
  if (!entry.command.empty()) {
    const DecodeError error = decode_command(entry.command, command);
    SIMBUS_ASSERT_MSG(error == DecodeError::none, "a committed command does not decode");
  }
  if (entry.index <= channels_.applied_index()) return;  // only under seeded bugs
  ApplyOutcome outcome = channels_.apply(entry.index, command, id_);
  if (hooks_.on_apply) hooks_.on_apply(id_, entry);
  for (const Effect& effect : outcome.effects) deliver(effect);
  const bool own_batch = batch_ && command.client_id == session_id_ && command.request_no == batch_->request_no;
  if (own_batch && outcome.result.duplicate) {
    // Our batch came back as a retry, so its first application happened in entries a
    // snapshot install skipped here (applying it here would have ended the batch): its
    // answers to our connections were never sent.
    for (const Effect& reply : outcome.replies_again) deliver(reply);
  }
  auto waiter = publish_waiters_.find(entry.index);
  if (waiter != publish_waiters_.end()) {
    const PublishWaiter w = waiter->second;
    publish_waiters_.erase(waiter);
    if (w.client_id == command.client_id && w.request_no == command.request_no) {
      send(w.client, PublishReply{w.client_id, w.request_no, outcome.result.status, id_,
                                  outcome.result.seqs});
    }
  }
  if (own_batch) {
    batch_.reset();
    batch_bytes_.clear();
  }
}

void BrokerNode::deliver(const Effect& effect) {
  if (effect.node != id_ || effect.incarnation != incarnation_) return;
  auto it = registry_.find(effect.socket_id);
  if (it == registry_.end()) return;
  const NodeId client = it->second;
  if (std::holds_alternative<SessionExpired>(effect.message)) {
    const std::string socket_id = effect.socket_id;
    // BUG(expiry_notice_not_sent): the socket is let go of in silence.
    if (!bugs_.has(Bug::expiry_notice_not_sent)) send(client, effect.message);
    update_registry([&](auto& registry) { registry.erase(socket_id); });
    // Ops of this socket still queued would recreate it: drop them, and close it again
    // after anything already in flight.
    std::erase_if(queued_ops_, [&](const Op& op) {
      return std::visit(
          [&](const auto& o) {
            if constexpr (requires { o.socket_id; }) return o.socket_id == socket_id;
            return false;
          },
          op);
    });
    queue_op(CloseOp{socket_id});
    return;
  }
  // BUG(fanout_unordered_workers): events go to two workers taking turns, unordered.
  if (bugs_.has(Bug::fanout_unordered_workers) &&
      std::holds_alternative<EventMessage>(effect.message)) {
    fanout_mutex_->lock();
    fanout_queue_[fanout_next_++ % 2].emplace_back(client, encode_message(effect.message));
    fanout_cv_->notify_all();
    fanout_mutex_->unlock();
    return;
  }
  send(client, effect.message);
}

// Only runs with BUG(fanout_unordered_workers) on: run() spawns the workers for it alone.
void BrokerNode::fanout_worker(int worker) {
  while (true) {
    fanout_mutex_->lock();
    while (fanout_queue_[worker].empty()) fanout_cv_->wait(*fanout_mutex_);
    auto [client, payload] = std::move(fanout_queue_[worker].front());
    fanout_queue_[worker].erase(fanout_queue_[worker].begin());
    fanout_mutex_->unlock();
    env_->sleep_for_us(static_cast<std::int64_t>(env_->random_below(10'000)));  // the work of a send
    env_->send(client, std::move(payload));
  }
}

}  // namespace simbus::core
