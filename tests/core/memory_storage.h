// A RaftStorage for unit tests: keeps what was written and, separately, what was synced,
// so a test can crash it (crash() forgets the unsynced writes). The simulated broker uses
// FileStorage on the simulated disk instead; this double is test support, not product.
#pragma once

#include <cstdint>
#include <span>

#include "core/storage.h"

namespace simbus::core {

class MemoryStorage final : public RaftStorage {
 public:
  void save_hard_state(const HardState& hard_state) override;
  void truncate_from(std::uint64_t index) override;
  void append(std::span<const LogEntry> entries) override;
  void save_snapshot(const Snapshot& snapshot) override;
  void sync() override;
  RecoveredState recover() override;
  void crash();
  std::uint64_t sync_count() const { return sync_count_; }

 private:
  RecoveredState written_;
  RecoveredState durable_;
  std::uint64_t sync_count_ = 0;
};

}  // namespace simbus::core
