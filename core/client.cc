#include "core/client.h"

#include <algorithm>

#include "base/assert.h"

namespace simbus::core {

inline constexpr std::size_t inbox_messages_max = 1 << 20;

BrokerClient::BrokerClient(Env& env, ClientConfig config, std::uint64_t client_id)
    : env_(env), config_(std::move(config)), client_id_(client_id) {
  SIMBUS_ASSERT(!config_.brokers.empty());
  SIMBUS_ASSERT(client_id_ != 0);
  SIMBUS_ASSERT((client_id_ >> 63) == 0);  // the top bit marks node sessions
}

void BrokerClient::file(Message message) {
  if (listener_) {
    listener_(std::move(message));
    return;
  }
  if (inbox_.size() < inbox_messages_max) inbox_.push_back(std::move(message));
}

template <class T, class Match>
std::optional<T> BrokerClient::await(std::int64_t timeout_us, Match match) {
  const std::int64_t deadline_us = env_.now_us() + timeout_us;
  while (true) {
    if (alive_ && !alive_()) return std::nullopt;
    if (config_.ordered) repair();
    const std::int64_t left_us = deadline_us - env_.now_us();
    if (left_us <= 0) return std::nullopt;
    // Wake at least every gap_timeout_us so repairs happen while waiting.
    std::optional<Envelope> envelope =
        env_.receive(config_.ordered ? std::min(left_us, config_.gap_timeout_us) : left_us);
    if (!envelope) continue;
    Message message;
    if (decode_message(envelope->payload, message) != DecodeError::none) continue;
    if (const T* reply = std::get_if<T>(&message)) {
      if (match(*reply)) return *reply;
      continue;  // a stale reply to an earlier attempt
    }
    if (auto* reply = std::get_if<SubscribeReply>(&message); reply && config_.ordered) {
      on_repair_reply(*reply);  // the answer to a resume sent by repair()
      continue;
    }
    if (auto* event = std::get_if<EventMessage>(&message); event && config_.ordered) {
      on_event(std::move(*event));
    } else if (auto* missed = std::get_if<MissedEvents>(&message); missed && config_.ordered) {
      on_missed(std::move(*missed));
    } else if (auto* omitted = std::get_if<EventOmitted>(&message); omitted && config_.ordered) {
      skip_own(omitted->socket_id, omitted->channel, omitted->seq);
    } else if (std::holds_alternative<EventMessage>(message) ||
               std::holds_alternative<MissedEvents>(message) ||
               std::holds_alternative<SessionExpired>(message)) {
      file(std::move(message));
    }
  }
}

void BrokerClient::on_event(EventMessage event) {
  auto it = tracked_.find({event.socket_id, event.channel});
  if (it == tracked_.end()) return;  // not (or no longer) subscribed here
  Tracked& t = it->second;
  if (event.seq <= t.delivered_seq) return;  // a duplicate or a replay already seen
  t.pending.emplace(event.seq, std::move(event));
  flush(t);
}

void BrokerClient::on_missed(MissedEvents missed) {
  auto it = tracked_.find({missed.socket_id, missed.channel});
  if (it == tracked_.end()) return;
  Tracked& t = it->second;
  if (missed.last_seq <= t.delivered_seq) return;
  t.delivered_seq = missed.last_seq;
  file(std::move(missed));
  flush(t);
}

void BrokerClient::skip_own(const std::string& socket_id, const std::string& channel, std::uint64_t seq) {
  auto it = tracked_.find({socket_id, channel});
  if (it == tracked_.end() || seq <= it->second.delivered_seq) return;
  it->second.skipped.insert(seq);
  flush(it->second);
}

void BrokerClient::on_repair_reply(const SubscribeReply& reply) {
  auto it = tracked_.find({reply.socket_id, reply.channel});
  if (it == tracked_.end() || !it->second.confirmed) return;
  if (reply.status == Status::unknown_socket && config_.on_repair_refused) config_.on_repair_refused(reply);
  if (reply.status != Status::ok) return;
  Tracked& t = it->second;
  t.known_last_seq = std::max(t.known_last_seq, reply.seq_last);
  // Behind with nothing pending: its replayed events were lost. Not a flush: a reply is no
  // event, so it must not postpone the idle resync of an up-to-date subscription.
  if (t.known_last_seq > t.delivered_seq && t.gap_since_us == 0) t.gap_since_us = env_.now_us();
}

void BrokerClient::flush(Tracked& t) {
  if (!t.confirmed) return;
  while (true) {
    if (t.skipped.erase(t.delivered_seq + 1) != 0) {
      t.delivered_seq += 1;
      continue;
    }
    if (t.pending.empty() || t.pending.begin()->first > t.delivered_seq + 1) break;
    auto node = t.pending.extract(t.pending.begin());
    if (node.key() == t.delivered_seq + 1) {
      t.delivered_seq = node.key();
      file(std::move(node.mapped()));
    }
  }
  t.last_activity_us = env_.now_us();
  const bool behind = !t.pending.empty() || t.known_last_seq > t.delivered_seq;
  t.gap_since_us = !behind ? 0 : (t.gap_since_us == 0 ? env_.now_us() : t.gap_since_us);
}

void BrokerClient::repair() {
  const std::int64_t now_us = env_.now_us();
  for (auto& [key, t] : tracked_) {
    const bool gap = t.gap_since_us != 0 && now_us - t.gap_since_us >= config_.gap_timeout_us;
    const bool idle = now_us - t.last_activity_us >= config_.idle_resync_us;
    if (!gap && !idle) continue;
    SubscribeRequest request = t.request;
    request.resume = true;
    request.last_seq = t.delivered_seq;
    env_.send(t.broker, encode_message(request));
    t.last_activity_us = now_us;
    if (gap) t.gap_since_us = now_us;
  }
}

void BrokerClient::poll(std::int64_t timeout_us) {
  await<ConnectReply>(timeout_us, [](const ConnectReply&) { return false; });
}

std::optional<std::string> BrokerClient::connect(NodeId broker) {
  const std::uint64_t request_no = ++request_no_;
  for (std::uint32_t attempt = 0; attempt < config_.attempts_max; ++attempt) {
    const std::int64_t sent_us = env_.now_us();
    env_.send(broker, encode_message(ConnectRequest{request_no}));
    auto reply = await<ConnectReply>(config_.request_timeout_us, [&](const ConnectReply& r) {
      return r.request_no == request_no;
    });
    if (reply) return reply->socket_id;
    timed_out("connect", sent_us, config_.request_timeout_us);
  }
  return std::nullopt;
}

// Sent once: the broker itself retries forwarding until the subscription is applied (a
// second request with resume would replay the history twice).
std::optional<SubscribeReply> BrokerClient::subscribe(NodeId broker, const SubscribeRequest& request) {
  if (config_.ordered) {
    // Track before sending: replayed events may arrive before the reply.
    Tracked& t = tracked_[{request.socket_id, request.channel}];
    t = Tracked{broker, request, request.resume ? request.last_seq : 0, {}, 0, env_.now_us(), request.resume, {}, 0};
  }
  const std::int64_t sent_us = env_.now_us();
  env_.send(broker, encode_message(request));
  auto reply = await<SubscribeReply>(config_.request_timeout_us * config_.attempts_max,
                                     [&](const SubscribeReply& r) {
                                       return r.socket_id == request.socket_id &&
                                              r.channel == request.channel;
                                     });
  if (!reply) timed_out("subscribe", sent_us, config_.request_timeout_us * config_.attempts_max);
  if (!config_.ordered) return reply;
  auto it = tracked_.find({request.socket_id, request.channel});
  if (!reply || reply->status != Status::ok) {
    tracked_.erase(it);
    return reply;
  }
  it->second.confirmed = true;
  it->second.known_last_seq = reply->seq_last;
  // A fresh subscription starts after the channel's current last event.
  if (!request.resume && it->second.delivered_seq < reply->seq_last) {
    it->second.delivered_seq = reply->seq_last;
    while (!it->second.pending.empty() && it->second.pending.begin()->first <= reply->seq_last) {
      it->second.pending.erase(it->second.pending.begin());
    }
  }
  flush(it->second);
  return reply;
}

std::optional<UnsubscribeReply> BrokerClient::unsubscribe(NodeId broker,
                                                          const UnsubscribeRequest& request) {
  tracked_.erase({request.socket_id, request.channel});
  const std::int64_t sent_us = env_.now_us();
  env_.send(broker, encode_message(request));
  auto reply = await<UnsubscribeReply>(config_.request_timeout_us * config_.attempts_max,
                                       [&](const UnsubscribeReply& r) {
                                         return r.socket_id == request.socket_id &&
                                                r.channel == request.channel;
                                       });
  if (!reply) timed_out("unsubscribe", sent_us, config_.request_timeout_us * config_.attempts_max);
  return reply;
}

std::optional<ClientEventReply> BrokerClient::client_event(NodeId broker,
                                                           const ClientEventRequest& request) {
  const std::int64_t sent_us = env_.now_us();
  env_.send(broker, encode_message(request));
  auto reply = await<ClientEventReply>(config_.request_timeout_us * config_.attempts_max,
                                       [&](const ClientEventReply& r) {
                                         return r.socket_id == request.socket_id &&
                                                r.channel == request.channel;
                                       });
  if (!reply) timed_out("client_event", sent_us, config_.request_timeout_us * config_.attempts_max);
  // Our own client event takes a sequence number but is never sent back to us: without
  // this, an ordered subscription would wait for that number forever.
  if (config_.ordered && reply && reply->status == Status::ok) {
    skip_own(request.socket_id, request.channel, reply->seq);
  }
  return reply;
}

void BrokerClient::disconnect(NodeId broker, const std::string& socket_id) {
  env_.send(broker, encode_message(DisconnectRequest{socket_id}));
  // Nothing more of this connection reaches the inbox.
  std::erase_if(tracked_, [&](const auto& entry) { return entry.first.first == socket_id; });
}

void BrokerClient::timed_out(std::string_view request, std::int64_t sent_us, std::int64_t timeout_us) {
  // A wait also ends early when the transport says the connection is gone: not a timeout.
  if (env_.now_us() - sent_us < timeout_us) return;
  if (config_.on_timeout) config_.on_timeout(request, sent_us);
}

NodeId BrokerClient::next_broker(NodeId hint) {
  if (hint != no_node) return hint;
  const NodeId broker = config_.brokers[rotation_ % config_.brokers.size()];
  ++rotation_;
  return broker;
}

// Sends `request` towards the leader until a reply other than not_leader comes back:
// redirects followed, timeouts answered by trying the next broker, same request each time.
template <class Reply, class Match>
std::optional<Reply> BrokerClient::request_leader(std::string_view what, const Message& request, Match match) {
  const Bytes encoded = encode_message(request);
  NodeId target = next_broker(leader_guess_);
  // Attempts are spent on timeouts and on "no leader known"; a redirect to a named leader
  // is followed for free (up to attempts_max of them). A timeout rotates to the next broker,
  // which, when it is a follower, only redirects back: counted as attempts, those redirects
  // halved the budget against plain message loss to a stable leader.
  std::uint32_t redirects = 0;
  for (std::uint32_t attempt = 0; attempt < config_.attempts_max;) {
    const std::int64_t sent_us = env_.now_us();
    env_.send(target, encoded);
    auto reply = await<Reply>(config_.request_timeout_us, match);
    if (!reply) {
      timed_out(what, sent_us, config_.request_timeout_us);
      leader_guess_ = no_node;
      target = next_broker(no_node);
      ++attempt;
      continue;
    }
    if (reply->status == Status::not_leader) {
      leader_guess_ = reply->leader_hint;
      target = next_broker(reply->leader_hint);
      if (reply->leader_hint == no_node) env_.sleep_for_us(config_.request_timeout_us / 4);
      if (reply->leader_hint == no_node || ++redirects > config_.attempts_max) ++attempt;
      continue;
    }
    leader_guess_ = target;
    return reply;
  }
  return std::nullopt;
}

std::optional<PublishReply> BrokerClient::publish(std::vector<std::string> channels,
                                                  std::string event, std::string data,
                                                  std::string exclude_socket_id) {
  const PublishRequest request{client_id_, ++request_no_, std::move(channels),
                               std::move(event), std::move(data), std::move(exclude_socket_id)};
  return request_leader<PublishReply>("publish", request, [&](const PublishReply& r) {
    return r.client_id == request.client_id && r.request_no == request.request_no;
  });
}

std::optional<InfoReply> BrokerClient::info(const std::string& channel) {
  const std::uint64_t request_no = ++request_no_;
  return request_leader<InfoReply>("channel_info", InfoRequest{request_no, channel},
                                   [&](const InfoReply& r) { return r.request_no == request_no; });
}

}  // namespace simbus::core
