// The libraft adapter's disk format: recovery after a crash at every byte of every write
// finds a prefix of what was written, and never a record that was not.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "targets/libraft/disk_format.h"

namespace simbus::targets::libraft {
namespace {

LogRecord record(std::uint64_t index, std::uint64_t term, std::size_t bytes) {
  LogRecord r;
  r.index = index;
  r.term = term;
  r.type = 1;
  r.epoch = 0;
  for (std::size_t i = 0; i < bytes; ++i) r.data.push_back(static_cast<std::uint8_t>(index * 31 + i));
  return r;
}

TEST(LibraftDiskFormat, EveryCutOfTheLogRecoversAWholeRecordPrefix) {
  Bytes file;
  std::vector<std::size_t> ends;  // file size after each record
  for (std::uint64_t i = 1; i <= 6; ++i) {
    append_log_record(file, record(i, 1 + i / 3, (i * 7) % 23));
    ends.push_back(file.size());
  }
  for (std::size_t cut = 0; cut <= file.size(); ++cut) {
    const LogScan scan = scan_log(std::span<const std::uint8_t>(file).first(cut));
    std::size_t whole = 0;
    while (whole < ends.size() && ends[whole] <= cut) ++whole;
    ASSERT_EQ(scan.records.size(), whole) << "cut at " << cut;
    ASSERT_TRUE(scan.error.empty());
    ASSERT_EQ(scan.valid_bytes, whole == 0 ? 0 : ends[whole - 1]);
    for (std::size_t k = 0; k < whole; ++k) ASSERT_EQ(scan.records[k].index, k + 1);
  }
}

TEST(LibraftDiskFormat, ATornTailWithGarbageAfterItIsCut) {
  Bytes file;
  append_log_record(file, record(1, 1, 10));
  const std::size_t first = file.size();
  append_log_record(file, record(2, 1, 10));
  // The second record's last bytes never landed; what is there instead is stale garbage.
  for (std::size_t i = file.size() - 5; i < file.size(); ++i) file[i] ^= 0x5a;
  const LogScan scan = scan_log(file);
  ASSERT_EQ(scan.records.size(), 1u);
  EXPECT_EQ(scan.valid_bytes, first);
}

TEST(LibraftDiskFormat, AFlippedBitAnywhereInARecordInvalidatesIt) {
  const Bytes one = encode_log_record(record(1, 3, 17));
  for (std::size_t byte = 0; byte < one.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      Bytes bad = one;
      bad[byte] ^= static_cast<std::uint8_t>(1u << bit);
      const LogScan scan = scan_log(bad);
      ASSERT_TRUE(scan.records.empty()) << "byte " << byte << " bit " << bit;
    }
  }
}

TEST(LibraftDiskFormat, ANonContiguousLogIsAnAdapterError) {
  Bytes file;
  append_log_record(file, record(1, 1, 4));
  append_log_record(file, record(3, 1, 4));
  const LogScan scan = scan_log(file);
  EXPECT_EQ(scan.records.size(), 1u);
  EXPECT_NE(scan.error.find("index 3 after index 1"), std::string::npos) << scan.error;
}

TEST(LibraftDiskFormat, MetadataTornAtEveryByteKeepsTheOlderSlot) {
  const Bytes older = encode_metadata(Metadata{7, 4, 2});
  const Bytes newer = encode_metadata(Metadata{8, 5, 3});
  for (std::size_t landed = 0; landed <= newer.size(); ++landed) {
    // The newer write goes to the other slot; only `landed` bytes of it reached the disk,
    // over what that slot held before (two writes ago).
    Bytes slot2 = encode_metadata(Metadata{6, 4, 0});
    for (std::size_t i = 0; i < landed; ++i) slot2[i] = newer[i];
    const Metadata m = newest_metadata(older, slot2);
    if (landed == newer.size()) {
      EXPECT_EQ(m.sequence, 8u);
      EXPECT_EQ(m.term, 5u);
    } else {
      EXPECT_EQ(m.sequence, 7u) << "landed " << landed;
      EXPECT_EQ(m.term, 4u);
      EXPECT_EQ(m.vote, 2u);
    }
  }
  EXPECT_EQ(newest_metadata({}, {}).sequence, 0u);
}

TEST(LibraftDiskFormat, SnapshotRoundTripsAndRefusesEveryTruncation) {
  SnapshotRecord s;
  s.sequence = 3;
  s.index = 40;
  s.term = 6;
  s.configuration_index = 1;
  s.configuration = {{1, "n1", 1}, {2, "n2", 1}, {3, "n3", 0}};
  s.trailing = 4;
  s.epoch = 2;
  s.data = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  const Bytes b = encode_snapshot(s);
  const auto back = decode_snapshot(b);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->index, 40u);
  EXPECT_EQ(back->configuration.size(), 3u);
  EXPECT_EQ(back->configuration[2].address, "n3");
  EXPECT_EQ(back->data, s.data);
  EXPECT_EQ(back->epoch, 2u);
  for (std::size_t cut = 0; cut < b.size(); ++cut) {
    ASSERT_FALSE(decode_snapshot(std::span<const std::uint8_t>(b).first(cut)).has_value()) << cut;
  }
}

// Random appends, truncations and crashes that keep any prefix of the unsynced bytes:
// recovery always yields records 1..k of the log as last written, for some k.
RC_GTEST_PROP(LibraftDiskFormat, RecoveryIsAlwaysAPrefixOfTheWrittenLog, ()) {
  Bytes file;
  std::vector<LogRecord> written;
  const int steps = *rc::gen::inRange(1, 30);
  for (int s = 0; s < steps; ++s) {
    if (!written.empty() && *rc::gen::inRange(0, 5) == 0) {
      const auto keep = static_cast<std::size_t>(*rc::gen::inRange<std::size_t>(0, written.size()));
      written.resize(keep);
      file.clear();
      for (const LogRecord& r : written) append_log_record(file, r);
    } else {
      const LogRecord r = record(written.size() + 1, 1, *rc::gen::inRange<std::size_t>(0, 40));
      append_log_record(file, r);
      written.push_back(r);
    }
  }
  const auto cut = *rc::gen::inRange<std::size_t>(0, file.size() + 1);
  const LogScan scan = scan_log(std::span<const std::uint8_t>(file).first(cut));
  RC_ASSERT(scan.error.empty());
  RC_ASSERT(scan.records.size() <= written.size());
  for (std::size_t i = 0; i < scan.records.size(); ++i) {
    RC_ASSERT(scan.records[i].index == written[i].index);
    RC_ASSERT(scan.records[i].data == written[i].data);
  }
}

}  // namespace
}  // namespace simbus::targets::libraft
