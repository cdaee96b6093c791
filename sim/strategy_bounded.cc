// `preempt:K[:H]` and `delay:K[:H]`: randomized sampling of schedules within a
// preemption bound (Musuvathi & Qadeer, PLDI 2007) or a delay bound (Emmi, Qadeer &
// Rakamaric, POPL 2011). For exhaustive enumeration within the same bounds use
// `dfs:preempt:K` / `dfs:delay:K` (sim/strategy_dfs.cc).
//
// Definitions (the same ones the DFS variants use):
// - preemption: at a step where the actor that ran last is still enabled, running any
//   other actor. A switch after the last actor blocked or finished is free.
// - delay: the baseline is the non-preemptive round-robin scheduler (keep running the last
//   actor while it is enabled, else the next enabled actor after it in the order in which
//   actors first appeared). Taking the i-th enabled actor after the baseline's choice, in
//   that cyclic order, costs i delays.
//
// Sampling: an "opportunity" is a step where a deviation is possible (preempt: the last
// actor is enabled and something else is too; delay: more than one action is enabled).
// Before the execution, K distinct opportunity numbers are drawn uniformly from [1, H]
// (H, the horizon; when not given, drawn per execution log-uniformly from {2, 4, ...,
// 65536}, see strategy_support.h); at those opportunities the strategy deviates once
// (preempt: to a uniformly chosen other actor; delay: one delay). Everywhere else it
// follows the baseline; free choices (preempt, after a block) are uniform. With K = 0
// every schedule is serial. Deviation points beyond the execution's real length are
// simply not used, so an H much larger than the program's opportunity count dilutes the
// search; pass H close to the program's length when it is known.
#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <set>
#include <vector>

#include "sim/strategy.h"
#include "sim/strategy_support.h"

namespace simbus::sim {
namespace {

using strategy_support::ActorOrder;

enum class Bound : std::uint8_t { kPreempt, kDelay };

class BoundedSamplingStrategy final : public Strategy {
 public:
  BoundedSamplingStrategy(Bound bound, std::uint64_t budget, std::uint64_t horizon)
      : bound_(bound), budget_(budget), horizon_(horizon) {}

  std::string name() const override {
    const char* label = bound_ == Bound::kPreempt ? "preempt" : "delay";
    if (horizon_ == 0) return fmt::format("{}:{}", label, budget_);
    return fmt::format("{}:{}:{}", label, budget_, horizon_);
  }

  void begin(std::uint64_t strategy_seed) override {
    Strategy::begin(strategy_seed);
    order_.clear();
    have_last_ = false;
    last_ = 0;
    opportunity_ = 0;
    points_.clear();
    const std::uint64_t horizon = horizon_ != 0 ? horizon_ : strategy_support::draw_horizon(rng_);
    // K distinct points in [1, H] (Floyd's sampling: K draws, no rejection loop).
    const std::uint64_t k = std::min(budget_, horizon);
    for (std::uint64_t j = horizon - k + 1; j <= horizon; ++j) {
      const std::uint64_t t = 1 + rng_.below(j);
      if (!points_.insert(t).second) points_.insert(j);
    }
  }

  std::size_t pick(std::span<const EnabledAction> enabled, const PickContext&) override {
    order_.observe(enabled);
    const std::size_t chosen = bound_ == Bound::kPreempt ? pick_preempt(enabled) : pick_delay(enabled);
    last_ = enabled[chosen].actor;
    have_last_ = true;
    return chosen;
  }

 private:
  std::size_t pick_preempt(std::span<const EnabledAction> enabled) {
    const std::size_t current =
        have_last_ ? strategy_support::find_actor(enabled, last_) : enabled.size();
    if (current == enabled.size()) {
      // The last actor blocked or finished: any switch is free.
      return enabled.size() == 1 ? 0 : static_cast<std::size_t>(rng_.below(enabled.size()));
    }
    if (enabled.size() == 1) return current;
    opportunity_ += 1;
    if (points_.count(opportunity_) == 0) return current;
    // Preempt: one of the others, uniformly.
    std::size_t other = static_cast<std::size_t>(rng_.below(enabled.size() - 1));
    if (other >= current) other += 1;
    return other;
  }

  std::size_t pick_delay(std::span<const EnabledAction> enabled) {
    if (enabled.size() == 1) return 0;
    const auto rr = strategy_support::round_robin_from(enabled, order_, last_, have_last_);
    opportunity_ += 1;
    if (points_.count(opportunity_) == 0) return rr[0];
    return rr[1];  // one delay: skip the baseline's choice
  }

  Bound bound_;
  std::uint64_t budget_;
  std::uint64_t horizon_;
  ActorOrder order_;
  bool have_last_ = false;
  FiberId last_ = 0;
  std::uint64_t opportunity_ = 0;
  std::set<std::uint64_t> points_;  // ordered; membership only
};

std::unique_ptr<Strategy> make_bounded(Bound bound, const char* label, const std::string& arg,
                                       std::string* error) {
  const auto args = strategy_support::split_args(arg);
  if (args.empty() || args.size() > 2) {
    *error = fmt::format("strategy '{}' needs a bound: {}:K or {}:K:H (H: horizon in opportunities)", label, label,
                         label);
    return nullptr;
  }
  const auto budget = strategy_support::parse_count(args[0], 1'000'000);
  if (!budget) {
    *error = fmt::format("strategy '{}': bound '{}' is not a count", label, args[0]);
    return nullptr;
  }
  std::uint64_t horizon = 0;  // drawn per execution
  if (args.size() == 2) {
    const auto h = strategy_support::parse_count(args[1], 1'000'000'000);
    if (!h || *h == 0) {
      *error = fmt::format("strategy '{}': horizon '{}' is not a positive count", label, args[1]);
      return nullptr;
    }
    horizon = *h;
  }
  return std::make_unique<BoundedSamplingStrategy>(bound, *budget, horizon);
}

}  // namespace

std::unique_ptr<Strategy> make_preempt_strategy(const std::string& arg, std::string* error) {
  return make_bounded(Bound::kPreempt, "preempt", arg, error);
}

std::unique_ptr<Strategy> make_delay_strategy(const std::string& arg, std::string* error) {
  return make_bounded(Bound::kDelay, "delay", arg, error);
}

}  // namespace simbus::sim
