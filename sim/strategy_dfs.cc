// `dfs`, `dfs:preempt:K`, `dfs:delay:K`: stateless exhaustive depth-first enumeration of
// schedules, one execution per leaf, each execution re-run from the start (the world is
// deterministic given the choices). One strategy object spans the executions of an
// `explore`: end_execution() backtracks to the deepest decision with an untried
// alternative; exhausted() is true once none is left.
//
// - `dfs`: every enabled action at every step (every interleaving; no reduction).
// - `dfs:preempt:K`: only schedules with at most K preemptions (see strategy_bounded.cc
//   for the definitions), as in CHESS's iterative context bounding for one bound.
// - `dfs:delay:K`: only schedules with at most K delays from the non-preemptive
//   round-robin scheduler.
// Alternatives are tried in the order: baseline choice first, then by cost, then by the
// enabled list's order; so the first execution is always the baseline (serial) schedule.
// Runs the world in systematic mode: deliveries and timers are actions of their own.
#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "sim/strategy.h"
#include "sim/strategy_support.h"

namespace simbus::sim {
namespace {

using strategy_support::ActorOrder;

enum class DfsBound : std::uint8_t { kNone, kPreempt, kDelay };

class DfsStrategy final : public Strategy {
 public:
  DfsStrategy(DfsBound bound, std::uint64_t budget) : bound_(bound), budget_(budget) {}

  std::string name() const override {
    switch (bound_) {
      case DfsBound::kNone: return "dfs";
      case DfsBound::kPreempt: return fmt::format("dfs:preempt:{}", budget_);
      case DfsBound::kDelay: return fmt::format("dfs:delay:{}", budget_);
    }
    return "dfs";
  }

  bool wants_systematic() const override { return true; }
  bool exhausted() const override { return exhausted_; }

  void begin(std::uint64_t strategy_seed) override {
    Strategy::begin(strategy_seed);
    depth_ = 0;
    cost_ = 0;
    order_.clear();
    have_last_ = false;
    last_ = 0;
    divergence_.clear();
  }

  std::size_t pick(std::span<const EnabledAction> enabled, const PickContext& ctx) override {
    order_.observe(enabled);
    if (depth_ == path_.size()) path_.push_back(make_node(enabled));
    Node& node = path_[depth_];
    if (node.enabled_count != enabled.size()) {
      divergence_ = fmt::format("step {}: {} actions enabled where an earlier execution had {} (the program is "
                                "not deterministic given the schedule)",
                                ctx.step + 1, enabled.size(), node.enabled_count);
      return kDiverged;
    }
    const Option& option = node.options[node.next];
    const std::size_t index = strategy_support::find_actor(enabled, option.actor);
    if (index == enabled.size()) {
      divergence_ = fmt::format("step {}: actor {:016x} chosen earlier is not enabled now (the program is not "
                                "deterministic given the schedule)",
                                ctx.step + 1, option.actor);
      return kDiverged;
    }
    cost_ += option.cost;
    depth_ += 1;
    last_ = option.actor;
    have_last_ = true;
    return index;
  }

  std::string divergence() const override { return divergence_; }

  void end_execution(bool completed) override {
    path_.resize(std::min(path_.size(), depth_));
    while (!path_.empty()) {
      Node& node = path_.back();
      if (node.next + 1 < node.options.size()) {
        node.next += 1;
        return;
      }
      path_.pop_back();
    }
    exhausted_ = true;
  }

 private:
  struct Option {
    FiberId actor = 0;
    std::uint64_t cost = 0;
  };
  struct Node {
    std::size_t enabled_count = 0;
    std::vector<Option> options;  // in the order they are tried; never empty
    std::size_t next = 0;         // the option the current execution follows
  };

  Node make_node(std::span<const EnabledAction> enabled) const {
    Node node;
    node.enabled_count = enabled.size();
    const std::size_t current = have_last_ ? strategy_support::find_actor(enabled, last_) : enabled.size();
    switch (bound_) {
      case DfsBound::kNone:
        for (const EnabledAction& a : enabled) node.options.push_back({a.actor, 0});
        break;
      case DfsBound::kPreempt:
        if (current == enabled.size()) {
          for (const EnabledAction& a : enabled) node.options.push_back({a.actor, 0});
        } else {
          node.options.push_back({enabled[current].actor, 0});
          if (cost_ + 1 <= budget_) {
            for (std::size_t i = 0; i < enabled.size(); ++i) {
              if (i != current) node.options.push_back({enabled[i].actor, 1});
            }
          }
        }
        break;
      case DfsBound::kDelay: {
        const auto rr = strategy_support::round_robin_from(enabled, order_, last_, have_last_);
        for (std::size_t i = 0; i < rr.size() && cost_ + i <= budget_; ++i) {
          node.options.push_back({enabled[rr[i]].actor, i});
        }
        break;
      }
    }
    return node;
  }

  DfsBound bound_;
  std::uint64_t budget_;
  std::vector<Node> path_;  // the current execution's decisions, kept across executions
  std::size_t depth_ = 0;
  std::uint64_t cost_ = 0;
  ActorOrder order_;
  bool have_last_ = false;
  FiberId last_ = 0;
  bool exhausted_ = false;
  std::string divergence_;
};

}  // namespace

std::unique_ptr<Strategy> make_dfs_strategy(const std::string& arg, std::string* error) {
  const auto args = strategy_support::split_args(arg);
  if (args.empty()) return std::make_unique<DfsStrategy>(DfsBound::kNone, 0);
  if (args.size() == 2 && (args[0] == "preempt" || args[0] == "delay")) {
    const auto budget = strategy_support::parse_count(args[1], 1'000'000);
    if (!budget) {
      *error = fmt::format("strategy 'dfs:{}': bound '{}' is not a count", args[0], args[1]);
      return nullptr;
    }
    return std::make_unique<DfsStrategy>(args[0] == "preempt" ? DfsBound::kPreempt : DfsBound::kDelay, *budget);
  }
  *error = fmt::format("strategy 'dfs:{}': expected dfs, dfs:preempt:K or dfs:delay:K", arg);
  return nullptr;
}

}  // namespace simbus::sim
