// The simulated network: datagrams between nodes with seeded latency, loss,
// duplication and reordering, and the nemesis's powers over links (partitions of every
// shape, isolation, clogging, heal). Faults are applied at send time and again at
// delivery time, so a partition also eats messages already in flight.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <vector>

#include "sim/action.h"

namespace simbus::sim {

class World;

struct NetworkConfig {
  std::int64_t latency_us_min = 200;
  std::int64_t latency_us_max = 2'000;
  std::uint32_t drop_per_million = 0;
  std::uint32_t duplicate_per_million = 0;
  // A reordered message takes up to this much extra delay, overtaking later ones.
  std::uint32_t reorder_per_million = 0;
  std::int64_t reorder_delay_us_max = 20'000;
};

struct Datagram {
  NodeIndex from = 0;
  NodeIndex to = 0;
  std::vector<std::uint8_t> payload;
};

struct NetworkStats {
  std::uint64_t sent = 0;
  std::uint64_t delivered = 0;
  std::uint64_t dropped = 0;      // by loss, partition, crash or a full mailbox
  std::uint64_t duplicated = 0;
};

class Network {
 public:
  static constexpr std::size_t kMailboxMessagesMax = 100'000;
  static constexpr std::size_t kPayloadBytesMax = 16 * 1024 * 1024;

  explicit Network(World& world);

  void configure(const NetworkConfig& config);
  const NetworkConfig& config() const { return config_; }

  // --- the nemesis's side
  void partition(NodeIndex a, NodeIndex b);        // both directions
  void block_one_way(NodeIndex from, NodeIndex to);
  void isolate(NodeIndex node);                    // from every other node
  // Only nodes in the same group talk; nodes in no group are cut off from everyone.
  void split(const std::vector<std::vector<NodeIndex>>& groups);
  void heal();                                     // every link up, clogs cleared
  // Messages on the link are held back until `until_us` (a congested link, not a cut one).
  void clog(NodeIndex from, NodeIndex to, std::int64_t until_us);
  bool link_up(NodeIndex from, NodeIndex to) const;

  // --- traffic, from inside fibers (the sender is the current fiber's node)
  void send(NodeIndex to, std::vector<std::uint8_t> payload);
  // Waits for a datagram to the current node, up to timeout_us of virtual time.
  std::optional<Datagram> receive(std::int64_t timeout_us);
  std::size_t mailbox_size(NodeIndex node) const;
  ObjectId mailbox_object(NodeIndex node);

  const NetworkStats& stats() const { return stats_; }
  void on_crash(NodeIndex node);

 private:
  struct Mailbox {
    std::deque<Datagram> queue;
    ObjectId object = kNoObject;
  };
  void grow(std::size_t nodes);
  std::size_t link(NodeIndex from, NodeIndex to) const { return from * node_slots_ + to; }
  void deliver_later(Datagram datagram, std::int64_t at_us);
  Mailbox& mailbox(NodeIndex node);

  World& world_;
  NetworkConfig config_;
  std::size_t node_slots_ = 0;
  std::vector<std::uint8_t> blocked_;        // [from * node_slots_ + to]
  std::vector<std::int64_t> clogged_until_;  // [from * node_slots_ + to]
  std::vector<std::unique_ptr<Mailbox>> mailboxes_;  // stable addresses: fibers wait on them
  NetworkStats stats_;
};

}  // namespace simbus::sim
