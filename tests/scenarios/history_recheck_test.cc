// A broker run's recorded history, written as JSON Lines and read back, gets the same
// linearizability verdict offline as the run gave — with and without a seeded bug.
#include <gtest/gtest.h>

#include "checkers/linearizability.h"
#include "checkers/model.h"
#include "checkers/readers.h"
#include "scenarios/scenario.h"

namespace simbus::scenarios {
namespace {

checkers::Verdict recheck(const std::string& jsonl) {
  std::string model_name;
  const checkers::History history = checkers::read_jsonl(jsonl, "recorded.jsonl", &model_name);
  EXPECT_EQ(model_name, "channel");
  auto model = checkers::make_model(model_name);
  return checkers::check_linearizable(history, *model, checkers::LinearizabilityLimits{}).verdict;
}

TEST(HistoryRecheck, CorrectRunRechecksLinearizable) {
  RunRequest r;
  r.scenario = "leader-crash";
  r.seed = 2;
  r.record_history = true;
  const RunResult result = run_scenario(r);
  ASSERT_TRUE(result.passed()) << result.outcome.message;
  ASSERT_FALSE(result.history_jsonl.empty());
  ASSERT_FALSE(result.deliveries_jsonl.empty());
  EXPECT_EQ(recheck(result.history_jsonl), checkers::Verdict::linearizable);
}

TEST(HistoryRecheck, BuggyRunRechecksNotLinearizable) {
  RunRequest r;
  r.scenario = "retry-storm";
  r.seed = 1;
  r.bug = "retry_applied_twice";
  r.record_history = true;
  const RunResult result = run_scenario(r);
  ASSERT_EQ(result.outcome.check, "linearizability");
  EXPECT_EQ(recheck(result.history_jsonl), checkers::Verdict::not_linearizable);
}

}  // namespace
}  // namespace simbus::scenarios
