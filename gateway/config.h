// What the gateway is told at start (simbus-broker's flags).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/env.h"

namespace simbus::gateway {

struct GatewayConfig {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;  // 0: ephemeral
  std::string app_id = "1";
  std::string app_key = "simbus-key";
  std::string app_secret = "simbus-secret";
  core::NodeId node_id = 0;            // this process's broker node
  std::vector<core::NodeId> members;   // every broker (REST requests go to the leader)
  // Told to clients in connection_established; the server pings a client silent this long
  // and closes it (4201) when no answer comes within pong_timeout_s.
  std::int64_t activity_timeout_s = 120;
  std::int64_t pong_timeout_s = 30;
  std::size_t connections_max = 10'000;
};

}  // namespace simbus::gateway
