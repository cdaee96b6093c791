// `pct:D[:K]`: Probabilistic Concurrency Testing (Burckhardt, Kothari, Musuvathi &
// Nagarakatte, ASPLOS 2010) with bug depth D over an estimated K steps. Without K, each
// execution draws K log-uniformly from {2, 4, ..., 65536} (strategy_support.h): the
// paper's bound then holds only up to that extra factor; give K when the step count is
// known (papers/pct-bound does).
// `pctcp:D[:K]`: its message-chain form for distributed systems (Ozkan, Majumdar, Niksic,
// Befrouei & Weissenbacher, OOPSLA 2018, "PCTCP").
//
// PCT, as implemented:
// - Actors are the fibers (and, in systematic mode, each pending delivery or timer event,
//   which is enabled once and then gone). An actor gets its priority when first seen:
//   a fresh random 62-bit value above every change-point priority, so the first-seen
//   actors are ordered by a uniformly random permutation, as in the paper (n actors get
//   the ranks d..d+n-1 in random order).
// - D-1 distinct change points are drawn uniformly from the steps [1, K]. A step is any
//   scheduling decision (every call of pick, even with one enabled action).
// - At each step the enabled actor with the highest priority runs; if the step is the
//   change point k_i, the actor about to run first has its priority lowered to i (below
//   every initial priority; the labels i of the points are a random permutation, as
//   drawing k_1..k_{D-1} independently in the paper) and the choice is made again.
// With D = 1 there are no change points: every schedule runs each actor until it blocks or
// finishes (serial). The paper's guarantee: a bug of depth d is found by one run with
// probability at least 1/(n k^(d-1)), n actors and k steps, when K >= k.
//
// PCTCP (message chains), as implemented: fibers keep their own priorities as above.
// Delivery events (systematic mode) are grouped into chains: a delivery created by a step
// of fiber f extends the chain of the message f last received (the delivery most recently
// executed on f's node before f's last receive) if that chain still ends with that message;
// otherwise it starts a new chain, with a fresh random priority. A delivery runs with its
// chain's priority; a change point lowers the priority of the chain (or fiber) about to
// run. Timers are actors of their own. In timed mode (no delivery events) pctcp is pct.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "sim/strategy.h"
#include "sim/strategy_support.h"

namespace simbus::sim {
namespace {

constexpr std::uint64_t kInitialPriorityBase = 1ULL << 62;

class PctStrategy final : public Strategy {
 public:
  PctStrategy(std::uint64_t depth, std::uint64_t steps, bool chains)
      : depth_(depth), steps_(steps), chains_(chains) {}

  std::string name() const override {
    if (steps_ == 0) return fmt::format("{}:{}", chains_ ? "pctcp" : "pct", depth_);
    return fmt::format("{}:{}:{}", chains_ ? "pctcp" : "pct", depth_, steps_);
  }
  // The message-chain form needs deliveries as actions of their own.
  bool wants_systematic() const override { return chains_; }

  void begin(std::uint64_t strategy_seed) override {
    Strategy::begin(strategy_seed);
    priority_.clear();
    change_points_.clear();
    step_ = 0;
    chain_of_event_.clear();
    chain_tail_.clear();
    fiber_last_message_.clear();
    node_last_delivery_.clear();
    last_ = {};
    have_last_ = false;
    prev_enabled_.clear();
    next_chain_ = 1;
    const std::uint64_t steps = steps_ != 0 ? steps_ : strategy_support::draw_horizon(rng_);
    // D-1 distinct change points in [1, K] (Floyd's sampling).
    const std::uint64_t count = std::min(depth_ - 1, steps);
    std::uint64_t ordinal = 0;
    std::set<std::uint64_t> points;
    for (std::uint64_t j = steps - count + 1; j <= steps && count > 0; ++j) {
      const std::uint64_t t = 1 + rng_.below(j);
      if (!points.insert(t).second) points.insert(j);
    }
    // As in the paper, change point k_i gives priority i (1 is the lowest); the labels
    // i are a uniformly random permutation over the time-ordered points.
    std::vector<std::uint64_t> labels;
    for (std::uint64_t i = 1; i <= count; ++i) labels.push_back(i);
    for (std::uint64_t i = labels.size(); i > 1; --i) std::swap(labels[i - 1], labels[rng_.below(i)]);
    for (std::uint64_t p : points) change_points_[p] = labels[ordinal++];
  }

  std::size_t pick(std::span<const EnabledAction> enabled, const PickContext&) override {
    step_ += 1;
    if (chains_) track_chains(enabled);
    for (const EnabledAction& a : enabled) {
      const std::uint64_t key = unit_of(a);
      if (priority_.count(key) == 0) priority_[key] = kInitialPriorityBase + (rng_.next_u64() >> 2);
    }
    std::size_t chosen = highest(enabled);
    auto change = change_points_.find(step_);
    if (change != change_points_.end()) {
      priority_[unit_of(enabled[chosen])] = change->second;
      chosen = highest(enabled);
    }
    last_ = enabled[chosen];
    have_last_ = true;
    return chosen;
  }

 private:
  // The schedulable unit an action belongs to: its actor, or for a delivery under
  // pctcp, its chain.
  std::uint64_t unit_of(const EnabledAction& a) const {
    if (chains_ && a.kind == ActionKind::kDeliver) {
      auto it = chain_of_event_.find(a.actor);
      if (it != chain_of_event_.end()) return it->second;
    }
    return a.actor;
  }

  std::size_t highest(std::span<const EnabledAction> enabled) const {
    std::size_t best = 0;
    std::uint64_t best_priority = 0;
    for (std::size_t i = 0; i < enabled.size(); ++i) {
      const std::uint64_t p = priority_.at(unit_of(enabled[i]));
      // Ties (two deliveries of one chain) go to the earlier in the list: deterministic.
      if (i == 0 || p > best_priority) {
        best = i;
        best_priority = p;
      }
    }
    return best;
  }

  void track_chains(std::span<const EnabledAction> enabled) {
    // What the last step did: a delivery records itself as its node's latest; a receive
    // binds the fiber to that node's latest delivery.
    if (have_last_) {
      if (last_.kind == ActionKind::kDeliver) {
        node_last_delivery_[last_.node] = last_.actor;
      } else if (last_.kind == ActionKind::kNetRecv) {
        auto it = node_last_delivery_.find(last_.node);
        if (it != node_last_delivery_.end()) fiber_last_message_[last_.actor] = it->second;
      }
    }
    // New deliveries were created by the last step.
    std::set<FiberId> before;
    for (FiberId id : prev_enabled_) before.insert(id);
    prev_enabled_.clear();
    for (const EnabledAction& a : enabled) {
      prev_enabled_.push_back(a.actor);
      if (a.kind != ActionKind::kDeliver || before.count(a.actor) != 0 || chain_of_event_.count(a.actor) != 0) {
        continue;
      }
      std::uint64_t chain = 0;
      if (have_last_) {
        auto msg = fiber_last_message_.find(last_.actor);
        if (msg != fiber_last_message_.end()) {
          auto c = chain_of_event_.find(msg->second);
          if (c != chain_of_event_.end() && chain_tail_[c->second] == msg->second) chain = c->second;
        }
      }
      if (chain == 0) {
        // A new chain: a unit key that cannot collide with an actor id in practice
        // (actor ids are 64-bit hashes; chain keys count from a fixed tag).
        chain = 0xc4a1'0000'0000'0000ULL + next_chain_++;
      }
      chain_of_event_[a.actor] = chain;
      chain_tail_[chain] = a.actor;
    }
  }

  std::uint64_t depth_;
  std::uint64_t steps_;
  bool chains_;
  std::uint64_t step_ = 0;
  std::map<std::uint64_t, std::uint64_t> priority_;       // unit -> priority (looked up only)
  std::map<std::uint64_t, std::uint64_t> change_points_;  // step -> new priority
  // pctcp bookkeeping (all looked up, never iterated for decisions)
  std::map<FiberId, std::uint64_t> chain_of_event_;
  std::map<std::uint64_t, FiberId> chain_tail_;
  std::map<FiberId, FiberId> fiber_last_message_;
  std::map<NodeIndex, FiberId> node_last_delivery_;
  std::vector<FiberId> prev_enabled_;
  EnabledAction last_;
  bool have_last_ = false;
  std::uint64_t next_chain_ = 1;
};

std::unique_ptr<Strategy> make_pct_like(bool chains, const std::string& arg, std::string* error) {
  const char* label = chains ? "pctcp" : "pct";
  const auto args = strategy_support::split_args(arg);
  if (args.empty() || args.size() > 2) {
    *error = fmt::format("strategy '{}' needs a depth: {}:D or {}:D:K (K: estimated steps)", label, label, label);
    return nullptr;
  }
  const auto depth = strategy_support::parse_count(args[0], 1'000);
  if (!depth || *depth == 0) {
    *error = fmt::format("strategy '{}': depth '{}' is not a count >= 1", label, args[0]);
    return nullptr;
  }
  std::uint64_t steps = 0;  // drawn per execution
  if (args.size() == 2) {
    const auto k = strategy_support::parse_count(args[1], 1'000'000'000);
    if (!k || *k == 0) {
      *error = fmt::format("strategy '{}': step estimate '{}' is not a positive count", label, args[1]);
      return nullptr;
    }
    steps = *k;
  }
  return std::make_unique<PctStrategy>(*depth, steps, chains);
}

}  // namespace

std::unique_ptr<Strategy> make_pct_strategy(const std::string& arg, std::string* error) {
  return make_pct_like(false, arg, error);
}

std::unique_ptr<Strategy> make_pctcp_strategy(const std::string& arg, std::string* error) {
  return make_pct_like(true, arg, error);
}

}  // namespace simbus::sim
