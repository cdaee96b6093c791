// End to end on the simulator: presence across nodes and expiry of a dead node's members;
// linearizable channel info at the leader, redirects (or, with the seeded bug, stale local
// answers) at followers.
#include <gtest/gtest.h>

#include "tests/core/broker_sim_harness.h"

namespace simbus::core {
namespace {

using testing::add_broker;
using testing::broker_config;
using testing::Cluster;

struct PresenceRun {
  sim::RunOutcome outcome;
  std::vector<std::string> users_before;
  std::vector<std::string> users_after;
  bool bob_saw_alice_leave = false;
  Status follower_info_status = Status::count;
};

PresenceRun run_presence(std::uint64_t seed, Bugs bugs) {
  sim::WorldOptions options;
  options.seed = seed;
  options.time_us_max = 60'000'000;
  std::string error;
  sim::World world(options, sim::make_strategy("random", &error));
  auto cluster = std::make_shared<Cluster>();
  std::vector<sim::NodeIndex> brokers{1, 2, 3};
  auto config = [brokers, bugs] { return broker_config(brokers, bugs); };
  for (int i = 0; i < 3; ++i) add_broker(world, cluster, "b" + std::to_string(i + 1), config);
  const sim::NodeIndex alice_node = world.add_node("alice");
  const sim::NodeIndex bob_node = world.add_node("bob");
  auto run = std::make_shared<PresenceRun>();
  auto alice_in = std::make_shared<bool>(false);
  auto bob_in = std::make_shared<bool>(false);
  auto done = std::make_shared<bool>(false);
  AppCredentials app;
  const std::string room = "presence-room";

  world.spawn(alice_node, "alice", [&world, alice_node, alice_in, app, room] {
    scenarios::SimEnv env(world, alice_node);
    BrokerClient client(env, ClientConfig{{1, 2, 3}}, 11);
    std::optional<std::string> socket;
    while (!socket) socket = client.connect(2);
    const std::string data = presence_channel_data("alice", "{}");
    auto reply = client.subscribe(2, SubscribeRequest{*socket, room, sign_subscription(app, *socket, room, data), data, false, 0});
    EXPECT_TRUE(reply && reply->status == Status::ok);
    *alice_in = true;
    while (true) client.poll(1'000'000);
  });

  world.spawn(bob_node, "bob", [&world, bob_node, alice_in, bob_in, done, run, app, room] {
    scenarios::SimEnv env(world, bob_node);
    BrokerClient client(env, ClientConfig{{1, 2, 3}}, 12);
    while (!*alice_in) env.sleep_for_us(10'000);
    std::optional<std::string> socket;
    while (!socket) socket = client.connect(3);
    const std::string data = presence_channel_data("bob", "{}");
    auto reply = client.subscribe(3, SubscribeRequest{*socket, room, sign_subscription(app, *socket, room, data), data, false, 0});
    EXPECT_TRUE(reply && reply->status == Status::ok);
    if (reply) EXPECT_EQ(reply->members.size(), 2u);
    auto before = client.info(room);
    if (before) run->users_before = before->users;
    *bob_in = true;
    while (!*done) {
      client.poll(200'000);
      while (!client.inbox().empty()) {
        if (auto* e = std::get_if<EventMessage>(&client.inbox().front())) {
          if (e->event == member_removed_event && e->user_id == "alice") run->bob_saw_alice_leave = true;
        }
        client.inbox().pop_front();
      }
    }
  });

  // Asks brokers 1 and 3 directly; a follower must redirect (the seeded bug answers).
  const sim::NodeIndex probe = world.add_node("probe");
  world.spawn(probe, "probe", [&world, probe, bob_in, run, room] {
    scenarios::SimEnv env(world, probe);
    while (!*bob_in) env.sleep_for_us(10'000);
    env.sleep_for_us(100'000);
    for (NodeId id : {1u, 3u}) {
      env.send(id, encode_message(InfoRequest{1, room}));
      auto got = env.receive(500'000);
      Message m;
      if (got && decode_message(got->payload, m) == DecodeError::none) {
        if (auto* r = std::get_if<InfoReply>(&m); r && r->leader_hint != id) {
          run->follower_info_status = r->status;
          return;
        }
      }
    }
  });

  world.spawn(sim::kControlNode, "nemesis", [&world, cluster, bob_in, done, run] {
    while (!*bob_in) world.sleep_for_us(10'000);
    world.sleep_for_us(200'000);
    world.crash(2);  // alice's node dies and stays down
    world.sleep_for_us(6'000'000);  // > session timeout (3 s) plus an election
    for (auto& [id, weak] : cluster->nodes) {
      auto node = weak.lock();
      if (node && node->raft() && node->raft()->role() == Role::leader) {
        run->users_after = node->channels().info("presence-room").users;
      }
    }
    *done = true;
    world.sleep_for_us(300'000);
    world.stop();
  });
  run->outcome = world.run();
  return *run;
}

TEST(BrokerPresence, DeadNodesMembersExpireAcrossTheCluster) {
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    const PresenceRun r = run_presence(seed, Bugs{});
    ASSERT_EQ(r.outcome.status, sim::RunStatus::kOk) << r.outcome.check << ": " << r.outcome.message;
    EXPECT_EQ(r.users_before, (std::vector<std::string>{"alice", "bob"})) << "seed " << seed;
    EXPECT_EQ(r.users_after, (std::vector<std::string>{"bob"})) << "seed " << seed;
    EXPECT_TRUE(r.bob_saw_alice_leave) << "seed " << seed;
    EXPECT_EQ(r.follower_info_status, Status::not_leader) << "seed " << seed;
  }
}

TEST(BrokerPresence, FollowerLocalReadBugAnswersFromAFollower) {
  const PresenceRun r = run_presence(1, Bugs::only(Bug::follower_local_read));
  ASSERT_EQ(r.outcome.status, sim::RunStatus::kOk);
  EXPECT_EQ(r.follower_info_status, Status::ok);
}

}  // namespace
}  // namespace simbus::core
