// `pingpong`: every node sends numbered messages to every other over a lossy,
// duplicating, reordering network, with a partition that heals. Senders retransmit
// until acknowledged; receivers de-duplicate. Checks each message reaches the
// application exactly once.
#include <fmt/format.h>

#include <map>
#include <memory>
#include <set>
#include <vector>

#include "scenarios/scenario.h"
#include "sim/network.h"

namespace simbus::scenarios {
namespace {

constexpr std::uint8_t kData = 1;
constexpr std::uint8_t kAck = 2;
constexpr std::int64_t kRetransmitUs = 5'000;

std::vector<std::uint8_t> encode(std::uint8_t kind, std::uint32_t seq) {
  return {kind, static_cast<std::uint8_t>(seq >> 24), static_cast<std::uint8_t>(seq >> 16),
          static_cast<std::uint8_t>(seq >> 8), static_cast<std::uint8_t>(seq)};
}

struct Shared {
  // delivered[(from, to, seq)] = how many times the application saw it
  std::map<std::tuple<sim::NodeIndex, sim::NodeIndex, std::uint32_t>, int> delivered;
  std::vector<std::size_t> unacked;  // per node: messages still waiting for an ack
};

}  // namespace

void register_pingpong() {
  Scenario s;
  s.name = "pingpong";
  s.description = "3 nodes exchange numbered messages over a lossy, duplicating, reordering, partitioned network";
  s.params = {{"nodes", 3, 2, 16, "nodes"},
              {"messages", 10, 1, 10000, "messages from each node to each other node"},
              {"drop_pct", 10, 0, 90, "percent of datagrams dropped"},
              {"dup_pct", 5, 0, 100, "percent of datagrams duplicated"},
              {"dedup", 1, 0, 1, "receivers de-duplicate (0 plants a bug the check must catch)"}};
  s.setup = [](ScenarioContext& ctx) {
    const auto nodes = static_cast<sim::NodeIndex>(ctx.params.get("nodes"));
    const auto messages = static_cast<std::uint32_t>(ctx.params.get("messages"));
    const bool dedup = ctx.params.get("dedup") != 0;
    sim::World& world = ctx.world;
    sim::NetworkConfig net;
    net.drop_per_million = static_cast<std::uint32_t>(ctx.params.get("drop_pct") * 10'000);
    net.duplicate_per_million = static_cast<std::uint32_t>(ctx.params.get("dup_pct") * 10'000);
    net.reorder_per_million = 100'000;
    world.network().configure(net);
    auto shared = std::make_shared<Shared>();
    shared->unacked.assign(nodes + 1, 0);
    std::vector<sim::NodeIndex> ids;
    for (sim::NodeIndex i = 0; i < nodes; ++i) ids.push_back(world.add_node(fmt::format("n{}", i + 1)));

    for (sim::NodeIndex self : ids) {
      world.spawn(self, "peer", [&world, shared, ids, self, messages, dedup] {
        sim::Network& network = world.network();
        // (peer, seq) -> next retransmission time; ordered, so retransmits go in a fixed order
        std::map<std::pair<sim::NodeIndex, std::uint32_t>, std::int64_t> pending;
        for (sim::NodeIndex peer : ids) {
          if (peer == self) continue;
          for (std::uint32_t seq = 0; seq < messages; ++seq) pending[{peer, seq}] = 0;
        }
        shared->unacked[self] = pending.size();
        std::set<std::pair<sim::NodeIndex, std::uint32_t>> seen;
        while (true) {
          const std::int64_t now = world.now_us();
          std::int64_t next_due = sim::World::kNever;
          for (auto& [key, due] : pending) {
            if (due <= now) {
              network.send(key.first, encode(kData, key.second));
              due = world.now_us() + kRetransmitUs;
            }
            next_due = std::min(next_due, due);
          }
          const std::int64_t wait_us = next_due == sim::World::kNever ? 50'000 : next_due - world.now_us();
          auto d = network.receive(wait_us);
          if (!d) continue;
          if (d->payload.size() != 5) continue;
          const std::uint32_t seq = (std::uint32_t{d->payload[1]} << 24) | (std::uint32_t{d->payload[2]} << 16) |
                                    (std::uint32_t{d->payload[3]} << 8) | d->payload[4];
          if (d->payload[0] == kData) {
            network.send(d->from, encode(kAck, seq));
            if (!dedup || seen.insert({d->from, seq}).second) shared->delivered[{d->from, self, seq}] += 1;
          } else if (d->payload[0] == kAck) {
            if (pending.erase({d->from, seq}) == 1) shared->unacked[self] -= 1;
          }
        }
      });
    }

    // The nemesis: one partition of a random shape at a random time, healed later.
    world.spawn(sim::kControlNode, "nemesis", [&world, ids, shared] {
      sim::Network& network = world.network();
      world.sleep_for_us(static_cast<std::int64_t>(world.draw_below(sim::DataTag::kNemesis, 20'000)));
      const auto shape = world.draw_below(sim::DataTag::kNemesis, 3);
      const auto a = ids[world.draw_below(sim::DataTag::kNemesis, ids.size())];
      const auto b = ids[world.draw_below(sim::DataTag::kNemesis, ids.size())];
      if (shape == 0) {
        network.isolate(a);
      } else if (shape == 1 && a != b) {
        network.partition(a, b);
      } else if (a != b) {
        network.block_one_way(a, b);
      }
      world.sleep_for_us(10'000 + static_cast<std::int64_t>(world.draw_below(sim::DataTag::kNemesis, 50'000)));
      network.heal();
      // Then wait until every message is acknowledged and stop the world.
      while (true) {
        bool done = true;
        for (auto id : ids) done = done && shared->unacked[id] == 0;
        if (done) break;
        world.sleep_for_us(1'000);
      }
      world.stop();
    });

    ctx.at_end([&ctx, shared, ids, messages] {
      for (auto from : ids) {
        for (auto to : ids) {
          if (from == to) continue;
          for (std::uint32_t seq = 0; seq < messages; ++seq) {
            auto it = shared->delivered.find({from, to, seq});
            const int count = it == shared->delivered.end() ? 0 : it->second;
            if (count != 1) {
              ctx.fail("exactly-once", fmt::format("message {} from {} to {} reached the application {} times",
                                                   seq, ctx.world.node_name(from), ctx.world.node_name(to), count));
              return;
            }
          }
        }
      }
      if (shared->delivered.size() != ids.size() * (ids.size() - 1) * messages) {
        ctx.fail("exactly-once", "the application saw messages nobody sent");
      }
    });
    ctx.report(fmt::format("network: drop {}% dup {}% reorder 10%", ctx.params.get("drop_pct"),
                           ctx.params.get("dup_pct")));
  };
  s.time_us_max = 600'000'000;
  register_scenario(std::move(s));
}

}  // namespace simbus::scenarios
