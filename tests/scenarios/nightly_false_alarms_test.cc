// Nightly runs that failed with no bug switched on (issue 5: "with no bug on, the nightly
// suite finds nothing"), each pinned to the seed that showed it. Each failed on c37506a:
// - lost (partition-flaky, big-cluster): the last event of a channel dropped on the way to
//   a subscriber, whose idle resync (once a second) lost a round or two as well, on a
//   network that keeps dropping up to 15% of messages after the heal; the run stopped
//   2 s after the last publish, before the repair landed. A client whose resume reply
//   shows it behind now repairs on the gap timeout instead of waiting a second of silence
//   (fixes 460, 558, 694, 252, 556, 878, 1214 on its own), and runs go on past the drain
//   until deliveries settle, bounded by the liveness bound (partition-flaky 763 still
//   failed "lost" without that).
// - presence-convergence (presence-churn 966): a member's own client event took a
//   sequence number, its ClientEventReply was lost (node isolated), and every resume
//   skipped that number (never echoed to its sender): the ordered client waited on the
//   hole forever and never showed the member_added behind it. A resume now sends an
//   EventOmitted for the connection's own events.
// - liveness (snapshot-catchup 1916, 1999): a subscriber's subscribe reply was lost (and
//   the replies to two repairs after it) while the client library already held the
//   events that followed; the subscriber, blocked in subscribe() for 4.9 s, recorded them
//   only when it returned. Subscribers now take events through a listener as they arrive,
//   and a subscribe on a broker that restarted ends at once.
// - liveness (snapshot-catchup 3963, found in seeds 2001-5000): 14% message loss went on
//   after the heal, and a quiet-period publish lost ten round trips in a row and ended
//   info. The heal now stops message faults too.
#include <gtest/gtest.h>

#include <cstdint>

#include "scenarios/scenario.h"

namespace simbus::scenarios {
namespace {

struct Seed {
  const char* scenario;
  std::uint64_t seed;
};

constexpr Seed kNightlyFalseAlarms[] = {
    {"big-cluster", 460},     {"big-cluster", 558},     {"big-cluster", 694},
    {"partition-flaky", 252}, {"partition-flaky", 556}, {"partition-flaky", 763},
    {"partition-flaky", 878}, {"partition-flaky", 1214}, {"presence-churn", 966},
    {"snapshot-catchup", 1916}, {"snapshot-catchup", 1999}, {"snapshot-catchup", 3963},
};

class NightlyFalseAlarm : public ::testing::TestWithParam<Seed> {};

TEST_P(NightlyFalseAlarm, PassesWithNoBug) {
  RunRequest request;
  request.scenario = GetParam().scenario;
  request.seed = GetParam().seed;
  const RunResult result = run_scenario(request);
  EXPECT_TRUE(result.passed()) << GetParam().scenario << " seed " << GetParam().seed << ": "
                               << result.outcome.check << ": " << result.outcome.message;
}

INSTANTIATE_TEST_SUITE_P(Seeds, NightlyFalseAlarm, ::testing::ValuesIn(kNightlyFalseAlarms),
                         [](const ::testing::TestParamInfo<Seed>& info) {
                           std::string name = std::string(info.param.scenario) + "_" + std::to_string(info.param.seed);
                           for (char& c : name) {
                             if (c == '-') c = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace simbus::scenarios
