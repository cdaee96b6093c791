// One simulated universe: nodes, fibers, virtual time, events, the scheduler and its
// choice log. One OS thread runs one World; everything inside it is deterministic given
// the seed, the options and the strategy's choices.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "sim/action.h"
#include "sim/choice_log.h"
#include "sim/fiber.h"
#include "sim/prng.h"
#include "sim/strategy.h"

namespace simbus::sim {

class Network;
class Disk;

struct WorldOptions {
  std::uint64_t seed = 1;
  std::uint64_t steps_max = 20'000'000;           // livelock budget, counted in steps
  std::int64_t time_us_max = 3'600'000'000LL;     // and in virtual time (an hour)
  // Systematic mode: every delivery and timer is an action of its own and waits are
  // enabled regardless of time (for DFS/DPOR). Timed mode (default) advances virtual
  // time only when nothing is enabled at the current instant.
  bool systematic = false;
  std::size_t stack_bytes = 256 * 1024;
  // Keep one record per step so two runs can be compared step by step.
  bool record_steps = false;
  // Stop before this step (0: never), for `replay --until`.
  std::uint64_t stop_before_step = 0;
  // Shrinking: stop after this many steps, or before virtual time passes this, and judge
  // the execution so far as if the scenario had stopped the world (0: never). The world
  // reports whether it was cut (RunOutcome::capped).
  std::uint64_t cap_steps = 0;
  std::int64_t cap_time_us = 0;
  // Shrinking: skip points (a fault, a client operation) named by these keys, sorted. The
  // code under test asks World::skip(key); every key asked is listed in skip_points().
  std::vector<std::string> skip;
};

enum class RunStatus : std::uint8_t {
  kOk,         // every fiber finished (or the scenario stopped the world) with no failure
  kFailed,     // a check failed (World::fail)
  kDeadlock,   // fibers blocked, nothing pending
  kLivelock,   // step or virtual-time budget exhausted
  kDiverged,   // a replay did not match the execution
  kStopped,    // stopped at options.stop_before_step
};
const char* run_status_name(RunStatus status);

// A node or link fault, for the viz (kept only with record_steps): "crash", "restart",
// "pause", "resume" of node `a`; "down" (link a -> b cut), "clog" (a -> b held back until
// `until_us`), "heal" (every link up).
struct FaultRecord {
  std::int64_t time_us = 0;
  std::uint64_t step = 0;
  const char* what = "";
  NodeIndex a = 0;
  NodeIndex b = 0;
  std::int64_t until_us = 0;
};

struct StepRecord {
  std::uint64_t step = 0;
  std::int64_t now_us = 0;
  FiberId actor = 0;
  ActionKind kind = ActionKind::kYield;
  ObjectId object = kNoObject;
  NodeIndex node = 0;
  std::uint64_t hash_after = 0;
};

struct RunOutcome {
  RunStatus status = RunStatus::kOk;
  std::string check;    // the failed check's name ("deadlock", "livelock", a scenario check)
  std::string message;  // what happened
  std::string site;     // what detected it: "<file basename>:<function>" (not in the trace hash)
  std::uint64_t steps = 0;
  std::int64_t now_us = 0;
  std::uint64_t trace_hash = 0;
  bool capped = false;           // stopped at options.cap_steps / cap_time_us
  std::uint64_t fail_step = 0;   // the step at which World::fail was first called
  std::int64_t fail_time_us = -1;  // and the virtual time then (-1: no failure)
};

// A fiber's readiness test while it waits: `ready(object)`; `owner(object)` names the
// fiber holding the resource, for the deadlock report's wait-for graph.
// `notifies`: the object calls World::notify(object) after every change that can alter
// ready(object) (or never changes, as a sleep's). The world then evaluates ready() once
// and sets the fiber aside until a notify or its deadline, instead of every step; other
// waits are evaluated every step.
struct Waiter {
  bool (*ready)(const void* object) = nullptr;     // nullptr: always ready
  FiberId (*owner)(const void* object) = nullptr;  // nullptr or 0: nobody in particular
  const void* object = nullptr;
  bool notifies = false;
};

class World {
 public:
  static constexpr std::int64_t kNever = INT64_MAX;
  static constexpr std::size_t kFibersMax = 100'000;
  static constexpr std::size_t kNodesMax = 1'024;
  static constexpr std::size_t kEventsMax = 10'000'000;

  World(WorldOptions options, std::shared_ptr<Strategy> strategy);
  ~World();
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  // The world running on this thread; valid inside fibers and events.
  static World& current();
  static bool has_current();
  // Fails the running execution with `check` ("os-thread", "wall-clock") when called from
  // inside a fiber; `what` says what the fiber did. world.cc interposes the C library's
  // thread creation and clock reading to report real threads and wall-clock reads.
  static void note_unsimulated(const char* check, const char* what);

  const WorldOptions& options() const { return options_; }

  // --- nodes
  // `boot` runs in a fresh fiber at every restart (not at add time: spawn yourself).
  NodeIndex add_node(std::string name, std::function<void()> boot = {});
  std::size_t node_count() const { return nodes_.size(); }
  const std::string& node_name(NodeIndex node) const;
  std::uint64_t incarnation(NodeIndex node) const;
  bool node_up(NodeIndex node) const;
  bool node_paused(NodeIndex node) const;
  // Kills every fiber of the node (stacks unwound), drops its mailbox and in-flight
  // timers, applies disk loss. Must be called from a fiber of another node.
  void crash(NodeIndex node);
  void restart(NodeIndex node);
  void pause(NodeIndex node);
  void resume(NodeIndex node);
  void set_clock(NodeIndex node, std::int64_t skew_us, std::int64_t drift_ppm);
  // The node's own clock reading: skewed and drifting against virtual time.
  std::int64_t node_now_us(NodeIndex node) const;

  // --- fibers
  FiberId spawn(NodeIndex node, std::string name, std::function<void()> body);
  FiberId current_fiber() const;
  NodeIndex current_node() const;
  const std::string& fiber_name(FiberId id) const;
  bool fiber_finished(FiberId id) const;

  // --- scheduling points (from inside a fiber)
  // Declares the next action, lets the strategy choose, returns when this fiber runs.
  void point(Action action);
  // As point(), but the fiber is enabled only when the waiter is ready or at
  // deadline_us (virtual time). Returns false if it timed out.
  bool wait(Action action, Waiter waiter, std::int64_t deadline_us = kNever);
  void yield() { point({ActionKind::kYield, kNoObject, Access::kNone}); }
  void sleep_for_us(std::int64_t duration_us);
  void join(FiberId id);
  // Wakes the waits on `object` whose Waiter has `notifies`: their ready() is evaluated
  // again at the next step. Costs no step; callable from fibers, events and setup.
  void notify(const void* object);

  // --- time and events
  std::int64_t now_us() const { return now_us_; }
  // Runs `fire` at virtual time `at_us` (in the scheduler, not in a fiber: it must not
  // block). Dropped if `node`'s incarnation changed by then.
  void schedule_event(std::int64_t at_us, NodeIndex node, ActionKind kind, ObjectId object,
                      std::function<void()> fire);

  // --- data choices (recorded in the choice log, replayed exactly)
  std::uint64_t draw_below(DataTag tag, std::uint64_t bound);
  bool draw_chance(DataTag tag, std::uint64_t numerator, std::uint64_t denominator);
  // Mixes a digest of something observable (a payload, a value) into the trace hash.
  void note(std::uint64_t digest);

  // --- objects
  // A fresh stable object identity, derived from the creating fiber.
  ObjectId new_object_id();
  // Reports to the strategy (Strategy::note_hidden_write) that the running step wrote
  // `object` outside a scheduling point of its own: a Mutex::unlock releasing it, a
  // CondVar::wait registering as a waiter. Not hashed: schedules are unchanged.
  void note_hidden_write(ObjectId object) {
    if (running_) strategy_->note_hidden_write(object);
  }
  // Reports that the running step ends in a lock of `object` that another fiber holds:
  // the fiber waits, and its lock action is not enabled (Strategy::note_lock_blocked).
  void note_lock_blocked(ObjectId object) {
    if (running_) strategy_->note_lock_blocked(object);
  }

  // --- failures
  // Records a failed check; the world stops at the next scheduling point. `file` and
  // `function` name the site that detected it (a failure signature's site, cli/signature.h);
  // the defaults are the caller's.
  void fail(std::string check, std::string message, const char* file = __builtin_FILE(),
            const char* function = __builtin_FUNCTION());
  bool failed() const { return failure_.has_value(); }
  // The first failure: (check, message).
  const std::optional<std::pair<std::string, std::string>>& failure() const { return failure_; }
  const std::string& failure_site() const { return failure_site_; }
  // Stops the run (status ok) at the next scheduling point; fibers still alive are unwound.
  void stop();

  // --- shrinking
  // Whether the point named `key` (a fault, a client operation; unique within the run)
  // is to be skipped. Costs no step and draws nothing, so runs with no skip list are
  // unchanged.
  bool skip(const std::string& key);
  static constexpr std::size_t kSkipPointsMax = 100'000;
  const std::vector<std::string>& skip_points() const { return skip_points_; }

  // --- running
  RunOutcome run();
  std::uint64_t steps() const { return step_; }
  std::uint64_t trace_hash() const { return hash_; }
  const ChoiceLog& choice_log() const { return log_; }
  const std::vector<StepRecord>& step_records() const { return records_; }
  static constexpr std::size_t kFaultRecordsMax = 100'000;
  void record_fault(const char* what, NodeIndex a, NodeIndex b = 0, std::int64_t until_us = 0);
  const std::vector<FaultRecord>& fault_records() const { return fault_records_; }
  Strategy& strategy() { return *strategy_; }
  // Every live fiber and what it waits for, one a line (for --until and deadlocks).
  std::string describe_fibers() const;

  Network& network();
  Disk& disk();

 private:
  struct Fiber;
  struct Node;
  struct Event;
  struct EventOrder {
    bool operator()(const Event* a, const Event* b) const;
  };

  // A fiber whose notifying wait is not ready and whose deadline is ahead: not evaluated
  // until notify(object) or the deadline.
  struct Parked {
    const void* object = nullptr;
    std::int64_t deadline_us = kNever;
    Fiber* fiber = nullptr;
  };
  static constexpr std::uint32_t kNotParked = UINT32_MAX;

  Fiber* find_fiber(FiberId id) const;
  void collect_enabled();
  void park(Fiber& fiber);
  void unpark(std::size_t index);
  Fiber* take_parked(std::size_t index);  // out of parked_, into neither list
  std::vector<Fiber*>::iterator candidate_slot(FiberId id);  // lower bound by id
  void forget(Fiber& fiber);  // takes a finished or killed fiber out of candidates_/parked_
  bool enabled_as_full_scan() const;
  void set_paused(Node& node, bool paused);
  bool fire_due_events();
  std::int64_t next_wake_us();
  std::int64_t parked_due_us();  // the earliest deadline in parked_ (kNever: none)
  void run_fiber(Fiber& fiber);
  void run_event(Event& event);
  void finish_fiber(Fiber& fiber);
  void kill_fibers_of(NodeIndex node);
  void kill_all_fibers();
  void kill_fibers_where(const std::function<bool(const Fiber&)>& doomed_if);
  void record_step(const EnabledAction& action);
  std::string deadlock_report() const;
  void suspend_current();
  // The assert handler installed while run() runs fibers (base/assert.h).
  static void on_assert_failed(const char* expr, const char* file, int line, const char* msg);

  WorldOptions options_;
  std::shared_ptr<Strategy> strategy_;  // shared: explore keeps one across executions
  StackPool stacks_;
  Prng setup_rng_;  // draws made outside any fiber (setup code)
  std::uint32_t setup_draws_ = 0;
  std::uint64_t setup_objects_ = 0;

  std::vector<std::unique_ptr<Node>> nodes_;
  std::size_t nodes_paused_ = 0;  // how many of nodes_ are paused (set_paused keeps it)
  std::vector<std::unique_ptr<Fiber>> fibers_;  // sorted by id: the strategy sees a stable order
  std::unordered_set<FiberId> finished_;        // membership only, never iterated
  std::map<FiberId, std::string> names_;        // every fiber ever spawned, for reports
  Fiber* current_ = nullptr;
  std::uint64_t spawns_total_ = 0;

  std::priority_queue<Event*, std::vector<Event*>, EventOrder> events_;
  std::uint64_t event_seq_ = 0;
  std::vector<Event*> systematic_events_;  // systematic mode: pending events, in seq order

  // Every live fiber is in exactly one of these. candidates_ (sorted by id, as fibers_)
  // are evaluated every step; parked_ (unordered) only when notified or due.
  std::vector<Fiber*> candidates_;
  std::vector<Parked> parked_;
  // The earliest deadline in parked_, exact unless parked_due_stale_ (an entry holding it
  // left): most steps then skip parked_ altogether.
  std::int64_t parked_due_us_ = kNever;
  bool parked_due_stale_ = false;

  std::vector<EnabledAction> enabled_;
  std::vector<Fiber*> enabled_fibers_;
  std::vector<Event*> enabled_events_;

  std::int64_t now_us_ = 0;
  std::uint64_t step_ = 0;
  std::uint64_t hash_ = 0;
  ChoiceLog log_;
  std::vector<StepRecord> records_;
  std::vector<FaultRecord> fault_records_;
  std::optional<std::pair<std::string, std::string>> failure_;
  std::string failure_site_;  // "file:function" of the first failure's fail() call
  bool stop_requested_ = false;
  std::vector<std::string> skip_points_;
  std::uint64_t fail_step_ = 0;
  std::int64_t fail_time_us_ = -1;
  bool running_ = false;

  std::unique_ptr<Network> network_;
  std::unique_ptr<Disk> disk_;
};

// Conveniences for simulated code (they act on World::current()).
namespace this_fiber {
inline void yield() { World::current().yield(); }
inline void sleep_for_us(std::int64_t us) { World::current().sleep_for_us(us); }
inline void sleep_for_ms(std::int64_t ms) { World::current().sleep_for_us(ms * 1000); }
inline std::int64_t now_us() { return World::current().now_us(); }
}  // namespace this_fiber

// Spawns on the current fiber's node.
inline FiberId spawn(std::string name, std::function<void()> body) {
  World& w = World::current();
  return w.spawn(w.current_node(), std::move(name), std::move(body));
}

}  // namespace simbus::sim
