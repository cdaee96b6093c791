#include "sim/disk.h"

#include <algorithm>

#include "base/assert.h"
#include "base/hash.h"
#include "sim/world.h"

namespace simbus::sim {
namespace {
bool never_ready(const void*) { return false; }
}  // namespace

Disk::Disk(World& world) : world_(world) {}

void Disk::configure(const DiskConfig& config) {
  SIMBUS_ASSERT(config.latency_us_min >= 0);
  SIMBUS_ASSERT(config.latency_us_min <= config.latency_us_max);
  SIMBUS_ASSERT(config.torn_write_per_million <= 1'000'000);
  SIMBUS_ASSERT(config.bit_flip_per_million <= 1'000'000);
  config_ = config;
}

Disk::File& Disk::file(const std::string& name) {
  const NodeIndex node = world_.current_node();
  auto [it, inserted] = files_.try_emplace(Key{node, name});
  if (inserted) it->second.object = hash_combine(hash_combine(0xd15c, node), hash_string(name));
  return it->second;
}

void Disk::io_point(ActionKind kind, const File& f, Access access) {
  const auto span = static_cast<std::uint64_t>(config_.latency_us_max - config_.latency_us_min + 1);
  const std::int64_t latency_us =
      config_.latency_us_min + static_cast<std::int64_t>(world_.draw_below(DataTag::kDiskLatency, span));
  // The operation happens when its latency has passed: a timed wait on the file.
  world_.wait({kind, f.object, access}, Waiter{&never_ready, nullptr, nullptr, true}, world_.now_us() + latency_us);
}

void Disk::apply(std::vector<std::uint8_t>& image, const Op& op, std::size_t bytes_landed) {
  if (op.truncate) {
    image.resize(op.offset);
    return;
  }
  SIMBUS_ASSERT(bytes_landed <= op.bytes.size());
  const std::uint64_t end = op.offset + bytes_landed;
  if (image.size() < end) image.resize(end);
  std::copy(op.bytes.begin(), op.bytes.begin() + static_cast<std::ptrdiff_t>(bytes_landed),
            image.begin() + static_cast<std::ptrdiff_t>(op.offset));
}

std::uint64_t Disk::size(const std::string& name) { return file(name).current.size(); }

std::size_t Disk::read(const std::string& name, std::uint64_t offset, std::span<std::uint8_t> out) {
  File& f = file(name);
  io_point(ActionKind::kDiskRead, f, Access::kRead);
  stats_.reads += 1;
  if (offset >= f.current.size()) return 0;
  const std::size_t n = std::min<std::uint64_t>(out.size(), f.current.size() - offset);
  std::copy_n(f.current.begin() + static_cast<std::ptrdiff_t>(offset), n, out.begin());
  if (n > 0 && world_.draw_chance(DataTag::kBitFlip, config_.bit_flip_per_million, 1'000'000)) {
    const std::uint64_t bit = world_.draw_below(DataTag::kBitFlip, n * 8);
    out[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
    stats_.bits_flipped += 1;
  }
  return n;
}

void Disk::write(const std::string& name, std::uint64_t offset, std::span<const std::uint8_t> data) {
  SIMBUS_ASSERT(offset + data.size() <= kFileBytesMax);
  File& f = file(name);
  io_point(ActionKind::kDiskWrite, f, Access::kWrite);
  SIMBUS_ASSERT(f.unsynced.size() < kUnsyncedWritesMax);
  Op op;
  op.offset = offset;
  op.bytes.assign(data.begin(), data.end());
  apply(f.current, op, op.bytes.size());
  f.unsynced.push_back(std::move(op));
  stats_.writes += 1;
  world_.note(digest_bytes(data.data(), data.size(), offset));
}

void Disk::truncate(const std::string& name, std::uint64_t size) {
  SIMBUS_ASSERT(size <= kFileBytesMax);
  File& f = file(name);
  io_point(ActionKind::kDiskWrite, f, Access::kWrite);
  Op op;
  op.truncate = true;
  op.offset = size;
  apply(f.current, op, 0);
  f.unsynced.push_back(std::move(op));
}

void Disk::fsync(const std::string& name) {
  File& f = file(name);
  io_point(ActionKind::kDiskSync, f, Access::kWrite);
  // `current` is `durable` with the unsynced operations applied in order, so applying them
  // to `durable` makes it `current` again at the cost of the bytes written since the last
  // sync, not of the whole file (a Raft log is synced after every append).
  for (const Op& op : f.unsynced) apply(f.durable, op, op.bytes.size());
  SIMBUS_ASSERT(f.durable.size() == f.current.size());
  f.unsynced.clear();
  stats_.syncs += 1;
}

bool Disk::remove(const std::string& name) {
  const NodeIndex node = world_.current_node();
  auto it = files_.find(Key{node, name});
  if (it == files_.end()) return false;
  io_point(ActionKind::kDiskWrite, it->second, Access::kWrite);
  // Metadata operations are durable at once in this model.
  files_.erase(Key{node, name});
  return true;
}

bool Disk::exists(const std::string& name) {
  return files_.count(Key{world_.current_node(), name}) != 0;
}

std::vector<std::uint8_t> Disk::durable_image(NodeIndex node, const std::string& name) const {
  auto it = files_.find(Key{node, name});
  return it == files_.end() ? std::vector<std::uint8_t>{} : it->second.durable;
}

std::vector<std::uint8_t> Disk::current_image(NodeIndex node, const std::string& name) const {
  auto it = files_.find(Key{node, name});
  return it == files_.end() ? std::vector<std::uint8_t>{} : it->second.current;
}

std::size_t Disk::unsynced_writes(NodeIndex node, const std::string& name) const {
  auto it = files_.find(Key{node, name});
  return it == files_.end() ? 0 : it->second.unsynced.size();
}

void Disk::on_crash(NodeIndex node) {
  for (auto& [key, f] : files_) {
    if (key.first != node) continue;
    std::size_t kept = 0;
    if (config_.crash_keeps_unsynced_prefix && !f.unsynced.empty()) {
      kept = static_cast<std::size_t>(world_.draw_below(DataTag::kDiskLoss, f.unsynced.size() + 1));
    }
    std::vector<std::uint8_t> image = f.durable;
    for (std::size_t i = 0; i < kept; ++i) apply(image, f.unsynced[i], f.unsynced[i].bytes.size());
    if (kept < f.unsynced.size()) {
      const Op& first_lost = f.unsynced[kept];
      if (!first_lost.truncate && !first_lost.bytes.empty() &&
          world_.draw_chance(DataTag::kDiskLoss, config_.torn_write_per_million, 1'000'000)) {
        const auto landed = static_cast<std::size_t>(world_.draw_below(DataTag::kDiskLoss, first_lost.bytes.size()));
        apply(image, first_lost, landed);
        stats_.writes_torn += 1;
      }
      stats_.writes_lost += f.unsynced.size() - kept;
    }
    // What survived is now what the platter holds.
    f.durable = image;
    f.current = std::move(image);
    f.unsynced.clear();
  }
}

}  // namespace simbus::sim
