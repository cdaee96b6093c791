// RaftStorage on the node's own disk through core::Env files, with a checksum on every
// record (codec.h frames) so torn and bit-flipped records are detected, never trusted.
//
// Files (prefix "raft" by default):
//   <p>.hard        two fixed slots holding {seq, term, vote}; writes alternate, recovery
//                   takes the valid slot with the highest seq (a torn write leaves the other)
//   <p>.snap.0/1    alternating snapshot slots; recovery takes the valid one with the
//                   highest index
//   <p>.log.0/1     the log: a header {generation, first_index} then one frame per entry.
//                   Compaction writes the other file completely, fsyncs it, and only then
//                   writes its header: a half-written log file never has a valid header.
// Recovery reads records until the first invalid one (re-reading a few times, since a
// faulty disk may flip bits on read), and truncates the file there: a torn last record
// is dropped. A persistent corruption in the middle also drops what follows it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/env.h"
#include "core/storage.h"

namespace simbus::core {

inline constexpr int storage_read_retries_max = 3;
inline constexpr std::size_t hard_state_slot_bytes = 64;
inline constexpr std::uint8_t frame_kind_hard_state = 4;
inline constexpr std::uint8_t frame_kind_snapshot = 5;
inline constexpr std::uint8_t frame_kind_log_header = 6;
inline constexpr std::size_t log_header_bytes = frame_header_bytes + 16 + frame_checksum_bytes;

class FileStorage final : public RaftStorage {
 public:
  FileStorage(Env& env, std::string prefix = "raft");
  void save_hard_state(const HardState& hard_state) override;
  void truncate_from(std::uint64_t index) override;
  void append(std::span<const LogEntry> entries) override;
  void save_snapshot(const Snapshot& snapshot) override;
  void sync() override;
  // Reads the disk; must be called once, before any write.
  RecoveredState recover() override;

  // What recovery found, for tests and traces.
  struct RecoveryReport {
    std::uint64_t records_dropped_bytes = 0;  // bytes cut from the end of the log
    bool hard_state_slot_invalid = false;
  };
  const RecoveryReport& report() const { return report_; }

 private:
  struct Record {
    std::uint8_t kind = 0;
    Bytes body;
  };
  // Reads one frame at `offset`; nullopt when absent, torn or corrupt.
  std::optional<Record> read_frame(File& file, std::uint64_t offset, std::uint64_t& next);
  void write_log_file(int slot, std::uint64_t generation, std::uint64_t first_index,
                      std::span<const LogEntry> entries);

  Env& env_;
  std::string prefix_;
  std::unique_ptr<File> hard_;
  std::unique_ptr<File> snap_[2];
  std::unique_ptr<File> log_[2];
  bool recovered_ = false;
  std::uint64_t hard_seq_ = 0;
  int snap_slot_ = -1;  // slot of the newest valid snapshot
  int log_slot_ = 0;
  std::uint64_t log_generation_ = 0;
  std::uint64_t log_first_index_ = 1;
  std::uint64_t log_end_ = 0;
  std::vector<std::uint64_t> entry_offsets_;  // offset of entry log_first_index_ + i
  std::vector<LogEntry> tail_;                // entries in the log file (for compaction)
  bool hard_dirty_ = false;
  bool log_dirty_ = false;
  RecoveryReport report_;
};

}  // namespace simbus::core
