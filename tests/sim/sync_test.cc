#include "sim/sync.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "tests/sim/world_test_util.h"

namespace simbus::sim {
namespace {

using testing::run_world;

TEST(Sync, MutexExcludes) {
  for (std::uint64_t seed = 1; seed <= 30; ++seed) {
    int inside = 0, max_inside = 0;
    auto outcome = run_world(seed, [&](World& w) {
      w.spawn(kControlNode, "main", [&] {
        Mutex m;
        std::vector<FiberId> ids;
        for (int i = 0; i < 4; ++i) {
          ids.push_back(spawn("w", [&] {
            for (int k = 0; k < 5; ++k) {
              LockGuard g(m);
              inside += 1;
              max_inside = std::max(max_inside, inside);
              this_fiber::yield();
              inside -= 1;
            }
          }));
        }
        for (auto id : ids) World::current().join(id);
      });
    });
    EXPECT_EQ(outcome.status, RunStatus::kOk);
    EXPECT_EQ(max_inside, 1) << "seed " << seed;
  }
}

TEST(Sync, AtomicOperationsAreSchedulingPoints) {
  // Two fibers each doing load+store can interleave: across seeds both outcomes appear.
  bool saw_lost = false, saw_full = false;
  for (std::uint64_t seed = 1; seed <= 50; ++seed) {
    std::int64_t final_value = 0;
    run_world(seed, [&](World& w) {
      w.spawn(kControlNode, "main", [&] {
        Atomic<std::int64_t> x(0);
        auto a = spawn("a", [&] { x.store(x.load() + 1); });
        auto b = spawn("b", [&] { x.store(x.load() + 1); });
        World::current().join(a);
        World::current().join(b);
        final_value = x.peek();
      });
    });
    saw_lost = saw_lost || final_value == 1;
    saw_full = saw_full || final_value == 2;
  }
  EXPECT_TRUE(saw_lost);
  EXPECT_TRUE(saw_full);
}

TEST(Sync, CondVarWakesAWaiter) {
  auto outcome = run_world(5, [](World& w) {
    w.spawn(kControlNode, "main", [] {
      Mutex m;
      CondVar cv;
      bool ready = false;
      auto waiter = spawn("waiter", [&] {
        LockGuard g(m);
        while (!ready) cv.wait(m);
      });
      this_fiber::sleep_for_ms(3);
      {
        LockGuard g(m);
        ready = true;
      }
      cv.notify_all();
      World::current().join(waiter);
    });
  });
  EXPECT_EQ(outcome.status, RunStatus::kOk);
}

TEST(Sync, CondVarWaitTimesOut) {
  bool notified = true;
  std::int64_t at = 0;
  run_world(5, [&](World& w) {
    w.spawn(kControlNode, "main", [&] {
      Mutex m;
      CondVar cv;
      LockGuard g(m);
      notified = cv.wait_for_us(m, 7'000);
      at = this_fiber::now_us();
    });
  });
  EXPECT_FALSE(notified);
  EXPECT_EQ(at, 7'000);
}

TEST(Sync, ChannelIsBoundedAndFifo) {
  std::vector<int> got;
  std::size_t max_size = 0;
  run_world(9, [&](World& w) {
    w.spawn(kControlNode, "main", [&] {
      Channel<int> ch(2);
      auto producer = spawn("producer", [&] {
        for (int i = 0; i < 10; ++i) {
          ch.send(i);
          max_size = std::max(max_size, ch.size());
        }
        ch.close();
      });
      while (auto v = ch.receive()) got.push_back(*v);
      World::current().join(producer);
    });
  });
  ASSERT_EQ(got.size(), 10u);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(got[static_cast<std::size_t>(i)], i);
  EXPECT_LE(max_size, 2u);
}

TEST(Sync, SemaphoreLimitsConcurrency) {
  int inside = 0, max_inside = 0;
  run_world(4, [&](World& w) {
    w.spawn(kControlNode, "main", [&] {
      Semaphore sem(2);
      std::vector<FiberId> ids;
      for (int i = 0; i < 5; ++i) {
        ids.push_back(spawn("w", [&] {
          sem.acquire();
          inside += 1;
          max_inside = std::max(max_inside, inside);
          this_fiber::sleep_for_ms(1);
          inside -= 1;
          sem.release();
        }));
      }
      for (auto id : ids) World::current().join(id);
    });
  });
  EXPECT_EQ(max_inside, 2);
}

}  // namespace
}  // namespace simbus::sim
