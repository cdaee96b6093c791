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

TEST(Liveness, EveryFunctionHeldWhenAsked) {
  History h;
  Operation subscribe = publish("", 100, 105, Status::fail);
  subscribe.function = "subscribe";
  subscribe.args.clear();
  h.operations = {publish("a", 100, 110), subscribe};
  LivenessOptions only_publish{.heal_time = 50, .completion_bound = 20};
  EXPECT_TRUE(check_liveness(h, nullptr, only_publish).ok());
  LivenessOptions every{.heal_time = 50, .completion_bound = 20, .functions = {}};
  CheckReport r = check_liveness(h, nullptr, every);
  ASSERT_EQ(r.violations.size(), 1u) << r.to_string(&h);
  EXPECT_EQ(r.violations[0].operations, std::vector<std::size_t>{1});
}

}  // namespace
}  // namespace simbus::checkers
