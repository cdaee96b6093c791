// The adapter's on-disk format, as pure functions over bytes (no I/O), so that recovery
// from every crash point can be tested exhaustively. A node's disk holds:
//  - meta1, meta2: term and vote, written alternately (a torn write of one slot leaves
//    the other), each with a sequence number and a checksum;
//  - log: append-only records, one per entry, each with its index, term, type, epoch and
//    a checksum over header and data; a torn or unsynced tail is cut at recovery;
//  - snap1, snap2: snapshots written alternately, the same way as the metadata.
// The epoch separates a log from the snapshot installed over it: a snapshot installed
// from a leader (trailing 0) replaces the whole log, and records older than its epoch are
// ignored if a crash left them on disk before their truncation landed.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace simbus::targets::libraft {

using Bytes = std::vector<std::uint8_t>;

struct Metadata {
  std::uint64_t sequence = 0;  // 0: never written
  std::uint64_t term = 0;
  std::uint64_t vote = 0;
};
inline constexpr std::size_t kMetadataBytes = 48;
Bytes encode_metadata(const Metadata& m);
// nullopt if the slot is empty, short, torn or corrupt.
std::optional<Metadata> decode_metadata(std::span<const std::uint8_t> slot);
// The newer of two slots' valid contents (a fresh disk: sequence 0, term 0, vote 0).
Metadata newest_metadata(std::span<const std::uint8_t> slot1, std::span<const std::uint8_t> slot2);
// The slot ("meta1" or "meta2") the metadata with this sequence number goes to.
const char* metadata_slot(std::uint64_t sequence);

struct LogRecord {
  std::uint64_t index = 0;
  std::uint64_t term = 0;
  std::uint16_t type = 0;  // RAFT_COMMAND, RAFT_BARRIER, RAFT_CHANGE
  std::uint64_t epoch = 0;
  Bytes data;
};
inline constexpr std::size_t kLogHeaderBytes = 40;
inline constexpr std::size_t kLogTrailerBytes = 8;
inline constexpr std::uint32_t kEntryBytesMax = 64u << 20;
Bytes encode_log_record(const LogRecord& r);
void append_log_record(Bytes& out, const LogRecord& r);

struct LogScan {
  std::vector<LogRecord> records;       // the valid prefix, in file order
  std::vector<std::uint64_t> offsets;   // offsets[i]: where records[i] starts
  std::uint64_t valid_bytes = 0;        // the prefix's length: everything after is cut
  std::string error;                    // non-empty: the prefix is valid but breaks a rule
};
// The longest prefix of whole, checksummed records. A record whose index does not follow
// its predecessor's stops the scan with `error` set: the adapter only ever writes a
// contiguous log, so that is an adapter bug, never a crash artefact.
LogScan scan_log(std::span<const std::uint8_t> file);

struct ServerRecord {
  std::uint64_t id = 0;
  std::string address;
  int role = 0;
};
struct SnapshotRecord {
  std::uint64_t sequence = 0;
  std::uint64_t index = 0;
  std::uint64_t term = 0;
  std::uint64_t configuration_index = 0;
  std::vector<ServerRecord> configuration;
  std::uint32_t trailing = 0;
  std::uint64_t epoch = 0;
  Bytes data;
};
inline constexpr std::size_t kServersMax = 1'024;
inline constexpr std::size_t kAddressBytesMax = 255;
inline constexpr std::uint64_t kSnapshotDataBytesMax = 256u << 20;
Bytes encode_snapshot(const SnapshotRecord& s);
std::optional<SnapshotRecord> decode_snapshot(std::span<const std::uint8_t> slot);
const char* snapshot_slot(std::uint64_t sequence);

}  // namespace simbus::targets::libraft
