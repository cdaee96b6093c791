#include "sim/network.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "base/assert.h"
#include "base/hash.h"
#include "sim/world.h"

namespace simbus::sim {

Network::Network(World& world) : world_(world) {}

void Network::configure(const NetworkConfig& config) {
  SIMBUS_ASSERT(config.latency_us_min >= 0);
  SIMBUS_ASSERT(config.latency_us_min <= config.latency_us_max);
  SIMBUS_ASSERT(config.drop_per_million <= 1'000'000);
  SIMBUS_ASSERT(config.duplicate_per_million <= 1'000'000);
  SIMBUS_ASSERT(config.reorder_per_million <= 1'000'000);
  SIMBUS_ASSERT(config.reorder_delay_us_max >= 0);
  config_ = config;
}

void Network::grow(std::size_t nodes) {
  if (nodes <= node_slots_) return;
  const std::size_t slots = std::max<std::size_t>(nodes, node_slots_ * 2);
  std::vector<std::uint8_t> blocked(slots * slots, 0);
  std::vector<std::int64_t> clogged(slots * slots, 0);
  for (std::size_t f = 0; f < node_slots_; ++f) {
    for (std::size_t t = 0; t < node_slots_; ++t) {
      blocked[f * slots + t] = blocked_[f * node_slots_ + t];
      clogged[f * slots + t] = clogged_until_[f * node_slots_ + t];
    }
  }
  blocked_ = std::move(blocked);
  clogged_until_ = std::move(clogged);
  node_slots_ = slots;
  while (mailboxes_.size() < slots) mailboxes_.push_back(std::make_unique<Mailbox>());
}

Network::Mailbox& Network::mailbox(NodeIndex node) {
  grow(world_.node_count());
  SIMBUS_ASSERT(node < mailboxes_.size());
  Mailbox& box = *mailboxes_[node];
  if (box.object == kNoObject) box.object = hash_combine(0x3a11b0c5, node);
  return box;
}

ObjectId Network::mailbox_object(NodeIndex node) { return mailbox(node).object; }

void Network::partition(NodeIndex a, NodeIndex b) {
  block_one_way(a, b);
  block_one_way(b, a);
}

void Network::block_one_way(NodeIndex from, NodeIndex to) {
  grow(world_.node_count());
  SIMBUS_ASSERT(from < world_.node_count());
  SIMBUS_ASSERT(to < world_.node_count());
  if (blocked_[link(from, to)] == 0) world_.record_fault("down", from, to);
  blocked_[link(from, to)] = 1;
  break_streams_where(from, to);
  world_.note(hash_combine(0xb10c, link(from, to)));
}

void Network::isolate(NodeIndex node) {
  for (NodeIndex other = 0; other < world_.node_count(); ++other) {
    if (other != node) partition(node, other);
  }
}

void Network::split(const std::vector<std::vector<NodeIndex>>& groups) {
  const std::size_t n = world_.node_count();
  grow(n);
  std::vector<int> group_of(n, -1);
  for (std::size_t g = 0; g < groups.size(); ++g) {
    for (NodeIndex node : groups[g]) {
      SIMBUS_ASSERT(node < n);
      group_of[node] = static_cast<int>(g);
    }
  }
  // The control node (0) is the world's own and always reachable.
  for (NodeIndex f = 1; f < n; ++f) {
    for (NodeIndex t = 1; t < n; ++t) {
      if (f != t && (group_of[f] < 0 || group_of[f] != group_of[t])) block_one_way(f, t);
    }
  }
}

void Network::heal() {
  std::fill(blocked_.begin(), blocked_.end(), 0);
  std::fill(clogged_until_.begin(), clogged_until_.end(), 0);
  world_.record_fault("heal", 0);
  world_.note(0x4ea1);
}

void Network::clog(NodeIndex from, NodeIndex to, std::int64_t until_us) {
  grow(world_.node_count());
  SIMBUS_ASSERT(until_us >= world_.now_us());
  clogged_until_[link(from, to)] = std::max(clogged_until_[link(from, to)], until_us);
  world_.record_fault("clog", from, to, until_us);
  world_.note(hash_combine(0xc10c, static_cast<std::uint64_t>(until_us)));
}

bool Network::link_up(NodeIndex from, NodeIndex to) const {
  if (from >= node_slots_ || to >= node_slots_) return true;
  return blocked_[link(from, to)] == 0;
}

void Network::send(NodeIndex to, std::vector<std::uint8_t> payload) {
  SIMBUS_ASSERT(to < world_.node_count());
  SIMBUS_ASSERT(payload.size() <= kPayloadBytesMax);
  const NodeIndex from = world_.current_node();
  grow(world_.node_count());
  world_.point({ActionKind::kNetSend, hash_combine(0x5e4d, link(from, to)), Access::kWrite});
  stats_.sent += 1;
  world_.note(digest_bytes(payload.data(), payload.size(), link(from, to)));
  if (!link_up(from, to) || world_.draw_chance(DataTag::kDrop, config_.drop_per_million, 1'000'000)) {
    stats_.dropped += 1;
    return;
  }
  const bool duplicate = world_.draw_chance(DataTag::kDuplicate, config_.duplicate_per_million, 1'000'000);
  const int copies = duplicate ? 2 : 1;
  for (int copy = 0; copy < copies; ++copy) {
    std::int64_t latency_us = static_cast<std::int64_t>(world_.draw_below(
        DataTag::kLatency, static_cast<std::uint64_t>(config_.latency_us_max - config_.latency_us_min + 1)));
    latency_us += config_.latency_us_min;
    if (world_.draw_chance(DataTag::kLatency, config_.reorder_per_million, 1'000'000)) {
      latency_us += static_cast<std::int64_t>(
          world_.draw_below(DataTag::kLatency, static_cast<std::uint64_t>(config_.reorder_delay_us_max) + 1));
    }
    std::int64_t at_us = world_.now_us() + latency_us;
    at_us = std::max(at_us, clogged_until_[link(from, to)]);
    if (copy == 1) stats_.duplicated += 1;
    Datagram d{from, to, copy + 1 < copies ? payload : std::move(payload)};
    deliver_later(std::move(d), at_us);
  }
}

void Network::deliver_later(Datagram datagram, std::int64_t at_us) {
  const NodeIndex to = datagram.to;
  const ObjectId box = mailbox(to).object;
  world_.schedule_event(at_us, to, ActionKind::kDeliver, box, [this, d = std::move(datagram)]() mutable {
    // A partition that started while the message was in flight eats it too.
    Mailbox& target = mailbox(d.to);
    if (!link_up(d.from, d.to) || !world_.node_up(d.to) || target.queue.size() >= kMailboxMessagesMax) {
      stats_.dropped += 1;
      return;
    }
    stats_.delivered += 1;
    target.queue.push_back(std::move(d));
    world_.notify(&target);
  });
}

std::optional<Datagram> Network::receive(std::int64_t timeout_us) {
  const NodeIndex self = world_.current_node();
  Mailbox& box = mailbox(self);
  Waiter waiter;
  waiter.ready = [](const void* o) { return !static_cast<const Mailbox*>(o)->queue.empty(); };
  waiter.object = &box;
  waiter.notifies = true;  // every change to box.queue is followed by world_.notify(&box)
  const std::int64_t deadline_us =
      timeout_us >= World::kNever - world_.now_us() ? World::kNever : world_.now_us() + std::max<std::int64_t>(timeout_us, 0);
  const bool ready = world_.wait({ActionKind::kNetRecv, box.object, Access::kWrite}, waiter, deadline_us);
  if (!ready || box.queue.empty()) return std::nullopt;
  Datagram d = std::move(box.queue.front());
  box.queue.pop_front();
  world_.notify(&box);  // another fiber of this node may wait on the same mailbox
  return d;
}

std::size_t Network::mailbox_size(NodeIndex node) const {
  return node < mailboxes_.size() ? mailboxes_[node]->queue.size() : 0;
}

void Network::on_crash(NodeIndex node) {
  Mailbox& box = mailbox(node);
  stats_.dropped += box.queue.size();
  box.queue.clear();
  world_.notify(&box);
  for (auto& [id, s] : streams_) {
    if (s->end[0] == node || s->end[1] == node) s->broken = true;
  }
  if (auto it = accept_queues_.find(node); it != accept_queues_.end()) it->second->pending.clear();
}

Network::Stream* Network::find_stream(StreamId id) {
  auto it = streams_.find(id);
  return it == streams_.end() ? nullptr : it->second.get();
}

const Network::Stream* Network::find_stream(StreamId id) const {
  auto it = streams_.find(id);
  return it == streams_.end() ? nullptr : it->second.get();
}

int Network::side_of(const Stream& s, NodeIndex node) const {
  SIMBUS_ASSERT(s.end[0] == node || s.end[1] == node);
  return s.end[0] == node ? 0 : 1;
}

void Network::break_streams_where(NodeIndex a, NodeIndex b) {
  for (auto& [id, s] : streams_) {
    if ((s->end[0] == a && s->end[1] == b) || (s->end[0] == b && s->end[1] == a)) s->broken = true;
  }
}

std::int64_t Network::draw_latency_us() {
  const auto span = static_cast<std::uint64_t>(config_.latency_us_max - config_.latency_us_min + 1);
  return config_.latency_us_min + static_cast<std::int64_t>(world_.draw_below(DataTag::kLatency, span));
}

Network::AcceptQueue& Network::accept_queue(NodeIndex node) {
  auto& q = accept_queues_[node];
  if (!q) q = std::make_unique<AcceptQueue>();
  return *q;
}

StreamId Network::connect(NodeIndex to) {
  const NodeIndex from = world_.current_node();
  SIMBUS_ASSERT(to < world_.node_count());
  SIMBUS_ASSERT(to != from);
  grow(world_.node_count());
  SIMBUS_ASSERT(streams_.size() < kStreamsMax);
  world_.point({ActionKind::kNetSend, hash_combine(0xc0aa, link(from, to)), Access::kWrite});
  auto s = std::make_unique<Stream>();
  s->id = hash_combine(world_.new_object_id(), ++streams_opened_);
  if (s->id == kNoStream) s->id = 1;
  s->object = s->id;
  s->end[0] = from;
  s->end[1] = to;
  s->incarnation[0] = world_.incarnation(from);
  s->incarnation[1] = world_.incarnation(to);
  s->broken = !link_up(from, to) || !link_up(to, from) || !world_.node_up(to);
  const StreamId id = s->id;
  streams_.emplace(id, std::move(s));
  const std::int64_t at_us = world_.now_us() + draw_latency_us();
  world_.schedule_event(at_us, to, ActionKind::kDeliver, hash_combine(0xacce, to),
                        [this, id, to] {
                          Stream* st = find_stream(id);
                          if (st == nullptr || st->broken) return;
                          accept_queue(to).pending.push_back(id);
                        });
  return id;
}

std::optional<StreamId> Network::accept(std::int64_t timeout_us) {
  const NodeIndex self = world_.current_node();
  AcceptQueue& q = accept_queue(self);
  Waiter waiter;
  waiter.ready = [](const void* o) { return !static_cast<const AcceptQueue*>(o)->pending.empty(); };
  waiter.object = &q;
  const std::int64_t deadline_us = timeout_us >= World::kNever - world_.now_us()
                                       ? World::kNever
                                       : world_.now_us() + std::max<std::int64_t>(timeout_us, 0);
  if (!world_.wait({ActionKind::kNetRecv, hash_combine(0xacce, self), Access::kWrite}, waiter, deadline_us)) {
    return std::nullopt;
  }
  if (q.pending.empty()) return std::nullopt;
  const StreamId id = q.pending.front();
  q.pending.pop_front();
  return id;
}

bool Network::stream_send(StreamId stream, std::vector<std::uint8_t> payload) {
  SIMBUS_ASSERT(payload.size() <= kPayloadBytesMax);
  Stream* s = find_stream(stream);
  SIMBUS_ASSERT(s != nullptr);
  const NodeIndex self = world_.current_node();
  const int side = side_of(*s, self);
  const int other = 1 - side;
  world_.point({ActionKind::kNetSend, s->object, Access::kWrite});
  if (s->broken) return false;
  if (!link_up(self, s->end[other])) {
    s->broken = true;
    return false;
  }
  stats_.sent += 1;
  world_.note(digest_bytes(payload.data(), payload.size(), stream));
  // In order: never earlier than the previous payload in this direction.
  const std::int64_t at_us = std::max(world_.now_us() + draw_latency_us(), s->last_arrival_us[other]);
  s->last_arrival_us[other] = at_us;
  world_.schedule_event(at_us, s->end[other], ActionKind::kDeliver, s->object,
                        [this, stream, other, p = std::move(payload)]() mutable {
                          Stream* st = find_stream(stream);
                          if (st == nullptr || st->broken) return;
                          if (!link_up(st->end[1 - other], st->end[other])) {
                            st->broken = true;
                            return;
                          }
                          stats_.delivered += 1;
                          st->inbox[other].push_back(std::move(p));
                        });
  return true;
}

std::optional<std::vector<std::uint8_t>> Network::stream_receive(StreamId stream, std::int64_t timeout_us) {
  Stream* s = find_stream(stream);
  SIMBUS_ASSERT(s != nullptr);
  const int side = side_of(*s, world_.current_node());
  struct Probe {
    const Stream* s;
    int side;
  } probe{s, side};
  Waiter waiter;
  waiter.ready = [](const void* o) {
    const auto* p = static_cast<const Probe*>(o);
    return p->s->broken || !p->s->inbox[p->side].empty();
  };
  waiter.object = &probe;
  const std::int64_t deadline_us = timeout_us >= World::kNever - world_.now_us()
                                       ? World::kNever
                                       : world_.now_us() + std::max<std::int64_t>(timeout_us, 0);
  world_.wait({ActionKind::kNetRecv, s->object, Access::kWrite}, waiter, deadline_us);
  // A broken stream delivers nothing more, even what had arrived: the connection is gone.
  if (s->broken || s->inbox[side].empty()) return std::nullopt;
  auto payload = std::move(s->inbox[side].front());
  s->inbox[side].pop_front();
  return payload;
}

bool Network::stream_broken(StreamId stream) const {
  const Stream* s = find_stream(stream);
  return s == nullptr || s->broken;
}

void Network::stream_close(StreamId stream) {
  Stream* s = find_stream(stream);
  if (s == nullptr) return;
  world_.point({ActionKind::kNetSend, s->object, Access::kWrite});
  s->broken = true;
}

}  // namespace simbus::sim
