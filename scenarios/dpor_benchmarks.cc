// The classic DPOR benchmarks (Flanagan & Godefroid, POPL 2005; Abdulla, Aronis, Jonsson
// & Sagonas, POPL 2014), re-expressed with fibers; every shared access is a scheduling
// point on an Atomic or a Mutex. No checks fail: they measure how many executions an
// enumerating strategy explores (papers/dpor-counts).
// - dpor-lastzero n: fiber 0 scans an array a[0..n] from the top for the last zero;
//   fibers 1..n each set a[i] = a[i-1] + 1.
// - dpor-indexer n: n fibers each insert 4 values into a 128-slot table with
//   compare-and-swap and linear probing (collisions, hence races, only from n = 12 up).
// - dpor-filesystem n: n fibers each allocate a block for an inode, under a lock per inode
//   (32) and per block (26), scanning for a free block.
#include <fmt/format.h>

#include <memory>
#include <vector>

#include "scenarios/scenario.h"
#include "sim/sync.h"

namespace simbus::scenarios {

namespace {

using AtomicArray = std::vector<std::unique_ptr<sim::Atomic<std::int64_t>>>;

std::shared_ptr<AtomicArray> make_atomics(std::size_t count) {
  auto a = std::make_shared<AtomicArray>();
  for (std::size_t i = 0; i < count; ++i) a->push_back(std::make_unique<sim::Atomic<std::int64_t>>(0));
  return a;
}

void register_lastzero() {
  Scenario s;
  s.name = "dpor-lastzero";
  s.description = "DPOR benchmark lastzero(n): a scanner looks for the last zero while n fibers fill an array";
  s.params = {{"n", 5, 1, 64, "filling fibers"}};
  s.setup = [](ScenarioContext& ctx) {
    const auto n = ctx.params.get("n");
    auto a = make_atomics(static_cast<std::size_t>(n) + 1);
    ctx.world.spawn(sim::kControlNode, "scanner", [a, n] {
      std::int64_t i = n;
      while ((*a)[static_cast<std::size_t>(i)]->load() != 0) i -= 1;  // a[0] stays 0
    });
    for (std::int64_t j = 1; j <= n; ++j) {
      ctx.world.spawn(sim::kControlNode, fmt::format("filler-{}", j), [a, j] {
        const auto i = static_cast<std::size_t>(j);
        (*a)[i]->store((*a)[i - 1]->load() + 1);
      });
    }
    ctx.at_end([a] { (void)a; });
  };
  register_scenario(std::move(s));
}

void register_indexer() {
  Scenario s;
  s.name = "dpor-indexer";
  s.description = "DPOR benchmark indexer(n): n fibers insert into a hash table with compare-and-swap";
  s.params = {{"n", 12, 1, 64, "inserting fibers"}};
  s.setup = [](ScenarioContext& ctx) {
    constexpr std::int64_t kSize = 128;
    constexpr std::int64_t kValuesPerFiber = 4;
    const auto n = ctx.params.get("n");
    auto table = make_atomics(kSize);
    for (std::int64_t t = 0; t < n; ++t) {
      ctx.world.spawn(sim::kControlNode, fmt::format("indexer-{}", t), [table, t] {
        for (std::int64_t m = 1; m <= kValuesPerFiber; ++m) {
          const std::int64_t w = m * 11 + t;
          std::int64_t h = (w * 7) % kSize;
          for (std::int64_t probes = 0; probes < kSize; ++probes) {
            std::int64_t expected = 0;
            if ((*table)[static_cast<std::size_t>(h)]->compare_exchange(expected, w)) break;
            h = (h + 1) % kSize;
          }
        }
      });
    }
    ctx.at_end([table] { (void)table; });
  };
  register_scenario(std::move(s));
}

void register_filesystem() {
  Scenario s;
  s.name = "dpor-filesystem";
  s.description = "DPOR benchmark filesystem(n): n fibers allocate disk blocks for inodes under fine-grained locks";
  s.params = {{"n", 16, 1, 64, "allocating fibers"}};
  s.setup = [](ScenarioContext& ctx) {
    constexpr std::size_t kBlocks = 26;
    constexpr std::size_t kInodes = 32;
    struct Fs {
      std::vector<std::unique_ptr<sim::Mutex>> inode_locks, block_locks;
      AtomicArray inode, busy;
    };
    auto fs = std::make_shared<Fs>();
    for (std::size_t i = 0; i < kInodes; ++i) {
      fs->inode_locks.push_back(std::make_unique<sim::Mutex>());
      fs->inode.push_back(std::make_unique<sim::Atomic<std::int64_t>>(0));
    }
    for (std::size_t b = 0; b < kBlocks; ++b) {
      fs->block_locks.push_back(std::make_unique<sim::Mutex>());
      fs->busy.push_back(std::make_unique<sim::Atomic<std::int64_t>>(0));
    }
    const auto n = ctx.params.get("n");
    for (std::int64_t t = 0; t < n; ++t) {
      ctx.world.spawn(sim::kControlNode, fmt::format("fs-{}", t), [fs, t] {
        const std::size_t i = static_cast<std::size_t>(t) % kInodes;
        fs->inode_locks[i]->lock();
        if (fs->inode[i]->load() == 0) {
          std::size_t b = (i * 2) % kBlocks;
          for (std::size_t tries = 0; tries < kBlocks; ++tries) {
            fs->block_locks[b]->lock();
            if (fs->busy[b]->load() == 0) {
              fs->busy[b]->store(1);
              fs->inode[i]->store(static_cast<std::int64_t>(b) + 1);
              fs->block_locks[b]->unlock();
              break;
            }
            fs->block_locks[b]->unlock();
            b = (b + 1) % kBlocks;
          }
        }
        fs->inode_locks[i]->unlock();
      });
    }
    ctx.at_end([fs] { (void)fs; });
  };
  register_scenario(std::move(s));
}

}  // namespace

void register_dpor_benchmarks() {
  register_lastzero();
  register_indexer();
  register_filesystem();
}

}  // namespace simbus::scenarios
