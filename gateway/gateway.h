// The Pusher gateway of one broker node: a TCP listener on the io_context of the node's
// runtime::Process. An HTTP request is either a WebSocket upgrade on /app/<key> (a Pusher
// protocol 7 connection, ws_session.h) or a call of the HTTP API under /apps/<id>/ (rest.h).
//
// Every connection and every HTTP API call gets its own client endpoint of the process
// (Process::make_env) and talks core's client protocol to the broker through it, as any
// other client of the broker does: the gateway holds no broker state of its own.
// Endpoint ids: 0x40000000 | (node id << 20) | counter, distinct across the cluster's
// processes (another process routes a reply to such an id back over the connection it came
// on), so node ids must be below 1024 and broker ids below 0x40000000.
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include <cstdint>
#include <memory>

#include "core/broker_node.h"
#include "gateway/callers.h"
#include "gateway/config.h"
#include "runtime/process.h"

namespace simbus::gateway {

inline constexpr core::NodeId endpoint_base = 0x40000000;
inline constexpr std::uint32_t endpoints_per_node = 1u << 20;

class Gateway : public std::enable_shared_from_this<Gateway> {
 public:
  // Binds (throws std::system_error when it cannot) and starts accepting. On the loop thread.
  static std::shared_ptr<Gateway> start(runtime::Process& process, std::shared_ptr<core::BrokerNode> node,
                                        GatewayConfig config);
  // Checks what start() would refuse; empty when fine.
  static std::string validate(const GatewayConfig& config);

  std::uint16_t port() const { return port_; }
  const GatewayConfig& config() const { return config_; }
  runtime::Process& process() { return process_; }
  const core::BrokerNode& node() const { return *node_; }

  // A fresh endpoint id of this process (never one in use).
  core::NodeId next_endpoint_id();
  std::size_t connections() const { return connections_; }
  void connection_opened() { ++connections_; }
  void connection_closed() { --connections_; }
  std::uint64_t next_client_id();
  CallerPool& callers() { return *callers_; }

  Gateway(runtime::Process& process, std::shared_ptr<core::BrokerNode> node, GatewayConfig config);

 private:
  void accept();

  runtime::Process& process_;
  std::shared_ptr<core::BrokerNode> node_;
  GatewayConfig config_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::uint32_t endpoint_counter_ = 0;
  std::size_t connections_ = 0;
  std::uint64_t client_counter_ = 0;
  std::uint64_t client_prefix_ = 0;
  std::unique_ptr<CallerPool> callers_;
};

}  // namespace simbus::gateway
