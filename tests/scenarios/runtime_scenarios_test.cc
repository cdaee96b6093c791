// The runtime scenarios behave as their contracts say: the racy ones fail for some seeds
// and pass for others, naming the right check; the correct ones never fail.
#include <gtest/gtest.h>

#include "scenarios/scenario.h"
#include "scenarios/suite.h"

namespace simbus::scenarios {
namespace {

struct Tally {
  int passed = 0;
  int failed = 0;
  std::string first_check;
  std::string first_message;
};

Tally sweep(const std::string& scenario, std::uint64_t seeds,
            std::vector<std::pair<std::string, std::string>> params = {}) {
  Tally t;
  for (std::uint64_t seed = 1; seed <= seeds; ++seed) {
    RunRequest r;
    r.scenario = scenario;
    r.seed = seed;
    r.params = params;
    const RunResult result = run_scenario(r);
    if (result.passed()) {
      t.passed += 1;
    } else {
      if (t.failed == 0) {
        t.first_check = result.outcome.check;
        t.first_message = result.outcome.message;
      }
      t.failed += 1;
    }
  }
  return t;
}

TEST(RuntimeScenarios, RacyCounterLosesAnUpdateOnSomeSeedsOnly) {
  const Tally t = sweep("racy-counter", 40);
  EXPECT_GT(t.failed, 0);
  EXPECT_GT(t.passed, 0);
  EXPECT_EQ(t.first_check, "lost-update");
  EXPECT_NE(t.first_message.find("counter is 1, expected 2"), std::string::npos) << t.first_message;
}

TEST(RuntimeScenarios, RacyCounterWithOneFiberNeverFails) {
  EXPECT_EQ(sweep("racy-counter", 30, {{"fibers", "1"}, {"increments", "5"}}).failed, 0);
}

TEST(RuntimeScenarios, MutexCounterAlwaysCountsFourHundred) {
  EXPECT_EQ(sweep("mutex-counter", 20).failed, 0);
}

TEST(RuntimeScenarios, PhilosophersDeadlockOnSomeSeedsNamingTheCycle) {
  const Tally t = sweep("philosophers", 150);
  EXPECT_GT(t.failed, 0);
  EXPECT_GT(t.passed, 0);
  EXPECT_EQ(t.first_check, "deadlock");
  for (int i = 0; i < 5; ++i) {
    EXPECT_NE(t.first_message.find("philosopher-" + std::to_string(i)), std::string::npos) << t.first_message;
  }
}

TEST(RuntimeScenarios, PingpongDeliversExactlyOnceUnderFaults) {
  EXPECT_EQ(sweep("pingpong", 30).failed, 0);
  EXPECT_EQ(sweep("pingpong", 10, {{"nodes", "4"}, {"drop_pct", "40"}, {"dup_pct", "30"}}).failed, 0);
}

TEST(RuntimeScenarios, PingpongCheckCatchesMissingDedup) {
  const Tally t = sweep("pingpong", 10, {{"dedup", "0"}});
  EXPECT_GT(t.failed, 0);
  EXPECT_EQ(t.first_check, "exactly-once");
}

TEST(RuntimeScenarios, BadParametersAreUsageErrors) {
  RunRequest r;
  r.scenario = "racy-counter";
  r.params = {{"fibers", "0"}};
  EXPECT_THROW(run_scenario(r), UsageError);
  r.params = {{"nope", "1"}};
  EXPECT_THROW(run_scenario(r), UsageError);
  r.params = {{"fibers", "2x"}};
  EXPECT_THROW(run_scenario(r), UsageError);
  r.params = {};
  r.scenario = "no-such-scenario";
  EXPECT_THROW(run_scenario(r), UsageError);
  r.scenario = "racy-counter";
  r.strategy = "no-such-strategy";
  EXPECT_THROW(run_scenario(r), UsageError);
}

TEST(Suites, EveryEntryNamesAKnownScenario) {
  for (const Suite* suite : all_suites()) {
    for (const SuiteEntry& e : suite->entries) {
      EXPECT_NE(find_scenario(e.scenario), nullptr) << suite->name << ": " << e.scenario;
    }
  }
  EXPECT_NE(find_suite("smoke"), nullptr);
  EXPECT_NE(find_suite("ci"), nullptr);
  EXPECT_NE(find_suite("nightly"), nullptr);
}

}  // namespace
}  // namespace simbus::scenarios
