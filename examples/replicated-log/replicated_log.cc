// `replicated-log`: a primary and two backups keep an append-only log on their disks. A
// client appends numbered records through the primary over a lossy network; the primary
// writes and fsyncs the record, replicates it, and acknowledges the client once one backup
// has it too (two copies of three). A nemesis crashes and restarts the backups. The check:
// every acknowledged record survives on at least two disks at the end.
//
// backup_fsync=0 seeds a bug: backups acknowledge before the record is durable, so a
// crash right after the acknowledgement loses the second copy.
#include "replicated_log.h"

#include <fmt/format.h>

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <vector>

#include "scenarios/scenario.h"
#include "sim/disk.h"
#include "sim/network.h"

namespace example {
namespace {

using simbus::sim::NodeIndex;

constexpr std::uint8_t kPut = 1;        // client -> primary
constexpr std::uint8_t kReplicate = 2;  // primary -> backup
constexpr std::uint8_t kStored = 3;     // backup -> primary
constexpr std::uint8_t kAck = 4;        // primary -> client
constexpr std::int64_t kRetransmitUs = 5'000;
constexpr std::int64_t kIdleWaitUs = 50'000;
constexpr std::size_t kCopiesMin = 2;  // of three
const std::string kLogFile = "log";

std::vector<std::uint8_t> encode(std::uint8_t kind, std::uint32_t record) {
  return {kind, static_cast<std::uint8_t>(record >> 24), static_cast<std::uint8_t>(record >> 16),
          static_cast<std::uint8_t>(record >> 8), static_cast<std::uint8_t>(record)};
}

bool decode(const simbus::sim::Datagram& d, std::uint8_t* kind, std::uint32_t* record) {
  if (d.payload.size() != 5) return false;
  *kind = d.payload[0];
  *record = (std::uint32_t{d.payload[1]} << 24) | (std::uint32_t{d.payload[2]} << 16) |
            (std::uint32_t{d.payload[3]} << 8) | d.payload[4];
  return true;
}

// Appends one record (4 bytes, big-endian) at the end of this node's log.
void append(simbus::sim::Disk& disk, std::uint32_t record, bool sync) {
  const std::vector<std::uint8_t> bytes = {static_cast<std::uint8_t>(record >> 24), static_cast<std::uint8_t>(record >> 16),
                                           static_cast<std::uint8_t>(record >> 8), static_cast<std::uint8_t>(record)};
  disk.write(kLogFile, disk.size(kLogFile), std::span<const std::uint8_t>(bytes));
  if (sync) disk.fsync(kLogFile);
}

std::set<std::uint32_t> records_in(const std::vector<std::uint8_t>& image) {
  std::set<std::uint32_t> out;
  for (std::size_t i = 0; i + 4 <= image.size(); i += 4) {
    out.insert((std::uint32_t{image[i]} << 24) | (std::uint32_t{image[i + 1]} << 16) |
               (std::uint32_t{image[i + 2]} << 8) | image[i + 3]);
  }
  return out;
}

struct Shared {
  std::vector<std::uint32_t> acknowledged;  // by the primary, as the client saw them
  bool client_done = false;
};

void primary(simbus::sim::World& world, NodeIndex client, std::vector<NodeIndex> backups) {
  simbus::sim::Network& network = world.network();
  simbus::sim::Disk& disk = world.disk();
  std::set<std::uint32_t> stored;  // on this disk
  std::map<std::uint32_t, std::set<NodeIndex>> copies;  // record -> backups that stored it
  std::int64_t next_retransmit_us = world.now_us() + kRetransmitUs;
  while (true) {
    if (world.now_us() >= next_retransmit_us) {
      for (const auto& [record, holders] : copies) {
        if (!holders.empty()) continue;
        for (NodeIndex b : backups) network.send(b, encode(kReplicate, record));
      }
      next_retransmit_us = world.now_us() + kRetransmitUs;
    }
    auto d = network.receive(next_retransmit_us - world.now_us());
    std::uint8_t kind = 0;
    std::uint32_t record = 0;
    if (!d || !decode(*d, &kind, &record)) continue;
    if (kind == kPut) {
      if (stored.insert(record).second) {
        append(disk, record, /*sync=*/true);
        copies[record];
        for (NodeIndex b : backups) network.send(b, encode(kReplicate, record));
      } else if (!copies[record].empty()) {
        network.send(d->from, encode(kAck, record));  // a retry of an acknowledged put
      }
    } else if (kind == kStored && copies.count(record) == 1) {
      auto& holders = copies[record];
      const bool first = holders.empty();
      holders.insert(d->from);
      if (first) network.send(client, encode(kAck, record));
    }
  }
}

void backup(simbus::sim::World& world, NodeIndex primary_node, bool fsync_before_ack) {
  simbus::sim::Network& network = world.network();
  simbus::sim::Disk& disk = world.disk();
  // A restarted backup keeps what survived on its disk; it re-stores retransmitted records.
  std::set<std::uint32_t> stored = records_in(world.disk().current_image(world.current_node(), kLogFile));
  while (true) {
    auto d = network.receive(kIdleWaitUs);
    std::uint8_t kind = 0;
    std::uint32_t record = 0;
    if (!d || !decode(*d, &kind, &record) || kind != kReplicate) continue;
    if (stored.insert(record).second) append(disk, record, fsync_before_ack);
    network.send(primary_node, encode(kStored, record));
  }
}

}  // namespace

void register_replicated_log() {
  simbus::scenarios::Scenario s;
  s.name = "replicated-log";
  s.description = "a primary and two backups replicate an append-only log; backups crash and restart";
  s.params = {{"records", 6, 1, 1000, "records the client appends"},
              {"drop_pct", 10, 0, 90, "percent of datagrams dropped"},
              {"backup_fsync", 1, 0, 1, "backups fsync before acknowledging (0 plants the bug)"}};
  s.setup = [](simbus::scenarios::ScenarioContext& ctx) {
    simbus::sim::World& world = ctx.world;
    const auto records = static_cast<std::uint32_t>(ctx.params.get("records"));
    const bool backup_fsync = ctx.params.get("backup_fsync") != 0;
    simbus::sim::NetworkConfig net;
    net.drop_per_million = static_cast<std::uint32_t>(ctx.params.get("drop_pct") * 10'000);
    world.network().configure(net);
    simbus::sim::DiskConfig disk;
    disk.crash_keeps_unsynced_prefix = false;  // a crash loses every unsynced write
    world.disk().configure(disk);

    const NodeIndex p = world.add_node("primary");
    const NodeIndex c = world.add_node("client");
    std::vector<NodeIndex> backups;
    for (int i = 1; i <= 2; ++i) {
      // `boot` runs the backup again at every restart.
      auto boot = [&world, p, backup_fsync] { backup(world, p, backup_fsync); };
      backups.push_back(world.add_node(fmt::format("backup{}", i), boot));
      world.spawn(backups.back(), "backup", boot);
    }
    world.spawn(p, "primary", [&world, c, backups] { primary(world, c, backups); });

    auto shared = std::make_shared<Shared>();
    world.spawn(c, "client", [&world, p, records, shared] {
      simbus::sim::Network& network = world.network();
      for (std::uint32_t record = 1; record <= records; ++record) {
        bool acked = false;
        while (!acked) {
          network.send(p, encode(kPut, record));
          const std::int64_t deadline_us = world.now_us() + kRetransmitUs;
          while (!acked && world.now_us() < deadline_us) {
            auto d = network.receive(deadline_us - world.now_us());
            std::uint8_t kind = 0;
            std::uint32_t got = 0;
            acked = d && decode(*d, &kind, &got) && kind == kAck && got == record;
          }
        }
        shared->acknowledged.push_back(record);
      }
      shared->client_done = true;
    });

    // The nemesis: crashes a backup at a random moment and restarts it, a few times,
    // then stops the world once the client is done.
    world.spawn(simbus::sim::kControlNode, "nemesis", [&world, backups, shared] {
      for (int crash = 0; crash < 3 && !shared->client_done; ++crash) {
        world.sleep_for_us(static_cast<std::int64_t>(world.draw_below(simbus::sim::DataTag::kNemesis, 8'000)));
        const NodeIndex victim = backups[world.draw_below(simbus::sim::DataTag::kNemesis, backups.size())];
        world.crash(victim);
        world.sleep_for_us(1'000 + static_cast<std::int64_t>(world.draw_below(simbus::sim::DataTag::kNemesis, 5'000)));
        world.restart(victim);
      }
      while (!shared->client_done) world.sleep_for_us(1'000);
      world.stop();
    });

    ctx.at_end([&ctx, p, backups, shared] {
      std::vector<std::set<std::uint32_t>> disks;
      for (NodeIndex n : {p, backups[0], backups[1]}) disks.push_back(records_in(ctx.world.disk().current_image(n, kLogFile)));
      ctx.report(fmt::format("records on disk: primary {}, backup1 {}, backup2 {} (acknowledged {})", disks[0].size(),
                             disks[1].size(), disks[2].size(), shared->acknowledged.size()));
      for (std::uint32_t record : shared->acknowledged) {
        std::size_t copies = 0;
        for (const auto& d : disks) copies += d.count(record);
        if (copies < kCopiesMin) {
          ctx.fail("durable-ack", fmt::format("record {} was acknowledged but survives on {} disk(s)", record, copies));
          return;
        }
      }
    });
    ctx.report(fmt::format("network: drop {}%", ctx.params.get("drop_pct")));
  };
  s.time_us_max = 600'000'000;
  simbus::scenarios::register_scenario(std::move(s));
}

}  // namespace example
