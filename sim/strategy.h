// A strategy decides, at each scheduling point, which enabled action runs next, and may
// also decide data choices (a replay does both). New strategies go in one file each:
// implement this interface and register a factory in sim/strategy_registry.cc.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "sim/action.h"
#include "sim/prng.h"

namespace simbus::sim {

struct PickContext {
  std::uint64_t step = 0;     // the world's step number (every step, not only choices)
  std::int64_t now_us = 0;    // virtual time
};

struct DataChoice {
  FiberId actor = 0;
  std::uint32_t counter = 0;  // the actor's own draw counter: a stable identity
  DataTag tag = DataTag::kUser;
  std::uint64_t bound = 0;    // the value must be < bound
};

class Strategy {
 public:
  // Returned by pick() when the strategy cannot go on (a replay that diverged).
  static constexpr std::size_t kDiverged = static_cast<std::size_t>(-1);

  virtual ~Strategy() = default;
  virtual std::string name() const = 0;
  // Called once before an execution, with a seed for the strategy's own stream.
  virtual void begin(std::uint64_t strategy_seed) { rng_.reseed(strategy_seed); }
  // `enabled` is sorted by actor and never empty; returns an index into it.
  virtual std::size_t pick(std::span<const EnabledAction> enabled, const PickContext& ctx) = 0;
  // nullopt: the world draws the value from the actor's own data stream.
  virtual std::optional<std::uint64_t> choose_data(const DataChoice& choice) { return std::nullopt; }
  // Why pick() returned kDiverged.
  virtual std::string divergence() const { return {}; }
  // Called during a step (after the pick that chose it) when the running code writes
  // `object` without a scheduling point of its own: a Mutex::unlock releasing it (also the
  // one inside CondVar::wait), a CondVar::wait registering as a waiter. DPOR takes a
  // release as the release -> next acquire happens-before edge.
  virtual void note_hidden_write(ObjectId object) {}
  // Called during a step when the running fiber is about to wait for a mutex another
  // fiber holds (its lock action will not be enabled until the release).
  virtual void note_lock_blocked(ObjectId object) {}

  // --- for strategies that span many executions (DFS, DPOR, bounded enumeration): one
  // strategy object is kept across the executions of an `explore`.
  // Called after each execution, with whether it completed (false: stopped early, e.g.
  // a sleep-set-blocked exploration, which `explore` counts apart).
  virtual void end_execution(bool completed) {}
  // True once every execution in the strategy's space has been explored.
  virtual bool exhausted() const { return false; }
  // True if the world must run in systematic mode (deliveries and timers as actions).
  virtual bool wants_systematic() const { return false; }
  // True if the last execution was abandoned as redundant (sleep-set blocked).
  virtual bool last_execution_blocked() const { return false; }
  // Non-empty once the strategy stopped on a bound of its own (its state outgrew the
  // memory it may hold): the last execution is not a result, and the exploration must end
  // as incomplete, saying this.
  virtual std::string gave_up() const { return {}; }

 protected:
  Prng rng_;
};

// Builds a strategy from its command-line spelling ("random", "pct:3", ...); nullptr and
// a message in `error` when the name is unknown or malformed.
std::unique_ptr<Strategy> make_strategy(const std::string& spec, std::string* error);
// True for strategies whose choices a seed alone does not fix (enumerating ones): their
// reproduce lines carry --schedule.
bool strategy_needs_schedule(const std::string& spec);
// One line per strategy: "name<TAB>description".
std::string strategy_list();

}  // namespace simbus::sim
