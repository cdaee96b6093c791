#include "targets/libraft/disk_format.h"

#include <fmt/format.h>

#include "base/assert.h"
#include "base/hash.h"
#include "targets/libraft/bytes.h"

namespace simbus::targets::libraft {
namespace {

constexpr std::uint32_t kMetadataMagic = 0x4d455441;  // "META"
constexpr std::uint32_t kLogMagic = 0x4c4f4752;       // "LOGR"
constexpr std::uint32_t kSnapshotMagic = 0x534e4150;  // "SNAP"
constexpr std::uint32_t kFormatVersion = 1;
constexpr std::uint64_t kChecksumSeed = 0x6c6962726166ULL;

std::uint64_t checksum(std::span<const std::uint8_t> bytes) {
  return hash_bytes(bytes.data(), bytes.size(), kChecksumSeed);
}

}  // namespace

Bytes encode_metadata(const Metadata& m) {
  SIMBUS_ASSERT(m.sequence > 0);
  Writer w;
  w.u32(kMetadataMagic);
  w.u32(kFormatVersion);
  w.u64(m.sequence);
  w.u64(m.term);
  w.u64(m.vote);
  w.u64(0);  // reserved
  w.u64(checksum(w.bytes()));
  SIMBUS_ASSERT(w.bytes().size() == kMetadataBytes);
  return w.take();
}

std::optional<Metadata> decode_metadata(std::span<const std::uint8_t> slot) {
  if (slot.size() < kMetadataBytes) return std::nullopt;
  Reader r(slot.first(kMetadataBytes));
  if (r.u32() != kMetadataMagic || r.u32() != kFormatVersion) return std::nullopt;
  Metadata m;
  m.sequence = r.u64();
  m.term = r.u64();
  m.vote = r.u64();
  r.u64();
  const std::uint64_t sum = r.u64();
  if (sum != checksum(slot.first(kMetadataBytes - 8)) || m.sequence == 0) return std::nullopt;
  return m;
}

Metadata newest_metadata(std::span<const std::uint8_t> slot1, std::span<const std::uint8_t> slot2) {
  const auto a = decode_metadata(slot1);
  const auto b = decode_metadata(slot2);
  if (a && b) return a->sequence > b->sequence ? *a : *b;
  if (a) return *a;
  if (b) return *b;
  return Metadata{};
}

const char* metadata_slot(std::uint64_t sequence) { return sequence % 2 == 1 ? "meta1" : "meta2"; }

void append_log_record(Bytes& out, const LogRecord& rec) {
  SIMBUS_ASSERT(rec.index > 0);
  SIMBUS_ASSERT(rec.data.size() <= kEntryBytesMax);
  const std::size_t start = out.size();
  Writer w(out);
  w.u32(kLogMagic);
  w.u16(rec.type);
  w.u16(0);
  w.u32(static_cast<std::uint32_t>(rec.data.size()));
  w.u32(0);
  w.u64(rec.index);
  w.u64(rec.term);
  w.u64(rec.epoch);
  SIMBUS_ASSERT(out.size() - start == kLogHeaderBytes);
  out.insert(out.end(), rec.data.begin(), rec.data.end());
  const std::uint64_t sum = checksum(std::span<const std::uint8_t>(out).subspan(start));
  Writer(out).u64(sum);
}

Bytes encode_log_record(const LogRecord& r) {
  Bytes out;
  append_log_record(out, r);
  return out;
}

LogScan scan_log(std::span<const std::uint8_t> file) {
  LogScan scan;
  std::uint64_t at = 0;
  while (file.size() - at >= kLogHeaderBytes + kLogTrailerBytes) {
    Reader r(file.subspan(at, kLogHeaderBytes));
    if (r.u32() != kLogMagic) break;
    LogRecord rec;
    rec.type = r.u16();
    r.u16();
    const std::uint32_t len = r.u32();
    r.u32();
    rec.index = r.u64();
    rec.term = r.u64();
    rec.epoch = r.u64();
    if (len > kEntryBytesMax || file.size() - at < kLogHeaderBytes + len + kLogTrailerBytes) break;
    const auto body = file.subspan(at, kLogHeaderBytes + len);
    Reader t(file.subspan(at + kLogHeaderBytes + len, kLogTrailerBytes));
    if (t.u64() != checksum(body)) break;
    if (!scan.records.empty() && rec.index != scan.records.back().index + 1) {
      scan.error = fmt::format("log record at offset {} has index {} after index {}", at, rec.index,
                               scan.records.back().index);
      break;
    }
    rec.data.assign(body.begin() + kLogHeaderBytes, body.end());
    scan.offsets.push_back(at);
    scan.records.push_back(std::move(rec));
    at += kLogHeaderBytes + len + kLogTrailerBytes;
  }
  scan.valid_bytes = at;
  SIMBUS_ASSERT(scan.offsets.size() == scan.records.size());
  return scan;
}

Bytes encode_snapshot(const SnapshotRecord& s) {
  SIMBUS_ASSERT(s.sequence > 0);
  SIMBUS_ASSERT(s.configuration.size() <= kServersMax);
  SIMBUS_ASSERT(s.data.size() <= kSnapshotDataBytesMax);
  Writer w;
  w.u32(kSnapshotMagic);
  w.u32(kFormatVersion);
  w.u64(s.sequence);
  w.u64(s.index);
  w.u64(s.term);
  w.u64(s.configuration_index);
  w.u32(s.trailing);
  w.u64(s.epoch);
  w.u32(static_cast<std::uint32_t>(s.configuration.size()));
  for (const ServerRecord& srv : s.configuration) {
    SIMBUS_ASSERT(srv.address.size() <= kAddressBytesMax);
    w.u64(srv.id);
    w.u32(static_cast<std::uint32_t>(srv.role));
    w.str(srv.address);
  }
  w.u64(s.data.size());
  w.raw(s.data);
  w.u64(checksum(w.bytes()));
  return w.take();
}

std::optional<SnapshotRecord> decode_snapshot(std::span<const std::uint8_t> slot) {
  if (slot.size() < 8) return std::nullopt;
  Reader r(slot);
  SnapshotRecord s;
  if (r.u32() != kSnapshotMagic || r.u32() != kFormatVersion) return std::nullopt;
  s.sequence = r.u64();
  s.index = r.u64();
  s.term = r.u64();
  s.configuration_index = r.u64();
  s.trailing = r.u32();
  s.epoch = r.u64();
  const std::uint32_t n = r.u32();
  if (!r.ok() || n > kServersMax) return std::nullopt;
  for (std::uint32_t i = 0; i < n && r.ok(); ++i) {
    ServerRecord srv;
    srv.id = r.u64();
    srv.role = static_cast<int>(r.u32());
    srv.address = r.str(kAddressBytesMax);
    s.configuration.push_back(std::move(srv));
  }
  const std::uint64_t len = r.u64();
  if (!r.ok() || len > kSnapshotDataBytesMax || len > r.remaining()) return std::nullopt;
  s.data = r.raw(static_cast<std::size_t>(len));
  const std::size_t body = r.position();
  const std::uint64_t sum = r.u64();
  if (!r.ok() || sum != checksum(slot.first(body)) || s.sequence == 0) return std::nullopt;
  return s;
}

const char* snapshot_slot(std::uint64_t sequence) { return sequence % 2 == 1 ? "snap1" : "snap2"; }

}  // namespace simbus::targets::libraft
