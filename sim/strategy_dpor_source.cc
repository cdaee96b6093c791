// `dpor-source`: stateless source-DPOR with sleep sets (Abdulla, Aronis, Jonsson & Sagonas,
// "Optimal dynamic partial order reduction", POPL 2014, Algorithm 1), run in systematic
// mode. It explores at least one execution of every Mazurkiewicz trace of the program
// (complete for finite, deterministic programs) and, thanks to sleep sets, never two
// complete executions of the same trace; explorations that sleep sets prove redundant
// stop early ("sleep-set blocked"), are reported by last_execution_blocked() and are not
// complete executions.
//
// Events and dependency. An event is one scheduling step: the action an actor declared at
// its scheduling point (sim/action.h). Two events are dependent when they belong to the
// same actor, or touch the same object and one of them writes (sim::dependent). The
// happens-before relation of an execution is the transitive closure of
//   - program order (same actor) and the execution order of dependent events, and
//   - enabling edges: an action that becomes enabled right after a step (a spawned
//     fiber's start, a delivery or timer the step created, a join whose target finished,
//     a wait that the step satisfied) happens after that step. Mutex acquisitions are the
//     exception: they get no enabling edge.
//   - Mutexes: an unlock is no scheduling point, but the world reports it
//     (Strategy::note_hidden_write) as a write of the mutex by the step that ran it, and
//     the release happens before the next acquisition. A lock (enabled only while the
//     mutex is free) races with the previous acquisition, not with the release; a
//     try_lock (always enabled) is an ordinary write, so it races with the release too.
//     A lock attempt that has to wait (Strategy::note_lock_blocked) races with the
//     holder's acquisition: the deadlocks where that lock never runs are found through
//     it (the lock-fail race of Nidhugg). A CondVar::wait's registration is reported as a
//     write of the condition variable (a notify before or after it differs).
// Happens-before is tracked with vector clocks; per object, the last write and the reads
// since it are enough to find every event an access depends on.
//
// Races and backtracking (Algorithm 1). When event a (actor p) is appended, each earlier
// event e that races with it (dependent, another actor, e -> a in happens-before, and no
// other event between them in happens-before) is reversed: with v = the events after e that
// do not happen after e, followed by a, and I = the initials of v (actors whose first event
// in v has no predecessor in v), if neither the backtrack set nor the sleep set of the state
// before e holds an actor of I, one actor of I enabled there (p if possible) is added to
// that state's backtrack set. (If none is enabled there - a mutex held across the race -
// every enabled actor not asleep is added: sound, possibly redundant.)
//
// Sleep sets: after the subtree of actor q at a state is done, q sleeps in the sibling
// subtrees, and stays asleep in a subtree until an event dependent with q's next action
// runs. A state whose enabled actors all sleep is sleep-set blocked.
//
// Stateless: each execution re-runs the program from the start, replaying the prefix up to
// the deepest state with an untried backtrack actor. Data choices come from the seed (the
// same for every execution), so the program is deterministic given the schedule; a
// mismatch on replay is reported as a divergence.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "base/assert.h"
#include "sim/strategy.h"
#include "sim/strategy_support.h"

namespace simbus::sim {
namespace {

class SourceDporStrategy final : public Strategy {
 public:
  std::string name() const override { return "dpor-source"; }
  bool wants_systematic() const override { return true; }
  bool exhausted() const override { return exhausted_; }
  bool last_execution_blocked() const override { return blocked_; }
  std::string divergence() const override { return divergence_; }
  std::string gave_up() const override { return gave_up_; }

  // How often a race could not be reversed by an initial enabled before it (the
  // conservative fallback ran). Zero on programs without mutexes held across races.
  std::uint64_t fallbacks() const { return fallbacks_; }

  void begin(std::uint64_t strategy_seed) override {
    Strategy::begin(strategy_seed);
    active_ = true;
    depth_ = 0;
    blocked_ = false;
    divergence_.clear();
    events_.clear();
    slot_of_.clear();
    actor_events_.clear();
    enabler_.clear();
    woken_.clear();
    prev_enabled_.clear();
    objects_.clear();
    next_sleep_.clear();
    event_bytes_ = 0;
  }

  std::size_t pick(std::span<const EnabledAction> enabled, const PickContext& ctx) override {
    if (event_bytes_ + state_bytes_ > kStateBytesMax) {
      // Every event keeps a vector clock over every actor seen and every state its enabled
      // and sleeping actions, so a long execution with many actors (a broker scenario in
      // systematic mode: each delivery and timer is an actor) grows quadratically: one
      // broker-smoke execution passed 6.6 GB before this bound (lastzero(8) of
      // papers/dpor-counts peaks at 0.7 MB of RSS over a one-run baseline).
      gave_up_ = fmt::format("dpor-source: its state passed {} MiB at step {} ({} events, {} states); this program is "
                             "too large for dpor -- use a seeded strategy (random, pct:N) or a smaller scenario",
                             kStateBytesMax >> 20, ctx.step + 1, events_.size(), states_.size());
      return diverge(gave_up_);
    }
    note_enablers(enabled);
    std::size_t index = 0;
    if (depth_ < states_.size()) {
      State& st = states_[depth_];
      if (st.enabled.size() != enabled.size()) {
        return diverge(fmt::format("step {}: {} actions enabled where an earlier execution had {} (the program is "
                                   "not deterministic given the schedule)",
                                   ctx.step + 1, enabled.size(), st.enabled.size()));
      }
      index = strategy_support::find_actor(enabled, st.chosen);
      if (index == enabled.size()) {
        return diverge(fmt::format("step {}: actor {:016x} chosen earlier is not enabled now", ctx.step + 1,
                                   st.chosen));
      }
      st.enabled.assign(enabled.begin(), enabled.end());
    } else {
      // A new state: its sleep set comes from the parent.
      State st;
      st.enabled.assign(enabled.begin(), enabled.end());
      st.sleep = std::move(next_sleep_);
      next_sleep_.clear();
      index = enabled.size();
      for (std::size_t i = 0; i < enabled.size(); ++i) {
        if (!asleep(st, enabled[i].actor)) {
          index = i;
          break;
        }
      }
      if (index == enabled.size()) {
        blocked_ = true;
        divergence_ = fmt::format("step {}: sleep-set blocked (every enabled action is asleep)", ctx.step + 1);
        return kDiverged;
      }
      st.chosen = enabled[index].actor;
      st.backtrack.push_back(st.chosen);
      st.bytes = sizeof(State) + st.enabled.capacity() * sizeof(EnabledAction) + st.sleep.capacity() * sizeof(Sleeper);
      state_bytes_ += st.bytes;
      states_.push_back(std::move(st));
    }
    const EnabledAction chosen = enabled[index];
    const bool fresh = depth_ >= branch_depth_;
    if (fresh) {
      // The child state is new: compute its sleep set.
      const State& st = states_[depth_];
      next_sleep_.clear();
      for (const Sleeper& s : st.sleep) {
        if (!sleeper_dependent(s, chosen)) next_sleep_.push_back(s);
      }
      for (const Sleeper& s : st.done) {
        if (s.action.actor != chosen.actor && !sleeper_dependent(s, chosen)) next_sleep_.push_back(s);
      }
    }
    append_event(chosen, fresh);
    depth_ += 1;
    return index;
  }

  // A step released a mutex: the release is a write access of the step's event (it
  // races with try_locks that failed since the acquisition, and happens before the next
  // acquisition), and wakes sleepers that touch the mutex (a sleeping try_lock would now
  // succeed).
  void note_hidden_write(ObjectId object) override {
    if (!active_ || blocked_ || !divergence_.empty() || events_.empty() || depth_ == 0) return;
    const std::size_t index = events_.size() - 1;
    add_access(index, object, Use::kRelease, index >= branch_depth_);
    events_[index].released.push_back(object);
    std::erase_if(next_sleep_, [object](const Sleeper& s) { return s.action.object == object; });
  }

  // The step's fiber is about to wait for a mutex another fiber holds: its lock attempt
  // races with the holder's acquisition (the attempt could have come first). Reversing it
  // finds the schedules where this fiber takes the mutex first, in particular the
  // deadlocks in which its lock is never executed (the lock-fail race of Abdulla et al.'s
  // implementation, Nidhugg).
  void note_lock_blocked(ObjectId object) override {
    if (!active_ || blocked_ || !divergence_.empty() || events_.empty() || depth_ == 0) return;
    const std::size_t last = events_.size() - 1;
    if (last < branch_depth_) return;  // replaying: its races were reversed before
    auto it = objects_.find(object);
    if (it == objects_.end() || it->second.holder < 0) return;
    const std::size_t e = static_cast<std::size_t>(it->second.holder);
    const FiberId p = events_[last].action.actor;
    if (events_[e].action.actor == p || happens_before(e, events_[last].clock)) return;
    reverse_race(e, events_.size(), p, events_[last].clock);
  }

  void end_execution(bool completed) override {
    active_ = false;
    // Stopped at its state bound: the exploration ends unexplored, so the tree is not
    // unwound (which would make it look exhausted).
    if (!gave_up_.empty()) return;
    // The last step may have disabled actions (a deadlock): nothing is enabled after it.
    if (!blocked_ && divergence_.empty()) note_enablers({});
    while (states_.size() > depth_) pop_state();
    while (!states_.empty()) {
      State& st = states_.back();
      // The chosen actor's subtree is done.
      const std::size_t k = states_.size() - 1;
      for (const EnabledAction& a : st.enabled) {
        if (a.actor != st.chosen) continue;
        Sleeper done{a, {}};
        if (k < events_.size() && events_[k].action.actor == a.actor) done.released = events_[k].released;
        st.done.push_back(std::move(done));
      }
      for (FiberId q : st.backtrack) {
        if (is_done(st, q) || asleep(st, q)) continue;
        st.chosen = q;
        branch_depth_ = states_.size() - 1;
        return;
      }
      pop_state();
    }
    exhausted_ = true;
    branch_depth_ = 0;
  }

 private:
  // An actor asleep (or done) at a state: the action it will take, and the mutexes that
  // step releases (known once it ran there: a step that releases what another action
  // touches is dependent with it, though its own action does not show it).
  struct Sleeper {
    EnabledAction action;
    std::vector<ObjectId> released;
  };
  struct State {
    std::vector<EnabledAction> enabled;
    std::vector<Sleeper> sleep;        // asleep on entry, with the action each will take
    std::vector<FiberId> backtrack;    // actors to explore here (insertion order)
    std::vector<Sleeper> done;         // actors whose subtree is explored
    FiberId chosen = 0;                // the actor the current execution follows
    std::size_t bytes = 0;             // counted in state_bytes_ when it was made
  };
  struct Event {
    EnabledAction action;
    std::uint32_t slot = 0;
    std::uint32_t pos = 0;  // 1-based index among its actor's events
    std::vector<std::uint32_t> clock;
    std::vector<ObjectId> released;  // mutexes the step released
  };
  struct ObjectAccesses {
    std::int64_t last_write = -1;
    std::vector<std::size_t> reads;  // reads since the last write
    // Mutexes (objects of lock actions): the event whose acquisition holds it (-1: free)
    // and the latest acquisition.
    std::int64_t holder = -1;
    std::int64_t last_acquire = -1;
  };

  void pop_state() {
    SIMBUS_ASSERT(!states_.empty());
    SIMBUS_ASSERT(state_bytes_ >= states_.back().bytes);
    state_bytes_ -= states_.back().bytes;
    states_.pop_back();
  }

  std::size_t diverge(std::string why) {
    divergence_ = std::move(why);
    return kDiverged;
  }

  static bool sleeper_dependent(const Sleeper& s, const EnabledAction& chosen) {
    if (dependent(s.action, chosen)) return true;
    return chosen.object != kNoObject &&
           std::find(s.released.begin(), s.released.end(), chosen.object) != s.released.end();
  }
  static bool asleep(const State& st, FiberId actor) {
    for (const Sleeper& s : st.sleep) {
      if (s.action.actor == actor) return true;
    }
    return false;
  }
  static bool is_done(const State& st, FiberId actor) {
    for (const Sleeper& s : st.done) {
      if (s.action.actor == actor) return true;
    }
    return false;
  }
  static bool in_backtrack(const State& st, FiberId actor) {
    return std::find(st.backtrack.begin(), st.backtrack.end(), actor) != st.backtrack.end();
  }
  static bool enabled_at(const State& st, FiberId actor) {
    return strategy_support::find_actor(st.enabled, actor) != st.enabled.size();
  }

  // Records which step enabled each action that was not enabled before it, and reverses
  // the step's races with the actions it disabled.
  void note_enablers(std::span<const EnabledAction> enabled) {
    std::map<FiberId, std::uint32_t> before;  // looked up only
    for (const EnabledAction& a : prev_enabled_) before[a.actor] = a.seq;
    if (!events_.empty() && events_.size() - 1 >= branch_depth_) {
      // A step that disabled another actor's pending action (both enabled before it, and
      // dependent: a receive that emptied a channel another fiber was about to receive
      // from) races with it, though the disabled action, when it runs later, happens
      // after whatever re-enabled it. Reverse that race at the state before the step.
      const Event& last = events_.back();
      State& st = states_[events_.size() - 1];
      for (const EnabledAction& q : prev_enabled_) {
        if (q.actor == last.action.actor || !dependent(q, last.action)) continue;
        if (strategy_support::find_actor(enabled, q.actor) != enabled.size()) continue;  // still enabled
        if (in_backtrack(st, q.actor) || asleep(st, q.actor)) continue;
        st.backtrack.push_back(q.actor);
      }
    }
    prev_enabled_.assign(enabled.begin(), enabled.end());
    for (const EnabledAction& a : enabled) {
      auto it = before.find(a.actor);
      if (it != before.end() && it->second == a.seq) continue;  // enabled before too
      // Woken: it waited (its actor had run before, and the last step was another's).
      const bool woken = slot_of_.count(a.actor) != 0 && !events_.empty() && events_.back().action.actor != a.actor;
      if (woken && a.kind != ActionKind::kLock) {
        woken_.insert(a.actor);
      } else {
        woken_.erase(a.actor);
      }
      if (a.kind == ActionKind::kLock || events_.empty()) {
        enabler_.erase(a.actor);
      } else {
        enabler_[a.actor] = events_.size() - 1;
      }
    }
  }

  bool happens_before(std::size_t e, const std::vector<std::uint32_t>& clock) const {
    const Event& ev = events_[e];
    return ev.slot < clock.size() && clock[ev.slot] >= ev.pos;
  }

  static void join(std::vector<std::uint32_t>& into, const std::vector<std::uint32_t>& from) {
    if (into.size() < from.size()) into.resize(from.size(), 0);
    for (std::size_t i = 0; i < from.size(); ++i) into[i] = std::max(into[i], from[i]);
  }

  enum class Use { kRead, kWrite, kLock, kTryLock, kRelease };

  void append_event(const EnabledAction& a, bool detect_races) {
    Event ev;
    ev.action = a;
    auto slot_it = slot_of_.find(a.actor);
    if (slot_it == slot_of_.end()) {
      slot_it = slot_of_.emplace(a.actor, static_cast<std::uint32_t>(slot_of_.size())).first;
      actor_events_.emplace_back();
    }
    ev.slot = slot_it->second;
    std::vector<std::size_t>& mine = actor_events_[ev.slot];
    ev.pos = static_cast<std::uint32_t>(mine.size() + 1);

    // Predecessors other than dependent events: program order and the enabling step.
    if (!mine.empty()) ev.clock = events_[mine.back()].clock;
    auto en = enabler_.find(a.actor);
    if (en != enabler_.end()) join(ev.clock, events_[en->second].clock);
    if (ev.clock.size() <= ev.slot) ev.clock.resize(ev.slot + 1, 0);
    ev.clock[ev.slot] = ev.pos;

    const std::size_t index = events_.size();
    events_.push_back(std::move(ev));
    mine.push_back(index);

    if (a.object != kNoObject) {
      const Use use = a.kind == ActionKind::kLock      ? Use::kLock
                      : a.kind == ActionKind::kTryLock ? Use::kTryLock
                      : a.access == Access::kWrite     ? Use::kWrite
                                                       : Use::kRead;
      add_access(index, a.object, use, detect_races);
    }

    event_bytes_ += sizeof(Event) + events_[index].clock.capacity() * sizeof(std::uint32_t);

    if (detect_races && woken_.count(a.actor) != 0 && a.object != kNoObject) {
      // A wait that another step satisfied (a receive on a channel someone refilled): it
      // could have run before any earlier access of its object that its own actor had
      // not seen, had it reached its wait in time; the chain through the step that woke
      // it hides those races from the direct-race test. Reverse every one of them
      // (sound; may cost sleep-set-blocked explorations, never a duplicate complete one).
      std::vector<std::uint32_t> program_order;
      if (mine.size() >= 2) program_order = events_[mine[mine.size() - 2]].clock;
      for (std::size_t e = 0; e < index; ++e) {
        const Event& x = events_[e];
        if (x.action.actor == a.actor || !dependent(x.action, a)) continue;
        if (happens_before(e, program_order)) continue;
        reverse_race(e, index, events_[index].clock);
      }
    }
  }

  // Event `index` accesses `object`: its own action's access, or a mutex release inside
  // the step. Joins the clocks of the earlier accesses it depends on into the event's
  // clock and, with detect_races, reverses its direct races.
  //
  // Mutexes. A lock (enabled only while the mutex is free) is an acquisition: it happens
  // after the last release (the release -> acquire edge), but that edge is no race (the
  // lock cannot run before the release); the race to reverse is with the previous
  // acquisition (running this one before it), tested without the edge. A try_lock is an
  // ordinary write (an acquisition if the mutex is free): it can run before a release and
  // fail, so its edge from the release is a race. A release is an ordinary write too (it
  // races with the try_locks that failed since the acquisition).
  void add_access(std::size_t index, ObjectId object, Use use, bool detect_races) {
    ObjectAccesses& acc = objects_[object];
    const FiberId actor = events_[index].action.actor;
    // The event's clock before this access: what it already happens after.
    const std::vector<std::uint32_t> pred = events_[index].clock;
    std::vector<std::size_t> candidates;  // earlier accesses that may race with this one
    std::vector<std::size_t> ordered;     // earlier accesses that happen before it anyway
    const bool acquisition = (use == Use::kLock || use == Use::kTryLock) && acc.holder < 0;
    if (use == Use::kLock && acc.holder < 0) {
      if (acc.last_acquire >= 0) candidates.push_back(static_cast<std::size_t>(acc.last_acquire));
      if (acc.last_write >= 0) ordered.push_back(static_cast<std::size_t>(acc.last_write));
    } else if (use != Use::kRead && !acc.reads.empty()) {
      candidates = acc.reads;
    } else if (acc.last_write >= 0) {
      candidates.push_back(static_cast<std::size_t>(acc.last_write));
    }
    // For the race reversal: what the event happens after without the release edge.
    std::vector<std::uint32_t> race_clock = pred;
    for (std::size_t d : candidates) join(race_clock, events_[d].clock);
    std::vector<std::uint32_t> clock = race_clock;
    for (std::size_t d : ordered) join(clock, events_[d].clock);
    events_[index].clock = std::move(clock);

    if (detect_races) {
      std::vector<std::size_t> races;
      for (std::size_t d : candidates) {
        if (events_[d].action.actor == actor) continue;
        if (happens_before(d, pred)) continue;
        races.push_back(d);
      }
      // Keep the maximal ones: a race through another racing event is not direct.
      std::vector<std::size_t> direct;
      for (std::size_t d : races) {
        bool covered = false;
        for (std::size_t other : races) {
          if (other != d && happens_before(d, events_[other].clock)) covered = true;
        }
        if (!covered) direct.push_back(d);
      }
      for (std::size_t e : direct) reverse_race(e, index, race_clock);
    }

    if (use == Use::kRead) {
      acc.reads.push_back(index);
    } else {
      acc.last_write = static_cast<std::int64_t>(index);
      acc.reads.clear();
    }
    if (acquisition) {
      acc.holder = static_cast<std::int64_t>(index);
      acc.last_acquire = static_cast<std::int64_t>(index);
    }
    if (use == Use::kRelease) acc.holder = -1;
  }

  // Reverses the race of e with a (the latest event); a_clock is what a happens after
  // when it runs first (without a release -> acquire edge from e's critical section).
  void reverse_race(std::size_t e, std::size_t a, const std::vector<std::uint32_t>& a_clock) {
    reverse_race(e, a, events_[a].action.actor, a_clock);
  }

  // Reverses the race of e with an action of actor p that would come after the events
  // before `end` (event `end` itself, or a blocked lock attempt when end is past the
  // last event); p_clock is what that action happens after when it runs first.
  void reverse_race(std::size_t e, std::size_t end, FiberId p, const std::vector<std::uint32_t>& p_clock) {
    // v = notdep(e, E).a; its initials.
    std::vector<std::size_t> v;
    for (std::size_t j = e + 1; j < end; ++j) {
      if (!happens_before(e, events_[j].clock)) v.push_back(j);
    }
    std::vector<FiberId> initials;
    bool all_disabled_wait_on_mutex = true;  // every initial not enabled before e is a lock
    State& st_e = states_[e];
    auto consider = [&](FiberId actor, ActionKind kind) {
      if (std::find(initials.begin(), initials.end(), actor) != initials.end()) return;
      initials.push_back(actor);
      if (!enabled_at(st_e, actor) && kind != ActionKind::kLock) all_disabled_wait_on_mutex = false;
    };
    for (std::size_t i = 0; i < v.size(); ++i) {
      const Event& x = events_[v[i]];
      bool initial = true;
      for (std::size_t k = 0; k < i && initial; ++k) {
        if (happens_before(v[k], x.clock)) initial = false;
      }
      if (initial) consider(x.action.actor, x.action.kind);
    }
    {
      // The racing action itself: initial unless an event of v happens before it.
      bool initial = true;
      for (std::size_t k = 0; k < v.size() && initial; ++k) {
        if (happens_before(v[k], p_clock)) initial = false;
      }
      const ActionKind kind = end < events_.size() ? events_[end].action.kind : ActionKind::kLock;
      if (initial) consider(p, kind);
    }
    State& st = states_[e];
    for (FiberId q : initials) {
      if (in_backtrack(st, q) || asleep(st, q)) return;
    }
    if (std::find(initials.begin(), initials.end(), p) != initials.end() && enabled_at(st, p)) {
      st.backtrack.push_back(p);
      return;
    }
    for (FiberId q : initials) {
      if (enabled_at(st, q)) {
        st.backtrack.push_back(q);
        return;
      }
    }
    // No initial can run before e. If each waits for a mutex (held across e by e's actor
    // or another), the reversal is infeasible as such: running that critical section
    // first is the lock-order race, reversed on its own between the acquisitions.
    if (all_disabled_wait_on_mutex) return;
    fallbacks_ += 1;
    for (const EnabledAction& x : st.enabled) {
      if (!in_backtrack(st, x.actor) && !asleep(st, x.actor)) st.backtrack.push_back(x.actor);
    }
  }

  // The bound on the estimated bytes of events_ and states_ (the vectors that grow with an
  // execution's length times its actors).
  static constexpr std::size_t kStateBytesMax = std::size_t{128} << 20;

  // Across executions.
  std::vector<State> states_;
  std::size_t state_bytes_ = 0;  // estimated bytes of states_
  std::string gave_up_;
  std::size_t branch_depth_ = 0;  // states below it replay; from it on, events are new
  bool exhausted_ = false;
  std::uint64_t fallbacks_ = 0;
  // Per execution.
  bool active_ = false;  // between begin and end_execution
  std::size_t depth_ = 0;
  bool blocked_ = false;
  std::string divergence_;
  std::vector<Event> events_;
  std::size_t event_bytes_ = 0;  // estimated bytes of events_
  std::map<FiberId, std::uint32_t> slot_of_;         // looked up only
  std::vector<std::vector<std::size_t>> actor_events_;
  std::map<FiberId, std::size_t> enabler_;           // looked up only
  std::set<FiberId> woken_;                          // looked up only
  std::vector<EnabledAction> prev_enabled_;
  std::map<ObjectId, ObjectAccesses> objects_;       // looked up only
  std::vector<Sleeper> next_sleep_;
};

}  // namespace

std::unique_ptr<Strategy> make_source_dpor_strategy(const std::string& arg, std::string* error) {
  if (!arg.empty()) {
    *error = "strategy 'dpor-source' takes no argument";
    return nullptr;
  }
  return std::make_unique<SourceDporStrategy>();
}

}  // namespace simbus::sim
