#include "core/storage.h"

#include "base/assert.h"
#include "core/raft.h"

namespace simbus::core {

void MemoryStorage::save_hard_state(const HardState& hard_state) {
  written_.hard_state = hard_state;
}

void MemoryStorage::truncate_from(std::uint64_t index) {
  auto& entries = written_.entries;
  while (!entries.empty() && entries.back().index >= index) entries.pop_back();
}

void MemoryStorage::append(std::span<const LogEntry> entries) {
  for (const LogEntry& entry : entries) {
    if (!written_.entries.empty()) {
      SIMBUS_ASSERT(entry.index == written_.entries.back().index + 1);
    }
    written_.entries.push_back(entry);
  }
}

void MemoryStorage::save_snapshot(const Snapshot& snapshot) {
  auto& entries = written_.entries;
  std::vector<LogEntry> kept;
  for (LogEntry& entry : entries) {
    if (entry.index > snapshot.index) kept.push_back(std::move(entry));
  }
  // Entries after the snapshot are kept only if they continue it.
  if (!kept.empty() && kept.front().index != snapshot.index + 1) kept.clear();
  entries = std::move(kept);
  written_.snapshot = snapshot;
}

void MemoryStorage::sync() {
  durable_ = written_;
  ++sync_count_;
}

RecoveredState MemoryStorage::recover() { return durable_; }

void MemoryStorage::crash() { written_ = durable_; }

void persist_ready(RaftStorage& storage, const Ready& ready, const HardState& previous,
                   const Bugs& bugs) {
  bool wrote = false;
  if (ready.snapshot_to_persist) {
    storage.save_snapshot(*ready.snapshot_to_persist);
    wrote = true;
  }
  if (ready.truncate_from) {
    storage.truncate_from(*ready.truncate_from);
    wrote = true;
  }
  if (!ready.entries_to_append.empty()) {
    storage.append(ready.entries_to_append);
    wrote = true;
  }
  bool vote_changed = false;
  if (ready.hard_state) {
    storage.save_hard_state(*ready.hard_state);
    vote_changed = ready.hard_state->voted_for != previous.voted_for;
    wrote = true;
  }
  if (!wrote) return;
  // BUG(vote_before_persist): the vote is answered while still volatile.
  if (bugs.has(Bug::vote_before_persist) && vote_changed) return;
  // BUG(append_reply_before_fsync): appends are answered while still volatile.
  if (bugs.has(Bug::append_reply_before_fsync) && !ready.entries_to_append.empty() &&
      !ready.hard_state) {
    return;
  }
  storage.sync();
}

}  // namespace simbus::core
