// `random`: a uniform random walk over the enabled actions, from the strategy's own
// stream (separate from the data stream, so data draws do not shift the schedule).
#include <memory>

#include "sim/strategy.h"

namespace simbus::sim {

class RandomStrategy final : public Strategy {
 public:
  std::string name() const override { return "random"; }
  std::size_t pick(std::span<const EnabledAction> enabled, const PickContext&) override {
    if (enabled.size() == 1) return 0;
    return static_cast<std::size_t>(rng_.below(enabled.size()));
  }
};

std::unique_ptr<Strategy> make_random_strategy() { return std::make_unique<RandomStrategy>(); }

}  // namespace simbus::sim
