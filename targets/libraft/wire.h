// What travels between simulated nodes: libraft's RPC messages, and the key-value
// clients' requests and replies. The messages are serialized (the io never hands a
// pointer to another node), so a message copied at send time is what arrives, and the
// decoder refuses anything malformed instead of trusting lengths.
#pragma once

#include "targets/libraft/raft_c.h"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "targets/libraft/disk_format.h"

namespace simbus::targets::libraft {

enum class WireKind : std::uint8_t { kRaft = 1, kClientRequest = 2, kClientReply = 3 };

// The kind of a datagram, or nullopt if it is too short to have one.
std::optional<WireKind> wire_kind(std::span<const std::uint8_t> datagram);

Bytes encode_raft_message(const raft_message& m);
// Decodes into `out`, allocating entries (one batch), snapshot data and configuration with
// raft_malloc in the current arena: the library takes ownership when it is delivered.
// Returns "" or what is malformed (then nothing is left allocated).
std::string decode_raft_message(std::span<const std::uint8_t> datagram, raft_message* out);
// Entries for the library (a received AppendEntries, a load): one raft_calloc'd array
// whose data lies in one raft_malloc'd batch, in the current arena, as the library frees
// them. `entries` must not be empty.
struct EntryBytes {
  std::uint64_t term = 0;
  std::uint16_t type = 0;
  std::span<const std::uint8_t> data;
};
raft_entry* make_library_entries(std::span<const EntryBytes> entries);

// Frees what decode_raft_message allocated, for a message that is not delivered.
void free_decoded_message(raft_message* m);

// Key-value operations, as the clients issue them and the FSM applies them.
enum class KvOp : std::uint8_t { kWrite = 1, kRead = 2, kCas = 3 };
struct KvCommand {
  KvOp op = KvOp::kWrite;
  std::uint32_t client = 0;
  std::uint64_t request = 0;  // per client, increasing: the FSM applies each once
  std::uint32_t key = 0;
  std::int64_t a = 0;  // write: value; cas: expected
  std::int64_t b = 0;  // cas: new value
};
inline constexpr std::size_t kKvCommandBytes = 1 + 4 + 8 + 4 + 8 + 8;
Bytes encode_command(const KvCommand& c);
std::optional<KvCommand> decode_command(std::span<const std::uint8_t> bytes);

struct ClientRequest {
  KvCommand command;
};
enum class ReplyStatus : std::uint8_t {
  kOk = 1,         // applied; `value` is the result
  kNotLeader = 2,  // certainly not applied; `leader_hint` may name the leader
  kUnknown = 3,    // may or may not be applied (leadership lost, shutdown)
};
struct ClientReply {
  std::uint32_t client = 0;
  std::uint64_t request = 0;
  ReplyStatus status = ReplyStatus::kOk;
  std::int64_t value = 0;  // read: the value (kNil if none); cas: 1 swapped, 0 not
  std::uint64_t leader_hint = 0;
};
inline constexpr std::int64_t kNil = INT64_MIN;
Bytes encode_request(const ClientRequest& r);
std::optional<ClientRequest> decode_request(std::span<const std::uint8_t> datagram);
Bytes encode_reply(const ClientReply& r);
std::optional<ClientReply> decode_reply(std::span<const std::uint8_t> datagram);

}  // namespace simbus::targets::libraft
