#include "tests/core/memory_storage.h"

#include "base/assert.h"

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

}  // namespace simbus::core
