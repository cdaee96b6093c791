// Each broker-level seeded bug has an observable effect (the checkers' job is to notice it
// in scenarios; here we show the switch does what its table entry says), and presence
// expiry of a dead node works end to end on the simulator.
#include <gtest/gtest.h>

#include <set>

#include "core/channels.h"
#include "tests/core/broker_sim_harness.h"

namespace simbus::core {
namespace {

using testing::run_cluster;
using testing::RunResult;

SubscribeOp subscribe_op(const std::string& socket, const std::string& channel,
                         const std::string& user = "", bool resume = false, std::uint64_t last = 0) {
  AppCredentials app;
  SubscribeOp op{socket, 1, 1, channel, "", "", resume, last};
  if (!user.empty()) op.channel_data = presence_channel_data(user, "");
  if (channel_kind(channel) != ChannelKind::public_channel) {
    op.auth = sign_subscription(app, socket, channel, op.channel_data);
  }
  return op;
}

std::vector<std::string> event_sockets(const ApplyOutcome& out) {
  std::vector<std::string> v;
  for (const Effect& e : out.effects) {
    if (std::holds_alternative<EventMessage>(e.message)) v.push_back(e.socket_id);
  }
  return v;
}

TEST(BrokerBugs, ClientEventEchoed) {
  ChannelState s(ChannelConfig{}, Bugs::only(Bug::client_event_echoed));
  s.apply(1, Command{0, 0, {subscribe_op("1.1", "private-a"), subscribe_op("1.2", "private-a")}});
  auto out = s.apply(2, Command{0, 0, {ClientEventOp{"1.1", "private-a", "client-x", ""}}});
  EXPECT_EQ(event_sockets(out), (std::vector<std::string>{"1.1", "1.2"}));
}

TEST(BrokerBugs, PresenceRemoveOnFirstClose) {
  ChannelState s(ChannelConfig{}, Bugs::only(Bug::presence_remove_on_first_close));
  s.apply(1, Command{0, 0, {subscribe_op("1.1", "presence-r", "alice"), subscribe_op("1.2", "presence-r", "alice")}});
  s.apply(2, Command{0, 0, {CloseOp{"1.1"}}});
  EXPECT_EQ(s.info("presence-r").user_count, 0u);  // alice still has 1.2
  EXPECT_EQ(s.info("presence-r").subscription_count, 1u);
}

TEST(BrokerBugs, ResumeOffByOne) {
  ChannelState s(ChannelConfig{}, Bugs::only(Bug::resume_off_by_one));
  for (std::uint64_t i = 1; i <= 4; ++i) s.apply(i, Command{0, 0, {PublishOp{{"a"}, "e", "", ""}}});
  auto out = s.apply(5, Command{0, 0, {subscribe_op("1.1", "a", "", true, 2)}});
  std::vector<std::uint64_t> seqs;
  for (const Effect& e : out.effects) {
    if (auto* ev = std::get_if<EventMessage>(&e.message)) seqs.push_back(ev->seq);
  }
  EXPECT_EQ(seqs, (std::vector<std::uint64_t>{2, 3, 4}));  // 2 was already seen
}

TEST(BrokerBugs, PublishAckBeforeCommitAcknowledgesLostEvents) {
  // A leader cut off from the others acknowledges publishes it can never commit: they are
  // lost, and their sequence numbers are handed out again (two acknowledgements, one seq).
  int runs_with_duplicate_acks = 0;
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    const RunResult correct = run_cluster(seed, false, 0, 40, Bugs{}, true);
    EXPECT_EQ(correct.received_seqs.size(), 40u) << "seed " << seed;
    const RunResult r = run_cluster(seed, false, 0, 40, Bugs::only(Bug::publish_ack_before_commit), true);
    const std::set<std::uint64_t> distinct(r.acked_seqs.begin(), r.acked_seqs.end());
    if (distinct.size() != r.acked_seqs.size() || r.final_seq_last < r.acked_seqs.size()) {
      ++runs_with_duplicate_acks;
    }
  }
  EXPECT_GT(runs_with_duplicate_acks, 0);
}

TEST(BrokerBugs, RetryAppliedTwiceDuplicatesEvents) {
  // Lost replies make the publisher retry; without sessions, a retry applies again.
  int runs_with_extra_events = 0;
  int runs_clean_without_bug = 0;
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    const RunResult bad = run_cluster(seed, false, 100'000, 30, Bugs::only(Bug::retry_applied_twice));
    if (bad.final_seq_last > 30) ++runs_with_extra_events;
    const RunResult good = run_cluster(seed, false, 100'000, 30);
    if (good.final_seq_last == 30) ++runs_clean_without_bug;
  }
  EXPECT_GT(runs_with_extra_events, 0);
  EXPECT_EQ(runs_clean_without_bug, 10);
}

TEST(BrokerBugs, FanoutUnorderedWorkersReordersDelivery) {
  int runs_out_of_order = 0;
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    const RunResult good = run_cluster(seed, false, 0, 30, Bugs{}, false, true);
    EXPECT_TRUE(std::is_sorted(good.received_seqs.begin(), good.received_seqs.end())) << "seed " << seed;
    EXPECT_EQ(good.received_seqs.size(), 30u);
    const RunResult bad = run_cluster(seed, false, 0, 30, Bugs::only(Bug::fanout_unordered_workers), false, true);
    if (!std::is_sorted(bad.received_seqs.begin(), bad.received_seqs.end())) ++runs_out_of_order;
  }
  EXPECT_GT(runs_out_of_order, 0);
}

// Clients connecting at once to one node: the handshake tasks race on the registry.
int lost_connections(std::uint64_t seed, Bugs bugs) {
  sim::WorldOptions options;
  options.seed = seed;
  options.time_us_max = 30'000'000;
  std::string error;
  sim::World world(options, sim::make_strategy("random", &error));
  auto cluster = std::make_shared<testing::Cluster>();
  std::vector<sim::NodeIndex> brokers{1, 2, 3};
  auto config = [brokers, bugs] { return testing::broker_config(brokers, bugs); };
  for (int i = 0; i < 3; ++i) testing::add_broker(world, cluster, "b" + std::to_string(i + 1), config);
  auto lost = std::make_shared<int>(0);
  auto finished = std::make_shared<int>(0);
  constexpr int clients = 4;
  for (int c = 0; c < clients; ++c) {
    const sim::NodeIndex me = world.add_node("c" + std::to_string(c));
    world.spawn(me, "client", [&world, me, c, lost, finished] {
      scenarios::SimEnv env(world, me);
      BrokerClient client(env, ClientConfig{{1, 2, 3}}, 50 + static_cast<std::uint64_t>(c));
      env.sleep_for_us(500'000);  // all at the same instant
      std::optional<std::string> socket = client.connect(3);
      if (socket) {
        auto reply = client.subscribe(3, SubscribeRequest{*socket, "a", "", "", false, 0});
        if (!reply || reply->status != Status::ok) ++*lost;
      }
      ++*finished;
    });
  }
  world.spawn(sim::kControlNode, "stop", [&world, finished] {
    while (*finished < clients) world.sleep_for_us(10'000);
    world.stop();
  });
  world.run();
  return *lost;
}

TEST(BrokerBugs, RegistryUpdateWithoutLockLosesConnections) {
  int lost_with_bug = 0;
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    EXPECT_EQ(lost_connections(seed, Bugs{}), 0) << "seed " << seed;
    lost_with_bug += lost_connections(seed, Bugs::only(Bug::registry_update_without_lock));
  }
  EXPECT_GT(lost_with_bug, 0);
}

}  // namespace
}  // namespace simbus::core
