// `philosophers`: each philosopher takes its left fork, then its right. When every one
// holds its left fork the ring deadlocks, and the world reports the cycle.
#include <fmt/format.h>

#include <memory>
#include <vector>

#include "scenarios/scenario.h"
#include "sim/sync.h"

namespace simbus::scenarios {

void register_philosophers() {
  Scenario s;
  s.name = "philosophers";
  s.description = "dining philosophers taking forks left then right: some schedules deadlock";
  s.params = {{"n", 5, 2, 64, "philosophers (and forks)"}, {"meals", 1, 1, 1000, "meals each"}};
  s.setup = [](ScenarioContext& ctx) {
    const auto n = ctx.params.get("n");
    const auto meals = ctx.params.get("meals");
    sim::World& world = ctx.world;
    world.spawn(sim::kControlNode, "table", [&world, n, meals] {
      std::vector<std::unique_ptr<sim::Mutex>> forks;
      for (std::int64_t i = 0; i < n; ++i) forks.push_back(std::make_unique<sim::Mutex>());
      std::vector<sim::FiberId> diners;
      for (std::int64_t i = 0; i < n; ++i) {
        diners.push_back(sim::spawn(fmt::format("philosopher-{}", i), [&forks, i, n, meals] {
          sim::Mutex& left = *forks[static_cast<std::size_t>(i)];
          sim::Mutex& right = *forks[static_cast<std::size_t>((i + 1) % n)];
          for (std::int64_t m = 0; m < meals; ++m) {
            left.lock();
            right.lock();
            sim::this_fiber::yield();  // eat
            right.unlock();
            left.unlock();
          }
        }));
      }
      for (sim::FiberId d : diners) world.join(d);
    });
  };
  register_scenario(std::move(s));
}

}  // namespace simbus::scenarios
