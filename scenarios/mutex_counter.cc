// `mutex-counter`: fibers increment a shared counter under a Mutex; no interleaving may
// lose an increment.
#include <fmt/format.h>

#include <memory>
#include <vector>

#include "scenarios/scenario.h"
#include "sim/sync.h"

namespace simbus::scenarios {

void register_mutex_counter() {
  Scenario s;
  s.name = "mutex-counter";
  s.description = "fibers increment a shared counter under a Mutex: the total is always exact";
  s.params = {{"fibers", 4, 1, 64, "incrementing fibers"}, {"increments", 100, 1, 100000, "increments per fiber"}};
  s.setup = [](ScenarioContext& ctx) {
    const auto fibers = ctx.params.get("fibers");
    const auto increments = ctx.params.get("increments");
    auto total = std::make_shared<std::int64_t>(0);
    sim::World& world = ctx.world;
    world.spawn(sim::kControlNode, "main", [&world, total, fibers, increments] {
      sim::Mutex mutex;
      sim::Atomic<std::int64_t> counter(0);
      std::vector<sim::FiberId> workers;
      for (std::int64_t i = 0; i < fibers; ++i) {
        workers.push_back(sim::spawn(fmt::format("inc-{}", i), [&mutex, &counter, increments] {
          for (std::int64_t k = 0; k < increments; ++k) {
            sim::LockGuard guard(mutex);
            const std::int64_t v = counter.load();
            counter.store(v + 1);
          }
        }));
      }
      for (sim::FiberId w : workers) world.join(w);
      *total = counter.peek();
    });
    ctx.at_end([&ctx, total, fibers, increments] {
      if (*total != fibers * increments) {
        ctx.fail("counter", fmt::format("counter is {}, expected {}", *total, fibers * increments));
      }
    });
  };
  register_scenario(std::move(s));
}

}  // namespace simbus::scenarios
