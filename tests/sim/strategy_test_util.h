// Helpers for strategy tests: an in-process explore loop (the same contract as
// `simbus explore`: one strategy object across executions, until exhausted or a cap),
// a recorder of executed actions, a brute-force Mazurkiewicz-trace key, and small
// programs (racy counter, readers-writers, lastzero, indexer, filesystem, ...).
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "sim/network.h"
#include "sim/strategy.h"
#include "sim/sync.h"
#include "sim/world.h"

namespace simbus::sim::testing {

// Sets up a world; returns a check run after the world stops (true: passed).
using Program = std::function<std::function<bool()>(World&)>;

inline std::shared_ptr<Strategy> strategy_named(const std::string& spec) {
  std::string error;
  std::shared_ptr<Strategy> s = make_strategy(spec, &error);
  if (!s) throw std::runtime_error(error);
  return s;
}

// Wraps a strategy and records the action it chose at each step.
class Recorder final : public Strategy {
 public:
  explicit Recorder(std::shared_ptr<Strategy> inner) : inner_(std::move(inner)) {}
  std::string name() const override { return inner_->name(); }
  void begin(std::uint64_t seed) override {
    executed.clear();
    released.clear();
    inner_->begin(seed);
  }
  std::size_t pick(std::span<const EnabledAction> enabled, const PickContext& ctx) override {
    const std::size_t i = inner_->pick(enabled, ctx);
    if (i < enabled.size()) executed.push_back(enabled[i]);
    return i;
  }
  void note_hidden_write(ObjectId object) override {
    if (!executed.empty()) released.emplace_back(executed.size() - 1, object);
    inner_->note_hidden_write(object);
  }
  void note_lock_blocked(ObjectId object) override { inner_->note_lock_blocked(object); }
  std::optional<std::uint64_t> choose_data(const DataChoice& c) override { return inner_->choose_data(c); }
  std::string divergence() const override { return inner_->divergence(); }
  void end_execution(bool completed) override { inner_->end_execution(completed); }
  bool exhausted() const override { return inner_->exhausted(); }
  bool wants_systematic() const override { return inner_->wants_systematic(); }
  bool last_execution_blocked() const override { return inner_->last_execution_blocked(); }

  std::vector<EnabledAction> executed;
  std::vector<std::pair<std::size_t, ObjectId>> released;  // (index in executed, mutex)

 private:
  std::shared_ptr<Strategy> inner_;
};

// The Mazurkiewicz trace of an execution, as a canonical string: the set of events
// (actor, seq, kind, object, access) and, per object, the order of its accesses with
// each run of reads between two writes taken as a set. Two executions have the same key
// iff they contain the same events and order every pair of dependent events alike
// (same actor: fixed by seq; same object with a write: fixed by the per-object order).
// A mutex release inside a step (`released`: index of the step, mutex) is a write of the
// mutex by that step: it orders a failed try_lock before or after the release. (Without
// try_lock the releases add nothing: mutual exclusion fixes them by the acquisitions.)
inline std::string trace_key(const std::vector<EnabledAction>& executed,
                             const std::vector<std::pair<std::size_t, ObjectId>>& released = {}) {
  std::vector<std::string> events;
  std::map<ObjectId, std::vector<std::string>> per_object;  // iterated: ordered by object id
  std::map<ObjectId, std::vector<std::string>> pending_reads;
  auto flush_reads = [&](ObjectId o) {
    auto& reads = pending_reads[o];
    if (reads.empty()) return;
    std::sort(reads.begin(), reads.end());
    std::string group = "{";
    for (const auto& r : reads) group += r + ",";
    per_object[o].push_back(group + "}");
    reads.clear();
  };
  std::size_t next_release = 0;
  for (std::size_t i = 0; i < executed.size(); ++i) {
    const EnabledAction& a = executed[i];
    const std::string id = fmt::format("{:x}/{}", a.actor, a.seq);
    events.push_back(fmt::format("{}:{}:{:x}:{}", id, static_cast<int>(a.kind), a.object, static_cast<int>(a.access)));
    if (a.object != kNoObject) {
      if (a.access == Access::kWrite) {
        flush_reads(a.object);
        per_object[a.object].push_back(id);
      } else {
        pending_reads[a.object].push_back(id);
      }
    }
    for (; next_release < released.size() && released[next_release].first == i; ++next_release) {
      const ObjectId m = released[next_release].second;
      flush_reads(m);
      per_object[m].push_back(id + "r");
    }
  }
  for (auto& [o, reads] : pending_reads) flush_reads(o);
  std::sort(events.begin(), events.end());
  std::string key;
  for (const auto& e : events) key += e + ";";
  key += "|";
  for (const auto& [o, seq] : per_object) {
    key += fmt::format("{:x}=", o);
    for (const auto& s : seq) key += s + " ";
    key += ";";
  }
  return key;
}

struct ExploreResult {
  std::uint64_t executions = 0;  // complete executions
  std::uint64_t blocked = 0;     // sleep-set blocked
  std::uint64_t failures = 0;    // complete executions whose check failed (or deadlocked)
  bool exhausted = false;
  std::set<std::string> trace_keys;        // of complete executions
  std::set<std::string> failing_keys;      // of complete executions that failed
  std::set<std::uint64_t> hashes;          // trace hashes of complete executions
  std::uint64_t first_failure_execution = 0;  // 1-based; 0: none
  std::uint64_t first_failure_seed = 0;
};

// Runs `program` under one strategy object for up to `executions_max` executions.
// Enumerating strategies stop when exhausted; seeded ones get seed = seed_start + i.
inline ExploreResult explore(const std::string& spec, const Program& program, std::uint64_t executions_max,
                             std::uint64_t seed_start = 1, bool enumerating = false) {
  auto recorder = std::make_shared<Recorder>(strategy_named(spec));
  ExploreResult result;
  for (std::uint64_t i = 0; i < executions_max; ++i) {
    WorldOptions options;
    options.seed = enumerating ? seed_start : seed_start + i;
    options.systematic = recorder->wants_systematic();
    options.steps_max = 100'000;
    World world(options, recorder);
    auto check = program(world);
    const RunOutcome outcome = world.run();
    recorder->end_execution(outcome.status != RunStatus::kDiverged && outcome.status != RunStatus::kStopped);
    if (recorder->last_execution_blocked()) {
      result.blocked += 1;
    } else {
      if (outcome.status == RunStatus::kDiverged) throw std::runtime_error("diverged: " + outcome.message);
      result.executions += 1;
      const std::string key = trace_key(recorder->executed, recorder->released);
      result.trace_keys.insert(key);
      result.hashes.insert(outcome.trace_hash);
      const bool ok = outcome.status == RunStatus::kOk && check();
      if (!ok) {
        result.failures += 1;
        result.failing_keys.insert(key);
        if (result.first_failure_execution == 0) {
          result.first_failure_execution = result.executions;
          result.first_failure_seed = options.seed;
        }
      }
    }
    if (recorder->exhausted()) {
      result.exhausted = true;
      break;
    }
  }
  return result;
}

// --- programs

// `fibers` fibers each do `v = x.load(); x.store(v + 1)` `increments` times, spawned by
// a main fiber that joins them (as the racy-counter scenario).
inline Program racy_counter(int fibers = 2, int increments = 1) {
  return [=](World& world) -> std::function<bool()> {
    auto x = std::make_shared<Atomic<std::int64_t>>(0);
    world.spawn(kControlNode, "main", [&world, x, fibers, increments] {
      std::vector<FiberId> workers;
      for (int i = 0; i < fibers; ++i) {
        workers.push_back(spawn(fmt::format("inc-{}", i), [x, increments] {
          for (int k = 0; k < increments; ++k) {
            const std::int64_t v = x->load();
            x->store(v + 1);
          }
        }));
      }
      for (FiberId w : workers) world.join(w);
    });
    return [x, fibers, increments] { return x->peek() == fibers * increments; };
  };
}

// One writer stores once, n readers load once each: 2^n traces.
inline Program readers_writers(int readers) {
  return [=](World& world) -> std::function<bool()> {
    auto x = std::make_shared<Atomic<int>>(0);
    world.spawn(kControlNode, "main", [&world, x, readers] {
      std::vector<FiberId> all;
      all.push_back(spawn("writer", [x] { x->store(1); }));
      for (int i = 0; i < readers; ++i) all.push_back(spawn(fmt::format("reader-{}", i), [x] { (void)x->load(); }));
      for (FiberId f : all) world.join(f);
    });
    return [] { return true; };
  };
}

// lastzero(n) (Abdulla et al. POPL 2014): thread 0 scans for the last zero of an array;
// threads 1..n each set a[i] = a[i-1] + 1.
inline Program lastzero(int n) {
  return [=](World& world) -> std::function<bool()> {
    auto a = std::make_shared<std::vector<std::unique_ptr<Atomic<int>>>>();
    for (int i = 0; i <= n; ++i) a->push_back(std::make_unique<Atomic<int>>(0));
    world.spawn(kControlNode, "scanner", [a, n] {
      int i = n;
      while ((*a)[i]->load() != 0) i -= 1;  // a[0] stays 0
    });
    for (int j = 1; j <= n; ++j) {
      world.spawn(kControlNode, fmt::format("setter-{}", j), [a, j] { (*a)[j]->store((*a)[j - 1]->load() + 1); });
    }
    return [] { return true; };
  };
}

// Two fibers take one mutex around a shared store; a third reads the variable unlocked.
inline Program locked_pair() {
  return [](World& world) -> std::function<bool()> {
    auto m = std::make_shared<Mutex>();
    auto x = std::make_shared<Atomic<int>>(0);
    for (int t = 0; t < 2; ++t) {
      world.spawn(kControlNode, fmt::format("locker-{}", t), [m, x, t] {
        m->lock();
        x->store(t + 1);
        m->unlock();
      });
    }
    world.spawn(kControlNode, "peeker", [x] { (void)x->load(); });
    return [] { return true; };
  };
}

// `fibers` fibers each add 1 to a counter under one mutex, `increments` times (the
// mutex-counter scenario without main's joins): (fibers*increments)! / (increments!)^fibers
// traces (the orders of the critical sections), never a lost update.
inline Program mutex_counter(int fibers, int increments) {
  return [=](World& world) -> std::function<bool()> {
    auto m = std::make_shared<Mutex>();
    auto x = std::make_shared<Atomic<int>>(0);
    for (int t = 0; t < fibers; ++t) {
      world.spawn(kControlNode, fmt::format("inc-{}", t), [m, x, increments] {
        for (int k = 0; k < increments; ++k) {
          LockGuard guard(*m);
          x->store(x->load() + 1);
        }
      });
    }
    return [x, fibers, increments] { return x->peek() == fibers * increments; };
  };
}

// SCTBench's deadlock01: two fibers take two mutexes in opposite orders, each with a
// store in between; some schedules deadlock.
inline Program opposite_locks() {
  return [](World& world) -> std::function<bool()> {
    auto a = std::make_shared<Mutex>();
    auto b = std::make_shared<Mutex>();
    auto x = std::make_shared<Atomic<int>>(0);
    world.spawn(kControlNode, "ab", [a, b, x] {
      a->lock();
      x->store(1);
      b->lock();
      b->unlock();
      a->unlock();
    });
    world.spawn(kControlNode, "ba", [a, b, x] {
      b->lock();
      x->store(2);
      a->lock();
      a->unlock();
      b->unlock();
    });
    return [] { return true; };
  };
}

// A critical section that writes two cells, a reader that takes the lock, and an
// unlocked reader that can see the section half done (the check fails then).
inline Program torn_read() {
  return [](World& world) -> std::function<bool()> {
    auto m = std::make_shared<Mutex>();
    auto x = std::make_shared<Atomic<int>>(0);
    auto y = std::make_shared<Atomic<int>>(0);
    auto torn = std::make_shared<bool>(false);
    world.spawn(kControlNode, "writer", [m, x, y] {
      LockGuard guard(*m);
      x->store(1);
      y->store(1);
    });
    world.spawn(kControlNode, "locked-reader", [m, x, y] {
      LockGuard guard(*m);
      (void)x->load();
      (void)y->load();
    });
    world.spawn(kControlNode, "racy-reader", [x, y, torn] {
      const int vx = x->load();
      const int vy = y->load();
      if (vx != vy) *torn = true;
    });
    return [torn] { return !*torn; };
  };
}

// try_lock racing with a critical section: whether it succeeds depends on the order of
// the try_lock and the holder's release (a step that is no scheduling point of its own).
// The check fails when the try_lock failed.
inline Program try_lock_race() {
  return [](World& world) -> std::function<bool()> {
    auto m = std::make_shared<Mutex>();
    auto x = std::make_shared<Atomic<int>>(0);
    auto missed = std::make_shared<bool>(false);
    world.spawn(kControlNode, "holder", [m, x] {
      LockGuard guard(*m);
      x->store(1);
    });
    world.spawn(kControlNode, "trier", [m, x, missed] {
      if (m->try_lock()) {
        x->store(2);
        m->unlock();
      } else {
        *missed = true;
      }
    });
    return [missed] { return !*missed; };
  };
}

// A condition variable handoff (sync02-like): a producer sets a flag under the mutex and
// notifies; a consumer waits for the flag under the mutex, then a bystander locks too.
inline Program condvar_handoff() {
  return [](World& world) -> std::function<bool()> {
    struct S {
      Mutex m;
      CondVar cv;
      bool ready = false;
    };
    auto s = std::make_shared<S>();
    world.spawn(kControlNode, "consumer", [s] {
      LockGuard guard(s->m);
      while (!s->ready) s->cv.wait(s->m);
    });
    world.spawn(kControlNode, "producer", [s] {
      LockGuard guard(s->m);
      s->ready = true;
      s->cv.notify_one();
    });
    world.spawn(kControlNode, "bystander", [s] { LockGuard guard(s->m); });
    return [] { return true; };
  };
}

// filesystem(n) (Flanagan & Godefroid POPL 2005): n threads allocate a disk block for
// an inode each, under per-inode and per-block locks.
inline Program filesystem(int n) {
  return [=](World& world) -> std::function<bool()> {
    constexpr int kBlocks = 26;
    constexpr int kInodes = 32;
    struct Fs {
      std::vector<std::unique_ptr<Mutex>> locki, lockb;
      std::vector<std::unique_ptr<Atomic<int>>> inode, busy;
    };
    auto fs = std::make_shared<Fs>();
    for (int i = 0; i < kInodes; ++i) {
      fs->locki.push_back(std::make_unique<Mutex>());
      fs->inode.push_back(std::make_unique<Atomic<int>>(0));
    }
    for (int b = 0; b < kBlocks; ++b) {
      fs->lockb.push_back(std::make_unique<Mutex>());
      fs->busy.push_back(std::make_unique<Atomic<int>>(0));
    }
    for (int t = 0; t < n; ++t) {
      world.spawn(kControlNode, fmt::format("fs-{}", t), [fs, t] {
        const int i = t % kInodes;
        fs->locki[i]->lock();
        if (fs->inode[i]->load() == 0) {
          int b = (i * 2) % kBlocks;
          while (true) {
            fs->lockb[b]->lock();
            if (fs->busy[b]->load() == 0) {
              fs->busy[b]->store(1);
              fs->inode[i]->store(b + 1);
              fs->lockb[b]->unlock();
              break;
            }
            fs->lockb[b]->unlock();
            b = (b + 1) % kBlocks;
          }
        }
        fs->locki[i]->unlock();
      });
    }
    return [] { return true; };
  };
}

// indexer(n) (Flanagan & Godefroid): n threads insert 4 values each into a 128-slot
// hash table with compare-and-swap and linear probing.
inline Program indexer(int n) {
  return [=](World& world) -> std::function<bool()> {
    constexpr int kSize = 128;
    constexpr int kMax = 4;
    auto table = std::make_shared<std::vector<std::unique_ptr<Atomic<int>>>>();
    for (int i = 0; i < kSize; ++i) table->push_back(std::make_unique<Atomic<int>>(0));
    for (int t = 0; t < n; ++t) {
      world.spawn(kControlNode, fmt::format("indexer-{}", t), [table, t] {
        for (int m = 1; m <= kMax; ++m) {
          const int w = m * 11 + t;
          int h = (w * 7) % kSize;
          while (true) {
            int expected = 0;
            if ((*table)[h]->compare_exchange(expected, w)) break;
            h = (h + 1) % kSize;
          }
        }
      });
    }
    return [] { return true; };
  };
}

// Channel handoff and a join: a producer sends two values, two consumers receive one
// each and store to a shared cell; main joins the consumers and loads the cell.
inline Program channel_join() {
  return [](World& world) -> std::function<bool()> {
    auto ch = std::make_shared<std::unique_ptr<Channel<int>>>();
    auto cell = std::make_shared<Atomic<int>>(0);
    world.spawn(kControlNode, "main", [&world, ch, cell] {
      *ch = std::make_unique<Channel<int>>(1);
      auto producer = spawn("producer", [ch] {
        (*ch)->send(1);
        (*ch)->send(2);
      });
      auto c1 = spawn("consumer-1", [ch, cell] { cell->store(*(*ch)->receive()); });
      auto c2 = spawn("consumer-2", [ch, cell] { cell->store(*(*ch)->receive() * 10); });
      world.join(producer);
      world.join(c1);
      world.join(c2);
      (void)cell->load();
    });
    return [] { return true; };
  };
}

// Two nodes each send one datagram to a third, whose fiber receives both and then
// replies to each: deliveries are actions of their own in systematic mode.
inline Program network_fan_in() {
  return [](World& world) -> std::function<bool()> {
    const NodeIndex a = world.add_node("a");
    const NodeIndex b = world.add_node("b");
    const NodeIndex c = world.add_node("c");
    for (NodeIndex from : {a, b}) {
      world.spawn(from, fmt::format("sender-{}", from), [c, from] {
        World::current().network().send(c, {static_cast<std::uint8_t>(from)});
        (void)World::current().network().receive(World::kNever);
      });
    }
    world.spawn(c, "receiver", [] {
      for (int i = 0; i < 2; ++i) {
        auto d = World::current().network().receive(World::kNever);
        if (d) World::current().network().send(d->from, {1});
      }
    });
    return [] { return true; };
  };
}

struct NamedProgram {
  std::string name;
  Program program;
};

// The programs of papers/dpor-counts part A, in its table's order. `with_large` adds the
// two whose brute force takes seconds to minutes (readers-writers(4), mutex-counter(3x2)),
// for the nightly DporTable only.
inline std::vector<NamedProgram> dpor_count_programs(bool with_large) {
  std::vector<NamedProgram> out;
  for (int n = 1; n <= (with_large ? 4 : 3); ++n) out.push_back({fmt::format("readers-writers({})", n), readers_writers(n)});
  for (int n = 1; n <= 3; ++n) out.push_back({fmt::format("lastzero({})", n), lastzero(n)});
  out.push_back({"racy-counter(2x1)", racy_counter(2, 1)});
  out.push_back({"racy-counter(2x2)", racy_counter(2, 2)});
  out.push_back({"racy-counter(3x1)", racy_counter(3, 1)});
  out.push_back({"filesystem(2)", filesystem(2)});
  out.push_back({"locked-pair", locked_pair()});
  out.push_back({"channel-join", channel_join()});
  out.push_back({"mutex-counter(2x2)", mutex_counter(2, 2)});
  out.push_back({"mutex-counter(3x1)", mutex_counter(3, 1)});
  if (with_large) out.push_back({"mutex-counter(3x2)", mutex_counter(3, 2)});
  out.push_back({"opposite-locks", opposite_locks()});
  out.push_back({"torn-read", torn_read()});
  out.push_back({"try-lock-race", try_lock_race()});
  out.push_back({"condvar-handoff", condvar_handoff()});
  return out;
}

}  // namespace simbus::sim::testing
