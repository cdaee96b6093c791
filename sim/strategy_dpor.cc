// `dpor`: stateless source-DPOR with sleep sets (Abdulla, Aronis, Jonsson & Sagonas,
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
//     exception: two acquisitions of one mutex are dependent, and the order of the
//     acquisitions is the race DPOR reverses (Flanagan & Godefroid's treatment), so the
//     release (not a scheduling point in sim/sync.h) adds no edge.
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

#include "sim/strategy.h"
#include "sim/strategy_support.h"

namespace simbus::sim {
namespace {

class DporStrategy final : public Strategy {
 public:
  std::string name() const override { return "dpor"; }
  bool wants_systematic() const override { return true; }
  bool exhausted() const override { return exhausted_; }
  bool last_execution_blocked() const override { return blocked_; }
  std::string divergence() const override { return divergence_; }

  // How often a race could not be reversed by an initial enabled before it (the
  // conservative fallback ran). Zero on programs without mutexes held across races.
  std::uint64_t fallbacks() const { return fallbacks_; }

  void begin(std::uint64_t strategy_seed) override {
    Strategy::begin(strategy_seed);
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
  }

  std::size_t pick(std::span<const EnabledAction> enabled, const PickContext& ctx) override {
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
      states_.push_back(std::move(st));
    }
    const EnabledAction chosen = enabled[index];
    const bool fresh = depth_ >= branch_depth_;
    if (fresh) {
      // The child state is new: compute its sleep set.
      const State& st = states_[depth_];
      next_sleep_.clear();
      for (const EnabledAction& s : st.sleep) {
        if (!dependent(s, chosen)) next_sleep_.push_back(s);
      }
      for (const EnabledAction& s : st.done) {
        if (s.actor != chosen.actor && !dependent(s, chosen)) next_sleep_.push_back(s);
      }
    }
    append_event(chosen, fresh);
    depth_ += 1;
    return index;
  }

  void end_execution(bool completed) override {
    // The last step may have disabled actions (a deadlock): nothing is enabled after it.
    if (!blocked_ && divergence_.empty()) note_enablers({});
    states_.resize(std::min(states_.size(), depth_));
    while (!states_.empty()) {
      State& st = states_.back();
      // The chosen actor's subtree is done.
      for (const EnabledAction& a : st.enabled) {
        if (a.actor == st.chosen) st.done.push_back(a);
      }
      for (FiberId q : st.backtrack) {
        if (is_done(st, q) || asleep(st, q)) continue;
        st.chosen = q;
        branch_depth_ = states_.size() - 1;
        return;
      }
      states_.pop_back();
    }
    exhausted_ = true;
    branch_depth_ = 0;
  }

 private:
  struct State {
    std::vector<EnabledAction> enabled;
    std::vector<EnabledAction> sleep;  // asleep on entry, with the action each will take
    std::vector<FiberId> backtrack;    // actors to explore here (insertion order)
    std::vector<EnabledAction> done;   // actors whose subtree is explored
    FiberId chosen = 0;                // the actor the current execution follows
  };
  struct Event {
    EnabledAction action;
    std::uint32_t slot = 0;
    std::uint32_t pos = 0;  // 1-based index among its actor's events
    std::vector<std::uint32_t> clock;
  };
  struct ObjectAccesses {
    std::int64_t last_write = -1;
    std::vector<std::size_t> reads;  // reads since the last write
  };

  std::size_t diverge(std::string why) {
    divergence_ = std::move(why);
    return kDiverged;
  }

  static bool asleep(const State& st, FiberId actor) {
    for (const EnabledAction& s : st.sleep) {
      if (s.actor == actor) return true;
    }
    return false;
  }
  static bool is_done(const State& st, FiberId actor) {
    for (const EnabledAction& s : st.done) {
      if (s.actor == actor) return true;
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
    std::vector<std::uint32_t> pred;
    if (!mine.empty()) pred = events_[mine.back()].clock;
    auto en = enabler_.find(a.actor);
    if (en != enabler_.end()) join(pred, events_[en->second].clock);

    // Dependent earlier events: the object's last write, and for a write also the reads
    // since it. (Same-actor dependency is program order, already in pred.)
    std::vector<std::size_t> dependents;
    ObjectAccesses* acc = nullptr;
    if (a.object != kNoObject) {
      acc = &objects_[a.object];
      const bool write = a.access == Access::kWrite;
      if (write && !acc->reads.empty()) {
        dependents = acc->reads;
      } else if (acc->last_write >= 0) {
        dependents.push_back(static_cast<std::size_t>(acc->last_write));
      }
      if (write && !acc->reads.empty() && acc->last_write >= 0) {
        // The last write happens before every read since it: never a direct race, but
        // its clock is part of a's (through those reads).
      }
    }
    ev.clock = pred;
    for (std::size_t d : dependents) join(ev.clock, events_[d].clock);
    if (ev.clock.size() <= ev.slot) ev.clock.resize(ev.slot + 1, 0);
    ev.clock[ev.slot] = ev.pos;

    const std::size_t index = events_.size();
    events_.push_back(std::move(ev));
    mine.push_back(index);

    if (detect_races && woken_.count(a.actor) != 0 && a.object != kNoObject) {
      // A wait that another step satisfied (a receive on a channel someone refilled): it
      // could have run before any earlier access of its object that its own actor had
      // not seen, had it reached its wait in time; the chain through the step that woke
      // it hides those races from the direct-race test. Reverse every one of them
      // (sound; may cost sleep-set-blocked explorations, never a duplicate complete one).
      std::vector<std::uint32_t> program_order;
      if (mine.size() >= 2) program_order = events_[mine[mine.size() - 2]].clock;
      for (std::size_t e = 0; e + 1 < events_.size(); ++e) {
        const Event& x = events_[e];
        if (x.action.actor == a.actor || !dependent(x.action, a)) continue;
        if (happens_before(e, program_order)) continue;
        reverse_race(e, index);
      }
    }
    if (detect_races) {
      std::vector<std::size_t> races;
      for (std::size_t d : dependents) {
        if (events_[d].action.actor == a.actor) continue;
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
      for (std::size_t e : direct) reverse_race(e, index);
    }

    if (acc != nullptr) {
      if (a.access == Access::kWrite) {
        acc->last_write = static_cast<std::int64_t>(index);
        acc->reads.clear();
      } else {
        acc->reads.push_back(index);
      }
    }
  }

  void reverse_race(std::size_t e, std::size_t a) {
    // v = notdep(e, E).a; its initials.
    std::vector<std::size_t> v;
    for (std::size_t j = e + 1; j < a; ++j) {
      if (!happens_before(e, events_[j].clock)) v.push_back(j);
    }
    v.push_back(a);
    std::vector<FiberId> initials;
    bool all_disabled_wait_on_mutex = true;  // every initial not enabled before e is a lock
    State& st_e = states_[e];
    for (std::size_t i = 0; i < v.size(); ++i) {
      const Event& x = events_[v[i]];
      bool initial = true;
      for (std::size_t k = 0; k < i && initial; ++k) {
        if (happens_before(v[k], x.clock)) initial = false;
      }
      if (initial && std::find(initials.begin(), initials.end(), x.action.actor) == initials.end()) {
        initials.push_back(x.action.actor);
        if (!enabled_at(st_e, x.action.actor) && x.action.kind != ActionKind::kLock) {
          all_disabled_wait_on_mutex = false;
        }
      }
    }
    State& st = states_[e];
    for (FiberId q : initials) {
      if (in_backtrack(st, q) || asleep(st, q)) return;
    }
    const FiberId p = events_[a].action.actor;
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

  // Across executions.
  std::vector<State> states_;
  std::size_t branch_depth_ = 0;  // states below it replay; from it on, events are new
  bool exhausted_ = false;
  std::uint64_t fallbacks_ = 0;
  // Per execution.
  std::size_t depth_ = 0;
  bool blocked_ = false;
  std::string divergence_;
  std::vector<Event> events_;
  std::map<FiberId, std::uint32_t> slot_of_;         // looked up only
  std::vector<std::vector<std::size_t>> actor_events_;
  std::map<FiberId, std::size_t> enabler_;           // looked up only
  std::set<FiberId> woken_;                          // looked up only
  std::vector<EnabledAction> prev_enabled_;
  std::map<ObjectId, ObjectAccesses> objects_;       // looked up only
  std::vector<EnabledAction> next_sleep_;
};

}  // namespace

std::unique_ptr<Strategy> make_dpor_strategy(const std::string& arg, std::string* error) {
  if (!arg.empty()) {
    *error = "strategy 'dpor' takes no argument";
    return nullptr;
  }
  return std::make_unique<DporStrategy>();
}

}  // namespace simbus::sim
