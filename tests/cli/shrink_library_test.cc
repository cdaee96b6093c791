// The CLI's engine called as a library (simbus::cli), as a user's test would: shrink a
// failing execution found by exploration, without going through the command line.
#include <gtest/gtest.h>

#include "cli/shrink.h"
#include "scenarios/scenario.h"
#include "testing/explore.h"

namespace simbus::cli {
namespace {

TEST(ShrinkLibrary, ShrinksAnExploredFailureToOneThatFailsTheSameCheck) {
  testing::ExploreOptions explore_options;
  explore_options.runs = 200;
  explore_options.params = {{"fibers", "3"}, {"increments", "3"}};
  const testing::ExploreResult found = testing::explore("racy-counter", explore_options);
  ASSERT_TRUE(found.failure.has_value());

  scenarios::RunRequest request;
  request.scenario = "racy-counter";
  request.seed = found.failure->seed;
  request.params = explore_options.params;
  const scenarios::RunResult failing = scenarios::run_scenario(request);
  ASSERT_FALSE(failing.passed());
  request.replay = failing.log;

  const ShrinkOutcome outcome = shrink_execution(request, ShrinkOptions{.attempts_max = 2'000, .time_limit_s = 0});
  EXPECT_EQ(outcome.original.outcome.check, "lost-update");
  EXPECT_EQ(outcome.shrunk.outcome.check, "lost-update");
  EXPECT_LE(measure(outcome.shrunk), measure(outcome.original));
  EXPECT_GT(outcome.attempts, 0u);
}

}  // namespace
}  // namespace simbus::cli
