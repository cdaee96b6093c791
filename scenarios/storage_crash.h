// The durability judgement of the storage-crash scenario (scenarios/storage_crash.cc): a
// model of what Raft's storage was asked to persist and what of it was synced, and the
// check of a recovered state against it; in a header so tests can show it failing.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/storage.h"

namespace simbus::scenarios {

// What the storage was asked to do, and what of it was durable at each moment.
struct StorageModel {
  std::map<std::uint64_t, core::LogEntry> current;                 // the log as written
  std::map<std::uint64_t, core::LogEntry> durable;                 // as of the last sync
  std::multimap<std::uint64_t, core::LogEntry> ever_written;       // every entry ever appended
  std::uint64_t truncated_since_sync = UINT64_MAX;
  core::HardState current_hard;
  core::HardState durable_hard;
  std::vector<core::HardState> hard_saved;  // every hard state ever saved
  std::uint64_t snapshot_index = 0;         // the latest saved
  std::uint64_t durable_snapshot_index = 0;
  std::map<std::uint64_t, core::Snapshot> snapshots_saved;  // index -> snapshot
  bool booted = false;  // recoveries after the first boot are checked
  std::uint64_t recoveries = 0;
  std::uint64_t operations = 0;
  std::string failure;

  void fail(std::string message) {
    if (failure.empty()) failure = std::move(message);
  }
};

// Judges a recovery (the `incarnation`-th boot) against the model; the first problem goes
// to m.failure. The entries Raft keeps are those that follow the snapshot without a gap.
void check_recovered(StorageModel& m, const core::RecoveredState& r, std::uint64_t incarnation);

}  // namespace simbus::scenarios
