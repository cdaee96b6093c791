// The simulated network: datagrams between nodes with seeded latency, loss,
// duplication and reordering, and the nemesis's powers over links (partitions of every
// shape, isolation, clogging, heal). Faults are applied at send time and again at
// delivery time, so a partition also eats messages already in flight.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
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

using StreamId = std::uint64_t;
inline constexpr StreamId kNoStream = 0;

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
  static constexpr std::size_t kStreamsMax = 1'000'000;

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

  // --- ordered streams: reliable, in-order delivery between two nodes until the stream
  // breaks, which happens when its link is cut in either direction or either end crashes.
  // After a break every operation on it fails on both ends; reconnecting is the caller's job.
  // Opens a stream from the current node to `to` (a scheduling point; the peer sees it in
  // accept() after one latency). Returns at once; a cut link breaks it on arrival.
  StreamId connect(NodeIndex to);
  // Waits for an incoming stream on the current node.
  std::optional<StreamId> accept(std::int64_t timeout_us);
  // False if the stream is broken.
  bool stream_send(StreamId stream, std::vector<std::uint8_t> payload);
  // The next payload in order; nullopt on timeout or when broken (see stream_broken).
  std::optional<std::vector<std::uint8_t>> stream_receive(StreamId stream, std::int64_t timeout_us);
  bool stream_broken(StreamId stream) const;
  void stream_close(StreamId stream);

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

  struct Stream {
    StreamId id = kNoStream;
    NodeIndex end[2] = {0, 0};                 // [0] connected to [1]
    std::uint64_t incarnation[2] = {0, 0};
    bool broken = false;
    std::deque<std::vector<std::uint8_t>> inbox[2];  // inbox[i]: data for end[i]
    std::int64_t last_arrival_us[2] = {0, 0};        // keeps each direction in order
    ObjectId object = kNoObject;
  };
  struct AcceptQueue {
    std::deque<StreamId> pending;
  };
  Stream* find_stream(StreamId id);
  const Stream* find_stream(StreamId id) const;
  int side_of(const Stream& s, NodeIndex node) const;
  void break_streams_where(NodeIndex a, NodeIndex b);
  std::int64_t draw_latency_us();
  AcceptQueue& accept_queue(NodeIndex node);

  World& world_;
  NetworkConfig config_;
  std::map<StreamId, std::unique_ptr<Stream>> streams_;  // ordered; stable addresses
  std::map<NodeIndex, std::unique_ptr<AcceptQueue>> accept_queues_;
  std::uint64_t streams_opened_ = 0;
  std::size_t node_slots_ = 0;
  std::vector<std::uint8_t> blocked_;        // [from * node_slots_ + to]
  std::vector<std::int64_t> clogged_until_;  // [from * node_slots_ + to]
  std::vector<std::unique_ptr<Mailbox>> mailboxes_;  // stable addresses: fibers wait on them
  NetworkStats stats_;
};

}  // namespace simbus::sim
