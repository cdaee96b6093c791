// Helpers for runtime tests: build a world, let the test set it up, run it.
#pragma once

#include <functional>
#include <memory>

#include "sim/strategy.h"
#include "sim/world.h"

namespace simbus::sim::testing {

inline std::unique_ptr<Strategy> random_strategy() {
  std::string error;
  auto s = make_strategy("random", &error);
  return s;
}

inline RunOutcome run_world(std::uint64_t seed, const std::function<void(World&)>& setup,
                            WorldOptions options = {}) {
  options.seed = seed;
  World world(options, random_strategy());
  setup(world);
  return world.run();
}

}  // namespace simbus::sim::testing
