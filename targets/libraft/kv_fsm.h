// The key-value state machine the libraft scenarios replicate: registers per key with
// write, read and compare-and-set, each client's requests applied at most once (a request
// the network duplicated, or that reached two leaders, may be in the log twice). The
// state is plain data so snapshots are a serialization of it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>

#include "targets/libraft/disk_format.h"
#include "targets/libraft/wire.h"

namespace simbus::targets::libraft {

class KvState {
 public:
  static constexpr std::size_t kKeysMax = 1'024;
  static constexpr std::size_t kClientsMax = 4'096;

  // The result the command returns: a read's value (kNil if unset), cas 1/0, write 0.
  // A duplicate of the client's latest request returns that request's result again; an
  // older request returns nullopt and changes nothing (its client has moved on).
  std::optional<std::int64_t> apply(const KvCommand& c);

  Bytes serialize() const;
  // False if the bytes are not a serialized state (then the state is unchanged).
  bool restore(std::span<const std::uint8_t> bytes);

  std::uint64_t applied() const { return applied_; }
  std::uint64_t digest() const;

 private:
  struct Session {
    std::uint64_t request = 0;
    std::int64_t result = 0;
  };
  std::map<std::uint32_t, std::int64_t> values_;
  std::map<std::uint32_t, Session> sessions_;
  std::uint64_t applied_ = 0;  // commands that took effect (duplicates excluded)
};

// Pointers passed through libraft's apply result: the library hands `result` to the
// raft_apply callback untouched, and frees nothing, so the result travels in the pointer.
void* encode_result(std::optional<std::int64_t> result);
std::optional<std::int64_t> decode_result(void* result);

}  // namespace simbus::targets::libraft
