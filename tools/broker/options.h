// The flags of simbus-broker (also readable from a TOML/INI file with --config).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/process.h"

namespace simbus::broker {

inline constexpr int exit_usage = 2;
inline constexpr int exit_cannot_listen = 3;  // the port is taken: a caller may retry another

struct BrokerOptions {
  std::uint32_t node_id = 0;
  std::string listen = "127.0.0.1:7101";    // peer transport
  std::vector<std::string> peers;           // "id=host:port", the other nodes
  std::string data_dir;
  std::string peer_secret;                  // shared by every node (and trusted drivers)
  std::string app_id = "1";
  std::string app_key = "simbus-key";
  std::string app_secret = "simbus-secret";
  std::string gateway;                      // "host:port" of the Pusher gateway; empty: none
  std::int64_t activity_timeout_s = 120;    // told to Pusher clients; idle ones are pinged
  std::int64_t pong_timeout_s = 30;         // then closed (4201) without an answer
  std::int64_t election_ms_min = 500;
  std::int64_t election_ms_max = 1'000;
  std::int64_t heartbeat_ms = 100;
  std::string log_level = "info";

  // Filled by parse_broker_options from the strings above.
  std::string listen_host;
  std::uint16_t listen_port = 0;
  std::string gateway_host;
  std::uint16_t gateway_port = 0;
  std::vector<runtime::PeerAddress> peer_addresses;
};

// Parses argv; returns -1 to go on, or the exit code (0 after --help, exit_usage after an
// error, which it printed naming the flag).
int parse_broker_options(int argc, char** argv, BrokerOptions& out);

// "host:port" -> (host, port); throws std::invalid_argument naming `what`.
std::pair<std::string, std::uint16_t> parse_host_port(const std::string& text, const std::string& what);

}  // namespace simbus::broker
