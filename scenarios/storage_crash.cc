// storage-crash: Raft's persistent state (core::FileStorage) on the simulated disk, crashed
// and recovered over and over. One node runs a Raft-shaped persistence workload drawn from
// the seed (appends, conflicting truncations, term and vote changes, snapshots that
// compact the log, syncs); the nemesis crashes it at drawn moments, losing unsynced writes
// (a random prefix survives) and tearing the first lost one on some seeds. Each restart
// recovers and is checked against what was made durable, whatever the file layout:
//   - the term never goes back, and the recovered (term, vote) was once saved;
//   - the snapshot never goes back, and is one that was saved;
//   - the entries follow the snapshot without a gap, each one was once appended, and
//     every entry synced after the snapshot is there (unless a truncation of it was in
//     progress at the crash).
// The broker scenarios recover storage too, but a lost entry there is only seen if it
// later breaks a Raft property; here it is seen at the restart that loses it.
#include <fmt/format.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/assert.h"
#include "core/storage_file.h"
#include "scenarios/scenario.h"
#include "scenarios/storage_crash.h"
#include "scenarios/sim_env.h"
#include "sim/disk.h"

namespace simbus::scenarios {

void check_recovered(StorageModel& m, const core::RecoveredState& r, std::uint64_t incarnation) {
  const std::string at = fmt::format("recovery {} (incarnation {})", m.recoveries, incarnation);
  if (r.hard_state.term < m.durable_hard.term) {
    m.fail(fmt::format("{}: term went back from {} to {}", at, m.durable_hard.term, r.hard_state.term));
  }
  bool hard_known = r.hard_state == core::HardState{};
  for (const core::HardState& h : m.hard_saved) hard_known = hard_known || h == r.hard_state;
  if (!hard_known) m.fail(fmt::format("{}: recovered a (term {}, vote) never saved", at, r.hard_state.term));
  const std::uint64_t snap = r.snapshot ? r.snapshot->index : 0;
  if (snap < m.durable_snapshot_index) {
    m.fail(fmt::format("{}: snapshot went back from index {} to {}", at, m.durable_snapshot_index, snap));
  }
  if (r.snapshot) {
    auto saved = m.snapshots_saved.find(snap);
    if (saved == m.snapshots_saved.end() || saved->second.term != r.snapshot->term ||
        saved->second.data != r.snapshot->data) {
      m.fail(fmt::format("{}: recovered a snapshot at index {} that was never saved", at, snap));
    }
  }
  // Raft keeps the entries that follow the snapshot without a gap (a crash in the middle
  // of a snapshot may leave the log that it replaced, starting before it).
  std::uint64_t expect = snap + 1;
  std::map<std::uint64_t, const core::LogEntry*> have;
  for (const core::LogEntry& e : r.entries) {
    bool written = false;
    for (auto [w, end] = m.ever_written.equal_range(e.index); w != end; ++w) written = written || w->second == e;
    if (!written) m.fail(fmt::format("{}: entry {} (term {}) was never appended", at, e.index, e.term));
    if (e.index <= snap) continue;
    if (e.index != expect) break;
    ++expect;
    have[e.index] = &e;
  }
  for (const auto& [index, e] : m.durable) {
    if (index <= snap || index >= m.truncated_since_sync) continue;
    if (!have.contains(index)) {
      m.fail(fmt::format("{}: entry {} (term {}) was synced before the crash and is gone (log recovered up to {})",
                         at, index, e.term, expect - 1));
      return;
    }
  }
}

namespace {

constexpr std::size_t kLogEntriesMax = 64;   // compact before the log holds more
constexpr std::int64_t kOpGapUsMax = 1'000;  // between persistence operations
constexpr std::int64_t kCrashGapUsMin = 2'000;
constexpr std::int64_t kCrashGapUsMax = 40'000;

core::LogEntry make_entry(std::uint64_t index, std::uint64_t term, std::uint64_t salt) {
  const std::size_t size = 1 + static_cast<std::size_t>((index * 7 + salt) % 40);
  return core::LogEntry{term, index, core::Bytes(size, static_cast<std::uint8_t>(index * 31 + term + salt))};
}

// Adopts what recovered as the model's new starting point.
void adopt(StorageModel& m, const core::RecoveredState& r) {
  m.current.clear();
  const std::uint64_t snap = r.snapshot ? r.snapshot->index : 0;
  for (const core::LogEntry& e : r.entries) {
    if (e.index <= snap) continue;
    if (e.index != snap + 1 + m.current.size()) break;
    m.current[e.index] = e;
  }
  m.durable = m.current;
  m.truncated_since_sync = UINT64_MAX;
  m.current_hard = m.durable_hard = r.hard_state;
  m.snapshot_index = m.durable_snapshot_index = r.snapshot ? r.snapshot->index : 0;
}

void node_main(sim::World& world, sim::NodeIndex node, const std::shared_ptr<StorageModel>& model) {
  SimEnv env(world, node);
  core::FileStorage storage(env);
  StorageModel& m = *model;
  const core::RecoveredState recovered = storage.recover();
  if (m.booted) {
    ++m.recoveries;
    check_recovered(m, recovered, world.incarnation(node));
  }
  m.booted = true;
  adopt(m, recovered);
  if (recovered.snapshot && (recovered.entries.empty() || recovered.entries.front().index != recovered.snapshot->index + 1)) {
    // The log does not start right after the snapshot (a crash cut a compaction short):
    // compact again, as Raft would before appending after the snapshot.
    storage.save_snapshot(*recovered.snapshot);
    m.durable = m.current;
  }
  auto last_index = [&] { return m.current.empty() ? m.snapshot_index : m.current.rbegin()->first; };
  auto last_term = [&] { return m.current.empty() ? std::uint64_t{0} : m.current.rbegin()->second.term; };
  auto save_hard = [&](core::HardState h) {
    m.hard_saved.push_back(h);
    storage.save_hard_state(h);
    m.current_hard = h;
  };
  auto sync = [&] {
    storage.sync();
    m.durable = m.current;
    m.truncated_since_sync = UINT64_MAX;
    m.durable_hard = m.current_hard;
  };
  if (m.current_hard.term == 0) save_hard(core::HardState{1, core::no_node});
  while (m.failure.empty()) {
    world.sleep_for_us(static_cast<std::int64_t>(world.draw_below(sim::DataTag::kUser, kOpGapUsMax)) + 1);
    ++m.operations;
    const std::uint64_t op = world.draw_below(sim::DataTag::kUser, 10);
    if (last_index() - m.snapshot_index >= kLogEntriesMax || op == 7) {
      // Compact up to a synced entry (Raft snapshots only what it committed).
      if (m.durable.empty()) {
        sync();
        continue;
      }
      const std::uint64_t first = m.durable.begin()->first;
      const std::uint64_t durable_last = m.durable.rbegin()->first;
      const std::uint64_t index = first + world.draw_below(sim::DataTag::kUser, durable_last - first + 1);
      if (index <= m.snapshot_index || !m.current.contains(index) || m.current.at(index) != m.durable.at(index)) {
        sync();
        continue;
      }
      const core::Snapshot snapshot{index, m.current.at(index).term,
                                    core::Bytes(8 + index % 16, static_cast<std::uint8_t>(index))};
      m.snapshots_saved[index] = snapshot;
      storage.save_snapshot(snapshot);
      // The snapshot and the compacted log after it are durable once this returns.
      m.snapshot_index = m.durable_snapshot_index = index;
      m.current.erase(m.current.begin(), m.current.upper_bound(index));
      m.durable = m.current;
      m.truncated_since_sync = UINT64_MAX;
      continue;
    }
    if (op <= 4) {
      const std::uint64_t count = 1 + world.draw_below(sim::DataTag::kUser, 4);
      std::vector<core::LogEntry> entries;
      const std::uint64_t term = std::max(m.current_hard.term, last_term());
      for (std::uint64_t k = 1; k <= count; ++k) entries.push_back(make_entry(last_index() + k, term, m.operations));
      for (const core::LogEntry& e : entries) {
        m.ever_written.emplace(e.index, e);
      }
      storage.append(entries);
      for (const core::LogEntry& e : entries) m.current[e.index] = e;
    } else if (op == 5 && last_index() > m.snapshot_index + 1) {
      // A new leader's conflicting suffix: cut it, and a later term follows.
      const std::uint64_t from =
          m.snapshot_index + 1 + world.draw_below(sim::DataTag::kUser, last_index() - m.snapshot_index);
      m.truncated_since_sync = std::min(m.truncated_since_sync, from);
      storage.truncate_from(from);
      m.current.erase(m.current.lower_bound(from), m.current.end());
      save_hard(core::HardState{m.current_hard.term + 1, core::no_node});
    } else if (op == 6) {
      save_hard(core::HardState{m.current_hard.term + world.draw_below(sim::DataTag::kUser, 2),
                                static_cast<core::NodeId>(world.draw_below(sim::DataTag::kUser, 3))});
    } else {
      sync();
    }
  }
}

}  // namespace

void register_storage_crash() {
  Scenario s;
  s.name = "storage-crash";
  s.description =
      "Raft's file storage crashed and recovered again and again (lost unsynced writes, torn writes on some "
      "seeds); every recovery checked against what was synced";
  s.params = {{"crashes", 12, 1, 1'000, "crash-and-recover cycles"},
              {"torn", -1, -1, 1, "tear the first lost write: 1 always, 0 never, -1 drawn from the seed"}};
  s.setup = [](ScenarioContext& ctx) {
    sim::World& world = ctx.world;
    const std::int64_t torn_param = ctx.params.get("torn");
    const bool torn = torn_param < 0 ? world.draw_chance(sim::DataTag::kNemesis, 1, 2) : torn_param == 1;
    sim::DiskConfig disk;
    disk.crash_keeps_unsynced_prefix = true;
    disk.torn_write_per_million = torn ? 500'000 : 0;
    world.disk().configure(disk);
    ctx.report(fmt::format("disk: unsynced writes lost at crash (a prefix kept){}",
                           torn ? ", first lost write torn half the time" : ""));
    auto model = std::make_shared<StorageModel>();
    const sim::NodeIndex node = static_cast<sim::NodeIndex>(world.node_count());
    auto boot = [&world, node, model] { node_main(world, node, model); };
    SIMBUS_ASSERT(world.add_node("store", boot) == node);
    world.spawn(node, "boot", boot);
    const std::int64_t crashes = ctx.params.get("crashes");
    world.spawn(sim::kControlNode, "nemesis", [&world, node, model, crashes] {
      for (std::int64_t i = 0; i < crashes && model->failure.empty(); ++i) {
        world.sleep_for_us(kCrashGapUsMin + static_cast<std::int64_t>(world.draw_below(
                                                sim::DataTag::kNemesis, kCrashGapUsMax - kCrashGapUsMin)));
        world.crash(node);
        world.sleep_for_us(1'000);
        world.restart(node);
      }
      world.sleep_for_us(10'000);  // the last recovery runs and is checked
      world.stop();
    });
    ctx.at_end([&ctx, model, crashes] {
      if (!model->failure.empty()) {
        ctx.fail("storage-durability", model->failure);
      } else if (model->recoveries == 0) {
        // Some crashes land inside a recovery (which writes too); at least one must finish.
        ctx.fail("storage-durability", fmt::format("{} crashes but no recovery finished", crashes));
      }
      ctx.report(fmt::format("{} recoveries, {} persistence operations", model->recoveries, model->operations));
    });
  };
  s.time_us_max = 60'000'000;
  s.steps_max = 1'000'000;
  s.determinism_seeds = 6;
  register_scenario(std::move(s));
}

}  // namespace simbus::scenarios
