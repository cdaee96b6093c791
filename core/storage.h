// What Raft keeps on disk (term, vote, log, snapshot), the interface it is kept through,
// an in-memory implementation that models unsynced writes (lost at a crash), and the one
// function that persists a Ready in the right order.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/bugs.h"
#include "core/messages.h"

namespace simbus::core {

struct HardState {
  std::uint64_t term = 0;
  NodeId voted_for = no_node;
  bool operator==(const HardState&) const = default;
};

struct Snapshot {
  std::uint64_t index = 0;
  std::uint64_t term = 0;
  Bytes data;  // the state machine's own encoding of its state at `index`
};

struct RecoveredState {
  HardState hard_state;
  std::optional<Snapshot> snapshot;
  std::vector<LogEntry> entries;  // consecutive, starting after the snapshot (or at 1)
};

class RaftStorage {
 public:
  virtual ~RaftStorage() = default;
  virtual void save_hard_state(const HardState& hard_state) = 0;
  // Removes persisted entries with index >= `index`.
  virtual void truncate_from(std::uint64_t index) = 0;
  // Appends consecutive entries after the last persisted one.
  virtual void append(std::span<const LogEntry> entries) = 0;
  // Stores a snapshot and drops the persisted entries it covers.
  virtual void save_snapshot(const Snapshot& snapshot) = 0;
  // Makes every write so far durable.
  virtual void sync() = 0;
  virtual RecoveredState recover() = 0;
};

struct Ready;

// Persists a Ready's durable parts in order (snapshot, truncation, entries, hard state) and
// syncs, so its messages may then be sent. Seeded bugs skip the sync here.
void persist_ready(RaftStorage& storage, const Ready& ready, const HardState& previous,
                   const Bugs& bugs);

}  // namespace simbus::core
