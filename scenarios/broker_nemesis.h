// The nemesis of the broker scenarios: a fiber on the control node that, for the fault
// period, applies faults of the kinds its scenario allows (which of them, and their
// parameters, drawn from the seed), then heals everything, restarts what is down, and
// leaves a quiet period for liveness before stopping the world.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "scenarios/scenario.h"

namespace simbus::scenarios {

struct NemesisSetup {
  std::uint32_t kinds = 0;  // NemesisKind flags (broker_cluster.h)
  std::int64_t fault_period_us = 0;
  std::int64_t fault_duration_us_max = 1'500'000;
  std::int64_t quiet_period_us = 0;
  std::vector<sim::NodeIndex> brokers;
  std::function<std::optional<sim::NodeIndex>()> leader_of;  // the current leader, if known
  // After the quiet period the world runs on (up to a bound) until this holds, then lets
  // the last events reach their subscribers before it stops.
  std::function<bool()> workload_done;
  // True once every acknowledged event has reached every subscriber that must get it and
  // every presence view matches the members (the end checks would pass on delivery). After
  // the drain the run goes on, up to kSettleUsMax, until it holds: a client repairs a lost
  // event only by its next resync (every idle_resync_us), so on a lossy network a fixed
  // drain ended runs whose last events were still being repaired (false "lost").
  std::function<bool()> settled;
  // A running broker's Raft term and vote (nullopt while it is down or booting): the
  // crash-voter fault watches for fresh votes through it.
  struct Vote {
    std::uint64_t term = 0;
    std::uint64_t voted_for = 0;
    bool leader = false;
  };
  std::function<std::optional<Vote>(sim::NodeIndex)> vote_of;
  std::uint64_t no_vote = 0;  // voted_for's "nobody"
  // A running broker's Raft role and log end (nullopt while it is down or booting): the
  // figure-8 script steers by it.
  struct RaftView {
    std::uint64_t term = 0;
    bool leader = false;
    std::uint64_t last_index = 0;
    std::uint64_t last_term = 0;
  };
  std::function<std::optional<RaftView>(sim::NodeIndex)> raft_view_of;
  // Fires `count` publishes at once at `broker` (empty: the scenario has no burst clients).
  std::function<void(sim::NodeIndex broker, std::int64_t count)> burst;
  std::int64_t burst_publishes = 0;
  // The lease the brokers promise (kLeaseSkew keeps the clock rates within its bound).
  std::int64_t election_timeout_us_min = 0;
  std::int64_t lease_clock_skew_us_max = 0;
};

struct NemesisState {
  std::int64_t heal_time_us = -1;  // when the last fault healed; -1 while faults go on
  std::int64_t faults = 0;
};

void start_nemesis(ScenarioContext& ctx, const NemesisSetup& setup, NemesisState* state);
// The stability check of kStableLeader: `leader` led `term` when a follower was cut off;
// while it holds a majority, every running broker must still be at that term and it must
// still lead. "" if so, else what changed. `now` holds each running broker's state.
struct StableSample {
  std::string node;
  std::uint64_t term = 0;
  bool leader = false;
};
std::string judge_stable_leader(const std::string& leader, std::uint64_t term, const std::vector<StableSample>& now);

// "partition-majority,crash-leader": the names of the kinds in `kinds`.
std::string nemesis_kind_names(std::uint32_t kinds);

}  // namespace simbus::scenarios
