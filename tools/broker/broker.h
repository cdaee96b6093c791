// simbus-broker's body: a runtime::Process running one core::BrokerNode, stopped cleanly by
// SIGTERM or SIGINT. The Pusher gateway (gateway/) plugs in through GatewayHook.
#pragma once

#include <functional>
#include <memory>

#include "core/broker_node.h"
#include "runtime/process.h"
#include "tools/broker/options.h"

namespace simbus::broker {

// Called once inside the node's boot task, after the BrokerNode exists and before it runs:
// must not block (spawn tasks or start Asio operations instead). Returns 0, or the exit
// code the process stops with (exit_cannot_listen when its port is taken).
using GatewayHook = std::function<int(runtime::Process&, std::shared_ptr<core::BrokerNode>, const BrokerOptions&)>;

core::BrokerConfig broker_config(const BrokerOptions& options);
// Returns the process exit code.
int run_broker(const BrokerOptions& options, const GatewayHook& gateway = {});

}  // namespace simbus::broker
