// simbus-broker: see tools/broker/broker.h, docs/runtime.md and docs/gateway.md.
#include <cstdio>
#include <stdexcept>
#include <system_error>

#include "gateway/gateway.h"
#include "runtime/log.h"
#include "tools/broker/broker.h"
#include "tools/broker/options.h"

namespace {

using simbus::broker::BrokerOptions;

int start_gateway(simbus::runtime::Process& process, std::shared_ptr<simbus::core::BrokerNode> node,
                  const BrokerOptions& o) {
  if (o.gateway.empty()) return 0;
  simbus::gateway::GatewayConfig c;
  c.host = o.gateway_host;
  c.port = o.gateway_port;
  c.app_id = o.app_id;
  c.app_key = o.app_key;
  c.app_secret = o.app_secret;
  c.node_id = o.node_id;
  c.members.push_back(o.node_id);
  for (const auto& p : o.peer_addresses) c.members.push_back(p.id);
  c.activity_timeout_s = o.activity_timeout_s;
  c.pong_timeout_s = o.pong_timeout_s;
  try {
    // Lives as long as its acceptor's handlers: until the process stops.
    auto gateway = simbus::gateway::Gateway::start(process, std::move(node), c);
    simbus::runtime::log_info("gateway listening on {}:{} (app id {}, key {})", c.host, gateway->port(), c.app_id,
                              c.app_key);
  } catch (const std::system_error& e) {
    std::fprintf(stderr, "simbus-broker: --gateway %s: %s\n", o.gateway.c_str(), e.what());
    return e.code() == std::errc::address_in_use ? simbus::broker::exit_cannot_listen : 1;
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "simbus-broker: --gateway: %s\n", e.what());
    return simbus::broker::exit_usage;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  BrokerOptions options;
  const int parsed = simbus::broker::parse_broker_options(argc, argv, options);
  if (parsed >= 0) return parsed;
  return simbus::broker::run_broker(options, start_gateway);
}
