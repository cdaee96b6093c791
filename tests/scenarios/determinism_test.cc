// Determinism is the product: the same seed gives the same execution, replays give the
// same hash, and the audit names the step where two runs part.
#include <gtest/gtest.h>

#include <set>

#include "scenarios/scenario.h"
#include "sim/trace_file.h"

namespace simbus::scenarios {
namespace {

RunRequest request(const std::string& scenario, std::uint64_t seed) {
  RunRequest r;
  r.scenario = scenario;
  r.seed = seed;
  return r;
}

TEST(Determinism, EveryScenarioTwicePerSeedGivesTheSameHash) {
  for (const Scenario* s : all_scenarios()) {
    if (s->name.rfind("test-", 0) == 0) continue;  // planted-divergence fixtures
    std::set<std::uint64_t> distinct;
    for (std::uint64_t seed = 1; seed <= s->determinism_seeds; ++seed) {
      const RunResult a = run_scenario(request(s->name, seed));
      const RunResult b = run_scenario(request(s->name, seed));
      ASSERT_EQ(a.outcome.trace_hash, b.outcome.trace_hash) << s->name << " seed " << seed;
      ASSERT_EQ(a.outcome.status, b.outcome.status) << s->name << " seed " << seed;
      ASSERT_EQ(a.log, b.log) << s->name << " seed " << seed;
      distinct.insert(a.outcome.trace_hash);
    }
    // Seeds matter: a scenario whose every seed gives one trace explores nothing.
    EXPECT_GT(distinct.size(), 1u) << s->name;
  }
}

TEST(Determinism, ReplayOfARecordedLogGivesTheSameHash) {
  for (const Scenario* s : all_scenarios()) {
    if (s->name.rfind("test-", 0) == 0) continue;
    for (std::uint64_t seed : {3u, 17u}) {
      const RunResult original = run_scenario(request(s->name, seed));
      // Through the text format, as `simbus replay` does.
      sim::TraceFile trace;
      trace.header = {{"scenario", s->name}};
      trace.choices = original.log;
      sim::TraceFile parsed;
      std::string error;
      ASSERT_TRUE(sim::parse_trace(sim::format_trace(trace), "mem", &parsed, &error)) << error;
      RunRequest r = request(s->name, seed + 1000);  // the log, not the seed, decides
      r.replay = parsed.choices;
      const RunResult replayed = run_scenario(r);
      EXPECT_NE(replayed.outcome.status, sim::RunStatus::kDiverged) << s->name << ": " << replayed.outcome.message;
      EXPECT_EQ(replayed.outcome.status, original.outcome.status) << s->name;
      EXPECT_EQ(replayed.log, original.log) << s->name;
    }
  }
}

TEST(Determinism, ReplayOfATamperedLogDiverges) {
  const RunResult original = run_scenario(request("racy-counter", 5));
  sim::ChoiceLog log = original.log;
  ASSERT_FALSE(log.empty());
  for (auto& c : log) {
    if (c.kind == sim::Choice::Kind::kSchedule) c.actor ^= 1;  // no such fiber
  }
  RunRequest r = request("racy-counter", 5);
  r.replay = log;
  const RunResult replayed = run_scenario(r);
  EXPECT_EQ(replayed.outcome.status, sim::RunStatus::kDiverged);
  EXPECT_NE(replayed.outcome.message.find("step"), std::string::npos) << replayed.outcome.message;
}

TEST(Determinism, CompactScheduleReproducesTheRun) {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    const RunResult original = run_scenario(request("philosophers", seed));
    std::vector<std::uint32_t> indices;
    std::string error;
    ASSERT_TRUE(sim::decode_schedule(sim::encode_schedule(original.log), &indices, &error)) << error;
    RunRequest r = request("philosophers", seed);
    r.schedule = indices;
    const RunResult again = run_scenario(r);
    EXPECT_EQ(again.outcome.trace_hash, original.outcome.trace_hash) << "seed " << seed;
  }
}

TEST(Determinism, AuditAgreesOnADeterministicScenario) {
  const DeterminismReport report = check_determinism(request("pingpong", 9));
  EXPECT_TRUE(report.same) << report.difference;
  EXPECT_EQ(report.hash_a, report.hash_b);
}

TEST(Determinism, AuditFindsAPlantedDivergence) {
  // A scenario with hidden state outside the world: the second run takes another branch.
  Scenario s;
  s.name = "test-nondeterministic";
  s.description = "uses a static counter: nondeterministic on purpose";
  s.setup = [](ScenarioContext& ctx) {
    static int runs = 0;
    const int this_run = runs++;
    ctx.world.spawn(sim::kControlNode, "main", [this_run] {
      for (int i = 0; i < 10; ++i) sim::this_fiber::yield();
      if (this_run % 2 == 1) sim::this_fiber::sleep_for_ms(1);
      sim::this_fiber::yield();
    });
  };
  register_scenario(s);
  const DeterminismReport report = check_determinism(request("test-nondeterministic", 1));
  EXPECT_FALSE(report.same);
  EXPECT_NE(report.difference.find("step 12"), std::string::npos) << report.difference;
}

}  // namespace
}  // namespace simbus::scenarios
