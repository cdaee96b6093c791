// The in-memory Raft log above a snapshot boundary: entries snapshot_index+1 .. last_index.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "base/assert.h"
#include "core/codec.h"
#include "core/messages.h"

namespace simbus::core {

class RaftLog {
 public:
  std::uint64_t snapshot_index() const { return snapshot_index_; }
  std::uint64_t snapshot_term() const { return snapshot_term_; }
  std::uint64_t first_index() const { return snapshot_index_ + 1; }
  std::uint64_t last_index() const { return snapshot_index_ + entries_.size(); }
  std::uint64_t last_term() const;
  // The term of `index`: known for snapshot_index..last_index, nullopt otherwise.
  std::optional<std::uint64_t> term_at(std::uint64_t index) const;
  const LogEntry& at(std::uint64_t index) const;
  // checksum64 of the command at `index`, computed once per entry (status() is sampled
  // often and the commands do not change while they are in the log).
  std::uint64_t checksum_at(std::uint64_t index) const;
  // Calls fn(entry, checksum_at(entry.index)) for every entry, first to last: one walk
  // over both deques instead of two indexed lookups per entry (RaftNode::status() lists
  // the whole log, and the scenarios sample it every 50 ms of virtual time).
  template <class Fn>
  void for_each_with_checksum(Fn&& fn) const {
    SIMBUS_ASSERT(checksums_.size() == entries_.size());
    auto sum = checksums_.begin();
    std::uint64_t index = snapshot_index_;
    for (const LogEntry& entry : entries_) {
      index += 1;
      SIMBUS_ASSERT(entry.index == index);
      if (*sum == 0) *sum = checksum64(entry.command);  // as checksum_at: computed once
      fn(entry, *sum);
      ++sum;
    }
  }
  // Entries [from, last_index], at most count_max of them.
  std::vector<LogEntry> slice(std::uint64_t from, std::size_t count_max) const;
  // First index of the run of entries with the same term as `index` (above the snapshot).
  std::uint64_t first_index_of_term_at(std::uint64_t index) const;

  void append(LogEntry entry);
  // Removes entries index.. last_index.
  void truncate_from(std::uint64_t index);
  // Drops entries up to and including `index`, which must be in the log.
  void compact_to(std::uint64_t index);
  // Discards everything: the log now starts after (index, term).
  void reset(std::uint64_t index, std::uint64_t term);
  // Seeded bugs can break Raft's ordering invariants; the log then checks only its shape,
  // so the harness's checkers (not an abort) report what went wrong.
  void set_strict(bool strict) { strict_ = strict; }

 private:
  std::uint64_t snapshot_index_ = 0;
  std::uint64_t snapshot_term_ = 0;
  std::deque<LogEntry> entries_;
  mutable std::deque<std::uint64_t> checksums_;  // parallel to entries_; 0: not computed yet
  bool strict_ = true;
};

}  // namespace simbus::core
