#include "gateway/gateway.h"

#include <openssl/rand.h>

#include <stdexcept>

#include <fmt/format.h>

#include "gateway/http_session.h"
#include "runtime/log.h"

namespace simbus::gateway {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

std::string Gateway::validate(const GatewayConfig& c) {
  if (c.node_id >= 1024) return fmt::format("the gateway needs a node id below 1024, not {}", c.node_id);
  for (core::NodeId m : c.members) {
    if (m >= endpoint_base) return fmt::format("the gateway needs broker ids below {}, not {}", endpoint_base, m);
  }
  if (c.app_id.empty() || c.app_key.empty() || c.app_secret.empty()) return "app id, key and secret must be non-empty";
  if (c.activity_timeout_s <= 0 || c.pong_timeout_s <= 0) return "activity and pong timeouts must be positive";
  if (c.connections_max == 0 || c.connections_max >= endpoints_per_node / 2) {
    return fmt::format("connections_max must be in 1..{}", endpoints_per_node / 2 - 1);
  }
  return {};
}

Gateway::Gateway(runtime::Process& process, std::shared_ptr<core::BrokerNode> node, GatewayConfig config)
    : process_(process), node_(std::move(node)), config_(std::move(config)), acceptor_(process.io_context()) {
  // Sessions of the HTTP API's publishers: distinct across processes and restarts without
  // coordination (62 random bits; the top bit is the broker's node-session mark).
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&client_prefix_), sizeof client_prefix_) != 1) {
    throw std::runtime_error("RAND_bytes failed");
  }
  client_prefix_ = (client_prefix_ >> 2) & ~std::uint64_t{0xffff};
  callers_ = std::make_unique<CallerPool>(*this);
}

std::shared_ptr<Gateway> Gateway::start(runtime::Process& process, std::shared_ptr<core::BrokerNode> node,
                                        GatewayConfig config) {
  if (const std::string error = validate(config); !error.empty()) throw std::invalid_argument(error);
  auto gateway = std::make_shared<Gateway>(process, std::move(node), std::move(config));
  const tcp::endpoint at(asio::ip::make_address(gateway->config_.host), gateway->config_.port);
  gateway->acceptor_.open(at.protocol());
  gateway->acceptor_.set_option(asio::socket_base::reuse_address(true));
  gateway->acceptor_.bind(at);  // throws std::system_error (address_in_use: exit 3)
  gateway->acceptor_.listen();
  gateway->port_ = gateway->acceptor_.local_endpoint().port();
  gateway->accept();
  return gateway;
}

void Gateway::accept() {
  acceptor_.async_accept([self = shared_from_this()](const boost::system::error_code& ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) {
      socket.set_option(tcp::no_delay(true));
      std::make_shared<HttpSession>(self, std::move(socket))->start();
    } else {
      runtime::log_warn("gateway accept: {}", ec.message());
    }
    self->accept();
  });
}

core::NodeId Gateway::next_endpoint_id() {
  const core::NodeId base = endpoint_base | (config_.node_id << 20);
  // More than half the space free (connections_max bound): the loop ends within 2 steps
  // on average and at most endpoints_per_node.
  for (std::uint32_t i = 0; i < endpoints_per_node; ++i) {
    endpoint_counter_ = (endpoint_counter_ + 1) % endpoints_per_node;
    if (endpoint_counter_ == 0) continue;
    const core::NodeId id = base | endpoint_counter_;
    if (!process_.has_env(id)) return id;
  }
  throw std::runtime_error("gateway: no free endpoint id");
}

std::uint64_t Gateway::next_client_id() {
  client_counter_ = (client_counter_ + 1) & 0xffff;
  if (client_counter_ == 0) {
    // 65,536 publishers later: a new random prefix, so a session id is never reused.
    RAND_bytes(reinterpret_cast<unsigned char*>(&client_prefix_), sizeof client_prefix_);
    client_prefix_ = (client_prefix_ >> 2) & ~std::uint64_t{0xffff};
    client_counter_ = 1;
  }
  return client_prefix_ | client_counter_ | (client_prefix_ == 0 ? 0x10000 : 0);
}

}  // namespace simbus::gateway
