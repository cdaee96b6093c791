// Per-node simulated disks. A write is volatile until fsync; a crash keeps the synced
// image plus a random prefix of the unsynced writes, and may tear the first write it
// drops (only a prefix of its bytes lands). Reads may flip a bit where configured, which
// the program's checksums must catch. Every operation takes seeded latency and is a
// scheduling point on its file.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "sim/action.h"

namespace simbus::sim {

class World;

struct DiskConfig {
  std::int64_t latency_us_min = 20;
  std::int64_t latency_us_max = 200;
  // At a crash: keep a random prefix of the unsynced writes (true) or lose them all.
  bool crash_keeps_unsynced_prefix = true;
  std::uint32_t torn_write_per_million = 0;  // chance the first lost write lands torn
  std::uint32_t bit_flip_per_million = 0;    // chance a read returns one flipped bit
};

struct DiskStats {
  std::uint64_t writes = 0;
  std::uint64_t syncs = 0;
  std::uint64_t reads = 0;
  std::uint64_t writes_lost = 0;
  std::uint64_t writes_torn = 0;
  std::uint64_t bits_flipped = 0;
};

class Disk {
 public:
  static constexpr std::uint64_t kFileBytesMax = 1ULL << 30;
  static constexpr std::size_t kUnsyncedWritesMax = 1'000'000;

  explicit Disk(World& world);

  void configure(const DiskConfig& config);
  const DiskConfig& config() const { return config_; }

  // --- from inside fibers, on the current node's disk
  std::uint64_t size(const std::string& name);
  std::size_t read(const std::string& name, std::uint64_t offset, std::span<std::uint8_t> out);
  void write(const std::string& name, std::uint64_t offset, std::span<const std::uint8_t> data);
  void truncate(const std::string& name, std::uint64_t size);
  void fsync(const std::string& name);
  bool remove(const std::string& name);
  bool exists(const std::string& name);

  // --- inspection (tests and checkers; no scheduling point)
  std::vector<std::uint8_t> durable_image(NodeIndex node, const std::string& name) const;
  std::vector<std::uint8_t> current_image(NodeIndex node, const std::string& name) const;
  std::size_t unsynced_writes(NodeIndex node, const std::string& name) const;
  const DiskStats& stats() const { return stats_; }

  void on_crash(NodeIndex node);

 private:
  struct Op {
    bool truncate = false;
    std::uint64_t offset = 0;  // or the new size, for a truncate
    std::vector<std::uint8_t> bytes;
  };
  struct File {
    ObjectId object = kNoObject;
    std::vector<std::uint8_t> durable;
    std::vector<std::uint8_t> current;
    std::vector<Op> unsynced;
  };
  using Key = std::pair<NodeIndex, std::string>;

  File& file(const std::string& name);
  void io_point(ActionKind kind, const File& f, Access access);
  static void apply(std::vector<std::uint8_t>& image, const Op& op, std::size_t bytes_landed);

  World& world_;
  DiskConfig config_;
  std::map<Key, File> files_;  // ordered: iteration order is the same on every run
  DiskStats stats_;
};

}  // namespace simbus::sim
