#include "tools/broker/options.h"

#include "core/raft.h"

#include <CLI/CLI.hpp>

#include <charconv>
#include <cstdio>
#include <set>
#include <stdexcept>

#include <fmt/format.h>

namespace simbus::broker {
namespace {

std::uint64_t parse_number(std::string_view text, std::uint64_t max, const std::string& what) {
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value > max) {
    throw std::invalid_argument(fmt::format("{}: '{}' is not a number in 0..{}", what, text, max));
  }
  return value;
}

}  // namespace

std::pair<std::string, std::uint16_t> parse_host_port(const std::string& text, const std::string& what) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    throw std::invalid_argument(fmt::format("{}: '{}' is not host:port", what, text));
  }
  const auto port = parse_number(std::string_view(text).substr(colon + 1), 65535, what + " port");
  return {text.substr(0, colon), static_cast<std::uint16_t>(port)};
}

int parse_broker_options(int argc, char** argv, BrokerOptions& o) {
  CLI::App app{"simbus-broker: one node of a simbus broker cluster (core::BrokerNode on the real runtime)"};
  app.set_config("--config", "", "read flags from this TOML/INI file (key = value, peer = [\"2=host:port\"])");
  app.add_option("--id", o.node_id, "this node's id (a Raft member)")->required();
  app.add_option("--listen", o.listen, "host:port for peer connections")->capture_default_str();
  app.add_option("--peer", o.peers, "another node, id=host:port (repeat for each)");
  app.add_option("--data-dir", o.data_dir, "this node's data directory (created if missing)")->required();
  app.add_option("--peer-secret", o.peer_secret, "shared secret of the peer handshake (HMAC key)")->required();
  app.add_option("--app-id", o.app_id, "Pusher app id")->capture_default_str();
  app.add_option("--app-key", o.app_key, "Pusher app key")->capture_default_str();
  app.add_option("--app-secret", o.app_secret, "Pusher app secret")->capture_default_str();
  app.add_option("--gateway", o.gateway, "host:port of the Pusher WebSocket/HTTP gateway (empty: none)");
  app.add_option("--activity-timeout-s", o.activity_timeout_s, "Pusher activity_timeout: idle clients are pinged after it")
      ->capture_default_str();
  app.add_option("--pong-timeout-s", o.pong_timeout_s, "close (4201) a pinged client silent this long")->capture_default_str();
  app.add_option("--election-ms-min", o.election_ms_min, "Raft election timeout, lower bound")->capture_default_str();
  app.add_option("--election-ms-max", o.election_ms_max, "Raft election timeout, upper bound")->capture_default_str();
  app.add_option("--heartbeat-ms", o.heartbeat_ms, "Raft heartbeat interval")->capture_default_str();
  app.add_option("--log-level", o.log_level, "debug, info, warn or error")->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "simbus-broker: %.500s\nRun with --help for more information.\n", e.what());
    return exit_usage;
  }
  try {
    if (o.node_id == core::no_node) throw std::invalid_argument("--id 4294967295 is reserved");
    std::tie(o.listen_host, o.listen_port) = parse_host_port(o.listen, "--listen");
    std::set<std::uint32_t> ids{o.node_id};
    if (o.peers.size() + 1 > core::members_max) {
      throw std::invalid_argument(fmt::format("--peer: at most {} nodes", core::members_max));
    }
    for (const std::string& p : o.peers) {
      const auto eq = p.find('=');
      if (eq == std::string::npos) throw std::invalid_argument(fmt::format("--peer: '{}' is not id=host:port", p));
      runtime::PeerAddress a;
      a.id = static_cast<core::NodeId>(parse_number(std::string_view(p).substr(0, eq), 0xfffffffeULL, "--peer id"));
      std::tie(a.host, a.port) = parse_host_port(p.substr(eq + 1), "--peer");
      if (!ids.insert(a.id).second) throw std::invalid_argument(fmt::format("--peer: id {} appears twice (or is --id)", a.id));
      o.peer_addresses.push_back(a);
    }
    if (o.peer_secret.empty()) throw std::invalid_argument("--peer-secret is empty");
    if (o.app_key.empty() || o.app_secret.empty()) throw std::invalid_argument("--app-key and --app-secret must be non-empty");
    if (o.heartbeat_ms <= 0 || o.election_ms_min <= o.heartbeat_ms || o.election_ms_max <= o.election_ms_min ||
        o.election_ms_max > 600'000) {
      throw std::invalid_argument("need 0 < --heartbeat-ms < --election-ms-min < --election-ms-max <= 600000");
    }
    if (!o.gateway.empty()) std::tie(o.gateway_host, o.gateway_port) = parse_host_port(o.gateway, "--gateway");
    // Beast closes a WebSocket silent for 300 s (its suggested server idle timeout): the
    // protocol's ping and its answer must come well before that.
    if (o.activity_timeout_s <= 0 || o.activity_timeout_s > 240) throw std::invalid_argument("--activity-timeout-s must be in 1..240");
    if (o.pong_timeout_s <= 0 || o.pong_timeout_s > 55) throw std::invalid_argument("--pong-timeout-s must be in 1..55");
    if (o.app_id.empty()) throw std::invalid_argument("--app-id must be non-empty");
    static const std::set<std::string> levels{"debug", "info", "warn", "error"};
    if (levels.count(o.log_level) == 0) throw std::invalid_argument("--log-level: debug, info, warn or error");
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "simbus-broker: %.500s\n", e.what());
    return exit_usage;
  }
  return -1;
}

}  // namespace simbus::broker
