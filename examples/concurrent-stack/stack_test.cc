// The stack under simbus (built with SIMBUS_SIM): random exploration finds the racy pop,
// DPOR finds it too and proves the fixed pop correct over every interleaving.
//   SIMBUS_RUNS=10000 ./stack_test             # more random runs
//   SIMBUS_SEED=N ./stack_test --gtest_filter=...  # replay a failure from its log
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "stack.h"
#include "testing/gtest.h"

namespace {

// Two values on the stack; two threads pop while a third pushes. Every value pushed is
// popped exactly once, counting what is left on the stack at the end.
template <bool kRacyPop>
void pop_pop_push() {
  // The pool is large: on the heap, not the fiber's stack.
  auto stack = std::make_unique<example::Stack<kRacyPop>>();
  stack->push(1);
  stack->push(2);
  std::optional<int> a_got;
  std::optional<int> b_got;
  example::conc::thread a([&] { a_got = stack->pop(); });
  example::conc::thread b([&] { b_got = stack->pop(); });
  example::conc::thread c([&] { stack->push(3); });
  a.join();
  b.join();
  c.join();
  std::vector<int> out;
  if (a_got) out.push_back(*a_got);
  if (b_got) out.push_back(*b_got);
  while (auto v = stack->pop()) out.push_back(*v);
  std::sort(out.begin(), out.end());
  std::string got;
  for (int v : out) got += (got.empty() ? "" : ",") + std::to_string(v);
  simbus::testing::check(out == std::vector<int>{1, 2, 3}, "each-value-once",
                         "popped {" + got + "}, pushed {1,2,3}");
}

// The fixed stack: DPOR covers every interleaving of the three threads (each Mazurkiewicz
// trace once) and none fails. SIMBUS_TEST fails the test with a reproduce line if one did.
SIMBUS_TEST(Stack, FixedPopHoldsInEveryInterleaving, {.strategy = "dpor", .runs = 0}) { pop_pop_push<false>(); }

TEST(Stack, DporExhaustsTheFixedStack) {
  const auto result = simbus::testing::explore_for_test(pop_pop_push<false>, {.strategy = "dpor", .runs = 0});
  EXPECT_TRUE(result.passed()) << simbus::testing::describe(result);
  EXPECT_TRUE(result.exhausted) << simbus::testing::describe(result);
}

// The seeded bug: found by random walks within a few hundred runs, and by DPOR.
TEST(Stack, RandomFindsTheRacyPop) {
  EXPECT_SIMBUS_FAILS(pop_pop_push<true>, {.strategy = "random", .runs = 1000});
}

TEST(Stack, DporFindsTheRacyPop) { EXPECT_SIMBUS_FAILS(pop_pop_push<true>, {.strategy = "dpor", .runs = 0}); }

}  // namespace
