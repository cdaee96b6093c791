#include "core/storage_file.h"

#include <fmt/format.h>

#include "base/assert.h"
#include "core/serial.h"

namespace simbus::core {
namespace {

struct HardRecord {
  std::uint64_t seq = 0;
  std::uint64_t term = 0;
  NodeId vote = no_node;
  SIMBUS_FIELDS(seq, term, vote)
};
struct SnapRecord {
  std::uint64_t index = 0;
  std::uint64_t term = 0;
  Bytes data;
  SIMBUS_FIELDS(index, term, data)
};
struct LogHeader {
  std::uint64_t generation = 0;
  std::uint64_t first_index = 0;
  SIMBUS_FIELDS(generation, first_index)
};

}  // namespace

FileStorage::FileStorage(Env& env, std::string prefix) : env_(env), prefix_(std::move(prefix)) {
  hard_ = env_.open_file(prefix_ + ".hard");
  for (int i = 0; i < 2; ++i) {
    snap_[i] = env_.open_file(fmt::format("{}.snap.{}", prefix_, i));
    log_[i] = env_.open_file(fmt::format("{}.log.{}", prefix_, i));
  }
  SIMBUS_ASSERT(hard_ != nullptr);
  SIMBUS_ASSERT(log_[0] != nullptr && log_[1] != nullptr);
}

std::optional<FileStorage::Record> FileStorage::read_frame(File& file, std::uint64_t offset,
                                                           std::uint64_t& next) {
  for (int attempt = 0; attempt < storage_read_retries_max; ++attempt) {
    std::uint8_t header[frame_header_bytes];
    if (file.read(offset, header) < frame_header_bytes) return std::nullopt;
    Reader r(std::span<const std::uint8_t>(header + 4, 4));
    const std::uint32_t length = r.u32();
    if (length > frame_bytes_max) continue;  // maybe a flipped bit: read again
    Bytes buffer(frame_header_bytes + length + frame_checksum_bytes);
    if (file.read(offset, buffer) < buffer.size()) return std::nullopt;  // torn at the end
    Unframed unframed;
    if (unframe(buffer, unframed) != DecodeError::none) continue;
    next = offset + buffer.size();
    return Record{unframed.kind, Bytes(unframed.body.begin(), unframed.body.end())};
  }
  return std::nullopt;
}

RecoveredState FileStorage::recover() {
  SIMBUS_ASSERT(!recovered_);
  recovered_ = true;
  RecoveredState out;

  // Hard state: the valid slot with the highest seq.
  for (std::uint64_t slot = 0; slot < 2; ++slot) {
    std::uint64_t next = 0;
    auto record = read_frame(*hard_, slot * hard_state_slot_bytes, next);
    HardRecord h;
    if (!record || record->kind != frame_kind_hard_state || !serial::decode_body(record->body, h)) {
      if (hard_->size() > slot * hard_state_slot_bytes) report_.hard_state_slot_invalid = true;
      continue;
    }
    if (h.seq >= hard_seq_) {
      hard_seq_ = h.seq;
      out.hard_state = HardState{h.term, h.vote};
    }
  }

  // Snapshot: the valid slot with the highest index.
  for (int slot = 0; slot < 2; ++slot) {
    std::uint64_t next = 0;
    auto record = read_frame(*snap_[slot], 0, next);
    SnapRecord s;
    if (!record || record->kind != frame_kind_snapshot || !serial::decode_body(record->body, s)) {
      continue;
    }
    if (!out.snapshot || s.index > out.snapshot->index) {
      out.snapshot = Snapshot{s.index, s.term, std::move(s.data)};
      snap_slot_ = slot;
    }
  }

  // Log: the file with the valid header of the highest generation.
  int best = -1;
  LogHeader best_header;
  for (int slot = 0; slot < 2; ++slot) {
    std::uint64_t next = 0;
    auto record = read_frame(*log_[slot], 0, next);
    LogHeader h;
    if (!record || record->kind != frame_kind_log_header || !serial::decode_body(record->body, h)) {
      continue;
    }
    SIMBUS_ASSERT(next == log_header_bytes);
    if (best < 0 || h.generation > best_header.generation) {
      best = slot;
      best_header = h;
    }
  }
  if (best < 0) {
    const std::uint64_t first = out.snapshot ? out.snapshot->index + 1 : 1;
    write_log_file(0, 1, first, {});
    return out;
  }
  log_slot_ = best;
  log_generation_ = best_header.generation;
  log_first_index_ = best_header.first_index;
  File& file = *log_[log_slot_];
  std::uint64_t offset = log_header_bytes;
  const std::uint64_t size = file.size();
  while (offset < size) {
    std::uint64_t next = 0;
    auto record = read_frame(file, offset, next);
    LogEntry entry;
    if (!record || record->kind != frame_kind_log_record ||
        !serial::decode_body(record->body, entry) ||
        entry.index != log_first_index_ + tail_.size()) {
      break;
    }
    entry_offsets_.push_back(offset);
    tail_.push_back(std::move(entry));
    offset = next;
  }
  if (offset < size) {
    report_.records_dropped_bytes = size - offset;
    file.truncate(offset);
    file.fsync();
  }
  log_end_ = offset;
  out.entries = tail_;
  SIMBUS_ASSERT(entry_offsets_.size() == tail_.size());
  return out;
}

void FileStorage::write_log_file(int slot, std::uint64_t generation, std::uint64_t first_index,
                                 std::span<const LogEntry> entries) {
  File& file = *log_[slot];
  file.truncate(0);
  std::vector<std::uint64_t> offsets;
  std::uint64_t offset = log_header_bytes;
  for (const LogEntry& entry : entries) {
    const Bytes record = frame(frame_kind_log_record, serial::encode_body(entry));
    file.write(offset, record);
    offsets.push_back(offset);
    offset += record.size();
  }
  file.fsync();
  // The header last: until it is durable, recovery ignores this file.
  const Bytes header = frame(frame_kind_log_header,
                             serial::encode_body(LogHeader{generation, first_index}));
  SIMBUS_ASSERT(header.size() == log_header_bytes);
  file.write(0, header);
  file.fsync();
  const int old = log_slot_;
  log_slot_ = slot;
  log_generation_ = generation;
  log_first_index_ = first_index;
  log_end_ = offset;
  entry_offsets_ = std::move(offsets);
  tail_.assign(entries.begin(), entries.end());
  if (old != slot) log_[old]->truncate(0);  // stale now; need not be durable
  log_dirty_ = false;
}

void FileStorage::save_hard_state(const HardState& hard_state) {
  SIMBUS_ASSERT(recovered_);
  ++hard_seq_;
  const Bytes record = frame(frame_kind_hard_state, serial::encode_body(HardRecord{
                                                        hard_seq_, hard_state.term,
                                                        hard_state.voted_for}));
  SIMBUS_ASSERT(record.size() <= hard_state_slot_bytes);
  hard_->write((hard_seq_ % 2) * hard_state_slot_bytes, record);
  hard_dirty_ = true;
}

void FileStorage::append(std::span<const LogEntry> entries) {
  SIMBUS_ASSERT(recovered_);
  File& file = *log_[log_slot_];
  for (const LogEntry& entry : entries) {
    SIMBUS_ASSERT(entry.index == log_first_index_ + tail_.size());
    const Bytes record = frame(frame_kind_log_record, serial::encode_body(entry));
    file.write(log_end_, record);
    entry_offsets_.push_back(log_end_);
    log_end_ += record.size();
    tail_.push_back(entry);
  }
  log_dirty_ = true;
}

void FileStorage::truncate_from(std::uint64_t index) {
  SIMBUS_ASSERT(recovered_);
  SIMBUS_ASSERT(index >= log_first_index_);
  const std::uint64_t keep = index - log_first_index_;
  if (keep >= tail_.size()) return;
  log_end_ = entry_offsets_[keep];
  log_[log_slot_]->truncate(log_end_);
  entry_offsets_.resize(keep);
  tail_.resize(keep);
  log_dirty_ = true;
}

void FileStorage::save_snapshot(const Snapshot& snapshot) {
  SIMBUS_ASSERT(recovered_);
  const int slot = snap_slot_ < 0 ? 0 : 1 - snap_slot_;
  File& file = *snap_[slot];
  file.truncate(0);
  file.write(0, frame(frame_kind_snapshot,
                      serial::encode_body(SnapRecord{snapshot.index, snapshot.term,
                                                     snapshot.data})));
  file.fsync();  // the snapshot is durable before the log it replaces is cut
  snap_slot_ = slot;
  std::vector<LogEntry> kept;
  for (const LogEntry& entry : tail_) {
    if (entry.index > snapshot.index) kept.push_back(entry);
  }
  if (!kept.empty() && kept.front().index != snapshot.index + 1) kept.clear();
  write_log_file(1 - log_slot_, log_generation_ + 1, snapshot.index + 1, kept);
  SIMBUS_ASSERT(log_first_index_ == snapshot.index + 1);
}

void FileStorage::sync() {
  if (hard_dirty_) hard_->fsync();
  if (log_dirty_) log_[log_slot_]->fsync();
  hard_dirty_ = false;
  log_dirty_ = false;
}

}  // namespace simbus::core
