// The README's "Writing a simulated program" example, compiled and run, so the README
// stays true. Keep the two in step.
#include <gtest/gtest.h>

#include <memory>

#include "scenarios/scenario.h"
#include "sim/sync.h"

using namespace simbus;

// Two fibers move money between accounts under one lock; the total must never change.
void register_bank() {
  scenarios::Scenario s;
  s.name = "bank";
  s.description = "transfers under a lock keep the total";
  s.params = {{"transfers", 10, 1, 1000, "transfers per fiber"}};
  s.setup = [](scenarios::ScenarioContext& ctx) {
    auto total = std::make_shared<std::int64_t>(0);
    const auto transfers = ctx.params.get("transfers");
    ctx.world.spawn(sim::kControlNode, "main", [&world = ctx.world, total, transfers] {
      sim::Mutex lock;
      sim::Atomic<std::int64_t> a(100), b(100);
      auto mover = [&](sim::Atomic<std::int64_t>& from, sim::Atomic<std::int64_t>& to) {
        for (std::int64_t i = 0; i < transfers; ++i) {
          sim::LockGuard guard(lock);
          from.store(from.load() - 1);
          to.store(to.load() + 1);
        }
      };
      auto x = sim::spawn("a->b", [&] { mover(a, b); });
      auto y = sim::spawn("b->a", [&] { mover(b, a); });
      world.join(x);
      world.join(y);
      *total = a.peek() + b.peek();
    });
    ctx.at_end([&ctx, total] {
      if (*total != 200) ctx.fail("conservation", "money appeared or vanished");
    });
  };
  scenarios::register_scenario(std::move(s));
}

TEST(ReadmeExample, BankKeepsTheTotal) {
  register_bank();
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    scenarios::RunRequest r;
    r.scenario = "bank";
    r.seed = seed;
    const auto result = scenarios::run_scenario(r);
    EXPECT_TRUE(result.passed()) << result.outcome.check << ": " << result.outcome.message;
  }
}
