// Fibers, timers, locks and local datagrams of the runtime on one real io_context.
#include <gtest/gtest.h>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "runtime/process.h"

namespace simbus::runtime {
namespace {

ProcessConfig local_config() {
  ProcessConfig c;
  c.process_id = 1;
  c.listen = false;
  c.shared_secret = "test";
  return c;
}

// Runs the loop until `done` or a 10 s guard (a hang fails the test instead of the suite).
void run_bounded(Process& p, const bool& done) {
  boost::asio::steady_timer guard(p.io_context());
  guard.expires_after(std::chrono::seconds(10));
  guard.async_wait([&](const boost::system::error_code& ec) {
    if (!ec) p.stop();
  });
  p.run();
  EXPECT_TRUE(done) << "the loop was stopped by the 10 s guard";
}

TEST(RuntimeScheduler, SleepLastsAtLeastItsDuration) {
  Process p(local_config());
  auto env = p.make_env(1);
  bool done = false;
  std::int64_t slept_us = 0;
  p.spawn("sleeper", [&] {
    const std::int64_t t0 = env->now_us();
    env->sleep_for_us(20'000);
    slept_us = env->now_us() - t0;
    done = true;
    p.stop();
  });
  run_bounded(p, done);
  EXPECT_GE(slept_us, 20'000);
  EXPECT_LT(slept_us, 2'000'000);
}

TEST(RuntimeScheduler, TasksInterleaveAtYieldsAndTheLoopStaysLive) {
  Process p(local_config());
  auto env = p.make_env(1);
  std::vector<std::string> order;
  bool done = false;
  int finished = 0;
  for (const char* name : {"a", "b"}) {
    p.spawn(name, [&, name] {
      for (int i = 0; i < 3; ++i) {
        order.push_back(name);
        env->yield();
      }
      if (++finished == 2) {
        done = true;
        p.stop();
      }
    });
  }
  run_bounded(p, done);
  EXPECT_EQ(order, (std::vector<std::string>{"a", "b", "a", "b", "a", "b"}));
}

TEST(RuntimeScheduler, MutexExcludesAcrossSuspensions) {
  Process p(local_config());
  auto env = p.make_env(1);
  auto mutex = env->make_mutex("m");
  int inside = 0, inside_max = 0, finished = 0;
  bool done = false;
  for (int t = 0; t < 4; ++t) {
    p.spawn("locker", [&] {
      for (int i = 0; i < 5; ++i) {
        mutex->lock();
        inside += 1;
        inside_max = std::max(inside_max, inside);
        env->sleep_for_us(200);  // suspends while holding the lock
        inside -= 1;
        mutex->unlock();
      }
      if (++finished == 4) {
        done = true;
        p.stop();
      }
    });
  }
  run_bounded(p, done);
  EXPECT_EQ(inside_max, 1);
  EXPECT_EQ(finished, 4);
}

TEST(RuntimeScheduler, CondVarTimesOutThenIsNotifiedFromAPlainHandler) {
  Process p(local_config());
  auto env = p.make_env(1);
  auto mutex = env->make_mutex("m");
  auto cv = env->make_condvar("cv");
  bool flag = false, done = false, first = true, second = false;
  std::int64_t waited_us = 0;
  p.spawn("waiter", [&] {
    mutex->lock();
    const std::int64_t t0 = env->now_us();
    first = cv->wait_for_us(*mutex, 10'000);  // nobody notifies: false after 10 ms
    waited_us = env->now_us() - t0;
    // An Asio handler (not a task) notifies: how Beast callbacks hand work to fibers.
    boost::asio::post(p.io_context(), [&] {
      flag = true;
      cv->notify_one();
    });
    while (!flag) second = cv->wait_for_us(*mutex, 5'000'000);
    mutex->unlock();
    done = true;
    p.stop();
  });
  run_bounded(p, done);
  EXPECT_FALSE(first);
  EXPECT_GE(waited_us, 10'000);
  EXPECT_TRUE(second);
}

TEST(RuntimeScheduler, LateTimerDoesNotWakeALaterWait) {
  // A notify ends the first wait before its 30 ms timer; the task then sleeps 100 ms. The
  // stale timer firing at 30 ms must not cut that sleep short.
  Process p(local_config());
  auto env = p.make_env(1);
  auto mutex = env->make_mutex("m");
  auto cv = env->make_condvar("cv");
  bool done = false, notified = false;
  std::int64_t slept_us = 0;
  p.spawn("waiter", [&] {
    mutex->lock();
    notified = cv->wait_for_us(*mutex, 30'000);
    mutex->unlock();
    const std::int64_t t0 = env->now_us();
    env->sleep_for_us(100'000);
    slept_us = env->now_us() - t0;
    done = true;
    p.stop();
  });
  p.spawn("notifier", [&] { cv->notify_all(); });
  run_bounded(p, done);
  EXPECT_TRUE(notified);
  EXPECT_GE(slept_us, 100'000);
}

TEST(RuntimeScheduler, LocalDatagramsAndReceiveTimeout) {
  Process p(local_config());
  auto node = p.make_env(1);
  auto client = p.make_env(500);
  bool done = false;
  std::optional<core::Envelope> got, reply, nothing;
  std::int64_t empty_wait_us = 0;
  p.spawn("node", [&] {
    got = node->receive(5'000'000);
    if (got) node->send(got->from, core::Bytes{9});
  });
  p.spawn("client", [&] {
    client->send(1, core::Bytes{1, 2, 3});
    reply = client->receive(5'000'000);
    const std::int64_t t0 = client->now_us();
    nothing = client->receive(15'000);
    empty_wait_us = client->now_us() - t0;
    done = true;
    p.stop();
  });
  run_bounded(p, done);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->from, 500u);
  EXPECT_EQ(got->payload, (core::Bytes{1, 2, 3}));
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->from, 1u);
  EXPECT_FALSE(nothing);
  EXPECT_GE(empty_wait_us, 15'000);
}

TEST(RuntimeScheduler, UnfinishedTasksAreUnwoundWithTheProcess) {
  auto alive = std::make_shared<int>(0);
  {
    Process p(local_config());
    auto env = p.make_env(1);
    bool done = false;
    p.spawn("forever", [&, alive] {
      auto held = alive;  // released only by the unwinding of this stack
      env->sleep_for_us(3'600'000'000);
    });
    p.spawn("stopper", [&] {
      env->sleep_for_us(1'000);
      done = true;
      p.stop();
    });
    run_bounded(p, done);
    EXPECT_EQ(p.scheduler().live_tasks(), 1u);
    EXPECT_GT(alive.use_count(), 1);
  }
  EXPECT_EQ(alive.use_count(), 1);
}

TEST(RuntimeScheduler, RandomnessDiffersBetweenEndpoints) {
  Process p(local_config());
  auto a = p.make_env(1);
  auto b = p.make_env(2);
  EXPECT_NE(a->random_u64(), b->random_u64());
  for (int i = 0; i < 100; ++i) EXPECT_LT(a->random_below(7), 7u);
  EXPECT_FALSE(a->buggify("x", 1));
}

}  // namespace
}  // namespace simbus::runtime
