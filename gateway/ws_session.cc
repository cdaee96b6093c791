#include "gateway/ws_session.h"

#include <algorithm>

#include <fmt/format.h>

#include "core/auth.h"
#include "core/names.h"
#include "gateway/protocol.h"
#include "runtime/log.h"

namespace simbus::gateway {

namespace beast = boost::beast;
namespace websocket = beast::websocket;

WsSession::WsSession(std::shared_ptr<Gateway> gateway, beast::tcp_stream stream)
    : gateway_(std::move(gateway)), ws_(std::move(stream)) {}

void WsSession::start(beast::http::request<beast::http::string_body> request) {
  ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
  ws_.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& res) { res.set(beast::http::field::server, "simbus"); }));
  ws_.read_message_max(client_frame_bytes_max);
  ws_.text(true);
  std::string target(request.target());
  auto req = std::make_shared<beast::http::request<beast::http::string_body>>(std::move(request));
  ws_.async_accept(*req, [self = shared_from_this(), req, target](const boost::system::error_code& ec) {
    self->on_accept(ec, target);
  });
}

void WsSession::on_accept(const boost::system::error_code& ec, const std::string& target) {
  if (ec) return;  // not a WebSocket after all: the stream goes with this object
  const ConnectTarget t = parse_connect_target(target);
  std::uint16_t refuse = 0;
  std::string why;
  if (!t.path_ok || t.app_key != gateway_->config().app_key) {
    refuse = close_app_unknown;
    why = fmt::format("App key {} does not exist", t.app_key);
  } else if (!t.protocol) {
    refuse = close_no_protocol;
    why = "No protocol version supplied";
  } else if (*t.protocol < 5 || *t.protocol > 7) {
    refuse = close_unsupported_protocol;
    why = fmt::format("Unsupported protocol version {}", *t.protocol);
  } else if (gateway_->connections() >= gateway_->config().connections_max) {
    refuse = close_over_capacity;
    why = "Over connection capacity";
  }
  read();
  if (refuse != 0) {
    send(error_frame(refuse, why));
    close(refuse, why);
    return;
  }
  gateway_->connection_opened();
  task_running_ = true;
  auto self = shared_from_this();
  gateway_->process().spawn("ws", [self] { self->run(); });
}

void WsSession::read() {
  ws_.async_read(read_buffer_, [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
    if (ec) {
      self->peer_gone_ = true;
      self->ring();
      return;
    }
    std::string text = beast::buffers_to_string(self->read_buffer_.data());
    self->read_buffer_.consume(self->read_buffer_.size());
    if (self->inbound_.size() >= inbound_frames_max) {
      self->close(close_rate_limited, "Client sends faster than the connection is served");
    } else {
      self->inbound_.push_back(std::move(text));
      self->ring();
    }
    self->read();
  });
}

void WsSession::ring() {
  // The task waits in Env::receive on its endpoint: a datagram is what wakes it.
  if (task_running_ && endpoint_id_ != 0) gateway_->process().route(endpoint_id_, endpoint_id_, {});
}

void WsSession::send(std::string text) {
  if (closing_) return;
  if (outbound_.size() >= outbound_frames_max) {
    close(close_over_capacity, "Client does not read its events fast enough");
    return;
  }
  outbound_.push_back(std::move(text));
  if (!writing_) write_next();
}

void WsSession::write_next() {
  if (outbound_.empty()) {
    writing_ = false;
    if (closing_ && !close_sent_) {
      close_sent_ = true;
      // The peer answers the close frame; the read loop then ends with an error.
      ws_.async_close(websocket::close_reason(static_cast<websocket::close_code>(close_code_), close_reason_),
                      [self = shared_from_this()](const boost::system::error_code&) {});
    }
    return;
  }
  writing_ = true;
  ws_.async_write(boost::asio::buffer(outbound_.front()),
                  [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                    self->outbound_.pop_front();
                    if (ec) {
                      self->writing_ = false;
                      self->peer_gone_ = true;
                      self->outbound_.clear();
                      self->ring();
                      return;
                    }
                    self->write_next();
                  });
}

void WsSession::close(std::uint16_t code, std::string reason) {
  if (closing_) return;
  closing_ = true;
  close_code_ = code;
  close_reason_ = std::move(reason);
  if (!writing_) write_next();
  ring();
}

bool WsSession::open_connection() {
  const core::NodeId node = gateway_->config().node_id;
  const std::int64_t deadline_us = env_->now_us() + connect_timeout_us;
  std::int64_t resend_us = 0;
  while (!peer_gone_ && !closing_) {
    const std::int64_t now_us = env_->now_us();
    if (now_us >= deadline_us) return false;
    if (now_us >= resend_us) {
      env_->send(node, core::encode_message(core::ConnectRequest{1}));
      resend_us = now_us + 500'000;
    }
    std::optional<core::Envelope> envelope = env_->receive(std::min(resend_us, deadline_us) - now_us);
    if (!envelope || envelope->from == endpoint_id_) continue;  // doorbells wait for the connection
    core::Message message;
    if (core::decode_message(envelope->payload, message) != core::DecodeError::none) continue;
    if (auto* reply = std::get_if<core::ConnectReply>(&message); reply && reply->request_no == 1) {
      socket_id_ = reply->socket_id;
      return true;
    }
  }
  return false;
}

void WsSession::run() {
  endpoint_id_ = gateway_->next_endpoint_id();
  env_ = gateway_->process().make_env(endpoint_id_);
  const core::NodeId node = gateway_->config().node_id;
  if (!open_connection()) {
    close(close_reconnect_now, "The broker node did not open the connection");
  } else {
    send(connection_established(socket_id_, gateway_->config().activity_timeout_s));
    runtime::log_debug("gateway: socket {} on endpoint {}", socket_id_, endpoint_id_);
  }
  const std::int64_t activity_us = gateway_->config().activity_timeout_s * 1'000'000;
  const std::int64_t pong_us = gateway_->config().pong_timeout_s * 1'000'000;
  last_heard_us_ = env_->now_us();
  while (!peer_gone_ && !closing_) {
    const std::int64_t deadline_us = ping_sent_us_ != 0 ? ping_sent_us_ + pong_us : last_heard_us_ + activity_us;
    // Frames queued before the connection opened (their doorbells were passed over) or
    // left by the drain's bound are served without waiting.
    const std::int64_t wait_us = inbound_.empty() ? std::max<std::int64_t>(1, deadline_us - env_->now_us()) : 0;
    std::optional<core::Envelope> envelope = env_->receive(wait_us);
    if (envelope && envelope->from != endpoint_id_) {
      core::Message message;
      if (core::decode_message(envelope->payload, message) == core::DecodeError::none) handle_broker(message);
    }
    // Every doorbell rung so far is answered by this drain (a frame queued after it rings
    // again), so a doorbell never waits behind another.
    for (std::size_t i = 0; i < inbound_frames_max && !inbound_.empty() && !closing_; ++i) {
      std::string text = std::move(inbound_.front());
      inbound_.pop_front();
      last_heard_us_ = env_->now_us();
      ping_sent_us_ = 0;
      handle_frame(text);
    }
    const std::int64_t now_us = env_->now_us();
    if (ping_sent_us_ == 0 && now_us >= last_heard_us_ + activity_us) {
      send(ping_frame());
      ping_sent_us_ = now_us;
    } else if (ping_sent_us_ != 0 && now_us >= ping_sent_us_ + pong_us) {
      close(close_pong_not_received, "Pong reply not received");
    }
  }
  if (!socket_id_.empty()) env_->send(node, core::encode_message(core::DisconnectRequest{socket_id_}));
  task_running_ = false;
  gateway_->process().close_env(endpoint_id_);
  env_.reset();
  gateway_->connection_closed();
}

void WsSession::handle_frame(const std::string& text) {
  const std::optional<ClientFrame> frame = parse_client_frame(text);
  if (!frame) {
    send(error_frame(0, "Frame is not a JSON object with a string 'event'"));
    return;
  }
  const core::NodeId node = gateway_->config().node_id;
  const std::string& event = frame->event;
  if (event == "pusher:ping") {
    send(pong_frame());
  } else if (event == "pusher:pong") {
    // Activity: already noted.
  } else if (event == "pusher:subscribe") {
    const std::string& channel = frame->data_channel;
    if (subscribed_.contains(channel) || pending_.contains(channel)) return;  // already (being) subscribed
    if (subscribed_.size() + pending_.size() >= channels_per_connection_max) {
      send(subscription_error(channel, "LimitReached",
                              fmt::format("At most {} channels per connection", channels_per_connection_max), 400));
      return;
    }
    if (!core::valid_channel_name(channel)) {
      send(subscription_error(channel, "InvalidChannel", "Invalid channel name", 400));
      return;
    }
    dropped_pending_.erase(channel);
    pending_[channel] = frame->channel_data;
    env_->send(node, core::encode_message(core::SubscribeRequest{socket_id_, channel, frame->auth,
                                                                 frame->channel_data, false, 0}));
  } else if (event == "pusher:unsubscribe") {
    const std::string& channel = frame->data_channel;
    if (pending_.erase(channel) != 0) {
      dropped_pending_.insert(channel);  // its reply unsubscribes it
    } else if (subscribed_.erase(channel) != 0) {
      env_->send(node, core::encode_message(core::UnsubscribeRequest{socket_id_, channel}));
    }
  } else if (event == "pusher:signin") {
    const std::string expected =
        gateway_->config().app_key + ":" +
        core::hmac_sha256_hex(gateway_->config().app_secret, socket_id_ + "::user::" + frame->user_data);
    if (!core::equal_constant_time(frame->auth, expected)) {
      send(error_frame(close_unauthorized, "Invalid signature for pusher:signin"));
      close(close_unauthorized, "Connection is unauthorized");
      return;
    }
    send(signin_success(frame->user_data));
  } else if (core::is_client_event(event)) {
    const std::string& channel = frame->channel;
    if (!subscribed_.contains(channel)) {
      send(error_frame(0, fmt::format("Client event rejected: not subscribed to '{}'", channel)));
      return;
    }
    if (core::channel_kind(channel) == core::ChannelKind::public_channel) {
      send(error_frame(0, "Client event rejected - only supported on private and presence channels"));
      return;
    }
    if (frame->data.size() > core::event_data_bytes_max) {
      send(error_frame(0, fmt::format("Client event rejected: data over {} bytes", core::event_data_bytes_max)));
      return;
    }
    env_->send(node, core::encode_message(core::ClientEventRequest{socket_id_, channel, event, frame->data}));
  } else if (!event.starts_with("pusher:")) {
    send(error_frame(0, fmt::format("Unknown event '{}': client events start with 'client-'", event)));
  }
}

void WsSession::on_subscribe_reply(const core::SubscribeReply& reply) {
  const std::string& channel = reply.channel;
  if (dropped_pending_.erase(channel) != 0) {
    if (reply.status == core::Status::ok) {
      env_->send(gateway_->config().node_id, core::encode_message(core::UnsubscribeRequest{socket_id_, channel}));
    }
    return;
  }
  if (pending_.erase(channel) == 0) return;  // a duplicate reply
  switch (reply.status) {
    case core::Status::ok: {
      subscribed_[channel] = reply.seq_last;
      const bool presence = core::channel_kind(channel) == core::ChannelKind::presence_channel;
      send(subscription_succeeded(channel, reply.members, presence));
      return;
    }
    case core::Status::auth_failed:
      send(subscription_error(channel, "AuthError", "Invalid signature: expected HMAC SHA256 hex digest of "
                                                    "socket_id:channel[:channel_data]", 401));
      return;
    case core::Status::unknown_socket:
      close(close_reconnect_now, "The broker node lost this connection");
      return;
    default:
      send(subscription_error(channel, "SubscriptionError", std::string(core::status_name(reply.status)), 400));
  }
}

void WsSession::handle_broker(core::Message& message) {
  if (auto* reply = std::get_if<core::SubscribeReply>(&message)) {
    if (reply->socket_id == socket_id_) on_subscribe_reply(*reply);
  } else if (auto* event = std::get_if<core::EventMessage>(&message)) {
    auto it = subscribed_.find(event->channel);
    // Duplicates (a replay after a node's snapshot catch-up) carry numbers already passed.
    if (event->socket_id != socket_id_ || it == subscribed_.end() || event->seq <= it->second) return;
    it->second = event->seq;
    send(channel_event(*event));
  } else if (auto* reply = std::get_if<core::ClientEventReply>(&message)) {
    if (reply->status != core::Status::ok) {
      send(error_frame(0, fmt::format("Client event on '{}' rejected: {}", reply->channel,
                                      core::status_name(reply->status))));
    }
  } else if (std::holds_alternative<core::SessionExpired>(message)) {
    close(close_reconnect_now, "The connection's broker session expired");
  } else if (auto* missed = std::get_if<core::MissedEvents>(&message)) {
    runtime::log_warn("gateway: socket {} missed events {}..{} of {}", socket_id_, missed->first_seq,
                      missed->last_seq, missed->channel);
  }
}

}  // namespace simbus::gateway
