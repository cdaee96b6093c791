// Broker benchmarks: Raft commits per second of virtual and of wall time (3 nodes on the
// simulator, sequential and concurrent publishers), whole scenario executions, and a quiet
// cluster living a long virtual time (cluster-seconds per CPU second).
#include <benchmark/benchmark.h>

#include <fmt/format.h>

#include <memory>
#include <vector>

#include "core/broker_node.h"
#include "core/client.h"
#include "scenarios/scenario.h"
#include "scenarios/sim_env.h"
#include "sim/network.h"
#include "sim/strategy.h"
#include "sim/world.h"

namespace {

using namespace simbus;

// Nodes 1-3 of `world`: a 3-node broker cluster with the default configuration.
std::vector<sim::NodeIndex> add_three_brokers(sim::World& world) {
  std::vector<sim::NodeIndex> brokers{1, 2, 3};
  for (auto index : brokers) {
    auto boot = [&world, index, brokers] {
      auto env = std::make_shared<scenarios::SimEnv>(world, index);
      core::BrokerConfig config;
      config.raft.members.assign(brokers.begin(), brokers.end());
      auto node = std::make_shared<core::BrokerNode>(env, config);
      node->run();
    };
    world.add_node(fmt::format("b{}", index), boot);
    world.spawn(index, "boot", boot);
  }
  return brokers;
}

struct CommitRun {
  std::int64_t commits = 0;
  std::int64_t virtual_us = 0;
};

// `clients` publishers each commit `publishes` events, one at a time, on a 3-node cluster.
CommitRun run_commits(std::uint64_t seed, int clients, int publishes) {
  std::string error;
  sim::WorldOptions options;
  options.seed = seed;
  sim::World world(options, sim::make_strategy("random", &error));
  const std::vector<sim::NodeIndex> brokers = add_three_brokers(world);
  auto result = std::make_shared<CommitRun>();
  auto done = std::make_shared<int>(0);
  std::int64_t first_commit_us = -1;
  for (int c = 0; c < clients; ++c) {
    const sim::NodeIndex node = world.add_node(fmt::format("client{}", c));
    world.spawn(node, "publisher", [&world, node, c, publishes, result, done, brokers, &first_commit_us] {
      scenarios::SimEnv env(world, node);
      core::ClientConfig config;
      config.brokers.assign(brokers.begin(), brokers.end());
      core::BrokerClient client(env, config, 100 + static_cast<std::uint64_t>(c));
      for (int i = 0; i < publishes; ++i) {
        auto reply = client.publish({"bench"}, "evt", fmt::format("{}-{}", c, i));
        if (reply && reply->status == core::Status::ok) {
          if (first_commit_us < 0) first_commit_us = world.now_us();
          result->commits += 1;
        }
      }
      *done += 1;
    });
  }
  world.spawn(sim::kControlNode, "stopper", [&world, done, clients] {
    while (*done < clients) world.sleep_for_us(1'000);
    world.stop();
  });
  world.run();
  // Virtual time from the first commit (after the first election) to the last.
  result->virtual_us = world.now_us() - std::max<std::int64_t>(first_commit_us, 0);
  return *result;
}

void BM_RaftCommits(benchmark::State& state) {
  const int clients = static_cast<int>(state.range(0));
  constexpr int kPublishes = 200;
  std::int64_t commits = 0;
  std::int64_t virtual_us = 0;
  std::uint64_t seed = 1;
  for (auto _ : state) {
    const CommitRun r = run_commits(seed++, clients, kPublishes / clients);
    commits += r.commits;
    virtual_us += r.virtual_us;
  }
  state.SetItemsProcessed(commits);  // commits per second of wall time
  state.counters["commits_per_virtual_s"] =
      virtual_us > 0 ? static_cast<double>(commits) * 1e6 / static_cast<double>(virtual_us) : 0.0;
}
BENCHMARK(BM_RaftCommits)->Arg(1)->Arg(8)->Unit(benchmark::kMillisecond);

// A quiet 3-node cluster: no faults, and either no client at all (Raft heartbeats every
// 50 ms and each node's 20 ms housekeeping are then all the work there is) or one
// publisher committing one event a second. It lives `kQuietLife_us` of virtual time per
// iteration; the figure is cluster-seconds per CPU second (issue 5's aim: 3600, an hour
// of cluster life in a second).
constexpr std::int64_t kQuietLife_us = 600'000'000;  // ten minutes

struct QuietRun {
  std::uint64_t steps = 0;
  std::int64_t virtual_us = 0;
  std::int64_t commits = 0;
};

QuietRun run_quiet(std::uint64_t seed, bool publisher) {
  std::string error;
  sim::WorldOptions options;
  options.seed = seed;
  options.time_us_max = 2 * kQuietLife_us;
  sim::World world(options, sim::make_strategy("random", &error));
  const std::vector<sim::NodeIndex> brokers = add_three_brokers(world);
  auto commits = std::make_shared<std::int64_t>(0);
  if (publisher) {
    const sim::NodeIndex node = world.add_node("client");
    world.spawn(node, "publisher", [&world, node, brokers, commits] {
      scenarios::SimEnv env(world, node);
      core::ClientConfig config;
      config.brokers.assign(brokers.begin(), brokers.end());
      core::BrokerClient client(env, config, 100);
      for (std::int64_t i = 0; i < kQuietLife_us / 1'000'000; ++i) {
        auto reply = client.publish({"quiet"}, "evt", fmt::format("{}", i));
        if (reply && reply->status == core::Status::ok) *commits += 1;
        world.sleep_for_us(1'000'000);
      }
    });
  }
  world.spawn(sim::kControlNode, "stopper", [&world] {
    world.sleep_for_us(kQuietLife_us);
    world.stop();
  });
  const sim::RunOutcome outcome = world.run();
  return QuietRun{outcome.steps, outcome.now_us, *commits};
}

// Arg 0: idle cluster; arg 1: one publisher, one event a second.
void BM_QuietCluster(benchmark::State& state) {
  std::uint64_t seed = 1;
  std::int64_t steps = 0;
  std::int64_t virtual_us = 0;
  std::int64_t commits = 0;
  for (auto _ : state) {
    const QuietRun r = run_quiet(seed++, state.range(0) != 0);
    steps += static_cast<std::int64_t>(r.steps);
    virtual_us += r.virtual_us;
    commits += r.commits;
  }
  state.counters["steps_per_s"] = benchmark::Counter(static_cast<double>(steps), benchmark::Counter::kIsRate);
  state.counters["virtual_s_per_s"] =
      benchmark::Counter(static_cast<double>(virtual_us) / 1e6, benchmark::Counter::kIsRate);
  state.counters["commits"] = static_cast<double>(commits) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_QuietCluster)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

// Whole broker scenario executions, in process (no process start-up). A fixed number of
// iterations, so every run of the benchmark executes the same seeds (1-40): seeds differ
// in cost by more than most optimisations gain, and before/after must compare like with like.
void BM_BrokerExecutions(benchmark::State& state, const char* scenario) {
  std::uint64_t seed = 1;
  std::int64_t steps = 0;
  std::int64_t virtual_us = 0;
  for (auto _ : state) {
    scenarios::RunRequest r;
    r.scenario = scenario;
    r.seed = seed++;
    const auto result = scenarios::run_scenario(r);
    steps += static_cast<std::int64_t>(result.outcome.steps);
    virtual_us += result.outcome.now_us;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["steps_per_s"] = benchmark::Counter(static_cast<double>(steps), benchmark::Counter::kIsRate);
  state.counters["virtual_s_per_s"] =
      benchmark::Counter(static_cast<double>(virtual_us) / 1e6, benchmark::Counter::kIsRate);
}
BENCHMARK_CAPTURE(BM_BrokerExecutions, broker_smoke, "broker-smoke")->Iterations(40)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_BrokerExecutions, leader_crash, "leader-crash")->Iterations(40)->Unit(benchmark::kMillisecond);

}  // namespace
