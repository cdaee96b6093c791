// TCP between runtime processes (wire.h has the format). One listening socket per
// process; each configured peer is dialed with exponential backoff and jitter; every
// connection, dialed or accepted, carries data both ways once both sides proved the
// shared secret. Datagrams to a configured peer take any established connection to it;
// datagrams to another id (a client endpoint of some other process) go back over the
// connection its last datagram came on. Queues are bounded per connection: a full queue
// drops the datagram (core::Env allows loss; Raft and the client protocol retry).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/env.h"
#include "runtime/wire.h"

namespace simbus::runtime {

struct PeerAddress {
  core::NodeId id = 0;
  std::string host;
  std::uint16_t port = 0;
};

struct TransportConfig {
  core::NodeId process_id = 0;
  std::string listen_host = "127.0.0.1";
  std::uint16_t listen_port = 0;  // 0: ephemeral
  bool listen = true;
  std::vector<PeerAddress> peers;  // the other broker processes
  std::string shared_secret;
  std::size_t frame_bytes_max = wire::frame_bytes_max_default;  // payload bytes of one datagram
  std::size_t send_queue_frames_max = 4096;
  std::size_t send_queue_bytes_max = 64u << 20;
  std::int64_t handshake_timeout_ms = 5'000;
  std::int64_t reconnect_ms_min = 50;
  std::int64_t reconnect_ms_max = 2'000;
  std::size_t connections_max = 1024;  // accepted ones; beyond, new ones are closed at once
  std::size_t routes_max = 1 << 16;    // learned client-endpoint routes
};

struct TransportStats {
  std::uint64_t frames_sent = 0;
  std::uint64_t frames_received = 0;
  std::uint64_t dropped_queue_full = 0;
  std::uint64_t dropped_oversize = 0;
  std::uint64_t dropped_unroutable = 0;
  std::uint64_t dropped_bad_sender = 0;
  std::uint64_t handshakes_ok = 0;
  std::uint64_t handshakes_failed = 0;  // bad version/proof/frame, timeout, wrong id
  std::uint64_t connections_closed = 0;
  std::uint64_t dials = 0;
};

class Connection;

class Transport {
 public:
  using Deliver = std::function<void(core::NodeId from, core::NodeId to, core::Bytes payload)>;
  using IsLocal = std::function<bool(core::NodeId id)>;

  // Throws std::invalid_argument on a bad config (empty secret, duplicate peer ids).
  Transport(boost::asio::io_context& io, TransportConfig config, IsLocal is_local, Deliver deliver);
  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  // Binds (throws std::system_error naming the address when it cannot) and dials.
  void start();
  void stop();
  void send(core::NodeId from, core::NodeId to, std::span<const std::uint8_t> payload);

  std::uint16_t listen_port() const;
  const TransportStats& stats() const { return stats_; }
  // Peers (configured ids) with an established connection now.
  std::vector<core::NodeId> connected_peers() const;
  const TransportConfig& config() const { return config_; }

 private:
  friend class Connection;
  struct Peer {
    PeerAddress address;
    std::shared_ptr<Connection> dialed;
    std::deque<std::shared_ptr<const core::Bytes>> pending;  // while no connection stands
    std::size_t pending_bytes = 0;
    std::uint32_t failures = 0;
    std::unique_ptr<boost::asio::steady_timer> redial;
  };

  void accept();
  void dial(core::NodeId peer);
  // A dial's connect finished (either way): start the connection, or try again later.
  void on_dialed(core::NodeId peer, boost::asio::ip::tcp::socket& socket, const boost::system::error_code& ec);
  void schedule_redial(core::NodeId peer);
  std::shared_ptr<Connection> connection_to(core::NodeId peer) const;
  void on_established(const std::shared_ptr<Connection>& connection);
  void on_closed(const std::shared_ptr<Connection>& connection);
  void on_data(const std::shared_ptr<Connection>& connection, wire::Data data);
  bool is_broker(core::NodeId id) const { return id == config_.process_id || peers_.count(id) != 0; }

  boost::asio::io_context& io_;
  TransportConfig config_;
  IsLocal is_local_;
  Deliver deliver_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::map<core::NodeId, Peer> peers_;
  std::set<std::shared_ptr<Connection>> connections_;            // every open one
  std::map<core::NodeId, std::weak_ptr<Connection>> accepted_;   // established, by peer id
  std::map<core::NodeId, std::weak_ptr<Connection>> routes_;     // client endpoint -> connection
  std::uint64_t jitter_state_;
  bool started_ = false;
  bool stopped_ = false;
  TransportStats stats_;
};

}  // namespace simbus::runtime
