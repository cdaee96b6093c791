// A 3-node broker cluster on the deterministic simulator (scenarios::SimEnv) with one
// subscriber and one sequential publisher, and a nemesis that may crash leaders.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>

#include "core/auth.h"
#include "core/broker_node.h"
#include "core/client.h"
#include "scenarios/sim_env.h"
#include "sim/disk.h"
#include "sim/network.h"
#include "sim/strategy.h"
#include "sim/world.h"

namespace simbus::core::testing {

struct Cluster {
  std::vector<sim::NodeIndex> brokers;
  std::map<NodeId, std::weak_ptr<BrokerNode>> nodes;
  std::map<std::uint64_t, std::pair<std::uint64_t, std::uint64_t>> applied;  // index -> (term, sum)
  std::map<std::uint64_t, NodeId> leader_of_term;
  std::string violation;
  std::uint64_t leaders = 0;

  void fail(std::string what) {
    if (violation.empty()) violation = std::move(what);
  }

  // Log matching between every pair of live nodes, and leader completeness of every live
  // leader against everything applied anywhere.
  void check_logs() {
    std::vector<RaftStatus> status;
    for (auto& [id, weak] : nodes) {
      if (auto node = weak.lock(); node && node->raft()) status.push_back(node->raft_status());
    }
    for (std::size_t a = 0; a < status.size(); ++a) {
      std::map<std::uint64_t, const EntryDigest*> mine;
      for (const EntryDigest& e : status[a].log) mine[e.index] = &e;
      for (std::size_t b = a + 1; b < status.size(); ++b) {
        bool matched = false;
        for (auto it = status[b].log.rbegin(); it != status[b].log.rend(); ++it) {
          auto other = mine.find(it->index);
          if (other == mine.end()) continue;
          if (!matched && other->second->term == it->term) matched = true;
          if (matched && (other->second->term != it->term || other->second->checksum != it->checksum)) {
            fail("log matching at index " + std::to_string(it->index));
          }
        }
      }
      if (status[a].role != Role::leader) continue;
      for (const auto& [index, term_sum] : applied) {
        if (index <= status[a].snapshot_index) continue;
        auto it = mine.find(index);
        if (it == mine.end() || it->second->term != term_sum.first ||
            it->second->checksum != term_sum.second) {
          fail("leader completeness: leader " + std::to_string(status[a].id) + " lacks " +
               std::to_string(index));
        }
      }
    }
  }
};

inline BrokerConfig broker_config(const std::vector<sim::NodeIndex>& brokers, Bugs bugs) {
  BrokerConfig config;
  config.raft.members.assign(brokers.begin(), brokers.end());
  config.compact_after_entries = 16;
  config.bugs = bugs;
  return config;
}

// Adds a broker node whose boot task (first start and every restart) builds a BrokerNode.
inline sim::NodeIndex add_broker(sim::World& world, std::shared_ptr<Cluster> cluster, std::string name,
                          std::function<BrokerConfig()> config) {
  const sim::NodeIndex index = static_cast<sim::NodeIndex>(world.node_count());
  auto boot = [&world, cluster, index, config] {
    auto env = std::make_shared<scenarios::SimEnv>(world, index);
    BrokerHooks hooks;
    hooks.on_apply = [cluster](NodeId node, const LogEntry& entry) {
      const auto value = std::make_pair(entry.term, checksum64(entry.command));
      auto [it, inserted] = cluster->applied.emplace(entry.index, value);
      if (!inserted && it->second != value) {
        cluster->fail("state machine safety at index " + std::to_string(entry.index));
      }
    };
    hooks.on_leader = [cluster](NodeId node, std::uint64_t term) {
      ++cluster->leaders;
      auto [it, inserted] = cluster->leader_of_term.emplace(term, node);
      if (!inserted && it->second != node) {
        cluster->fail("election safety: two leaders in term " + std::to_string(term));
      }
      cluster->check_logs();
    };
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
  std::uint64_t final_seq_last = 0;  // the channel's last sequence number, at the end
};

// crash_leader: crash the leader, later broker 1 or 2 (never 3, the subscriber's), and
// restart each.
// isolate_leader: instead, cut the leader off from the other brokers (not from clients)
// for 600 ms, then heal.
// fifo_raw: a network with one fixed latency and no reordering, and a subscriber in raw
// mode, so the order the node sent events in is the order the subscriber records.
inline RunResult run_cluster(std::uint64_t seed, bool crash_leader, std::uint32_t drop_per_million,
                      int publishes, Bugs bugs = {}, bool isolate_leader = false,
                      bool fifo_raw = false, bool disk_faults = false) {
  sim::WorldOptions options;
  options.seed = seed;
  options.time_us_max = 120'000'000;
  std::string error;
  sim::World world(options, sim::make_strategy("random", &error));
  sim::NetworkConfig net;
  net.drop_per_million = drop_per_million;
  net.duplicate_per_million = drop_per_million / 2;
  net.reorder_per_million = fifo_raw ? 0 : 100'000;
  if (fifo_raw) net.latency_us_min = net.latency_us_max;
  world.network().configure(net);
  if (disk_faults) {
    sim::DiskConfig disk;
    disk.crash_keeps_unsynced_prefix = true;
    disk.torn_write_per_million = 300'000;
    disk.bit_flip_per_million = 1'000;
    world.disk().configure(disk);
  }
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

  world.spawn(subscriber, "subscriber", [&world, subscriber, result, subscribed, publishes, fifo_raw] {
    scenarios::SimEnv env(world, subscriber);
    ClientConfig client_config{{1, 2, 3}};
    client_config.ordered = !fifo_raw;
    BrokerClient client(env, client_config, 1000);
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

  world.spawn(publisher, "publisher", [&world, publisher, result, subscribed, published_all, publishes, fifo_raw] {
    scenarios::SimEnv env(world, publisher);
    BrokerClient client(env, ClientConfig{{1, 2, 3}}, 2000);
    while (!*subscribed) env.sleep_for_us(10'000);
    for (int i = 0; i < publishes; ++i) {
      std::optional<PublishReply> reply;
      while (!reply) reply = client.publish({"news"}, "evt", "payload " + std::to_string(i));
      EXPECT_EQ(reply->status, Status::ok);
      if (reply->status == Status::ok) result->acked_seqs.push_back(reply->seqs.at(0).seq);
      if (!fifo_raw) env.sleep_for_us(20'000);  // fifo_raw: back to back, bursts of events
    }
    *published_all = true;
  });

  world.spawn(sim::kControlNode, "nemesis", [&world, cluster, crash_leader, isolate_leader, published_all, result, publishes] {
    if (isolate_leader) {
      world.sleep_for_us(300'000);
      for (auto& [id, weak] : cluster->nodes) {
        auto node = weak.lock();
        if (id != 3 && node && node->raft() && node->raft()->role() == Role::leader) {
          for (auto& [other, unused] : cluster->nodes) {
            if (other != id) world.network().partition(id, other);  // clients still reach it
          }
          world.sleep_for_us(600'000);
          world.network().heal();
          break;
        }
      }
    }
    if (crash_leader) {
      for (int round = 0; round < 2; ++round) {
        world.sleep_for_us(400'000);
        // The first round crashes the leader; the second, broker 1 or 2 at random (a
        // follower, often: it loses unsynced appends and votes).
        const NodeId pick = round == 0 ? no_node
                                       : static_cast<NodeId>(1 + world.draw_below(sim::DataTag::kNemesis, 2));
        for (auto& [id, weak] : cluster->nodes) {
          auto node = weak.lock();
          const bool target = pick == no_node
                                  ? (node && node->raft() && node->raft()->role() == Role::leader)
                                  : id == pick;
          if (id != 3 && node && target) {
            world.crash(id);
            ++result->crashes;
            world.sleep_for_us(300'000);
            world.restart(id);
            break;
          }
        }
      }
    }
    // Until everything published arrived, or 5 s after the last publish (lost events).
    std::int64_t give_up_us = 0;
    while (!*published_all || static_cast<int>(result->received_seqs.size()) < publishes) {
      world.sleep_for_us(50'000);
      if (*published_all && give_up_us == 0) give_up_us = world.now_us() + 5'000'000;
      if (give_up_us != 0 && world.now_us() >= give_up_us) break;
    }
    for (auto& [id, weak] : cluster->nodes) {
      if (auto node = weak.lock()) {
        result->final_seq_last = std::max(result->final_seq_last, node->channels().info("news").seq_last);
      }
    }
    cluster->check_logs();
    world.stop();
  });

  result->outcome = world.run();
  result->violation = cluster->violation;
  result->leaders = cluster->leaders;
  return *result;
}


}  // namespace simbus::core::testing
