#include "runtime/transport.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include <fmt/format.h>

#include "base/assert.h"
#include "runtime/log.h"

namespace simbus::runtime {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {
constexpr std::size_t frames_per_write_max = 64;
constexpr std::size_t handshake_payload_max = 64;  // hello and proof are tiny
}  // namespace

// One TCP connection: handshake, then data both ways. Owned by Transport::connections_;
// every pending operation holds a reference too.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(Transport& transport, tcp::socket socket, bool dialed, core::NodeId expected_peer)
      : transport_(transport),
        socket_(std::move(socket)),
        timer_(transport.io_),
        dialed_(dialed),
        expected_peer_(expected_peer),
        nonce_(wire::random_nonce()) {}

  void start() {
    boost::system::error_code ignored;
    socket_.set_option(tcp::no_delay(true), ignored);
    timer_.expires_after(std::chrono::milliseconds(transport_.config_.handshake_timeout_ms));
    timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec && !self->established_) self->fail_handshake("handshake timed out");
    });
    control_.push_back(std::make_shared<const core::Bytes>(
        wire::encode_hello(wire::Hello{transport_.config_.process_id, nonce_})));
    pump();
    read_length();
  }

  // False when the queue is full (the frame is dropped).
  bool enqueue(std::shared_ptr<const core::Bytes> frame) {
    if (closed_) return false;
    const TransportConfig& c = transport_.config_;
    if (data_.size() >= c.send_queue_frames_max || queued_bytes_ + frame->size() > c.send_queue_bytes_max) return false;
    queued_bytes_ += frame->size();
    data_.push_back(std::move(frame));
    pump();
    return true;
  }

  void close(const std::string& reason) {
    if (closed_) return;
    closed_ = true;
    log_info("connection {} peer {}: closed: {}", dialed_ ? "to" : "from", describe_peer(), reason);
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    timer_.cancel();
    transport_.stats_.connections_closed += 1;
    transport_.on_closed(shared_from_this());
  }

  bool established() const { return established_ && !closed_; }
  bool dialed() const { return dialed_; }
  core::NodeId peer() const { return peer_; }
  core::NodeId expected_peer() const { return expected_peer_; }

 private:
  std::string describe_peer() const {
    if (peer_known_) return std::to_string(peer_);
    if (dialed_) return fmt::format("{} (expected)", expected_peer_);
    return "?";
  }

  void fail_handshake(const std::string& reason) {
    if (closed_) return;
    transport_.stats_.handshakes_failed += 1;
    log_warn("connection {} peer {}: refused: {}", dialed_ ? "to" : "from", describe_peer(), reason);
    close(reason);
  }

  void pump() {
    if (writing_ || closed_) return;
    std::vector<asio::const_buffer> buffers;
    std::size_t control = 0, data = 0;
    for (; control < control_.size() && buffers.size() < frames_per_write_max; ++control) {
      buffers.emplace_back(asio::buffer(*control_[control]));
    }
    if (established_) {
      for (; data < data_.size() && buffers.size() < frames_per_write_max; ++data) {
        buffers.emplace_back(asio::buffer(*data_[data]));
      }
    }
    if (buffers.empty()) return;
    writing_ = true;
    asio::async_write(socket_, buffers, [self = shared_from_this(), control, data](const boost::system::error_code& ec, std::size_t) {
      self->writing_ = false;
      if (self->closed_) return;
      if (ec) {
        self->close("write: " + ec.message());
        return;
      }
      self->control_.erase(self->control_.begin(), self->control_.begin() + static_cast<std::ptrdiff_t>(control));
      for (std::size_t i = 0; i < data; ++i) {
        self->queued_bytes_ -= self->data_.front()->size();
        self->data_.pop_front();
      }
      self->transport_.stats_.frames_sent += data;
      self->pump();
    });
  }

  void read_length() {
    asio::async_read(socket_, asio::buffer(length_), [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
      if (self->closed_) return;
      if (ec) {
        self->close(ec == asio::error::eof ? "peer closed" : "read: " + ec.message());
        return;
      }
      const std::size_t limit = self->established_ ? self->transport_.config_.frame_bytes_max : handshake_payload_max;
      const auto n = wire::body_length(std::span<const std::uint8_t, wire::length_bytes>(self->length_), limit);
      if (!n) {
        const std::string reason = fmt::format("frame length over the limit of {} payload bytes (or under 2)", limit);
        if (self->established_) {
          self->close(reason);
        } else {
          self->fail_handshake(reason);
        }
        return;
      }
      self->body_.resize(*n);
      self->read_body();
    });
  }

  void read_body() {
    asio::async_read(socket_, asio::buffer(body_), [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
      if (self->closed_) return;
      if (ec) {
        self->close("read: " + ec.message());
        return;
      }
      self->handle(wire::decode_body(self->body_));
      if (!self->closed_) self->read_length();
    });
  }

  void handle(wire::Frame frame) {
    if (auto* error = std::get_if<wire::Error>(&frame)) {
      if (established_) {
        close(error->what);
      } else {
        fail_handshake(error->what);
      }
      return;
    }
    if (!established_) {
      if (auto* hello = std::get_if<wire::Hello>(&frame); hello && !peer_known_) {
        if (hello->process_id == transport_.config_.process_id) return fail_handshake("peer claims this process's own id");
        if (dialed_ && hello->process_id != expected_peer_) {
          return fail_handshake(fmt::format("peer says it is {}", hello->process_id));
        }
        peer_ = hello->process_id;
        peer_known_ = true;
        peer_nonce_ = hello->nonce;
        const wire::Role role = dialed_ ? wire::Role::connector : wire::Role::acceptor;
        const wire::Mac mac =
            wire::proof_mac(transport_.config_.shared_secret, role, transport_.config_.process_id, peer_, peer_nonce_, nonce_);
        control_.push_back(std::make_shared<const core::Bytes>(wire::encode_proof(wire::Proof{mac})));
        pump();
        return;
      }
      if (auto* proof = std::get_if<wire::Proof>(&frame); proof && peer_known_) {
        const wire::Role peer_role = dialed_ ? wire::Role::acceptor : wire::Role::connector;
        const wire::Mac expected =
            wire::proof_mac(transport_.config_.shared_secret, peer_role, peer_, transport_.config_.process_id, nonce_, peer_nonce_);
        if (!wire::mac_equal(expected, proof->mac)) return fail_handshake("bad proof of the shared secret");
        established_ = true;
        timer_.cancel();
        transport_.stats_.handshakes_ok += 1;
        log_info("connection {} peer {}: established", dialed_ ? "to" : "from", peer_);
        transport_.on_established(shared_from_this());
        pump();
        return;
      }
      return fail_handshake("unexpected frame during the handshake");
    }
    auto* data = std::get_if<wire::Data>(&frame);
    if (!data) {
      close("handshake frame after the handshake");
      return;
    }
    transport_.stats_.frames_received += 1;
    transport_.on_data(shared_from_this(), std::move(*data));
  }

  Transport& transport_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  bool dialed_;
  core::NodeId expected_peer_;
  core::NodeId peer_ = 0;
  bool peer_known_ = false;
  wire::Nonce nonce_;
  wire::Nonce peer_nonce_{};
  bool established_ = false;
  bool closed_ = false;
  bool writing_ = false;
  std::deque<std::shared_ptr<const core::Bytes>> control_;
  std::deque<std::shared_ptr<const core::Bytes>> data_;
  std::size_t queued_bytes_ = 0;
  std::array<std::uint8_t, wire::length_bytes> length_{};
  core::Bytes body_;
};

Transport::Transport(asio::io_context& io, TransportConfig config, IsLocal is_local, Deliver deliver)
    : io_(io),
      config_(std::move(config)),
      is_local_(std::move(is_local)),
      deliver_(std::move(deliver)),
      acceptor_(io),
      jitter_state_(static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) | 1) {
  if (config_.shared_secret.empty()) throw std::invalid_argument("transport: the peer shared secret is empty");
  if (config_.frame_bytes_max == 0 || config_.frame_bytes_max > (1u << 30)) {
    throw std::invalid_argument("transport: frame_bytes_max must be in 1..2^30");
  }
  for (const PeerAddress& p : config_.peers) {
    if (p.id == config_.process_id) throw std::invalid_argument(fmt::format("transport: peer {} is this process", p.id));
    if (p.id == core::no_node) throw std::invalid_argument("transport: peer id 4294967295 is reserved");
    Peer peer;
    peer.address = p;
    peer.redial = std::make_unique<asio::steady_timer>(io_);
    if (!peers_.emplace(p.id, std::move(peer)).second) {
      throw std::invalid_argument(fmt::format("transport: peer {} listed twice", p.id));
    }
  }
}

Transport::~Transport() { stop(); }

void Transport::start() {
  if (started_) return;
  started_ = true;
  if (config_.listen) {
    const tcp::endpoint at(asio::ip::make_address(config_.listen_host), config_.listen_port);
    acceptor_.open(at.protocol());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    boost::system::error_code ec;
    acceptor_.bind(at, ec);
    if (ec) throw std::system_error(ec, fmt::format("listen on {}:{}", config_.listen_host, config_.listen_port));
    acceptor_.listen(asio::socket_base::max_listen_connections);
    accept();
  }
  for (auto& [id, peer] : peers_) dial(id);
}

void Transport::stop() {
  if (stopped_) return;
  stopped_ = true;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  for (auto& [id, peer] : peers_) peer.redial->cancel();
  // close() erases from connections_: iterate a copy.
  const std::vector<std::shared_ptr<Connection>> open(connections_.begin(), connections_.end());
  for (const auto& c : open) c->close("stopping");
}

std::uint16_t Transport::listen_port() const {
  boost::system::error_code ec;
  const auto at = acceptor_.local_endpoint(ec);
  return ec ? 0 : at.port();
}

std::vector<core::NodeId> Transport::connected_peers() const {
  std::vector<core::NodeId> out;
  for (const auto& [id, peer] : peers_) {
    if (connection_to(id)) out.push_back(id);
  }
  return out;
}

void Transport::accept() {
  acceptor_.async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
    if (stopped_) return;
    if (!ec) {
      if (connections_.size() >= config_.connections_max + peers_.size()) {
        log_warn("refusing a connection: {} open", connections_.size());
      } else {
        auto c = std::make_shared<Connection>(*this, std::move(socket), false, 0);
        connections_.insert(c);
        c->start();
      }
    } else if (ec == asio::error::operation_aborted) {
      return;
    }
    accept();
  });
}

void Transport::dial(core::NodeId id) {
  if (stopped_) return;
  Peer& peer = peers_.at(id);
  stats_.dials += 1;
  auto socket = std::make_shared<tcp::socket>(io_);
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(peer.address.host, ec);
  if (ec) {
    // A name: resolve it each time (it may move).
    auto resolver = std::make_shared<tcp::resolver>(io_);
    resolver->async_resolve(peer.address.host, std::to_string(peer.address.port),
                            [this, id, socket, resolver](const boost::system::error_code& rec, tcp::resolver::results_type results) {
                              if (stopped_) return;
                              if (rec) {
                                log_warn("peer {}: resolve {}: {}", id, peers_.at(id).address.host, rec.message());
                                schedule_redial(id);
                                return;
                              }
                              asio::async_connect(*socket, results,
                                                  [this, id, socket](const boost::system::error_code& cec,
                                                                     const tcp::endpoint&) { on_dialed(id, *socket, cec); });
                            });
    return;
  }
  socket->async_connect(tcp::endpoint(address, peer.address.port),
                        [this, id, socket](const boost::system::error_code& cec) { on_dialed(id, *socket, cec); });
}

void Transport::on_dialed(core::NodeId id, tcp::socket& socket, const boost::system::error_code& ec) {
  if (stopped_) return;
  if (ec) return schedule_redial(id);
  auto c = std::make_shared<Connection>(*this, std::move(socket), true, id);
  peers_.at(id).dialed = c;
  connections_.insert(c);
  c->start();
}

void Transport::schedule_redial(core::NodeId id) {
  if (stopped_) return;
  Peer& peer = peers_.at(id);
  peer.failures = std::min<std::uint32_t>(peer.failures + 1, 30);
  std::int64_t delay_ms = config_.reconnect_ms_min;
  for (std::uint32_t i = 1; i < peer.failures && delay_ms < config_.reconnect_ms_max; ++i) delay_ms *= 2;
  delay_ms = std::min(delay_ms, config_.reconnect_ms_max);
  // Jitter in [delay/2, delay]: two nodes restarted together do not dial in lockstep.
  jitter_state_ ^= jitter_state_ << 13, jitter_state_ ^= jitter_state_ >> 7, jitter_state_ ^= jitter_state_ << 17;
  delay_ms = delay_ms / 2 + static_cast<std::int64_t>(jitter_state_ % static_cast<std::uint64_t>(delay_ms / 2 + 1));
  peer.redial->expires_after(std::chrono::milliseconds(delay_ms));
  peer.redial->async_wait([this, id](const boost::system::error_code& ec) {
    if (!ec) dial(id);
  });
}

std::shared_ptr<Connection> Transport::connection_to(core::NodeId id) const {
  auto it = peers_.find(id);
  if (it != peers_.end() && it->second.dialed && it->second.dialed->established()) return it->second.dialed;
  auto a = accepted_.find(id);
  if (a != accepted_.end()) {
    if (auto c = a->second.lock(); c && c->established()) return c;
  }
  return nullptr;
}

void Transport::on_established(const std::shared_ptr<Connection>& c) {
  const core::NodeId id = c->peer();
  if (!c->dialed()) {
    auto it = accepted_.find(id);
    if (it != accepted_.end()) {
      // The peer reconnected (or restarted): the older connection is stale.
      if (auto old = it->second.lock(); old && old != c) old->close("superseded by a new connection");
    }
    accepted_[id] = c;
  }
  auto p = peers_.find(id);
  if (p == peers_.end()) return;
  Peer& peer = p->second;
  if (c->dialed()) peer.failures = 0;
  while (!peer.pending.empty()) {
    if (!c->enqueue(peer.pending.front())) stats_.dropped_queue_full += 1;
    peer.pending_bytes -= peer.pending.front()->size();
    peer.pending.pop_front();
  }
}

void Transport::on_closed(const std::shared_ptr<Connection>& c) {
  connections_.erase(c);
  if (c->dialed()) {
    auto p = peers_.find(c->expected_peer());
    if (p != peers_.end() && p->second.dialed == c) {
      p->second.dialed.reset();
      schedule_redial(c->expected_peer());
    }
  } else {
    auto it = accepted_.find(c->peer());
    if (it != accepted_.end() && it->second.lock() == c) accepted_.erase(it);
  }
}

void Transport::on_data(const std::shared_ptr<Connection>& c, wire::Data data) {
  if (!is_local_(data.to)) {
    stats_.dropped_unroutable += 1;
    return;
  }
  // The broker trusts `from`: a peer may speak for itself and for client endpoints, never
  // for another broker node nor for an endpoint of this process.
  if ((is_broker(data.from) && data.from != c->peer()) || is_local_(data.from)) {
    stats_.dropped_bad_sender += 1;
    log_warn("peer {}: datagram claiming to be from {} dropped", c->peer(), data.from);
    return;
  }
  if (peers_.count(data.from) == 0) {
    auto it = routes_.find(data.from);
    if (it != routes_.end()) {
      it->second = c;
    } else {
      if (routes_.size() >= config_.routes_max) {
        std::erase_if(routes_, [](const auto& kv) { return kv.second.expired(); });
      }
      if (routes_.size() < config_.routes_max) routes_.emplace(data.from, c);
    }
  }
  deliver_(data.from, data.to, std::move(data.payload));
}

void Transport::send(core::NodeId from, core::NodeId to, std::span<const std::uint8_t> payload) {
  if (stopped_) return;
  if (payload.size() > config_.frame_bytes_max) {
    stats_.dropped_oversize += 1;
    log_warn("datagram {} -> {} of {} bytes over the frame limit {}: dropped", from, to, payload.size(),
             config_.frame_bytes_max);
    return;
  }
  std::shared_ptr<Connection> c;
  auto p = peers_.find(to);
  if (p != peers_.end()) {
    c = connection_to(to);
  } else if (auto r = routes_.find(to); r != routes_.end()) {
    c = r->second.lock();
  }
  auto frame = std::make_shared<const core::Bytes>(wire::encode_data(from, to, payload));
  if (c && c->established()) {
    if (!c->enqueue(std::move(frame))) stats_.dropped_queue_full += 1;
    return;
  }
  if (p == peers_.end()) {
    stats_.dropped_unroutable += 1;
    return;
  }
  Peer& peer = p->second;
  if (peer.pending.size() >= config_.send_queue_frames_max ||
      peer.pending_bytes + frame->size() > config_.send_queue_bytes_max) {
    stats_.dropped_queue_full += 1;
    return;
  }
  peer.pending_bytes += frame->size();
  peer.pending.push_back(std::move(frame));
}

}  // namespace simbus::runtime
