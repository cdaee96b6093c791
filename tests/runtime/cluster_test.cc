// A real 3-node cluster on loopback: three simbus-broker processes, driven by
// core::BrokerClient instances on client endpoints of this test process. Publish and
// deliver; SIGKILL the leader; a new leader is elected and every acknowledged event reaches
// the subscriber on a surviving node; the killed node restarts from its data directory and
// catches up (a subscriber there replays every acknowledged event from its own state).
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/client.h"
#include "runtime/process.h"

namespace simbus::runtime {
namespace {
namespace fs = std::filesystem;
constexpr int nodes = 3;
constexpr const char* secret = "cluster-test-secret";

std::uint16_t free_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

class LocalCluster {
 public:
  explicit LocalCluster(std::string dir) : dir_(std::move(dir)) {
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  ~LocalCluster() {
    for (int n = 1; n <= nodes; ++n) kill_node(n, SIGKILL);
  }

  // Starts every node; when one finds its port taken (exit 3), all start over on new ports.
  bool start() {
    for (int attempt = 0; attempt < 5; ++attempt) {
      for (int n = 1; n <= nodes; ++n) ports_[n] = free_port();
      bool ok = true;
      for (int n = 1; n <= nodes && ok; ++n) ok = launch(n);
      if (ok) return true;
      for (int n = 1; n <= nodes; ++n) kill_node(n, SIGKILL);
    }
    return false;
  }

  bool launch(int n) {
    const std::string log = log_path(n);
    std::ofstream(log, std::ios::app) << "--- start\n";
    std::vector<std::string> args = {std::string(SIMBUS_BINARY_DIR) + "/simbus-broker",
                                     "--id", std::to_string(n),
                                     "--listen", "127.0.0.1:" + std::to_string(ports_[n]),
                                     "--data-dir", dir_ + "/node" + std::to_string(n),
                                     "--peer-secret", secret,
                                     "--election-ms-min", "300", "--election-ms-max", "600",
                                     "--heartbeat-ms", "50"};
    for (int m = 1; m <= nodes; ++m) {
      if (m != n) args.insert(args.end(), {"--peer", std::to_string(m) + "=127.0.0.1:" + std::to_string(ports_[m])});
    }
    const pid_t pid = ::fork();
    if (pid == 0) {
      const int fd = ::open(log.c_str(), O_WRONLY | O_APPEND);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    pids_[n] = pid;
    // Up once it logged "listening on" in this run; an exit first is a failed start.
    for (int i = 0; i < 100; ++i) {
      int status = 0;
      if (::waitpid(pid, &status, WNOHANG) == pid) {
        pids_[n] = 0;
        return false;
      }
      std::ifstream in(log);
      std::stringstream text;
      text << in.rdbuf();
      const std::string s = text.str();
      if (s.find("listening on", s.rfind("--- start")) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  void kill_node(int n, int signal) {
    if (pids_[n] <= 0) return;
    ::kill(pids_[n], signal);
    int status = 0;
    ::waitpid(pids_[n], &status, 0);
    pids_[n] = 0;
  }
  bool running(int n) const { return pids_[n] > 0; }
  std::uint16_t port(int n) const { return ports_[n]; }
  std::string log_path(int n) const { return dir_ + "/node" + std::to_string(n) + ".log"; }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  pid_t pids_[nodes + 1] = {};
  std::uint16_t ports_[nodes + 1] = {};
};

core::ClientConfig client_config(bool ordered) {
  core::ClientConfig c;
  c.brokers = {1, 2, 3};
  c.request_timeout_us = 300'000;
  c.attempts_max = 10;
  c.ordered = ordered;
  return c;
}

// Publishes until acknowledged (a new request after an indeterminate answer) or the deadline.
bool publish_acked(core::Env& env, core::BrokerClient& client, const std::string& data, std::int64_t deadline_us) {
  while (env.now_us() < deadline_us) {
    auto r = client.publish({"news"}, "tick", data);
    if (r && r->status == core::Status::ok) return true;
    env.sleep_for_us(100'000);
  }
  return false;
}

// Records the data of "news" events as they arrive (a listener, as a client library calls
// its handlers), with their arrival time; waits until `want` is covered.
bool wait_for(core::Env& env, core::BrokerClient& client, const std::set<std::string>& want,
              std::set<std::string>& seen, std::int64_t deadline_us,
              std::map<std::string, std::int64_t>* arrival_us = nullptr) {
  client.set_listener([&](core::Message&& m) {
    if (auto* e = std::get_if<core::EventMessage>(&m); e && e->channel == "news") {
      seen.insert(e->data);
      if (arrival_us) arrival_us->emplace(e->data, env.now_us());
    }
  });
  auto covered = [&] { return std::includes(seen.begin(), seen.end(), want.begin(), want.end()); };
  while (!covered() && env.now_us() < deadline_us) client.poll(5'000);
  client.set_listener(nullptr);
  return covered();
}

template <class T>
std::optional<T> retry(core::Env& env, std::int64_t deadline_us, const std::function<std::optional<T>()>& attempt) {
  while (env.now_us() < deadline_us) {
    if (auto r = attempt()) return r;
    env.sleep_for_us(100'000);
  }
  return std::nullopt;
}

TEST(RuntimeCluster, LeaderKilledAcknowledgedEventsDeliveredRestartedNodeCatchesUp) {
  LocalCluster cluster((fs::temp_directory_path() / ("simbus-cluster-test-" + std::to_string(::getpid()))).string());
  ASSERT_TRUE(cluster.start()) << "could not start 3 brokers; logs in " << cluster.dir();

  ProcessConfig pc;
  pc.process_id = 100;  // a client-only process: a peer of every node, no broker itself
  pc.listen = false;
  pc.shared_secret = secret;
  for (int n = 1; n <= nodes; ++n) pc.peers.push_back({static_cast<core::NodeId>(n), "127.0.0.1", cluster.port(n)});
  pc.reconnect_ms_max = 200;
  Process p(pc);

  bool done = false;
  core::NodeId old_leader = core::no_node, new_leader = core::no_node, survivor = core::no_node;
  std::set<std::string> acked, seen_by_survivor, seen_by_restarted;
  std::int64_t failover_ms = -1;
  constexpr int latency_samples = 50;
  std::vector<std::int64_t> ack_us, deliver_us;
  std::string failure;
  auto pub_env = p.make_env(1000);
  auto sub_env = p.make_env(2000);
  auto late_env = p.make_env(3000);
  p.spawn("driver", [&] {
    core::Env& env = *pub_env;
    const auto deadline = [&](int s) { return env.now_us() + s * 1'000'000LL; };
    core::BrokerClient pub(*pub_env, client_config(true), 1);
    // A leader exists once a publish is acknowledged.
    if (!publish_acked(env, pub, "warmup", deadline(20))) return void(failure = "no leader within 20 s");
    old_leader = pub.leader_guess();
    if (old_leader < 1 || old_leader > 3) return void(failure = "no leader hint after an acknowledged publish");
    survivor = old_leader % 3 + 1;

    core::BrokerClient sub(*sub_env, client_config(true), 2);
    auto socket = retry<std::string>(env, deadline(10), [&] { return sub.connect(survivor); });
    if (!socket) return void(failure = "subscriber could not connect");
    auto reply = retry<core::SubscribeReply>(env, deadline(10), [&]() -> std::optional<core::SubscribeReply> {
      auto r = sub.subscribe(survivor, core::SubscribeRequest{*socket, "news"});
      return r && r->status == core::Status::ok ? r : std::nullopt;
    });
    if (!reply) return void(failure = "subscribe failed");
    if (!publish_acked(env, pub, "e1", deadline(10))) return void(failure = "e1 not acknowledged");
    acked.insert("e1");
    if (!wait_for(env, sub, acked, seen_by_survivor, deadline(10))) return void(failure = "e1 not delivered");

    // Latencies on the healthy cluster, one event at a time: publish -> acknowledged, and
    // publish -> delivered to the subscriber on another node (figures for docs/runtime.md).
    for (int i = 1; i <= latency_samples; ++i) {
      const std::string data = "w" + std::to_string(i);
      const std::int64_t t0 = env.now_us();
      if (!publish_acked(env, pub, data, deadline(10))) return void(failure = data + " not acknowledged");
      ack_us.push_back(env.now_us() - t0);
      acked.insert(data);
      std::map<std::string, std::int64_t> arrival;
      if (!wait_for(env, sub, acked, seen_by_survivor, deadline(10), &arrival)) return void(failure = data + " not delivered");
      deliver_us.push_back(arrival.count(data) ? arrival[data] - t0 : env.now_us() - t0);
    }

    cluster.kill_node(static_cast<int>(old_leader), SIGKILL);
    const std::int64_t killed_us = env.now_us();
    for (int i = 2; i <= 11; ++i) {
      const std::string data = "e" + std::to_string(i);
      if (publish_acked(env, pub, data, deadline(20))) {
        acked.insert(data);
        if (failover_ms < 0) failover_ms = (env.now_us() - killed_us) / 1000;
      }
    }
    new_leader = pub.leader_guess();
    if (!wait_for(env, sub, acked, seen_by_survivor, deadline(20))) return void(failure = "acked events lost after the kill");

    if (!cluster.launch(static_cast<int>(old_leader))) return void(failure = "restart failed");
    core::BrokerClient late(*late_env, client_config(false), 3);
    auto late_socket = retry<std::string>(env, deadline(20), [&] { return late.connect(old_leader); });
    if (!late_socket) return void(failure = "could not connect to the restarted node");
    auto late_reply = retry<core::SubscribeReply>(env, deadline(20), [&]() -> std::optional<core::SubscribeReply> {
      auto r = late.subscribe(old_leader, core::SubscribeRequest{*late_socket, "news", "", "", true, 0});
      return r && r->status == core::Status::ok ? r : std::nullopt;
    });
    if (!late_reply) return void(failure = "subscribe at the restarted node failed");
    if (!wait_for(env, late, acked, seen_by_restarted, deadline(20))) return void(failure = "restarted node did not catch up");
    done = true;
  });
  p.spawn("stopper", [&] {
    while (!done && failure.empty()) pub_env->sleep_for_us(50'000);
    p.stop();
  });
  boost::asio::steady_timer guard(p.io_context());
  guard.expires_after(std::chrono::seconds(120));
  guard.async_wait([&](const boost::system::error_code& ec) {
    if (!ec) {
      failure = "the 120 s guard fired";
      p.stop();
    }
  });
  p.run();
  EXPECT_TRUE(failure.empty()) << failure << " (logs in " << cluster.dir() << ")";
  EXPECT_TRUE(done);
  EXPECT_EQ(acked.size(), 11u + latency_samples) << "every publish after the kill was eventually acknowledged";
  EXPECT_NE(new_leader, old_leader);
  EXPECT_TRUE(new_leader >= 1 && new_leader <= 3);
  for (const auto& a : acked) {
    EXPECT_TRUE(seen_by_survivor.count(a)) << a << " acknowledged, not delivered on the surviving node";
    EXPECT_TRUE(seen_by_restarted.count(a)) << a << " acknowledged, not replayed by the restarted node";
  }
  RecordProperty("failover_ms", static_cast<int>(failover_ms));
  std::fprintf(stderr, "cluster test: old leader %u, new leader %u, first ack after the kill %lld ms\n", old_leader,
               new_leader, static_cast<long long>(failover_ms));
  auto pct = [](std::vector<std::int64_t> v, int p) {
    if (v.empty()) return std::int64_t{-1};
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, v.size() * static_cast<std::size_t>(p) / 100)];
  };
  std::fprintf(stderr, "cluster test: %zu sequential publishes: ack p50 %lld us p99 %lld us; delivery p50 %lld us p99 %lld us\n",
               ack_us.size(), static_cast<long long>(pct(ack_us, 50)), static_cast<long long>(pct(ack_us, 99)),
               static_cast<long long>(pct(deliver_us, 50)), static_cast<long long>(pct(deliver_us, 99)));
  if (failure.empty() && done) fs::remove_all(cluster.dir());
}

}  // namespace
}  // namespace simbus::runtime
