// `random:fair`: a random walk that cannot starve anyone. Each enabled action is
// weighted by 1 + the number of consecutive steps it has been enabled without running
// (capped at kAgeMax), so a fiber spinning on a flag cannot keep the writer it waits for
// off the processor forever, and among in-flight deliveries and timers (systematic mode)
// the ones pending longest are the likeliest next: an age-based stand-in for the latency
// model, which orders deliveries mostly by send time. All integer arithmetic.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <memory>
#include <vector>

#include "sim/strategy.h"

namespace simbus::sim {
namespace {

class FairRandomStrategy final : public Strategy {
 public:
  static constexpr std::uint64_t kAgeMax = 1'000;

  std::string name() const override { return "random:fair"; }

  void begin(std::uint64_t strategy_seed) override {
    Strategy::begin(strategy_seed);
    age_.clear();
  }

  std::size_t pick(std::span<const EnabledAction> enabled, const PickContext&) override {
    std::map<FiberId, std::uint64_t> next_age;  // only the enabled ones keep their age
    std::uint64_t total = 0;
    weights_.assign(enabled.size(), 0);
    for (std::size_t i = 0; i < enabled.size(); ++i) {
      auto it = age_.find(enabled[i].actor);
      const std::uint64_t age = it == age_.end() ? 0 : it->second;
      weights_[i] = 1 + std::min(age, kAgeMax);
      total += weights_[i];
    }
    std::size_t chosen = 0;
    if (enabled.size() > 1) {
      std::uint64_t ticket = rng_.below(total);
      while (ticket >= weights_[chosen]) {
        ticket -= weights_[chosen];
        chosen += 1;
      }
    }
    for (std::size_t i = 0; i < enabled.size(); ++i) {
      if (i == chosen) continue;
      auto it = age_.find(enabled[i].actor);
      next_age[enabled[i].actor] = (it == age_.end() ? 0 : it->second) + 1;
    }
    age_ = std::move(next_age);
    return chosen;
  }

 private:
  std::map<FiberId, std::uint64_t> age_;  // looked up only
  std::vector<std::uint64_t> weights_;
};

}  // namespace

std::unique_ptr<Strategy> make_fair_random_strategy() { return std::make_unique<FairRandomStrategy>(); }

}  // namespace simbus::sim
