#include "scenarios/broker_nemesis.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/assert.h"
#include "scenarios/broker_cluster.h"
#include "sim/network.h"

namespace simbus::scenarios {
namespace {

constexpr std::int64_t kFaultsMax = 10'000;
constexpr int kFlakyRounds = 10;
constexpr std::int64_t kWorkloadWaitUs = 20'000'000;  // beyond it the liveness check speaks
constexpr std::int64_t kDrainUs = 2'000'000;          // for the last events to arrive

struct KindName {
  NemesisKind kind;
  const char* name;
};

constexpr KindName kKindNames[] = {
    {kPartitionMajority, "partition-majority"}, {kPartitionBridge, "partition-bridge"},
    {kPartitionRing, "partition-ring"},         {kIsolate, "isolate"},
    {kOneWay, "one-way"},                       {kFlaky, "flaky"},
    {kCrashLeader, "crash-leader"},             {kCrashAny, "crash-any"},
    {kCrashAll, "crash-all"},                   {kPause, "pause"},
    {kClockSkew, "clock-skew"},                 {kClog, "clog"},
};

std::int64_t draw_range(sim::World& w, std::int64_t lo, std::int64_t hi) {
  SIMBUS_ASSERT(lo <= hi);
  return lo + static_cast<std::int64_t>(w.draw_below(sim::DataTag::kNemesis, static_cast<std::uint64_t>(hi - lo + 1)));
}

// A random order of the brokers (Fisher-Yates on the nemesis's stream).
std::vector<sim::NodeIndex> shuffled(sim::World& w, std::vector<sim::NodeIndex> nodes) {
  for (std::size_t i = nodes.size(); i > 1; --i) {
    const auto j = static_cast<std::size_t>(w.draw_below(sim::DataTag::kNemesis, i));
    std::swap(nodes[i - 1], nodes[j]);
  }
  return nodes;
}

void apply_fault(ScenarioContext& ctx, const NemesisSetup& setup, NemesisKind kind) {
  sim::World& w = ctx.world;
  sim::Network& net = w.network();
  const auto& brokers = setup.brokers;
  const std::size_t n = brokers.size();
  const std::int64_t duration_us = draw_range(w, 100'000, 1'500'000);
  auto pick = [&] { return brokers[w.draw_below(sim::DataTag::kNemesis, n)]; };
  switch (kind) {
    case kPartitionMajority: {
      if (n < 2) return;
      auto order = shuffled(w, brokers);
      const std::size_t minority = (n - 1) / 2 == 0 ? 1 : (n - 1) / 2;
      for (std::size_t i = 0; i < minority; ++i) {
        for (std::size_t j = minority; j < n; ++j) net.partition(order[i], order[j]);
      }
      w.sleep_for_us(duration_us);
      net.heal();
      return;
    }
    case kPartitionBridge: {
      if (n < 3) return;
      auto order = shuffled(w, brokers);
      // order[0] is the bridge; the rest split in two halves that cannot see each other.
      const std::size_t half = (n - 1) / 2;
      for (std::size_t i = 1; i <= half; ++i) {
        for (std::size_t j = half + 1; j < n; ++j) net.partition(order[i], order[j]);
      }
      w.sleep_for_us(duration_us);
      net.heal();
      return;
    }
    case kPartitionRing: {
      if (n < 4) return;
      auto order = shuffled(w, brokers);
      for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t j = i + 1; j < n; ++j) {
          const bool neighbours = j == i + 1 || (i == 0 && j == n - 1);
          if (!neighbours) net.partition(order[i], order[j]);
        }
      }
      w.sleep_for_us(duration_us);
      net.heal();
      return;
    }
    case kIsolate:
      net.isolate(pick());
      w.sleep_for_us(duration_us);
      net.heal();
      return;
    case kOneWay: {
      const auto a = pick();
      const auto b = pick();
      if (a == b) return;
      net.block_one_way(a, b);
      w.sleep_for_us(duration_us);
      net.heal();
      return;
    }
    case kFlaky:
      for (int round = 0; round < kFlakyRounds; ++round) {
        const auto a = pick();
        const auto b = pick();
        if (a != b) net.partition(a, b);
        w.sleep_for_us(draw_range(w, 10'000, 100'000));
        net.heal();
      }
      return;
    case kCrashLeader: {
      const auto leader = setup.leader_of ? setup.leader_of() : std::nullopt;
      if (!leader) return;
      w.crash(*leader);
      w.sleep_for_us(duration_us);
      w.restart(*leader);
      return;
    }
    case kCrashAny: {
      const auto victim = pick();
      w.crash(victim);
      w.sleep_for_us(duration_us);
      w.restart(victim);
      return;
    }
    case kCrashAll:
      for (auto b : brokers) w.crash(b);
      w.sleep_for_us(duration_us);
      for (auto b : brokers) w.restart(b);
      return;
    case kPause: {
      const auto victim = pick();
      w.pause(victim);
      w.sleep_for_us(duration_us);
      w.resume(victim);
      return;
    }
    case kClockSkew: {
      const auto victim = pick();
      const std::int64_t skew_us = draw_range(w, -500'000, 500'000);
      const std::int64_t drift_ppm = draw_range(w, -2'000, 2'000);
      w.set_clock(victim, skew_us, drift_ppm);
      w.sleep_for_us(duration_us);
      return;
    }
    case kClog: {
      const auto a = pick();
      const auto b = pick();
      if (a != b) net.clog(a, b, w.now_us() + duration_us);
      w.sleep_for_us(duration_us);
      return;
    }
    case kNemesisNone:
      return;
  }
}

}  // namespace

std::string nemesis_kind_names(std::uint32_t kinds) {
  std::string out;
  for (const KindName& k : kKindNames) {
    if (kinds & k.kind) out += fmt::format("{}{}", out.empty() ? "" : ",", k.name);
  }
  return out.empty() ? "none" : out;
}

void start_nemesis(ScenarioContext& ctx, const NemesisSetup& setup, NemesisState* state) {
  sim::World& world = ctx.world;
  // Swarm testing: each seed uses a random non-empty subset of the allowed kinds.
  std::vector<NemesisKind> active;
  for (const KindName& k : kKindNames) {
    if ((setup.kinds & k.kind) && world.draw_chance(sim::DataTag::kNemesis, 1, 2)) active.push_back(k.kind);
  }
  if (active.empty()) {
    for (const KindName& k : kKindNames) {
      if (setup.kinds & k.kind) {
        active.push_back(k.kind);
        break;
      }
    }
  }
  std::uint32_t active_mask = 0;
  for (auto k : active) active_mask |= k;
  ctx.report(fmt::format("nemesis: {}", nemesis_kind_names(active_mask)));

  world.spawn(sim::kControlNode, "nemesis", [&ctx, setup, state, active] {
    sim::World& w = ctx.world;
    const std::int64_t start_us = w.now_us();
    while (!active.empty() && w.now_us() - start_us < setup.fault_period_us && state->faults < kFaultsMax) {
      w.sleep_for_us(draw_range(w, 50'000, 400'000));
      const NemesisKind kind = active[w.draw_below(sim::DataTag::kNemesis, active.size())];
      apply_fault(ctx, setup, kind);
      state->faults += 1;
    }
    if (active.empty()) w.sleep_for_us(setup.fault_period_us);
    // Heal everything: links, clocks, paused and crashed nodes.
    w.network().heal();
    for (auto b : setup.brokers) {
      w.set_clock(b, 0, 0);
      w.resume(b);
      if (!w.node_up(b)) w.restart(b);
    }
    state->heal_time_us = w.now_us();
    w.sleep_for_us(setup.quiet_period_us);
    const std::int64_t wait_until_us = w.now_us() + kWorkloadWaitUs;
    while (setup.workload_done && !setup.workload_done() && w.now_us() < wait_until_us) w.sleep_for_us(100'000);
    w.sleep_for_us(kDrainUs);
    w.stop();
  });
}

}  // namespace simbus::scenarios
