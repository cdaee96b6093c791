// A 3-node broker cluster on the deterministic simulator (scenarios::SimEnv): publishes
// commit and reach subscribers in order, across leader crashes and a lossy network.
#include <gtest/gtest.h>

#include <map>
#include <memory>

#include "core/auth.h"
#include "core/broker_node.h"
#include "core/client.h"
#include "scenarios/sim_env.h"
#include "sim/network.h"
#include "sim/strategy.h"
#include "sim/world.h"

namespace simbus::core {
namespace {

struct Cluster {
  std::vector<sim::NodeIndex> brokers;
  std::map<NodeId, std::weak_ptr<BrokerNode>> nodes;
  std::map<std::uint64_t, std::pair<std::uint64_t, std::uint64_t>> applied;  // index -> (term, sum)
  std::string violation;
  std::uint64_t leaders = 0;
};

BrokerConfig broker_config(const std::vector<sim::NodeIndex>& brokers, Bugs bugs) {
  BrokerConfig config;
  config.raft.members.assign(brokers.begin(), brokers.end());
  config.compact_after_entries = 16;
  config.bugs = bugs;
  return config;
}

// Adds a broker node whose boot task (first start and every restart) builds a BrokerNode.
sim::NodeIndex add_broker(sim::World& world, std::shared_ptr<Cluster> cluster, std::string name,
                          std::function<BrokerConfig()> config) {
  const sim::NodeIndex index = static_cast<sim::NodeIndex>(world.node_count());
  auto boot = [&world, cluster, index, config] {
    auto env = std::make_shared<scenarios::SimEnv>(world, index);
    BrokerHooks hooks;
    hooks.on_apply = [cluster](NodeId node, const LogEntry& entry) {
      const auto value = std::make_pair(entry.term, checksum64(entry.command));
      auto [it, inserted] = cluster->applied.emplace(entry.index, value);
      if (!inserted && it->second != value && cluster->violation.empty()) {
        cluster->violation = "state machine safety at index " + std::to_string(entry.index);
      }
    };
    hooks.on_leader = [cluster](NodeId, std::uint64_t) { ++cluster->leaders; };
    auto node = std::make_shared<BrokerNode>(env, config(), hooks);
    cluster->nodes[index] = node;
    node->run();
  };
  const sim::NodeIndex added = world.add_node(std::move(name), boot);
  EXPECT_EQ(added, index);
  world.spawn(added, "boot", boot);
  return added;
}

struct RunResult {
  sim::RunOutcome outcome;
  std::vector<std::uint64_t> acked_seqs;
  std::vector<std::uint64_t> received_seqs;
  std::string violation;
  std::uint64_t leaders = 0;
  std::uint64_t crashes = 0;
};

RunResult run_cluster(std::uint64_t seed, bool crash_leader, std::uint32_t drop_per_million,
                      int publishes, Bugs bugs = {}) {
  sim::WorldOptions options;
  options.seed = seed;
  options.time_us_max = 120'000'000;
  std::string error;
  sim::World world(options, sim::make_strategy("random", &error));
  sim::NetworkConfig net;
  net.drop_per_million = drop_per_million;
  net.duplicate_per_million = drop_per_million / 2;
  net.reorder_per_million = 100'000;
  world.network().configure(net);
  auto cluster = std::make_shared<Cluster>();
  // Node 0 is the simulator's control node; brokers are 1..3, clients 4 and 5.
  std::vector<sim::NodeIndex> brokers{1, 2, 3};
  auto config = [brokers, bugs] { return broker_config(brokers, bugs); };
  for (int i = 0; i < 3; ++i) add_broker(world, cluster, "b" + std::to_string(i + 1), config);
  const sim::NodeIndex subscriber = world.add_node("sub");
  const sim::NodeIndex publisher = world.add_node("pub");
  auto result = std::make_shared<RunResult>();
  auto subscribed = std::make_shared<bool>(false);
  auto published_all = std::make_shared<bool>(false);

  world.spawn(subscriber, "subscriber", [&world, subscriber, result, subscribed, publishes] {
    scenarios::SimEnv env(world, subscriber);
    BrokerClient client(env, ClientConfig{{1, 2, 3}}, 1000);
    // Subscribe through broker 3, which the nemesis never crashes.
    std::optional<std::string> socket;
    while (!socket) socket = client.connect(3);
    std::optional<SubscribeReply> reply;
    while (!reply) reply = client.subscribe(3, SubscribeRequest{*socket, "news", "", "", false, 0});
    EXPECT_EQ(reply->status, Status::ok);
    *subscribed = true;
    std::uint64_t last = reply->seq_last;
    while (true) {
      client.poll(100'000);
      while (!client.inbox().empty()) {
        Message m = std::move(client.inbox().front());
        client.inbox().pop_front();
        if (auto* e = std::get_if<EventMessage>(&m)) {
          result->received_seqs.push_back(e->seq);
          last = e->seq;
        }
      }
      if (static_cast<int>(result->received_seqs.size()) >= publishes) break;
    }
    (void)last;
  });

  world.spawn(publisher, "publisher", [&world, publisher, result, subscribed, published_all, publishes] {
    scenarios::SimEnv env(world, publisher);
    BrokerClient client(env, ClientConfig{{1, 2, 3}}, 2000);
    while (!*subscribed) env.sleep_for_us(10'000);
    for (int i = 0; i < publishes; ++i) {
      std::optional<PublishReply> reply;
      while (!reply) reply = client.publish({"news"}, "evt", "payload " + std::to_string(i));
      EXPECT_EQ(reply->status, Status::ok);
      if (reply->status == Status::ok) result->acked_seqs.push_back(reply->seqs.at(0).seq);
      env.sleep_for_us(20'000);
    }
    *published_all = true;
  });

  world.spawn(sim::kControlNode, "nemesis", [&world, cluster, crash_leader, published_all, result, publishes] {
    if (crash_leader) {
      for (int round = 0; round < 2; ++round) {
        world.sleep_for_us(400'000);
        for (auto& [id, weak] : cluster->nodes) {
          auto node = weak.lock();
          if (id != 3 && node && node->raft() && node->raft()->role() == Role::leader) {
            world.crash(id);
            ++result->crashes;
            world.sleep_for_us(300'000);
            world.restart(id);
            break;
          }
        }
      }
    }
    while (!*published_all || static_cast<int>(result->received_seqs.size()) < publishes) {
      world.sleep_for_us(50'000);
    }
    world.stop();
  });

  result->outcome = world.run();
  result->violation = cluster->violation;
  result->leaders = cluster->leaders;
  return *result;
}

std::vector<std::uint64_t> one_to(int n) {
  std::vector<std::uint64_t> v;
  for (int i = 1; i <= n; ++i) v.push_back(static_cast<std::uint64_t>(i));
  return v;
}

TEST(BrokerSim, PublishesCommitAndReachSubscriberInOrder) {
  const RunResult r = run_cluster(1, false, 0, 30);
  ASSERT_EQ(r.outcome.status, sim::RunStatus::kOk) << r.outcome.check << ": " << r.outcome.message;
  EXPECT_EQ(r.violation, "");
  EXPECT_EQ(r.acked_seqs, one_to(30));
  EXPECT_EQ(r.received_seqs, one_to(30));
}

TEST(BrokerSim, SurvivesLeaderCrashesOnALossyNetwork) {
  std::uint64_t crashes = 0;
  for (std::uint64_t seed = 1; seed <= 30; ++seed) {
    const RunResult r = run_cluster(seed, true, 20'000, 40);
    crashes += r.crashes;
    EXPECT_GE(r.leaders, 1u + r.crashes) << "seed " << seed;
    ASSERT_EQ(r.outcome.status, sim::RunStatus::kOk)
        << "seed " << seed << ": " << r.outcome.check << ": " << r.outcome.message;
    EXPECT_EQ(r.violation, "") << "seed " << seed;
    EXPECT_EQ(r.acked_seqs, one_to(40)) << "seed " << seed;
    // The ordered client repairs lost and reordered fan-out by resuming.
    EXPECT_EQ(r.received_seqs, one_to(40)) << "seed " << seed;
  }
  EXPECT_GE(crashes, 30u);  // most runs crashed a leader mid-publish
}

TEST(BrokerSim, SameSeedSameTraceHash) {
  const RunResult a = run_cluster(7, true, 20'000, 20);
  const RunResult b = run_cluster(7, true, 20'000, 20);
  EXPECT_EQ(a.outcome.trace_hash, b.outcome.trace_hash);
  EXPECT_EQ(a.outcome.steps, b.outcome.steps);
}

}  // namespace
}  // namespace simbus::core
