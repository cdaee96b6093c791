// One Pusher protocol 7 connection over WebSocket. Asio handlers do the socket I/O: the
// read loop queues each client frame and rings the session's doorbell (an empty datagram
// from the session's own endpoint to itself), which wakes the session's task blocked in
// Env::receive; writes go through a bounded queue drained by async_write. The task does
// everything else: it opens the connection at the node (ConnectRequest), turns client
// frames into core requests (several may be in flight: replies are matched by channel),
// and broker replies and events into frames. It never blocks the loop.
#pragma once

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "core/messages.h"
#include "gateway/gateway.h"

namespace simbus::gateway {

inline constexpr std::size_t inbound_frames_max = 1024;   // beyond: closed with 4301
inline constexpr std::size_t outbound_frames_max = 8192;  // beyond: closed with 4100
inline constexpr std::size_t channels_per_connection_max = 1000;
inline constexpr std::int64_t connect_timeout_us = 5'000'000;

class WsSession : public std::enable_shared_from_this<WsSession> {
 public:
  WsSession(std::shared_ptr<Gateway> gateway, boost::beast::tcp_stream stream);
  void start(boost::beast::http::request<boost::beast::http::string_body> request);

 private:
  // Handlers (loop thread, outside the task).
  void on_accept(const boost::system::error_code& ec, const std::string& target);
  void read();
  void send(std::string text);
  void write_next();
  void close(std::uint16_t code, std::string reason);
  void ring();

  // The task.
  void run();
  bool open_connection();
  void handle_frame(const std::string& text);
  void handle_broker(core::Message& message);
  void on_subscribe_reply(const core::SubscribeReply& reply);

  std::shared_ptr<Gateway> gateway_;
  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  boost::beast::flat_buffer read_buffer_;
  std::deque<std::string> inbound_;
  std::deque<std::string> outbound_;
  bool writing_ = false;
  bool closing_ = false;      // a close is queued or sent: nothing more is written
  bool close_sent_ = false;
  std::uint16_t close_code_ = 0;
  std::string close_reason_;
  bool peer_gone_ = false;    // the read loop ended
  bool task_running_ = false;

  core::NodeId endpoint_id_ = 0;
  std::shared_ptr<core::Env> env_;
  std::string socket_id_;
  std::map<std::string, std::string> pending_;  // channel -> channel_data, subscribe sent
  std::set<std::string> dropped_pending_;       // unsubscribed before the reply came
  std::map<std::string, std::uint64_t> subscribed_;  // channel -> last delivered seq
  std::int64_t last_heard_us_ = 0;
  std::int64_t ping_sent_us_ = 0;               // 0: no ping outstanding
};

}  // namespace simbus::gateway
