#include <gtest/gtest.h>

#include "checkers/liveness.h"

namespace simbus::checkers {
namespace {

Operation publish(const std::string& payload, std::int64_t invoke, std::int64_t complete, Status status = Status::ok) {
  Operation op;
  op.process = 1;
  op.function = "publish";
  op.key = "c";
  op.args = {Value{payload}};
  op.results = {Value{std::int64_t{1}}};
  op.status = status;
  op.invoke_time = invoke;
  op.complete_time = status == Status::info ? kTimeNever : complete;
  return op;
}

TEST(Liveness, HoldsWhenPublishesCompleteAndArriveInTime) {
  History h;
  h.operations = {publish("before", 5, 500, Status::info), publish("a", 100, 110)};
  DeliveryLog log;
  log.subscriptions = {{"s1", "c", "", 0, kTimeNever, true}};
  log.deliveries = {{"s1", "c", DeliveryKind::event, 1, "a", 115}};
  LivenessOptions options{.heal_time = 50, .completion_bound = 20, .delivery_bound = 30};
  CheckReport r = check_liveness(h, &log, options);
  EXPECT_TRUE(r.ok()) << r.to_string(&h);
}

TEST(Liveness, SlowOrUnfinishedPublishAfterHeal) {
  History h;
  h.operations = {publish("a", 100, 190), publish("b", 120, 0, Status::info)};
  LivenessOptions options{.heal_time = 50, .completion_bound = 20};
  CheckReport r = check_liveness(h, nullptr, options);
  EXPECT_EQ(r.violations.size(), 2u) << r.to_string(&h);
}

TEST(Liveness, DeliveryOverTheBound) {
  History h;
  h.operations = {publish("a", 100, 110)};
  DeliveryLog log;
  log.subscriptions = {{"s1", "c", "", 0, kTimeNever, true}, {"s2", "c", "", 0, kTimeNever, true}};
  log.deliveries = {{"s1", "c", DeliveryKind::event, 1, "a", 200}};
  LivenessOptions options{.heal_time = 50, .completion_bound = 20, .delivery_bound = 30};
  CheckReport r = check_liveness(h, &log, options);
  EXPECT_EQ(r.violations.size(), 2u) << r.to_string(&h);  // late to s1, never to s2
}

// The latency check is this one with a tight bound from the first leadership: its
// violations carry its own name and say when the bound began to hold.
TEST(Liveness, NamedAsTheLatencyCheck) {
  History h;
  h.operations = {publish("a", 100, 130)};
  LivenessOptions options{.heal_time = 50, .completion_bound = 20};
  options.checker = "latency";
  options.since = "in a fault-free cluster after its first leader";
  CheckReport r = check_liveness(h, nullptr, options);
  ASSERT_EQ(r.violations.size(), 1u) << r.to_string(&h);
  EXPECT_EQ(r.violations[0].checker, "latency");
  EXPECT_NE(r.violations[0].message.find("in a fault-free cluster after its first leader took 30"), std::string::npos)
      << r.violations[0].message;
}

// An attempt the client retried past is still a lost request or reply: reported from the
// promised time on, not before it.
TEST(Liveness, UnansweredAttemptsFromThePromiseOn) {
  const std::vector<UnansweredAttempt> unanswered = {{"connect", 10}, {"publish", 120}, {"channel_info", 400}};
  EXPECT_TRUE(check_attempts_answered(unanswered, 500, "us after x").ok());
  CheckReport r = check_attempts_answered(unanswered, 100, "us after x");
  ASSERT_EQ(r.violations.size(), 2u);
  EXPECT_EQ(r.violations[0].checker, "latency");
  EXPECT_NE(r.violations[0].message.find("a publish request sent at 120 us after x got no answer"), std::string::npos)
      << r.violations[0].message;
}

}  // namespace
}  // namespace simbus::checkers
