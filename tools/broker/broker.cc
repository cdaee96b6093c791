#include "tools/broker/broker.h"

#include <boost/asio/signal_set.hpp>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <system_error>

#include "runtime/log.h"

namespace simbus::broker {

core::BrokerConfig broker_config(const BrokerOptions& o) {
  core::BrokerConfig c;
  c.raft.members.push_back(o.node_id);
  for (const auto& p : o.peer_addresses) c.raft.members.push_back(p.id);
  std::sort(c.raft.members.begin(), c.raft.members.end());  // RaftConfig wants them sorted
  c.raft.election_timeout_us_min = o.election_ms_min * 1000;
  c.raft.election_timeout_us_max = o.election_ms_max * 1000;
  c.raft.heartbeat_interval_us = o.heartbeat_ms * 1000;
  c.channels.app.key = o.app_key;
  c.channels.app.secret = o.app_secret;
  // A node's connections expire after this much silence: well past an election.
  c.session_timeout_us = std::max<std::int64_t>(c.session_timeout_us, 4 * c.raft.election_timeout_us_max);
  return c;
}

int run_broker(const BrokerOptions& o, const GatewayHook& gateway) {
  using runtime::LogLevel;
  runtime::set_log_level(o.log_level == "debug"  ? LogLevel::debug
                         : o.log_level == "warn" ? LogLevel::warn
                         : o.log_level == "error" ? LogLevel::error
                                                  : LogLevel::info);
  runtime::ProcessConfig pc;
  pc.process_id = o.node_id;
  pc.listen_host = o.listen_host;
  pc.listen_port = o.listen_port;
  pc.peers = o.peer_addresses;
  pc.shared_secret = o.peer_secret;
  pc.data_dir = o.data_dir;
  std::unique_ptr<runtime::Process> process;
  try {
    process = std::make_unique<runtime::Process>(pc);
    process->start();
  } catch (const std::system_error& e) {
    std::fprintf(stderr, "simbus-broker: %s\n", e.what());
    return e.code() == std::errc::address_in_use ? exit_cannot_listen : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "simbus-broker: %s\n", e.what());
    return 1;
  }
  runtime::log_info("node {} incarnation {} listening on {}:{}, data in {}", o.node_id, process->incarnation(),
                    o.listen_host, process->listen_port(), o.data_dir);

  // Lives in the process's io_context, so it must go before the process does (an
  // io_object outliving its service is a use after free: ASan caught it at every stop).
  auto signals = std::make_unique<boost::asio::signal_set>(process->io_context(), SIGTERM, SIGINT);
  runtime::Process* p = process.get();
  signals->async_wait([p](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    runtime::log_info("signal {}: stopping", signal);
    p->stop();
  });

  const core::BrokerConfig config = broker_config(o);
  std::shared_ptr<core::Env> env = process->make_env(o.node_id);
  int gateway_exit = 0;
  process->spawn("boot", [p, env, config, &o, &gateway, &gateway_exit] {
    core::BrokerHooks hooks;
    hooks.on_leader = [](core::NodeId node, std::uint64_t term) {
      runtime::log_info("node {} is the leader of term {}", node, term);
    };
    auto node = std::make_shared<core::BrokerNode>(env, config, hooks);
    if (gateway) gateway_exit = gateway(*p, node, o);
    if (gateway_exit != 0) {
      p->stop();
      return;
    }
    node->run();
  });
  process->run();
  signals.reset();
  process.reset();  // unwinds the node's tasks; every write was fsynced when Raft asked
  runtime::log_info("node {} stopped", o.node_id);
  return gateway_exit;
}

}  // namespace simbus::broker
