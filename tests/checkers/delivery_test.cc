// Each delivery and presence checker: a log that holds and one that breaks it.
#include <gtest/gtest.h>

#include "checkers/delivery.h"

namespace simbus::checkers {
namespace {

Operation publish(std::int64_t process, const std::string& channel, const std::string& payload, std::int64_t seq,
                  std::int64_t invoke, std::int64_t complete) {
  Operation op;
  op.process = process;
  op.function = "publish";
  op.key = channel;
  op.args = {Value{payload}};
  op.results = {Value{seq}};
  op.invoke_time = invoke;
  op.complete_time = complete;
  return op;
}

Delivery event(const std::string& session, std::int64_t seq, const std::string& payload, std::int64_t time) {
  return Delivery{session, "c", DeliveryKind::event, seq, payload, time};
}

// Two publishers, two sessions subscribed from the start and connected throughout.
struct Fixture {
  History history;
  DeliveryLog log;
  Fixture() {
    history.operations = {publish(1, "c", "a1", 1, 10, 12), publish(2, "c", "b1", 2, 11, 13),
                          publish(1, "c", "a2", 3, 14, 16)};
    log.subscriptions = {{"s1", "c", "", 0, kTimeNever, true}, {"s2", "c", "", 0, kTimeNever, true}};
    for (const std::string s : {"s1", "s2"}) {
      log.deliveries.push_back(event(s, 1, "a1", 20));
      log.deliveries.push_back(event(s, 2, "b1", 21));
      log.deliveries.push_back(event(s, 3, "a2", 22));
    }
  }
};

bool has(const CheckReport& r, const std::string& checker) {
  for (const Violation& v : r.violations) {
    if (v.checker == checker) return true;
  }
  return false;
}

TEST(Delivery, HoldsOnACorrectLog) {
  Fixture f;
  CheckReport r = check_delivery(f.history, f.log);
  EXPECT_TRUE(r.ok()) << r.to_string(&f.history);
}

TEST(Delivery, Lost) {
  Fixture f;
  f.log.deliveries.erase(f.log.deliveries.begin() + 5);  // s2 never gets a2
  CheckReport r = check_delivery(f.history, f.log);
  EXPECT_TRUE(has(r, "lost")) << r.to_string(&f.history);
  ASSERT_FALSE(r.violations.empty());
}

TEST(Delivery, LostIgnoresSessionsThatJoinedLater) {
  Fixture f;
  f.log.subscriptions[1].subscribe_time = 15;  // s2 joined after a1 and b1 were invoked
  f.log.deliveries.erase(f.log.deliveries.begin() + 3, f.log.deliveries.begin() + 5);
  f.log.subscriptions[1].connected_throughout = true;
  CheckReport r = check_delivery(f.history, f.log);
  EXPECT_FALSE(has(r, "lost")) << r.to_string(&f.history);
}

TEST(Delivery, OneOrderAcrossSessions) {
  Fixture f;
  f.log.deliveries[4].payload = "a2";  // s2 sees a2 as seq 2
  f.log.deliveries[5].payload = "b1";
  f.log.deliveries[4].seq = 2;
  CheckReport r = check_delivery(f.history, f.log);
  EXPECT_TRUE(has(r, "order")) << r.to_string(&f.history);
}

TEST(Delivery, OutOfOrderWithinASession) {
  Fixture f;
  std::swap(f.log.deliveries[1], f.log.deliveries[2]);
  CheckReport r = check_delivery(f.history, f.log);
  EXPECT_TRUE(has(r, "order")) << r.to_string(&f.history);
}

TEST(Delivery, PublisherFifoOnSequenceNumbers) {
  Fixture f;
  f.history.operations[2].results = {Value{std::int64_t{0}}};  // a2 numbered before a1
  f.log.deliveries.clear();
  CheckReport r = check_delivery(f.history, f.log);
  EXPECT_TRUE(has(r, "fifo")) << r.to_string(&f.history);
}

TEST(Delivery, Duplicate) {
  Fixture f;
  f.log.deliveries.push_back(event("s1", 3, "a2", 23));
  CheckReport r = check_delivery(f.history, f.log);
  EXPECT_TRUE(has(r, "duplicate")) << r.to_string(&f.history);
}

TEST(Delivery, PhantomNeverPublished) {
  Fixture f;
  f.log.deliveries.push_back(event("s1", 4, "zz", 23));
  CheckReport r = check_delivery(f.history, f.log);
  EXPECT_TRUE(has(r, "phantom")) << r.to_string(&f.history);
}

TEST(Delivery, PhantomOtherContents) {
  Fixture f;
  f.log.deliveries[0].seq = 3;  // a1 delivered with a2's number
  CheckReport r = check_delivery(f.history, f.log);
  EXPECT_TRUE(has(r, "phantom")) << r.to_string(&f.history);
}

TEST(Delivery, FailedPublishDeliveredIsPhantom) {
  Fixture f;
  Operation failed = publish(3, "c", "x", 0, 17, 18);
  failed.status = Status::fail;
  failed.results.clear();
  f.history.operations.push_back(failed);
  f.log.deliveries.push_back(event("s1", 4, "x", 30));
  CheckReport r = check_delivery(f.history, f.log);
  EXPECT_TRUE(has(r, "phantom")) << r.to_string(&f.history);
}

TEST(Delivery, GapWhileConnectedThroughout) {
  Fixture f;
  f.log.deliveries.erase(f.log.deliveries.begin() + 1);  // s1 misses b1
  CheckReport r = check_delivery(f.history, f.log);
  EXPECT_TRUE(has(r, "gap")) << r.to_string(&f.history);
}

TEST(Delivery, GapAfterReconnectNeedsMissedNotice) {
  Fixture f;
  f.log.subscriptions[0].connected_throughout = false;
  f.log.deliveries.erase(f.log.deliveries.begin() + 1);
  CheckReport without = check_delivery(f.history, f.log);
  EXPECT_TRUE(has(without, "gap"));
  f.log.deliveries.insert(f.log.deliveries.begin() + 1, Delivery{"s1", "c", DeliveryKind::missed, 2, "", 21});
  CheckReport with = check_delivery(f.history, f.log);
  EXPECT_FALSE(has(with, "gap")) << with.to_string(&f.history);
}

TEST(Presence, AlternationHoldsAndBreaks) {
  DeliveryLog log;
  log.deliveries = {{"s1", "p", DeliveryKind::member_added, 0, "u1", 1},
                    {"s1", "p", DeliveryKind::member_removed, 0, "u1", 2},
                    {"s1", "p", DeliveryKind::member_added, 0, "u1", 3}};
  EXPECT_TRUE(check_presence(log, 0).ok());
  log.deliveries.push_back({"s1", "p", DeliveryKind::member_added, 0, "u1", 4});
  CheckReport r = check_presence(log, 0);
  EXPECT_TRUE(has(r, "presence-alternation")) << r.to_string();
}

TEST(Presence, ConvergenceAfterHeal) {
  DeliveryLog log;
  log.subscriptions = {{"s1", "p", "u1", 0, kTimeNever, true}, {"s2", "p", "u2", 0, kTimeNever, false},
                       {"s3", "p", "u3", 0, 50, true}};
  log.presence_views = {{"s1", "p", {"u1", "u2"}, 100}, {"s2", "p", {"u2", "u1"}, 100},
                        {"s1", "p", {"u1", "u2", "u3"}, 40}};  // before heal: not judged
  EXPECT_TRUE(check_presence(log, 60).ok()) << check_presence(log, 60).to_string();
  log.presence_views.push_back({"s2", "p", {"u1", "u2", "u3"}, 110});
  CheckReport r = check_presence(log, 60);
  EXPECT_TRUE(has(r, "presence-convergence")) << r.to_string();
}

}  // namespace
}  // namespace simbus::checkers
