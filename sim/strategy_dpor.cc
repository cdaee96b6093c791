// `dpor`: stateless optimal DPOR with wakeup trees (Abdulla, Aronis, Jonsson & Sagonas,
// "Optimal dynamic partial order reduction", POPL 2014, Algorithm 2; JACM 2017), run in
// systematic mode. It explores exactly one complete execution of every Mazurkiewicz trace
// of the program (for finite, deterministic programs), and the wakeup trees make it start
// no exploration that sleep sets would abandon ("sleep-set blocked"): every execution it
// begins is a new trace. `dpor-source` (sim/strategy_dpor_source.cc) keeps the earlier
// source-DPOR (Algorithm 1), which may abandon such explorations.
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
// Races and wakeup trees (Algorithm 2). When event a (actor p) is appended, each earlier
// event e that races with it (dependent, another actor, not e -> a in happens-before
// except through a, and no other event between them in happens-before) is reversed: the
// wakeup sequence v = notdep(e, E).a (the events after e that do not happen after e, in
// execution order, then a) is a way to run a before e. Unless an actor asleep at the
// state before e is a weak initial of v (its next step starts some ordering of v, or
// commutes with all of v: the trace v leads to was explored from that actor's subtree),
// v is inserted into that state's wakeup tree: walking down from the root, a child whose
// actor is a weak initial of what is left of v takes v's first step of that actor off v
// (or nothing, if it commutes with v) and the walk goes on below it; a leaf reached that
// way already covers v; where no child fits, the rest of v hangs there as a new branch,
// after its older siblings. Exploring a state follows its wakeup tree's branches in
// order (the subtree of a branch becomes the next state's wakeup tree); a state with an
// empty tree takes its first enabled actor that is not asleep.
//
// Sleep sets: after the subtree of actor q at a state is done, q sleeps in the sibling
// subtrees, and stays asleep in a subtree until an event dependent with q's next action
// runs. A state whose enabled actors all sleep would be sleep-set blocked; with wakeup
// trees that happens only where a dependency rule is not precise enough (counted apart by
// explore, asserted zero by the tests on every program of papers/dpor-counts).
//
// Stateless: each execution re-runs the program from the start, replaying the prefix up to
// the deepest state with an unexplored wakeup-tree branch. Data choices come from the seed
// (the same for every execution), so the program is deterministic given the schedule; a
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

class DporStrategy final : public Strategy {
 public:
  std::string name() const override { return "dpor"; }
  bool wants_systematic() const override { return true; }
  bool exhausted() const override { return exhausted_; }
  bool last_execution_blocked() const override { return blocked_; }
  std::string divergence() const override { return divergence_; }
  std::string gave_up() const override { return gave_up_; }


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
    channels_.clear();
    next_sleep_.clear();
    races_.clear();
    event_bytes_ = 0;
  }

  std::size_t pick(std::span<const EnabledAction> enabled, const PickContext& ctx) override {
    if (event_bytes_ + state_bytes_ > kStateBytesMax) {
      // Every event keeps a vector clock over every actor seen and every state its enabled
      // and sleeping actions, so a long execution with many actors (a broker scenario in
      // systematic mode: each delivery and timer is an actor) grows quadratically: one
      // broker-smoke execution passed 6.6 GB before this bound (lastzero(8) of
      // papers/dpor-counts peaks at 0.7 MB of RSS over a one-run baseline).
      gave_up_ = fmt::format("dpor: its state passed {} MiB at step {} ({} events, {} states); this program is "
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
      // A new state: its sleep set and its wakeup tree come from the parent.
      State st;
      st.enabled.assign(enabled.begin(), enabled.end());
      st.sleep = std::move(next_sleep_);
      next_sleep_.clear();
      std::vector<WakeupNode> tree;
      if (!states_.empty()) tree = std::move(states_.back().chosen_subtree);
      index = enabled.size();
      // Follow the tree's first branch whose actor can run here. A branch whose first
      // step is not enabled is a sequence no execution can follow: it is dropped with its
      // subtree.
      while (!tree.empty() && index == enabled.size()) {
        index = strategy_support::find_actor(enabled, tree.front().step.action.actor);
        if (index == enabled.size()) {
          tree.erase(tree.begin());
          continue;
        }
        st.chosen_subtree = std::move(tree.front().children);
        tree.erase(tree.begin());
        st.pending = std::move(tree);
      }
      if (index == enabled.size()) {
        for (std::size_t i = 0; i < enabled.size(); ++i) {
          if (!asleep(st, enabled[i].actor)) {
            index = i;
            break;
          }
        }
      }
      if (index == enabled.size()) {
        blocked_ = true;
        divergence_ = fmt::format("step {}: sleep-set blocked (every enabled action is asleep)", ctx.step + 1);
        return kDiverged;
      }
      st.chosen = enabled[index].actor;
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
    EnabledAction attempt = events_[last].action;
    attempt.kind = ActionKind::kLock;
    attempt.object = object;
    attempt.access = Access::kWrite;
    attempt.seq += 1;
    reverse_race(e, events_.size(), attempt, events_[last].clock);
  }

  void end_execution(bool completed) override {
    active_ = false;
    // Stopped at its state bound: the exploration ends unexplored, so the tree is not
    // unwound (which would make it look exhausted).
    if (!gave_up_.empty()) return;
    // The last step may have disabled actions (a deadlock): nothing is enabled after it.
    if (!blocked_ && divergence_.empty()) note_enablers({});
    // A sleep-set-blocked execution is cut short, not wrong: its races are reversed
    // against what ran (a divergence leaves the tree as it was).
    if (blocked_ || divergence_.empty()) reverse_races();
    races_.clear();
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
      st.chosen_subtree.clear();
      // The next branch of the state's wakeup tree (its actor is enabled here: insertion
      // only puts a new branch at a state under an actor enabled there).
      while (!st.pending.empty()) {
        WakeupNode next = std::move(st.pending.front());
        st.pending.erase(st.pending.begin());
        const FiberId q = next.step.action.actor;
        if (is_done(st, q) || !enabled_at(st, q)) continue;
        st.chosen = q;
        st.chosen_subtree = std::move(next.children);
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
  // A wakeup tree node: a step (an actor's next action, and the mutexes it released
  // when it ran) and the subtrees after it, oldest branch first.
  struct WakeupNode {
    Sleeper step;
    std::vector<WakeupNode> children;
  };
  struct State {
    std::vector<EnabledAction> enabled;
    std::vector<Sleeper> sleep;        // asleep on entry, with the action each will take
    std::vector<Sleeper> done;         // actors whose subtree is explored
    FiberId chosen = 0;                // the actor the current execution follows
    // The wakeup tree below `chosen` (handed to the next state when it is made) and the
    // branches not explored yet, in order.
    std::vector<WakeupNode> chosen_subtree;
    std::vector<WakeupNode> pending;
    std::size_t bytes = 0;             // counted in state_bytes_ when it was made
  };
  // The position of a step that is no event of this execution: nothing happens after it.
  static constexpr std::uint32_t kNewStep = UINT32_MAX;
  // One step of a wakeup sequence under construction: an event of this execution (or the
  // racing action, last), with what it happens after.
  struct SequenceStep {
    Sleeper step;
    const std::vector<std::uint32_t>* clock = nullptr;
    std::uint32_t slot = 0;
    std::uint32_t pos = 0;
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

  struct ChannelOrders {
    std::vector<std::size_t> sends;     // events, in order (a close included)
    std::vector<std::size_t> receives;  // events, in order
    std::int64_t close_at = -1;         // position of the close among the sends
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

  static bool is_channel(ActionKind kind) {
    return kind == ActionKind::kChannelSend || kind == ActionKind::kChannelRecv;
  }

  // sim::dependent, made precise for channels: a send (or close) and a receive on one
  // channel commute whenever both can run (the receive takes an element that was there
  // already, the send appends behind it), so only sends among themselves and receives
  // among themselves are dependent.
  static bool actions_dependent(const EnabledAction& a, const EnabledAction& b) {
    if (a.actor != b.actor && a.object == b.object && is_channel(a.kind) && is_channel(b.kind) && a.kind != b.kind) {
      return false;
    }
    return dependent(a, b);
  }

  static bool sleeper_dependent(const Sleeper& s, const EnabledAction& chosen) {
    if (actions_dependent(s.action, chosen)) return true;
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
      const std::size_t at = events_.size() - 1;
      for (const EnabledAction& q : prev_enabled_) {
        if (q.actor == last.action.actor || !actions_dependent(q, last.action)) continue;
        if (strategy_support::find_actor(enabled, q.actor) != enabled.size()) continue;  // still enabled
        const std::vector<std::uint32_t> none;
        std::vector<SequenceStep> v{SequenceStep{Sleeper{q, {}}, &none, 0, kNewStep}};
        insert_wakeup(at, std::move(v));
      }
    }
    prev_enabled_.assign(enabled.begin(), enabled.end());
    for (const EnabledAction& a : enabled) {
      auto it = before.find(a.actor);
      if (it != before.end() && it->second == a.seq) continue;  // enabled before too
      // Woken: it waited (its actor had run before, and the last step was another's).
      const bool woken = slot_of_.count(a.actor) != 0 && !events_.empty() && events_.back().action.actor != a.actor;
      if (woken && a.kind != ActionKind::kLock && !is_channel(a.kind)) {
        woken_.insert(a.actor);
      } else {
        woken_.erase(a.actor);
      }
      if (a.kind == ActionKind::kLock || is_channel(a.kind) || events_.empty()) {
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

    if (is_channel(a.kind)) {
      channel_access(index, detect_races);
    } else if (a.object != kNoObject) {
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
      // The step that woke it is no such access: the wait was not enabled before it, so
      // it cannot run first (reversing it was an infeasible wakeup sequence, a
      // sleep-set-blocked exploration: a receive before the delivery that fills its
      // mailbox, a condition wait before the notify). The orders in which another step
      // wakes it come from that step's own races with the waker.
      const std::size_t waker = en != enabler_.end() ? en->second : index;
      std::vector<std::uint32_t> program_order;
      if (mine.size() >= 2) program_order = events_[mine[mine.size() - 2]].clock;
      for (std::size_t e = 0; e < index; ++e) {
        const Event& x = events_[e];
        if (e == waker) continue;
        if (x.action.actor == a.actor || !actions_dependent(x.action, a)) continue;
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

  // Channels. A channel is two orders: its sends (and its close) in the order they
  // appended, and its receives in the order they took from the head. The i-th receive
  // takes what the i-th send appended (or finds the close), and the k-th send of a
  // channel of capacity c needs the (k-c)-th receive to have freed a slot: those are the
  // happens-before edges, never races (the receive or the send could not run first). The
  // races are between consecutive sends and consecutive receives; a receive that takes
  // the previous one's place needs what that one needed (its send), not the previous
  // receive itself, so the race is tested and reversed without that edge (as a lock
  // races with the previous acquisition, not the release).
  void channel_access(std::size_t index, bool detect_races) {
    Event& ev = events_[index];
    ChannelOrders& ch = channels_[ev.action.object];
    const std::vector<std::uint32_t> pred = ev.clock;  // program order only (no enabler)
    const std::vector<std::uint32_t> none;
    std::int64_t previous = -1;
    std::vector<std::uint32_t> race_clock = pred;
    std::vector<std::uint32_t> clock = pred;
    // What the send at slot k needs besides its actor's past: the receive that freed it.
    auto slot_needs = [&](std::size_t k, std::uint32_t capacity) -> const std::vector<std::uint32_t>& {
      if (capacity == 0 || ch.close_at >= 0 || k < capacity || k - capacity >= ch.receives.size()) return none;
      return events_[ch.receives[k - capacity]].clock;
    };
    // What the receive at position i needs: the send it takes (or the close it finds).
    auto taken_from = [&](std::size_t i) -> const std::vector<std::uint32_t>& {
      std::size_t k = i;
      if (ch.close_at >= 0 && k > static_cast<std::size_t>(ch.close_at)) k = static_cast<std::size_t>(ch.close_at);
      if (k >= ch.sends.size()) return ch.sends.empty() ? none : events_[ch.sends.back()].clock;
      return events_[ch.sends[k]].clock;
    };
    if (ev.action.kind == ActionKind::kChannelSend) {
      const std::size_t k = ch.sends.size();
      const std::uint32_t capacity = ev.action.capacity;
      if (k > 0) {
        previous = static_cast<std::int64_t>(ch.sends.back());
        join(race_clock, slot_needs(k - 1, capacity));
        join(clock, events_[ch.sends.back()].clock);
      }
      join(clock, slot_needs(k, capacity));
      if (capacity == 0 && ch.close_at < 0) ch.close_at = static_cast<std::int64_t>(k);
      ch.sends.push_back(index);
    } else {
      const std::size_t i = ch.receives.size();
      if (i > 0) {
        previous = static_cast<std::int64_t>(ch.receives.back());
        join(race_clock, taken_from(i - 1));
        join(clock, events_[ch.receives.back()].clock);
      }
      join(clock, taken_from(i));
      ch.receives.push_back(index);
    }
    ev.clock = std::move(clock);
    if (!detect_races || previous < 0) return;
    const std::size_t e = static_cast<std::size_t>(previous);
    if (events_[e].action.actor == ev.action.actor || happens_before(e, pred)) return;
    reverse_race(e, index, race_clock);
  }

  // Reverses the race of e with a (the latest event); a_clock is what a happens after
  // when it runs first (without a release -> acquire edge from e's critical section).
  void reverse_race(std::size_t e, std::size_t a, const std::vector<std::uint32_t>& a_clock) {
    reverse_race(e, a, events_[a].action, a_clock);
  }

  // Reverses the race of e with `racer`, an action that would come after the events
  // before `end` (event `end` itself, or a blocked lock attempt when end is past the last
  // event); racer_clock is what it happens after when it runs first. The wakeup sequence
  // is notdep(e, E).racer, inserted at the state before e.
  //
  // The race is only recorded here; it is reversed once the execution is maximal
  // (reverse_races, from end_execution), as Algorithm 2 does: notdep(e, E) ranges over the
  // whole execution E, not only the events up to the racer. Built when the racer was
  // appended, v would lack the later events that do not happen after e, and a sleeping
  // actor that commutes with the shorter v but not with one of those would be taken for a
  // weak initial of v: the insertion skipped, the reversed trace lost (lastzero n=7 found
  // 284 of its 320 traces that way).
  void reverse_race(std::size_t e, std::size_t end, const EnabledAction& racer,
                    const std::vector<std::uint32_t>& racer_clock) {
    SIMBUS_ASSERT(e < events_.size());
    SIMBUS_ASSERT(end > e);
    // An attempt (end past the last event) is no event: later events take that index.
    const bool racer_is_event = end < events_.size();
    races_.push_back(Race{e, racer_is_event ? end : kNoEvent, racer, racer_clock});
    // Held until the execution ends: counted against the state bound with the events.
    event_bytes_ += sizeof(Race) + racer_clock.size() * sizeof(std::uint32_t);
  }

  // The recorded races, reversed against the whole execution: for each, the wakeup
  // sequence notdep(e, E).racer inserted at the state before e.
  void reverse_races() {
    for (const Race& race : races_) {
      std::vector<SequenceStep> v;
      for (std::size_t j = race.e + 1; j < events_.size(); ++j) {
        if (j == race.end) continue;  // the racer itself goes last
        const Event& x = events_[j];
        if (happens_before(race.e, x.clock)) continue;
        v.push_back(SequenceStep{Sleeper{x.action, x.released}, &x.clock, x.slot, x.pos});
      }
      std::vector<ObjectId> racer_released;
      if (race.end != kNoEvent) racer_released = events_[race.end].released;
      v.push_back(SequenceStep{Sleeper{race.racer, std::move(racer_released)}, &race.racer_clock, 0, kNewStep});
      insert_wakeup(race.e, std::move(v));
    }
    races_.clear();
  }

  static bool step_dependent(const Sleeper& a, const Sleeper& b) {
    if (actions_dependent(a.action, b.action)) return true;
    auto released = [](const Sleeper& x, ObjectId o) {
      return o != kNoObject && std::find(x.released.begin(), x.released.end(), o) != x.released.end();
    };
    return released(a, b.action.object) || released(b, a.action.object);
  }

  // Where in v the first step of `actor` is, or v.size().
  static std::size_t first_of(const std::vector<SequenceStep>& v, FiberId actor) {
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (v[i].step.action.actor == actor) return i;
    }
    return v.size();
  }

  // v[j] happens before v[i] (j < i; the happens-before of the execution restricted to
  // v's steps, the racing action with the clock it has when it runs first).
  static bool sequence_before(const std::vector<SequenceStep>& v, std::size_t j, std::size_t i) {
    const std::vector<std::uint32_t>& clock = *v[i].clock;
    return v[j].slot < clock.size() && clock[v[j].slot] >= v[j].pos;
  }

  // Is p a weak initial of v: p's first step in v has no predecessor in v (v can start
  // with it), or p takes no step in v and its next step commutes with every step of v?
  static bool weak_initial(const Sleeper& p, const std::vector<SequenceStep>& v) {
    const std::size_t i = first_of(v, p.action.actor);
    if (i < v.size()) {
      for (std::size_t j = 0; j < i; ++j) {
        if (sequence_before(v, j, i)) return false;
      }
      return true;
    }
    for (const SequenceStep& x : v) {
      if (step_dependent(p, x.step)) return false;
    }
    return true;
  }

  // Inserts wakeup sequence v at the state before event e, unless an actor asleep (or
  // explored) there already covers it.
  void insert_wakeup(std::size_t e, std::vector<SequenceStep> v) {
    State& st = states_[e];
    for (const Sleeper& s : st.sleep) {
      if (weak_initial(s, v)) return;
    }
    for (const Sleeper& s : st.done) {
      if (weak_initial(s, v)) return;
    }
    // The new branch's first step must be able to run at this state: take, among v's
    // initials (steps with no predecessor in v, which may go first), one enabled here.
    bool movable = false;
    for (std::size_t i = 0; i < v.size() && !movable; ++i) {
      bool initial = true;
      for (std::size_t j = 0; j < i && initial; ++j) {
        if (sequence_before(v, j, i)) initial = false;
      }
      if (!initial || !enabled_at(st, v[i].step.action.actor)) continue;
      if (first_of(v, v[i].step.action.actor) != i) continue;
      std::rotate(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(i), v.begin() + static_cast<std::ptrdiff_t>(i) + 1);
      movable = true;
    }
    if (!movable) {
      // No step of v can run first here: each waits (a lock on a mutex held across e, a
      // receive on a channel e fills). Such a reversal is realized by the race that
      // frees the wait, reversed on its own.
      return;
    }
    insert_into(st.pending, std::move(v));
  }

  void insert_into(std::vector<WakeupNode>& children, std::vector<SequenceStep> v) {
    std::vector<WakeupNode>* level = &children;
    while (!v.empty()) {
      WakeupNode* next = nullptr;
      for (WakeupNode& child : *level) {
        if (weak_initial(child.step, v)) {
          next = &child;
          break;
        }
      }
      if (next == nullptr) break;
      if (next->children.empty()) return;  // a leaf: its execution covers v
      const std::size_t i = first_of(v, next->step.action.actor);
      if (i < v.size()) v.erase(v.begin() + static_cast<std::ptrdiff_t>(i));
      level = &next->children;
    }
    if (v.empty()) return;
    // The rest of v hangs here as a new branch, after the older ones.
    WakeupNode* node = &level->emplace_back();
    node->step = v.front().step;
    for (std::size_t i = 1; i < v.size(); ++i) {
      node = &node->children.emplace_back();
      node->step = v[i].step;
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
  std::map<ObjectId, ChannelOrders> channels_;       // looked up only
  std::vector<Sleeper> next_sleep_;
  static constexpr std::size_t kNoEvent = SIZE_MAX;
  // Races found during the execution, reversed at its end (reverse_races).
  struct Race {
    std::size_t e;       // the earlier event
    std::size_t end;     // the racer's event, or kNoEvent for an attempt that did not run
    EnabledAction racer;
    std::vector<std::uint32_t> racer_clock;  // what the racer happens after when it runs first
  };
  std::vector<Race> races_;
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
