// SCTBench's small "CS" benchmarks (Thomson, Donaldson & Betts, PPoPP 2014 / TOPC 2016;
// github.com/mc-imperial/sctbench, benchmarks/concurrent-software-benchmarks), re-expressed
// with fibers for papers/sctbench. Every shared variable is an Atomic (each access a
// scheduling point, as SCTBench's tool schedules at every racy access), every pthread
// mutex a sim::Mutex, every condition variable a sim::CondVar; `main` is a fiber that
// creates the threads in the original order and joins them where the original does.
// ESBMC atomic blocks (token_ring) become critical sections of one global mutex. Each
// scenario fails ("assertion" or the world's "deadlock") exactly when the original's bug
// manifests.
#include <fmt/format.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "scenarios/scenario.h"
#include "sim/sync.h"

namespace simbus::scenarios {

namespace {

using sim::Atomic;
using sim::FiberId;
using sim::Mutex;
using Int = std::int64_t;

struct Cell {
  std::unique_ptr<Atomic<Int>> v;
  explicit Cell(Int initial = 0) : v(std::make_unique<Atomic<Int>>(initial)) {}
  Int load() const { return v->load(); }
  void store(Int x) const { v->store(x); }
};

// Registers "sct-<name>": `body` runs inside the main fiber.
void add(const std::string& name, const std::string& description, std::vector<ParamSpec> params,
         std::function<void(ScenarioContext&)> body) {
  Scenario s;
  s.name = "sct-" + name;
  s.description = "SCTBench " + description;
  s.params = std::move(params);
  s.steps_max = 1'000'000;
  s.setup = [body = std::move(body)](ScenarioContext& ctx) {
    ctx.world.spawn(sim::kControlNode, "main", [&ctx, body] { body(ctx); });
  };
  register_scenario(std::move(s));
}

void join_all(const std::vector<FiberId>& fibers) {
  for (FiberId f : fibers) sim::World::current().join(f);
}

void register_all() {
  // account_bad: the check asserts balance == (x - y) - z; it should be (x + y) - z.
  add("account", "account: deposit, withdraw and a check under one lock; the check's formula is wrong", {},
      [](ScenarioContext& ctx) {
        struct S {
          Mutex m;
          Cell balance{1}, deposit_done, withdraw_done;
        };
        auto s = std::make_shared<S>();
        const Int x = 1, y = 2, z = 4;
        sim::spawn("check", [&ctx, s, x, y, z] {
          s->m.lock();
          if (s->deposit_done.load() != 0 && s->withdraw_done.load() != 0 && s->balance.load() != (x - y) - z) {
            ctx.fail("assertion", "balance == (x - y) - z failed after deposit and withdraw");
          }
          s->m.unlock();
        });
        sim::spawn("deposit", [s, y] {
          s->m.lock();
          s->balance.store(s->balance.load() + y);
          s->deposit_done.store(1);
          s->m.unlock();
        });
        sim::spawn("withdraw", [s, z] {
          s->m.lock();
          s->balance.store(s->balance.load() - z);
          s->withdraw_done.store(1);
          s->m.unlock();
        });
      });

  // bluetooth_driver_bad: the adder checks the stopping flag outside the atomic block that
  // takes its I/O reference, so the stopper can drain the count and stop the driver in
  // between; the adder then asserts the driver is not stopped. (Atomic blocks: mutex m.)
  add("bluetooth-driver", "bluetooth_driver: a stop racing an I/O that holds a reference", {},
      [](ScenarioContext& ctx) {
        struct S {
          Mutex m;
          Cell pending_io{1}, stopping_flag, stopping_event, stopped;
        };
        auto s = std::make_shared<S>();
        auto increment = [s]() -> Int {
          if (s->stopping_flag.load() != 0) return -1;  // checked outside the atomic block: the bug
          s->m.lock();
          s->pending_io.store(s->pending_io.load() + 1);
          s->m.unlock();
          return 0;
        };
        auto decrement = [s] {
          s->m.lock();
          const Int left = s->pending_io.load() - 1;
          s->pending_io.store(left);
          s->m.unlock();
          if (left == 0) s->stopping_event.store(1);
        };
        const FiberId stopper = sim::spawn("stopper", [s, decrement] {
          s->stopping_flag.store(1);
          decrement();
          if (s->stopping_event.load() != 0) s->stopped.store(1);
        });
        if (increment() == 0) {
          if (s->stopped.load() != 0) ctx.fail("assertion", "the driver stopped while an I/O held a reference");
        }
        decrement();
        sim::World::current().join(stopper);
      });

  // carter01_bad: two classes of fibers share lock l via counters under m; a fiber can
  // block on l while holding m (deadlock).
  add("carter01", "carter01: counter-guarded lock acquisition that deadlocks", {}, [](ScenarioContext& ctx) {
    struct S {
      Mutex m, l;
      Cell a, b;
    };
    auto s = std::make_shared<S>();
    auto worker = [s](bool class_a) {
      return [s, class_a] {
        Cell& c = class_a ? s->a : s->b;
        s->m.lock();
        c.store(c.load() + 1);
        if (c.load() == 1) s->l.lock();
        s->m.unlock();
        s->m.lock();
        c.store(c.load() - 1);
        if (c.load() == 0) s->l.unlock();
        s->m.unlock();
      };
    };
    std::vector<FiberId> f;
    f.push_back(sim::spawn("a1", worker(true)));
    f.push_back(sim::spawn("b1", worker(false)));
    f.push_back(sim::spawn("a2", [] {}));
    f.push_back(sim::spawn("b2", [] {}));
    join_all(f);
  });

  // circular_buffer_bad: a sender and a receiver alternate through flags under a lock;
  // the receiver asserts it reads i at its i-th iteration, which fails when it skipped one.
  add("circular-buffer", "circular_buffer: receiver asserts element i at its iteration i", {},
      [](ScenarioContext& ctx) {
        constexpr Int kN = 7;
        constexpr Int kBufferMax = 10;
        struct S {
          Mutex m;
          std::vector<Cell> buffer;
          Cell first, next, send{1}, receive;
          S() : buffer(static_cast<std::size_t>(kBufferMax)) {}
        };
        auto s = std::make_shared<S>();
        const Int size = 10;
        const FiberId t1 = sim::spawn("sender", [s, size] {
          for (Int i = 0; i < kN; ++i) {
            s->m.lock();
            if (s->send.load() != 0) {
              const Int next = s->next.load();
              if (next < size) {
                s->buffer[static_cast<std::size_t>(next)].store(i);
                s->next.store((next + 1) % size);
              }
              s->send.store(0);
              s->receive.store(1);
            }
            s->m.unlock();
          }
        });
        const FiberId t2 = sim::spawn("receiver", [&ctx, s, size] {
          for (Int i = 0; i < kN; ++i) {
            s->m.lock();
            if (s->receive.load() != 0) {
              Int got = -1;
              const Int first = s->first.load();
              if (s->next.load() > 0 && first < size) {
                s->first.store(first + 1);
                got = s->buffer[static_cast<std::size_t>(first)].load();
              }
              if (got != i) ctx.fail("assertion", fmt::format("removed {} at iteration {}", got, i));
              s->receive.store(0);
              s->send.store(1);
            }
            s->m.unlock();
          }
        });
        join_all({t1, t2});
      });

  // deadlock01_bad: two fibers take two locks in opposite orders.
  add("deadlock01", "deadlock01: two locks taken in opposite orders", {}, [](ScenarioContext& ctx) {
    struct S {
      Mutex a, b;
      Cell counter{1};
    };
    auto s = std::make_shared<S>();
    const FiberId t1 = sim::spawn("t1", [s] {
      s->a.lock();
      s->b.lock();
      s->counter.store(s->counter.load() + 1);
      s->b.unlock();
      s->a.unlock();
    });
    const FiberId t2 = sim::spawn("t2", [s] {
      s->b.lock();
      s->a.lock();
      s->counter.store(s->counter.load() - 1);
      s->a.unlock();
      s->b.unlock();
    });
    join_all({t1, t2});
  });

  // din_phil (SCTBench's din_philN): n philosophers take left then right fork.
  add("din-phil", "din_phil: philosophers taking left then right fork deadlock", {{"n", 3, 2, 16, "philosophers"}},
      [](ScenarioContext& ctx) {
        const Int n = ctx.params.get("n");
        auto forks = std::make_shared<std::vector<std::unique_ptr<Mutex>>>();
        for (Int i = 0; i < n; ++i) forks->push_back(std::make_unique<Mutex>());
        std::vector<FiberId> f;
        for (Int i = 0; i < n; ++i) {
          f.push_back(sim::spawn(fmt::format("philosopher-{}", i), [forks, i, n] {
            Mutex& left = *(*forks)[static_cast<std::size_t>(i)];
            Mutex& right = *(*forks)[static_cast<std::size_t>((i + 1) % n)];
            left.lock();
            right.lock();
            right.unlock();
            left.unlock();
          }));
        }
        join_all(f);
      });

  // lazy01_bad: three fibers under one lock; the third asserts data < 3, false once the
  // first two (adding 1 and 2) both ran before it.
  add("lazy01", "lazy01: a check that fails once two increments ran first", {}, [](ScenarioContext& ctx) {
    struct S {
      Mutex m;
      Cell data;
    };
    auto s = std::make_shared<S>();
    std::vector<FiberId> f;
    f.push_back(sim::spawn("add-1", [s] {
      s->m.lock();
      s->data.store(s->data.load() + 1);
      s->m.unlock();
    }));
    f.push_back(sim::spawn("add-2", [s] {
      s->m.lock();
      s->data.store(s->data.load() + 2);
      s->m.unlock();
    }));
    f.push_back(sim::spawn("check", [&ctx, s] {
      s->m.lock();
      if (s->data.load() >= 3) ctx.fail("assertion", "data >= 3");
      s->m.unlock();
    }));
    join_all(f);
  });

  // phase01_bad: a fiber re-locks x without unlocking it: two fibers deadlock.
  add("phase01", "phase01: a lock taken twice (never released) deadlocks the second fiber", {},
      [](ScenarioContext& ctx) {
        auto locks = std::make_shared<std::pair<Mutex, Mutex>>();
        auto body = [locks] {
          Mutex& x = locks->first;
          Mutex& y = locks->second;
          x.lock();
          x.unlock();
          x.lock();  // never unlocked
          y.lock();
          y.unlock();
          y.lock();
          y.unlock();
        };
        const FiberId t1 = sim::spawn("t1", body);
        const FiberId t2 = sim::spawn("t2", body);
        join_all({t1, t2});
      });

  // reorder_N_bad: N-1 setters write a = 1 then b = -1; one checker asserts it never sees
  // a half-done pair.
  add("reorder", "reorder_N: a checker sees a setter's two writes half done", {{"n", 3, 2, 128, "fibers (N)"}},
      [](ScenarioContext& ctx) {
        const Int n = ctx.params.get("n");
        struct S {
          Cell a, b;
        };
        auto s = std::make_shared<S>();
        std::vector<FiberId> f;
        for (Int i = 0; i + 1 < n; ++i) {
          f.push_back(sim::spawn(fmt::format("set-{}", i), [s] {
            s->a.store(1);
            s->b.store(-1);
          }));
        }
        f.push_back(sim::spawn("check", [&ctx, s] {
          const Int a = s->a.load();
          const Int b = s->b.load();
          if (!((a == 0 && b == 0) || (a == 1 && b == -1))) ctx.fail("assertion", fmt::format("a={} b={}", a, b));
        }));
        join_all(f);
      });

  // stack_bad: a pusher and a popper under one lock; the popper pops whenever the flag is
  // set, which can underflow.
  add("stack", "stack: a pop under a 'pushed once' flag underflows", {}, [](ScenarioContext& ctx) {
    constexpr Int kSize = 10;
    struct S {
      Mutex m;
      Cell top, flag;
    };
    auto s = std::make_shared<S>();
    const FiberId t1 = sim::spawn("pusher", [s] {
      for (Int i = 0; i < kSize; ++i) {
        s->m.lock();
        const Int top = s->top.load();
        if (top < kSize) s->top.store(top + 1);
        s->flag.store(1);
        s->m.unlock();
      }
    });
    const FiberId t2 = sim::spawn("popper", [&ctx, s] {
      for (Int i = 0; i < kSize; ++i) {
        s->m.lock();
        if (s->flag.load() != 0) {
          const Int top = s->top.load();
          if (top == 0) {
            ctx.fail("assertion", "pop on an empty stack (underflow)");
          } else {
            s->top.store(top - 1);
          }
        }
        s->m.unlock();
      }
    });
    join_all({t1, t2});
  });

  // sync01_bad: the producer waits for num == 0, the consumer never consumes: deadlock.
  add("sync01", "sync01: producer waits on a condition the consumer never makes true", {}, [](ScenarioContext& ctx) {
    struct S {
      Mutex m;
      sim::CondVar empty, full;
      Cell num{1};
    };
    auto s = std::make_shared<S>();
    const FiberId t1 = sim::spawn("producer", [s] {
      s->m.lock();
      while (s->num.load() > 0) s->empty.wait(s->m);
      s->num.store(s->num.load() + 1);
      s->m.unlock();
      s->full.notify_one();
    });
    const FiberId t2 = sim::spawn("consumer", [s] {
      s->m.lock();
      while (s->num.load() == 0) s->full.wait(s->m);
      s->m.unlock();
      s->empty.notify_one();
    });
    join_all({t1, t2});
  });

  // sync02_bad: producer/consumer with num starting at 2: the consumer's signals can be
  // lost and the producer waits forever.
  add("sync02", "sync02: producer/consumer with one condition each; a lost wakeup deadlocks", {},
      [](ScenarioContext& ctx) {
        constexpr Int kN = 2;
        struct S {
          Mutex m;
          sim::CondVar empty, full;
          Cell num{2};
        };
        auto s = std::make_shared<S>();
        const FiberId t1 = sim::spawn("producer", [s] {
          for (Int i = 0; i < kN; ++i) {
            s->m.lock();
            while (s->num.load() > 0) s->empty.wait(s->m);
            s->num.store(s->num.load() + 1);
            s->m.unlock();
            s->full.notify_one();
          }
        });
        const FiberId t2 = sim::spawn("consumer", [s] {
          for (Int j = 0; j < kN; ++j) {
            s->m.lock();
            while (s->num.load() == 0) s->full.wait(s->m);
            s->num.store(s->num.load() - 1);
            s->m.unlock();
            s->empty.notify_one();
          }
        });
        join_all({t1, t2});
      });

  // token_ring_bad: three atomic blocks pass a token value around; a checker asserts all
  // equal once all three ran. Atomic blocks are critical sections of one mutex.
  add("token-ring", "token_ring: three atomic updates and a checker of their result", {}, [](ScenarioContext& ctx) {
    struct S {
      Mutex atomic;
      Cell x1{1}, x2{2}, x3{1}, flag1, flag2, flag3;
    };
    auto s = std::make_shared<S>();
    sim::spawn("t1", [s] {
      s->atomic.lock();
      s->x1.store((s->x3.load() + 1) % 4);
      s->flag1.store(1);
      s->atomic.unlock();
    });
    sim::spawn("t2", [s] {
      s->atomic.lock();
      s->x2.store(s->x1.load());
      s->flag2.store(1);
      s->atomic.unlock();
    });
    sim::spawn("t3", [s] {
      s->atomic.lock();
      s->x3.store(s->x2.load());
      s->flag3.store(1);
      s->atomic.unlock();
    });
    sim::spawn("check", [&ctx, s] {
      s->atomic.lock();
      if (s->flag1.load() != 0 && s->flag2.load() != 0 && s->flag3.load() != 0) {
        const Int a = s->x1.load(), b = s->x2.load(), c = s->x3.load();
        if (!(a == b && b == c)) ctx.fail("assertion", fmt::format("x1={} x2={} x3={}", a, b, c));
      }
      s->atomic.unlock();
    });
  });

  // twostage_bad: writers update data1 then data2 under separate locks; a reader between
  // the two stages sees data2 != data1 + 1. twostage_100: --param writers=100.
  add("twostage", "twostage: a reader between two separately locked stages",
      {{"writers", 1, 1, 200, "writer fibers (twostage_100: 100)"}, {"readers", 1, 1, 200, "reader fibers"}},
      [](ScenarioContext& ctx) {
        struct S {
          Mutex lock1, lock2;
          Cell data1, data2;
        };
        auto s = std::make_shared<S>();
        std::vector<FiberId> f;
        for (Int i = 0; i < ctx.params.get("writers"); ++i) {
          f.push_back(sim::spawn(fmt::format("writer-{}", i), [s] {
            s->lock1.lock();
            s->data1.store(1);
            s->lock1.unlock();
            s->lock2.lock();
            s->data2.store(s->data1.load() + 1);
            s->lock2.unlock();
          }));
        }
        for (Int i = 0; i < ctx.params.get("readers"); ++i) {
          f.push_back(sim::spawn(fmt::format("reader-{}", i), [&ctx, s] {
            s->lock1.lock();
            if (s->data1.load() == 0) {
              s->lock1.unlock();
              return;
            }
            const Int t1 = s->data1.load();
            s->lock1.unlock();
            s->lock2.lock();
            const Int t2 = s->data2.load();
            s->lock2.unlock();
            if (t2 != t1 + 1) ctx.fail("assertion", fmt::format("data2={} but data1={}", t2, t1));
          }));
        }
        join_all(f);
      });

  // wronglock_bad: funcA increments under dataLock, funcB under thisLock: funcA sees its
  // own increment disturbed. wronglock_3: --param b=3.
  add("wronglock", "wronglock: two groups increment one variable under different locks",
      {{"a", 1, 1, 64, "fibers under the right lock"}, {"b", 7, 1, 64, "fibers under the wrong lock (wronglock_3: 3)"}},
      [](ScenarioContext& ctx) {
        struct S {
          Mutex data_lock, this_lock;
          Cell value;
        };
        auto s = std::make_shared<S>();
        std::vector<FiberId> f;
        for (Int i = 0; i < ctx.params.get("a"); ++i) {
          f.push_back(sim::spawn(fmt::format("a-{}", i), [&ctx, s] {
            s->data_lock.lock();
            const Int x = s->value.load();
            s->value.store(s->value.load() + 1);
            if (s->value.load() != x + 1) ctx.fail("assertion", "dataValue != x + 1 under dataLock");
            s->data_lock.unlock();
          }));
        }
        for (Int i = 0; i < ctx.params.get("b"); ++i) {
          f.push_back(sim::spawn(fmt::format("b-{}", i), [s] {
            s->this_lock.lock();
            s->value.store(s->value.load() + 1);
            s->this_lock.unlock();
          }));
        }
        join_all(f);
      });
}

}  // namespace

void register_sct_benchmarks() { register_all(); }

}  // namespace simbus::scenarios
