// Runtime benchmarks: the cost of a fiber switch next to a bare Boost.Context switch,
// scheduler decisions per second, simulated messages per second, whole executions.
#include <benchmark/benchmark.h>

#include <boost/context/fiber.hpp>

#include "scenarios/scenario.h"
#include "sim/fiber.h"
#include "sim/network.h"
#include "sim/strategy.h"
#include "sim/world.h"

namespace {

namespace ctx = boost::context;
using namespace simbus;

// A round trip (into a fiber and back) with nothing else: the floor.
void BM_BareContextSwitch(benchmark::State& state) {
  bool stop = false;
  ctx::fiber f{[&stop](ctx::fiber&& back) {
    while (!stop) back = std::move(back).resume();
    return std::move(back);
  }};
  for (auto _ : state) f = std::move(f).resume();
  stop = true;
  f = std::move(f).resume();
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BareContextSwitch);

// The same round trip through simbus's FiberContext (pooled stack, ASan hooks compiled out).
void BM_SimbusFiberSwitch(benchmark::State& state) {
  sim::StackPool pool(64 * 1024);
  sim::FiberContext* self = nullptr;
  bool stop = false;
  sim::FiberContext f(pool, [&] {
    while (!stop) self->suspend();
  });
  self = &f;
  for (auto _ : state) f.resume();
  stop = true;
  f.resume();
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SimbusFiberSwitch);

// Scheduler decisions per second: `fibers` fibers yielding, random strategy choosing.
void BM_SchedulerDecisions(benchmark::State& state) {
  const auto fibers = static_cast<int>(state.range(0));
  constexpr int kYields = 100'000;
  std::uint64_t steps = 0;
  for (auto _ : state) {
    std::string error;
    sim::WorldOptions options;
    options.seed = 1;
    sim::World world(options, sim::make_strategy("random", &error));
    for (int i = 0; i < fibers; ++i) {
      world.spawn(sim::kControlNode, "y", [] {
        for (int k = 0; k < kYields; ++k) sim::this_fiber::yield();
      });
    }
    steps += world.run().steps;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(steps));
}
BENCHMARK(BM_SchedulerDecisions)->Arg(1)->Arg(4)->Arg(16)->Arg(64)->Unit(benchmark::kMillisecond);

// Simulated datagrams per second through the network (latency draws, events, mailboxes).
void BM_NetworkMessages(benchmark::State& state) {
  constexpr int kMessages = 20'000;
  std::uint64_t delivered = 0;
  for (auto _ : state) {
    std::string error;
    sim::World world(sim::WorldOptions{}, sim::make_strategy("random", &error));
    const auto a = world.add_node("a");
    const auto b = world.add_node("b");
    world.spawn(a, "sender", [&world, b] {
      for (int i = 0; i < kMessages; ++i) world.network().send(b, std::vector<std::uint8_t>(64, 7));
    });
    world.spawn(b, "receiver", [&world, &delivered] {
      for (int i = 0; i < kMessages; ++i) {
        if (world.network().receive(sim::World::kNever)) delivered += 1;
      }
    });
    world.run();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(delivered));
}
BENCHMARK(BM_NetworkMessages)->Unit(benchmark::kMillisecond);

// Whole `pingpong` executions per second (3 nodes, faults, checks).
void BM_PingpongExecutions(benchmark::State& state) {
  std::uint64_t seed = 1;
  for (auto _ : state) {
    scenarios::RunRequest r;
    r.scenario = "pingpong";
    r.seed = seed++;
    benchmark::DoNotOptimize(scenarios::run_scenario(r).outcome.trace_hash);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PingpongExecutions)->Unit(benchmark::kMicrosecond);

}  // namespace
