#include "checkers/delivery.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

namespace simbus::checkers {
namespace {

std::string join(const std::string& a, const std::string& b) { return a + '\x1f' + b; }

std::string payload_of(const Operation& op) {
  if (op.args.empty()) return "";
  if (const auto* s = std::get_if<std::string>(&op.args[0])) return *s;
  return value_to_string(op.args[0]);
}

struct Publish {
  std::size_t op;          // history index
  std::int64_t seq = -1;   // -1 unknown
  std::int64_t rank = 0;   // position among its publisher's publishes on the channel
};

struct Index {
  std::unordered_map<std::string, Publish> by_payload;  // channel + payload
  std::unordered_map<std::string, std::size_t> ok_by_seq;  // channel + seq -> history index
};

Index index_publishes(const History& history) {
  Index index;
  std::map<std::pair<std::int64_t, std::string>, std::vector<std::size_t>> by_publisher;
  for (std::size_t i = 0; i < history.operations.size(); ++i) {
    const Operation& op = history.operations[i];
    if (op.function != "publish" || op.status == Status::fail) continue;
    Publish p{i};
    if (op.status == Status::ok && !op.results.empty()) {
      if (const auto* seq = std::get_if<std::int64_t>(&op.results[0])) p.seq = *seq;
    }
    by_publisher[{op.process, op.key}].push_back(i);
    index.by_payload.emplace(join(op.key, payload_of(op)), p);
    if (p.seq >= 0) index.ok_by_seq.emplace(join(op.key, std::to_string(p.seq)), i);
  }
  for (auto& [publisher, ops] : by_publisher) {
    std::sort(ops.begin(), ops.end(), [&](std::size_t a, std::size_t b) {
      return history.operations[a].invoke_time < history.operations[b].invoke_time;
    });
    for (std::size_t r = 0; r < ops.size(); ++r) {
      index.by_payload[join(publisher.second, payload_of(history.operations[ops[r]]))].rank =
          static_cast<std::int64_t>(r);
    }
  }
  return index;
}

const Subscription* subscription_at(const DeliveryLog& log, const Delivery& d) {
  const Subscription* any = nullptr;
  for (const Subscription& s : log.subscriptions) {
    if (s.session != d.session || s.channel != d.channel) continue;
    if (s.subscribe_time <= d.time && d.time <= s.end_time) return &s;
    any = &s;
  }
  return any;
}

std::int64_t op_end(const Operation& op) {
  return op.status == Status::info ? op.invoke_time : op.complete_time;
}

void check_publisher_fifo(const History& history, const Index& index, CheckReport& report) {
  // A publisher's acknowledged publishes on a channel get increasing sequence numbers.
  std::map<std::pair<std::int64_t, std::string>, std::vector<const Publish*>> ranked;
  for (const auto& [key, p] : index.by_payload) {
    if (p.seq < 0) continue;
    const Operation& op = history.operations[p.op];
    ranked[{op.process, op.key}].push_back(&p);
  }
  for (auto& [publisher, list] : ranked) {
    std::sort(list.begin(), list.end(), [](const Publish* a, const Publish* b) { return a->rank < b->rank; });
    for (std::size_t i = 1; i < list.size(); ++i) {
      if (list[i]->seq > list[i - 1]->seq) continue;
      const Operation& a = history.operations[list[i - 1]->op];
      const Operation& b = history.operations[list[i]->op];
      report.add({"fifo",
                  fmt::format("publisher p{} on channel {}: a later publish got seq {} after seq {}",
                              publisher.first, publisher.second, list[i]->seq, list[i - 1]->seq),
                  {list[i - 1]->op, list[i]->op}, {}, a.invoke_time, op_end(b)});
    }
  }
}

}  // namespace

CheckReport check_delivery(const History& history, const DeliveryLog& log) {
  CheckReport report;
  const Index index = index_publishes(history);
  check_publisher_fifo(history, index, report);

  struct SessionChannel {
    std::int64_t last_seq = -1;
    std::size_t last_delivery = 0;
    bool missed_since_last = false;
    std::unordered_set<std::int64_t> seen;
    std::unordered_map<std::int64_t, std::int64_t> last_rank_by_publisher;
  };
  std::unordered_map<std::string, SessionChannel> sessions;
  std::unordered_map<std::string, std::size_t> first_at_seq;  // channel + seq -> delivery
  std::unordered_set<std::string> delivered;                  // session + channel + seq

  for (std::size_t di = 0; di < log.deliveries.size(); ++di) {
    const Delivery& d = log.deliveries[di];
    SessionChannel& sc = sessions[join(d.session, d.channel)];
    if (d.kind == DeliveryKind::missed) {
      sc.missed_since_last = true;
      continue;
    }
    if (d.kind != DeliveryKind::event) continue;
    const std::string where = fmt::format("session {} on channel {}", d.session, d.channel);
    auto pub = index.by_payload.find(join(d.channel, d.payload));
    if (pub == index.by_payload.end()) {
      report.add({"phantom", fmt::format("{} received seq {} ({}) that was never published", where, d.seq, d.payload),
                  {}, {di}, d.time, d.time});
    } else if (pub->second.seq >= 0 && pub->second.seq != d.seq) {
      const Operation& op = history.operations[pub->second.op];
      report.add({"phantom",
                  fmt::format("{} received {} as seq {}, but its publish returned seq {}", where, d.payload, d.seq,
                              pub->second.seq),
                  {pub->second.op}, {di}, op.invoke_time, d.time});
    }
    auto [first, inserted] = first_at_seq.emplace(join(d.channel, std::to_string(d.seq)), di);
    if (!inserted && log.deliveries[first->second].payload != d.payload) {
      const Delivery& other = log.deliveries[first->second];
      report.add({"order",
                  fmt::format("channel {} seq {}: session {} received {} but session {} received {}", d.channel,
                              d.seq, other.session, other.payload, d.session, d.payload),
                  {}, {first->second, di}, std::min(other.time, d.time), std::max(other.time, d.time)});
    }
    if (!sc.seen.insert(d.seq).second) {
      report.add({"duplicate", fmt::format("{} received seq {} twice", where, d.seq), {}, {di}, d.time, d.time});
      continue;
    }
    delivered.insert(join(join(d.session, d.channel), std::to_string(d.seq)));
    if (sc.last_seq >= 0) {
      const Delivery& prev = log.deliveries[sc.last_delivery];
      if (d.seq < sc.last_seq) {
        report.add({"order", fmt::format("{} received seq {} after seq {}", where, d.seq, sc.last_seq), {},
                    {sc.last_delivery, di}, prev.time, d.time});
      } else if (d.seq > sc.last_seq + 1) {
        const Subscription* s = subscription_at(log, d);
        const bool throughout = s != nullptr && s->connected_throughout;
        if (throughout || !sc.missed_since_last) {
          report.add({"gap",
                      fmt::format("{} jumped from seq {} to {} {}", where, sc.last_seq, d.seq,
                                  throughout ? "while connected throughout" : "without a missed-events notice"),
                      {}, {sc.last_delivery, di}, prev.time, d.time});
        }
      }
    }
    if (pub != index.by_payload.end()) {
      const std::int64_t publisher = history.operations[pub->second.op].process;
      auto [rank, fresh] = sc.last_rank_by_publisher.emplace(publisher, pub->second.rank);
      if (!fresh && pub->second.rank < rank->second) {
        report.add({"fifo",
                    fmt::format("{} received publisher p{}'s events out of their publish order", where, publisher),
                    {pub->second.op}, {di}, history.operations[pub->second.op].invoke_time, d.time});
      }
      rank->second = std::max(rank->second, pub->second.rank);
    }
    sc.last_seq = std::max(sc.last_seq, d.seq);
    sc.last_delivery = di;
    sc.missed_since_last = false;
  }

  // Lost: an acknowledged publish that a session subscribed before it and connected to
  // the end never received.
  for (const auto& [key, p] : index.by_payload) {
    if (p.seq < 0) continue;
    const Operation& op = history.operations[p.op];
    for (const Subscription& s : log.subscriptions) {
      if (s.channel != op.key || !s.connected_throughout || s.end_time != kTimeNever) continue;
      if (s.subscribe_time >= op.invoke_time) continue;
      if (delivered.count(join(join(s.session, s.channel), std::to_string(p.seq)))) continue;
      report.add({"lost",
                  fmt::format("acknowledged publish seq {} on channel {} never reached session {}", p.seq, op.key,
                              s.session),
                  {p.op}, {}, op.invoke_time, op.complete_time});
    }
  }
  std::sort(report.violations.begin(), report.violations.end(), [](const Violation& a, const Violation& b) {
    if (a.window_begin != b.window_begin) return a.window_begin < b.window_begin;
    return a.message < b.message;
  });
  return report;
}

}  // namespace simbus::checkers
