// `racy-counter`: the classic lost update. Each fiber does `v = x.load(); x.store(v + 1)`
// with no lock; some interleavings lose an increment.
#include <fmt/format.h>

#include <memory>
#include <vector>

#include "scenarios/scenario.h"
#include "sim/sync.h"

namespace simbus::scenarios {

void register_racy_counter() {
  Scenario s;
  s.name = "racy-counter";
  s.description = "fibers increment an Atomic with load then store, unlocked: finds the lost update";
  s.params = {{"fibers", 2, 1, 64, "incrementing fibers"}, {"increments", 1, 1, 1000, "increments per fiber"}};
  s.setup = [](ScenarioContext& ctx) {
    const auto fibers = ctx.params.get("fibers");
    const auto increments = ctx.params.get("increments");
    auto counter = std::make_shared<std::unique_ptr<sim::Atomic<std::int64_t>>>();
    sim::World& world = ctx.world;
    world.spawn(sim::kControlNode, "main", [&world, counter, fibers, increments] {
      *counter = std::make_unique<sim::Atomic<std::int64_t>>(0);
      sim::Atomic<std::int64_t>& x = **counter;
      std::vector<sim::FiberId> workers;
      for (std::int64_t i = 0; i < fibers; ++i) {
        workers.push_back(sim::spawn(fmt::format("inc-{}", i), [&x, increments] {
          for (std::int64_t k = 0; k < increments; ++k) {
            const std::int64_t v = x.load();
            x.store(v + 1);
          }
        }));
      }
      for (sim::FiberId w : workers) world.join(w);
    });
    ctx.at_end([&ctx, counter, fibers, increments] {
      const std::int64_t expected = fibers * increments;
      const std::int64_t actual = (*counter)->peek();
      if (actual != expected) {
        ctx.fail("lost-update", fmt::format("counter is {}, expected {} ({} fibers x {} increments)", actual,
                                            expected, fibers, increments));
      }
    });
  };
  register_scenario(std::move(s));
}

}  // namespace simbus::scenarios
