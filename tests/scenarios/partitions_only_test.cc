// The broker scenarios' "faults=1" parameter (papers/bug-zoo's "partitions only" column):
// the scenario's workload under random partitions only. Whatever the scenario's own faults
// are, the nemesis draws from the partition kinds alone, and no message, disk or clock
// faults are configured; faults=0 is the scenario as it always was.
#include <gtest/gtest.h>

#include <set>
#include <sstream>

#include "scenarios/scenario.h"

namespace simbus::scenarios {
namespace {

bool takes_faults_param(const Scenario& s) {
  for (const ParamSpec& p : s.params) {
    if (p.key == "faults") return true;
  }
  return false;
}

// The kinds on the "nemesis: a,b" report line; empty when there is no such line.
std::set<std::string> nemesis_kinds(const RunResult& r) {
  const std::string prefix = "nemesis: ";
  for (const std::string& line : r.report) {
    if (line.rfind(prefix, 0) != 0) continue;
    std::set<std::string> kinds;
    std::stringstream in(line.substr(prefix.size()));
    std::string kind;
    while (std::getline(in, kind, ',')) kinds.insert(kind);
    return kinds;
  }
  return {};
}

bool has_line_starting(const RunResult& r, const std::string& prefix) {
  for (const std::string& line : r.report) {
    if (line.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

RunResult run(const std::string& scenario, std::uint64_t seed, const char* faults) {
  RunRequest request;
  request.scenario = scenario;
  request.seed = seed;
  if (faults != nullptr) request.params = {{"faults", faults}};
  return run_scenario(request);
}

TEST(PartitionsOnly, EveryBrokerScenarioDrawsOnlyPartitionKinds) {
  const std::set<std::string> partition_kinds = {"partition-majority", "partition-bridge", "partition-ring", "isolate",
                                                 "one-way"};
  int broker_scenarios = 0;
  for (const Scenario* s : all_scenarios()) {
    if (!takes_faults_param(*s)) continue;
    ++broker_scenarios;
    const RunResult r = run(s->name, 1, "1");
    const auto kinds = nemesis_kinds(r);
    ASSERT_FALSE(kinds.empty()) << s->name << ": no nemesis line";
    for (const std::string& k : kinds) EXPECT_TRUE(partition_kinds.count(k)) << s->name << ": " << k;
    EXPECT_FALSE(has_line_starting(r, "network:")) << s->name << ": message faults under faults=1";
    EXPECT_FALSE(has_line_starting(r, "disk:")) << s->name << ": disk faults under faults=1";
  }
  // broker-smoke ... connect-churn: if they stop declaring the parameter, this test says so.
  EXPECT_GE(broker_scenarios, 16);
}

TEST(PartitionsOnly, ReplacesTheScenarioFaults) {
  // crash-restart-all crashes nodes by default; under faults=1 it partitions them instead.
  const RunResult own = run("crash-restart-all", 2, nullptr);
  const RunResult partitions = run("crash-restart-all", 2, "1");
  EXPECT_TRUE(nemesis_kinds(own).count("crash-all") || nemesis_kinds(own).count("crash-any"));
  EXPECT_NE(own.outcome.trace_hash, partitions.outcome.trace_hash);
  // retry-storm's message faults are gone too.
  EXPECT_TRUE(has_line_starting(run("retry-storm", 1, nullptr), "network:"));
  EXPECT_FALSE(has_line_starting(run("retry-storm", 1, "1"), "network:"));
}

TEST(PartitionsOnly, ZeroIsTheScenarioAsItWas) {
  for (const char* scenario : {"retry-storm", "crash-after-vote", "lease-reads-skew"}) {
    const RunResult by_default = run(scenario, 3, nullptr);
    const RunResult zero = run(scenario, 3, "0");
    EXPECT_EQ(by_default.outcome.trace_hash, zero.outcome.trace_hash) << scenario;
    EXPECT_EQ(nemesis_kinds(by_default), nemesis_kinds(zero)) << scenario;
  }
}

TEST(PartitionsOnly, RawSubscribersKeepTheLinkToTheirBroker) {
  // Raw subscribers never repair what their link loses, so a scenario with them is never
  // given `isolate`, which cuts a broker's clients too. broker-smoke seed 9001 drew it and
  // failed "gap" on a raw subscriber whose broker had sent every event.
  for (std::uint64_t seed = 1; seed <= 30; ++seed) {
    EXPECT_FALSE(nemesis_kinds(run("broker-smoke", seed, "1")).count("isolate")) << seed;
  }
  const RunResult r = run("broker-smoke", 9001, "1");
  EXPECT_EQ(r.outcome.status, sim::RunStatus::kOk) << r.outcome.check << ": " << r.outcome.message;
  // Scenarios without raw subscribers still draw it.
  bool isolated = false;
  for (std::uint64_t seed = 1; seed <= 30 && !isolated; ++seed) {
    isolated = nemesis_kinds(run("partition-majority", seed, "1")).count("isolate") != 0;
  }
  EXPECT_TRUE(isolated);
}

TEST(PartitionsOnly, OtherValuesAreRefused) {
  EXPECT_THROW(run("broker-smoke", 1, "2"), UsageError);
}

}  // namespace
}  // namespace simbus::scenarios
