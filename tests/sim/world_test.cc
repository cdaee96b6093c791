#include "sim/world.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/assert.h"
#include "sim/sync.h"
#include "tests/sim/world_test_util.h"

namespace simbus::sim {
namespace {

using testing::run_world;

TEST(World, FibersRunToCompletion) {
  int done = 0;
  auto outcome = run_world(1, [&](World& w) {
    for (int i = 0; i < 3; ++i) {
      w.spawn(kControlNode, "f" + std::to_string(i), [&done] {
        this_fiber::yield();
        done += 1;
      });
    }
  });
  EXPECT_EQ(outcome.status, RunStatus::kOk);
  EXPECT_EQ(done, 3);
}

TEST(World, SleepAdvancesVirtualTimeOnly) {
  std::int64_t woke_at = -1;
  auto outcome = run_world(1, [&](World& w) {
    w.spawn(kControlNode, "sleeper", [&] {
      this_fiber::sleep_for_ms(1500);
      woke_at = this_fiber::now_us();
    });
  });
  EXPECT_EQ(outcome.status, RunStatus::kOk);
  EXPECT_EQ(woke_at, 1'500'000);
  EXPECT_EQ(outcome.now_us, 1'500'000);
}

TEST(World, JoinWaitsForTheChild) {
  std::vector<std::string> order;
  run_world(3, [&](World& w) {
    w.spawn(kControlNode, "parent", [&] {
      auto child = spawn("child", [&] {
        this_fiber::sleep_for_ms(5);
        order.push_back("child");
      });
      World::current().join(child);
      order.push_back("parent");
    });
  });
  ASSERT_EQ(order.size(), 2u);
  EXPECT_EQ(order[0], "child");
  EXPECT_EQ(order[1], "parent");
}

TEST(World, SameSeedSameHashDifferentSeedsDiffer) {
  auto program = [](World& w) {
    for (int i = 0; i < 4; ++i) {
      w.spawn(kControlNode, "f" + std::to_string(i), [] {
        for (int k = 0; k < 10; ++k) this_fiber::yield();
      });
    }
  };
  const auto a = run_world(11, program);
  const auto b = run_world(11, program);
  const auto c = run_world(12, program);
  EXPECT_EQ(a.trace_hash, b.trace_hash);
  EXPECT_NE(a.trace_hash, c.trace_hash);
}

TEST(World, DeadlockIsReportedWithTheCycle) {
  auto outcome = run_world(1, [](World& w) {
    w.spawn(kControlNode, "owner", [] {
      auto a = std::make_shared<Mutex>();
      auto b = std::make_shared<Mutex>();
      auto x = spawn("x", [a, b] {
        a->lock();
        this_fiber::sleep_for_ms(1);
        b->lock();
      });
      auto y = spawn("y", [a, b] {
        b->lock();
        this_fiber::sleep_for_ms(1);
        a->lock();
      });
      World::current().join(x);
      World::current().join(y);
    });
  });
  ASSERT_EQ(outcome.status, RunStatus::kDeadlock);
  EXPECT_EQ(outcome.check, "deadlock");
  EXPECT_NE(outcome.message.find("cycle"), std::string::npos) << outcome.message;
  EXPECT_NE(outcome.message.find("x waits for lock"), std::string::npos) << outcome.message;
  EXPECT_NE(outcome.message.find("y waits for lock"), std::string::npos) << outcome.message;
}

TEST(World, StepBudgetTurnsALivelockIntoAFailure) {
  WorldOptions options;
  options.steps_max = 1000;
  auto outcome = run_world(
      1, [](World& w) { w.spawn(kControlNode, "spinner", [] { while (true) this_fiber::yield(); }); }, options);
  EXPECT_EQ(outcome.status, RunStatus::kLivelock);
  EXPECT_EQ(outcome.steps, 1000u);
}

TEST(World, TimeBudgetTurnsAnEndlessSleeperIntoAFailure) {
  WorldOptions options;
  options.time_us_max = 10'000'000;
  auto outcome = run_world(
      1, [](World& w) { w.spawn(kControlNode, "ticker", [] { while (true) this_fiber::sleep_for_ms(100); }); },
      options);
  EXPECT_EQ(outcome.status, RunStatus::kLivelock);
  EXPECT_LE(outcome.now_us, 10'000'000);
}

TEST(World, ExceptionInAFiberIsAFailure) {
  auto outcome = run_world(1, [](World& w) {
    w.spawn(kControlNode, "thrower", [] { throw std::runtime_error("boom"); });
  });
  EXPECT_EQ(outcome.status, RunStatus::kFailed);
  EXPECT_EQ(outcome.check, "exception");
  EXPECT_NE(outcome.message.find("boom"), std::string::npos);
}

TEST(World, BrokenAssertionInAFiberFailsTheExecutionAndUnwindsItsStack) {
  int unwound = 0;
  int after = 0;
  auto body = [&](World& w) {
    w.spawn(kControlNode, "other", [&] {
      while (true) this_fiber::yield();
    });
    w.spawn(kControlNode, "checker", [&] {
      struct Guard {
        int* count;
        ~Guard() { *count += 1; }
      } guard{&unwound};
      this_fiber::yield();
      const int answer = 41;
      SIMBUS_ASSERT_MSG(answer == 42, "the answer");
      after += 1;
    });
  };
  auto outcome = run_world(7, body);
  EXPECT_EQ(outcome.status, RunStatus::kFailed);
  EXPECT_EQ(outcome.check, "assertion");
  EXPECT_NE(outcome.message.find("fiber 'checker'"), std::string::npos) << outcome.message;
  EXPECT_NE(outcome.message.find("answer == 42"), std::string::npos) << outcome.message;
  EXPECT_NE(outcome.message.find("world_test.cc:"), std::string::npos) << outcome.message;
  EXPECT_NE(outcome.message.find(": the answer"), std::string::npos) << outcome.message;
  EXPECT_EQ(unwound, 1);  // the failing fiber's destructors ran
  EXPECT_EQ(after, 0);
  // Replayable: the same seed fails the same way, at the same point.
  unwound = 0;
  auto again = run_world(7, body);
  EXPECT_EQ(again.trace_hash, outcome.trace_hash);
  EXPECT_EQ(again.message, outcome.message);
  EXPECT_EQ(again.steps, outcome.steps);
}

TEST(WorldDeathTest, BrokenAssertionOutsideFibersStillAborts) {
  EXPECT_DEATH(
      run_world(1,
                [](World& w) {
                  w.spawn(kControlNode, "f", [] { this_fiber::yield(); });
                  SIMBUS_ASSERT_MSG(w.node_count() == 99, "setup code");
                }),
      "assertion failed: .*node_count");
}

TEST(World, CrashUnwindsStacksAndRestartBoots) {
  int destructors = 0;
  int boots = 0;
  struct Guard {
    int* count;
    ~Guard() { *count += 1; }
  };
  auto outcome = run_world(1, [&](World& w) {
    const NodeIndex node = w.add_node("n1", [&boots] {
      boots += 1;
      this_fiber::sleep_for_ms(1);
    });
    w.spawn(node, "victim", [&destructors] {
      Guard g{&destructors};
      while (true) this_fiber::sleep_for_ms(10);
    });
    w.spawn(kControlNode, "nemesis", [node, &w] {
      this_fiber::sleep_for_ms(25);
      w.crash(node);
      EXPECT_FALSE(w.node_up(node));
      EXPECT_EQ(w.incarnation(node), 2u);
      this_fiber::sleep_for_ms(5);
      w.restart(node);
    });
  });
  EXPECT_EQ(outcome.status, RunStatus::kOk);
  EXPECT_EQ(destructors, 1);
  EXPECT_EQ(boots, 1);
}

TEST(World, PausedNodeDoesNotRun) {
  std::int64_t ran_at = -1;
  run_world(1, [&](World& w) {
    const NodeIndex node = w.add_node("n1");
    w.spawn(node, "worker", [&ran_at] {
      this_fiber::sleep_for_ms(1);
      ran_at = this_fiber::now_us();
    });
    w.spawn(kControlNode, "nemesis", [node, &w] {
      w.pause(node);
      this_fiber::sleep_for_ms(50);
      w.resume(node);
    });
  });
  // Paused at time 0 (before or after the worker started its 1 ms sleep): it runs only
  // once resumed at 50 ms.
  EXPECT_GE(ran_at, 50'000);
  EXPECT_LE(ran_at, 51'000);
}

TEST(World, NodeClockSkewAndDrift) {
  std::int64_t reading = 0;
  run_world(1, [&](World& w) {
    const NodeIndex node = w.add_node("n1");
    w.set_clock(node, 5'000, 100);  // +5 ms, +100 ppm
    w.spawn(kControlNode, "reader", [&reading, node, &w] {
      this_fiber::sleep_for_ms(10'000);
      reading = w.node_now_us(node);
    });
  });
  // 10 s of virtual time: +1 ms of drift, +5 ms of skew.
  EXPECT_EQ(reading, 10'000'000 + 1'000 + 5'000);
}


// A wait whose object notifies is set aside once evaluated: it runs after the notify that
// follows the change, or at its deadline, like a wait evaluated every step.
struct Flag {
  bool set = false;
};
Waiter flag_waiter(const Flag& flag) {
  Waiter w;
  w.ready = [](const void* o) { return static_cast<const Flag*>(o)->set; };
  w.object = &flag;
  w.notifies = true;
  return w;
}

TEST(World, NotifyingWaitRunsAfterTheNotify) {
  Flag flag;
  std::int64_t woke_at = -1;
  bool ready = false;
  auto outcome = run_world(1, [&](World& w) {
    w.spawn(kControlNode, "waiter", [&] {
      ready = w.wait({ActionKind::kChannelRecv, 7, Access::kWrite}, flag_waiter(flag));
      woke_at = this_fiber::now_us();
    });
    w.spawn(kControlNode, "setter", [&] {
      this_fiber::sleep_for_ms(3);
      flag.set = true;
      w.notify(&flag);
    });
  });
  EXPECT_EQ(outcome.status, RunStatus::kOk);
  EXPECT_TRUE(ready);
  EXPECT_EQ(woke_at, 3'000);
}

TEST(World, NotifyingWaitTimesOutAtItsDeadline) {
  Flag flag;
  std::int64_t woke_at = -1;
  bool ready = true;
  auto outcome = run_world(1, [&](World& w) {
    w.spawn(kControlNode, "waiter", [&] {
      ready = w.wait({ActionKind::kChannelRecv, 7, Access::kWrite}, flag_waiter(flag), 5'000);
      woke_at = this_fiber::now_us();
    });
    w.spawn(kControlNode, "other", [&] {
      this_fiber::sleep_for_ms(2);
      w.notify(&flag);  // a notify that changes nothing: evaluated again, set aside again
    });
  });
  EXPECT_EQ(outcome.status, RunStatus::kOk);
  EXPECT_FALSE(ready);
  EXPECT_EQ(woke_at, 5'000);
}

// Never notified, no deadline: a deadlock, reported as one (the world cannot tell a
// forgotten notify from a real deadlock; builds with assertions cross-check every step).
TEST(World, NotifyingWaitNeverNotifiedIsADeadlock) {
  Flag flag;
  auto outcome = run_world(1, [&](World& w) {
    w.spawn(kControlNode, "waiter", [&] { w.wait({ActionKind::kChannelRecv, 7, Access::kWrite}, flag_waiter(flag)); });
  });
  EXPECT_EQ(outcome.status, RunStatus::kDeadlock);
}

// A fiber set aside on a node that is then paused, and due while paused, runs only once
// the node resumes (the paused check applies to fibers brought back as to the others).
TEST(World, NotifyingWaitDueWhilePausedRunsAtResume) {
  Flag flag;
  std::int64_t woke_at = -1;
  run_world(1, [&](World& w) {
    const NodeIndex node = w.add_node("n1");
    w.spawn(node, "waiter", [&] {
      w.wait({ActionKind::kChannelRecv, 7, Access::kWrite}, flag_waiter(flag), 2'000);
      woke_at = this_fiber::now_us();
    });
    w.spawn(kControlNode, "nemesis", [node, &w] {
      this_fiber::sleep_for_ms(1);
      w.pause(node);
      this_fiber::sleep_for_ms(9);
      w.resume(node);
    });
  });
  EXPECT_EQ(woke_at, 10'000);
}

}  // namespace
}  // namespace simbus::sim
