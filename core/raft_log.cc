#include "core/raft_log.h"

#include "base/assert.h"
#include "core/codec.h"

namespace simbus::core {

std::uint64_t RaftLog::last_term() const {
  return entries_.empty() ? snapshot_term_ : entries_.back().term;
}

std::optional<std::uint64_t> RaftLog::term_at(std::uint64_t index) const {
  if (index == snapshot_index_) return snapshot_term_;
  if (index < snapshot_index_ || index > last_index()) return std::nullopt;
  return at(index).term;
}

const LogEntry& RaftLog::at(std::uint64_t index) const {
  SIMBUS_ASSERT(index > snapshot_index_);
  SIMBUS_ASSERT(index <= last_index());
  const LogEntry& entry = entries_[index - snapshot_index_ - 1];
  SIMBUS_ASSERT(entry.index == index);
  return entry;
}

std::uint64_t RaftLog::checksum_at(std::uint64_t index) const {
  const LogEntry& entry = at(index);
  std::uint64_t& sum = checksums_[index - snapshot_index_ - 1];
  if (sum == 0) sum = checksum64(entry.command);  // (a true 0 is merely recomputed)
  return sum;
}

std::vector<LogEntry> RaftLog::slice(std::uint64_t from, std::size_t count_max) const {
  SIMBUS_ASSERT(from > snapshot_index_);
  std::vector<LogEntry> out;
  for (std::uint64_t i = from; i <= last_index() && out.size() < count_max; ++i) {
    out.push_back(at(i));
  }
  return out;
}

std::uint64_t RaftLog::first_index_of_term_at(std::uint64_t index) const {
  SIMBUS_ASSERT(index > snapshot_index_);
  const std::uint64_t term = at(index).term;
  std::uint64_t i = index;
  while (i - 1 > snapshot_index_ && at(i - 1).term == term) --i;
  return i;
}

void RaftLog::append(LogEntry entry) {
  SIMBUS_ASSERT(entry.index == last_index() + 1);
  if (strict_) SIMBUS_ASSERT(entry.term >= last_term());
  entries_.push_back(std::move(entry));
  checksums_.push_back(0);
}

void RaftLog::truncate_from(std::uint64_t index) {
  SIMBUS_ASSERT(index > snapshot_index_);
  while (last_index() >= index) {
    entries_.pop_back();
    checksums_.pop_back();
  }
  SIMBUS_ASSERT(last_index() == index - 1 || last_index() < index);
}

void RaftLog::compact_to(std::uint64_t index) {
  SIMBUS_ASSERT(index >= snapshot_index_);
  SIMBUS_ASSERT(index <= last_index());
  const std::uint64_t term = *term_at(index);
  while (snapshot_index_ < index) {
    entries_.pop_front();
    checksums_.pop_front();
    ++snapshot_index_;
  }
  snapshot_term_ = term;
  SIMBUS_ASSERT(first_index() == index + 1);
}

void RaftLog::reset(std::uint64_t index, std::uint64_t term) {
  entries_.clear();
  checksums_.clear();
  snapshot_index_ = index;
  snapshot_term_ = term;
  SIMBUS_ASSERT(last_index() == index);
}

}  // namespace simbus::core
