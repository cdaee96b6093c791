// GoogleTest helpers over testing/explore.h (target simbus::gtest, header-only).
//
//   SIMBUS_TEST(Stack, PushPop, simbus::testing::ExploreOptions{.strategy = "dpor", .runs = 0}) {
//     ... spawn fibers, simbus::testing::check(...) or SIMBUS_ASSERT(...) ...
//   }
//   EXPECT_SIMBUS_HOLDS(body, options);  // every execution passes
//   EXPECT_SIMBUS_FAILS(body, options);  // some execution fails (a seeded bug is found)
//
// A failing test prints the exploration and a line that replays the failure in this binary:
//   SIMBUS_SEED=17 ./stack_test --gtest_filter=Stack.PushPop
// SIMBUS_SEED / SIMBUS_SCHEDULE replay one execution; SIMBUS_RUNS=N sets the number of runs.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "testing/explore.h"

namespace simbus::testing {

// --gtest_filter for the running test, so the reproduce line runs it alone.
inline std::string current_test_filter() {
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  if (info == nullptr) return {};
  return std::string("--gtest_filter=") + info->test_suite_name() + "." + info->name();
}

// Predicate formatters (EXPECT_PRED_FORMAT1): the failure message is the exploration's
// report alone, not the macro's expansion.
inline ::testing::AssertionResult holds(const char* /*expression*/, const ExploreResult& result) {
  if (result.passed()) return ::testing::AssertionSuccess();
  // A scenario's `<program> run ...` line needs a program whose main is simbus::cli::main,
  // which a test binary is not: this binary's own line replaces it.
  ExploreResult shown = result;
  shown.failure->reproduce.clear();
  return ::testing::AssertionFailure() << describe(shown)
                                       << "reproduce: " << environment_reproduce(result, current_test_filter())
                                       << "\n";  // gtest closes the message with ")": not on this line
}

inline ::testing::AssertionResult fails(const char* /*expression*/, const ExploreResult& result) {
  if (!result.passed()) return ::testing::AssertionSuccess() << describe(result);
  return ::testing::AssertionFailure() << "expected a failing execution, found none\n" << describe(result);
}

}  // namespace simbus::testing

// `target`: a callable (std::function<void()>) or a registered scenario's name.
// The options are variadic so a braced initializer's commas need no parentheses:
// EXPECT_SIMBUS_HOLDS(body, {.strategy = "dpor", .runs = 0}) or an ExploreOptions variable.
#define EXPECT_SIMBUS_HOLDS(target, ...) \
  EXPECT_PRED_FORMAT1(::simbus::testing::holds, (::simbus::testing::explore_for_test((target), ::simbus::testing::ExploreOptions(__VA_ARGS__))))
#define ASSERT_SIMBUS_HOLDS(target, ...) \
  ASSERT_PRED_FORMAT1(::simbus::testing::holds, (::simbus::testing::explore_for_test((target), ::simbus::testing::ExploreOptions(__VA_ARGS__))))
#define EXPECT_SIMBUS_FAILS(target, ...) \
  EXPECT_PRED_FORMAT1(::simbus::testing::fails, (::simbus::testing::explore_for_test((target), ::simbus::testing::ExploreOptions(__VA_ARGS__))))

#define SIMBUS_GTEST_CONCAT2(a, b) a##b
#define SIMBUS_GTEST_CONCAT(a, b) SIMBUS_GTEST_CONCAT2(a, b)
#define SIMBUS_GTEST_BODY(suite, name) SIMBUS_GTEST_CONCAT(simbus_test_body_##suite##_, name)

// A test whose body runs as the main fiber of a fresh World, once per explored execution.
#define SIMBUS_TEST(suite, name, ...)                                                          \
  static void SIMBUS_GTEST_BODY(suite, name)();                                                \
  TEST(suite, name) {                                                                          \
    EXPECT_SIMBUS_HOLDS(::std::function<void()>(&SIMBUS_GTEST_BODY(suite, name)), __VA_ARGS__); \
  }                                                                                            \
  static void SIMBUS_GTEST_BODY(suite, name)()
