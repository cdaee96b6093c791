// testing/explore.h and testing/gtest.h: exploring callables and registered scenarios,
// replaying from the environment, and the std drop-ins (sim/std.h) under random and DPOR.
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>

#include "scenarios/scenario.h"
#include "sim/std.h"
#include "testing/explore.h"
#include "testing/gtest.h"

namespace simbus::testing {
namespace {

namespace sstd = simbus::std_sim;

// Two threads increment with load-then-store: some interleavings lose an update.
void lost_update() {
  sstd::atomic<int> counter{0};
  auto increment = [&] { counter.store(counter.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed); };
  sstd::thread a(increment);
  sstd::thread b(increment);
  a.join();
  b.join();
  check(counter.peek() == 2, "lost-update", "counter is " + std::to_string(counter.peek()) + ", expected 2");
}

// The same with fetch_add: every interleaving keeps both.
void no_lost_update() {
  sstd::atomic<int> counter{0};
  auto increment = [&] { counter.fetch_add(1, std::memory_order_acq_rel); };
  sstd::thread a(increment);
  sstd::thread b(increment);
  a.join();
  b.join();
  check(counter.peek() == 2, "lost-update", "counter is " + std::to_string(counter.peek()) + ", expected 2");
}

TEST(Explore, RandomFindsTheLostUpdateAndItsSeedReplays) {
  const ExploreResult found = explore(lost_update, {.strategy = "random", .runs = 200});
  ASSERT_FALSE(found.passed());
  ASSERT_TRUE(found.failure.has_value());
  EXPECT_EQ(found.failure->check, "lost-update");
  EXPECT_EQ(found.failure->message, "counter is 1, expected 2");
  EXPECT_TRUE(found.failure->reproduce.empty());  // a callable has no command line of its own

  const ExploreResult again = explore(lost_update, {.strategy = "random", .replay_seed = found.failure->seed});
  EXPECT_TRUE(again.replayed);
  EXPECT_EQ(again.executions, 1u);
  ASSERT_TRUE(again.failure.has_value());
  EXPECT_EQ(again.failure->trace_hash, found.failure->trace_hash);
  EXPECT_EQ(again.failure->schedule, found.failure->schedule);
}

TEST(Explore, DporFindsTheLostUpdateAndProvesTheFix) {
  const ExploreResult buggy = explore(lost_update, {.strategy = "dpor", .runs = 0, .stop_on_fail = false});
  EXPECT_TRUE(buggy.exhausted);
  EXPECT_GT(buggy.failures, 0u);
  EXPECT_LT(buggy.failures, buggy.executions);  // some interleavings are fine

  const ExploreResult fixed = explore(no_lost_update, {.strategy = "dpor", .runs = 0});
  EXPECT_TRUE(fixed.passed());
  EXPECT_TRUE(fixed.exhausted);
  EXPECT_GE(fixed.executions, 1u);

  // The failure's schedule replays it exactly under the same strategy.
  const ExploreResult replay = explore(lost_update, {.strategy = "dpor", .replay_schedule = buggy.failure->schedule});
  ASSERT_TRUE(replay.failure.has_value());
  EXPECT_EQ(replay.failure->trace_hash, buggy.failure->trace_hash);
}

TEST(Explore, RegisteredScenarioReproduceNamesThisProgram) {
  const ExploreResult r = explore("racy-counter", {.runs = 50});
  ASSERT_TRUE(r.failure.has_value());
  EXPECT_EQ(r.failure->check, "lost-update");
  const std::string expected = program_path() + " run racy-counter --seed " + std::to_string(r.failure->seed);
  EXPECT_EQ(r.failure->reproduce, expected);
}

TEST(Explore, BadInputIsAUsageError) {
  EXPECT_THROW(explore(lost_update, {.strategy = "no-such-strategy"}), scenarios::UsageError);
  EXPECT_THROW(explore("no-such-scenario", {}), scenarios::UsageError);
  EXPECT_THROW(explore(lost_update, {.strategy = "dpor", .replay_schedule = "1.x"}), scenarios::UsageError);
  EXPECT_THROW(explore(lost_update, {.bug = "anything"}), scenarios::UsageError);
}

TEST(Explore, EnvironmentSetsSeedScheduleAndRuns) {
  ::setenv("SIMBUS_SEED", "17", 1);
  ::setenv("SIMBUS_RUNS", "5", 1);
  ExploreOptions o = apply_environment({});
  EXPECT_EQ(o.replay_seed, 17u);
  EXPECT_EQ(o.runs, 5u);
  ::setenv("SIMBUS_SEED", "seventeen", 1);
  EXPECT_THROW(apply_environment({}), scenarios::UsageError);
  ::unsetenv("SIMBUS_SEED");
  ::unsetenv("SIMBUS_RUNS");
  ::setenv("SIMBUS_SCHEDULE", "0.1x3", 1);
  EXPECT_EQ(apply_environment({}).replay_schedule, "0.1x3");
  ::unsetenv("SIMBUS_SCHEDULE");
}

TEST(ExploreDeathTest, MalformedEnvironmentExitsTwo) {
  ::setenv("SIMBUS_RUNS", "-3", 1);
  EXPECT_EXIT(explore_for_test(no_lost_update, {}), ::testing::ExitedWithCode(2), "SIMBUS_RUNS='-3'");
  ::unsetenv("SIMBUS_RUNS");
}

void failing_expectation() { EXPECT_SIMBUS_HOLDS(lost_update, {.runs = 200}); }
void failing_scenario_expectation() { EXPECT_SIMBUS_HOLDS("racy-counter", {.runs = 50}); }

TEST(Gtest, FailurePrintsAPasteableReproduceLine) {
  EXPECT_NONFATAL_FAILURE(failing_expectation(),
                          "--gtest_filter=Gtest.FailurePrintsAPasteableReproduceLine");
  EXPECT_NONFATAL_FAILURE(failing_expectation(), "reproduce: SIMBUS_SEED=");
  // A scenario's failure too: this binary's line, not `<program> run ...`, which only a
  // program over simbus::cli::main understands.
  ::testing::TestPartResultArray results;
  {
    ::testing::ScopedFakeTestPartResultReporter reporter(::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD, &results);
    failing_scenario_expectation();
  }
  ASSERT_EQ(results.size(), 1);
  const std::string message = results.GetTestPartResult(0).message();
  EXPECT_NE(message.find("reproduce: SIMBUS_SEED="), std::string::npos) << message;
  EXPECT_EQ(message.find(" run racy-counter"), std::string::npos) << message;
}

// Fails on purpose; run only by the test below, as a user pasting the reproduce line would.
SIMBUS_TEST(Gtest, DISABLED_LostUpdate, {.strategy = "random", .runs = 200}) { lost_update(); }

std::string run_command(const std::string& command, int* status) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  std::array<char, 4096> buffer{};
  while (std::fgets(buffer.data(), buffer.size(), pipe) != nullptr) out += buffer.data();
  *status = ::pclose(pipe);
  return out;
}

std::string line_after(const std::string& text, const std::string& prefix) {
  const auto at = text.find(prefix);
  if (at == std::string::npos) return {};
  const auto start = at + prefix.size();
  return text.substr(start, text.find('\n', start) - start);
}

TEST(Gtest, PastedReproduceLineReplaysTheSameFailure) {
  int status = 0;
  const std::string self = program_path();
  const std::string explored =
      run_command(self + " --gtest_also_run_disabled_tests --gtest_filter=Gtest.DISABLED_LostUpdate 2>&1", &status);
  EXPECT_NE(status, 0);
  const std::string reproduce = line_after(explored, "reproduce: ");
  ASSERT_NE(reproduce.find("SIMBUS_SEED="), std::string::npos) << explored;
  const std::string schedule = line_after(explored, "schedule: ");

  const std::string replayed = run_command(reproduce + " --gtest_also_run_disabled_tests 2>&1", &status);
  EXPECT_NE(status, 0);
  EXPECT_NE(replayed.find("executions: 1\n"), std::string::npos) << replayed;
  EXPECT_NE(replayed.find("FAIL lost-update: counter is 1, expected 2"), std::string::npos) << replayed;
  EXPECT_EQ(line_after(replayed, "schedule: "), schedule);
  EXPECT_EQ(line_after(replayed, "reproduce: "), reproduce);
}

// Producer and consumer on a mutex and condition variable: DPOR visits every ordering.
SIMBUS_TEST(StdSim, ConditionVariableHandsOver, {.strategy = "dpor", .runs = 0}) {
  sstd::mutex m;
  sstd::condition_variable ready;
  int items = 0;
  sstd::thread producer([&] {
    for (int i = 0; i < 2; ++i) {
      std::scoped_lock guard(m);
      items += 1;
      ready.notify_one();
    }
  });
  {
    std::unique_lock<sstd::mutex> lock(m);
    ready.wait(lock, [&] { return items == 2; });
  }
  producer.join();
  check(items == 2, "handover", "items lost");
}

// Readers never see a half-done write under shared_mutex.
SIMBUS_TEST(StdSim, SharedMutexExcludesWriters, {.strategy = "dpor", .runs = 0}) {
  sstd::shared_mutex rw;
  int a = 0;
  int b = 0;
  sstd::jthread writer([&] {
    std::lock_guard<sstd::shared_mutex> guard(rw);
    a = 1;
    sstd::this_thread::yield();
    b = 1;
  });
  sstd::jthread reader([&] {
    std::shared_lock<sstd::shared_mutex> shared(rw);
    check(a == b, "torn-read", "a reader saw a half-done write");
  });
}

// wait_for and sleep_for run on virtual time: a timeout passes without a notify.
SIMBUS_TEST(StdSim, TimedWaitTimesOutOnVirtualTime, {.runs = 5}) {
  sstd::mutex m;
  sstd::condition_variable never;
  std::unique_lock<sstd::mutex> lock(m);
  const std::int64_t before_us = sim::this_fiber::now_us();
  const bool woke = never.wait_for(lock, std::chrono::milliseconds(5), [] { return false; });
  check(!woke, "timeout", "a wait with a false predicate returned true");
  check(sim::this_fiber::now_us() - before_us == 5000, "timeout", "the wait did not take 5 ms of virtual time");
  lock.unlock();
  sstd::this_thread::sleep_for(std::chrono::microseconds(250));
  check(sim::this_fiber::now_us() - before_us == 5250, "sleep", "sleep_for did not take 250 us");
}

// A jthread whose function takes a stop token is stopped and joined when it goes out of scope.
SIMBUS_TEST(StdSim, JthreadStopsAndJoins, {.strategy = "random", .runs = 20}) {
  auto finished = std::make_shared<bool>(false);
  {
    sstd::jthread worker([finished](std::stop_token stop) {
      while (!stop.stop_requested()) sstd::this_thread::yield();
      *finished = true;
    });
    sstd::this_thread::yield();
  }
  check(*finished, "jthread", "the jthread's destructor returned before its function did");
}

// A real thread started inside the simulation is reported, not silently run unscheduled.
TEST(Explore, RealThreadInAFiberFailsTheExecution) {
#ifdef SIMBUS_ASAN
  GTEST_SKIP() << "the sanitizer runtime interposes pthread_create itself";
#endif
  const ExploreResult r = explore(
      [] {
        int value = 0;
        std::thread real([&value] { value = 1; });
        real.join();
      },
      {.runs = 3});
  ASSERT_TRUE(r.failure.has_value());
  EXPECT_EQ(r.failures, 1u);  // stop_on_fail
  EXPECT_EQ(r.failure->check, "os-thread");
  EXPECT_NE(r.failure->message.find("fiber main started an operating-system thread"), std::string::npos)
      << r.failure->message;
  // Outside the simulation threads are the program's own business.
  int value = 0;
  std::thread outside([&value] { value = 1; });
  outside.join();
  EXPECT_EQ(value, 1);
}

// So is the wall clock: inside a fiber a read fails the execution.
TEST(Explore, WallClockInAFiberFailsTheExecution) {
#ifdef SIMBUS_ASAN
  GTEST_SKIP() << "not interposed in sanitizer builds";
#endif
  const ExploreResult r = explore([] { (void)std::chrono::steady_clock::now(); }, {.runs = 3});
  ASSERT_TRUE(r.failure.has_value());
  EXPECT_EQ(r.failure->check, "wall-clock");
  EXPECT_NE(r.failure->message.find("fiber main read the wall clock"), std::string::npos) << r.failure->message;
  const ExploreResult system = explore([] { (void)std::chrono::system_clock::now(); }, {.runs = 1});
  ASSERT_TRUE(system.failure.has_value());
  EXPECT_EQ(system.failure->check, "wall-clock");
  EXPECT_GT(std::chrono::steady_clock::now().time_since_epoch().count(), 0);  // outside: allowed
}

}  // namespace
}  // namespace simbus::testing
