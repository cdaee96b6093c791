// The scenario from a GoogleTest: explored through testing/explore.h, no command line.
#include <gtest/gtest.h>

#include "replicated_log.h"
#include "testing/gtest.h"

namespace {

class ReplicatedLog : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { example::register_replicated_log(); }
};

TEST_F(ReplicatedLog, AcknowledgedRecordsSurviveBackupCrashes) {
  EXPECT_SIMBUS_HOLDS("replicated-log", {.strategy = "random", .runs = 200});
}

TEST_F(ReplicatedLog, AckBeforeFsyncIsFound) {
  const auto result = simbus::testing::explore_for_test(
      "replicated-log", {.strategy = "random", .runs = 500, .params = {{"backup_fsync", "0"}}});
  ASSERT_TRUE(result.failure.has_value()) << simbus::testing::describe(result);
  EXPECT_EQ(result.failure->check, "durable-ack");
  // The command line that replays it names the program that registered the scenario.
  EXPECT_NE(result.failure->reproduce.find(" run replicated-log --seed "), std::string::npos);
}

}  // namespace
