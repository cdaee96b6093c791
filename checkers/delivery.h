// Delivery and presence invariants of the broker, checked in linear time from the history
// (its publish operations) and the delivery log (what each subscriber session received).
//
// Publishes in the history: function "publish", key = channel, args = [payload],
// results = [sequence number] when ok; the publisher is the operation's process.
// Payloads are unique per channel (the scenario makes them so): they identify events.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "checkers/history.h"
#include "checkers/report.h"

namespace simbus::checkers {

enum class DeliveryKind : std::uint8_t {
  event,           // an event of the channel: seq and payload as received
  missed,          // an explicit notice that events were skipped (seq: first one missed)
  member_added,    // presence: payload is the user id
  member_removed,  // presence: payload is the user id
};

struct Delivery {
  std::string session;  // the subscriber session that received it
  std::string channel;
  DeliveryKind kind = DeliveryKind::event;
  std::int64_t seq = 0;
  std::string payload;
  std::int64_t time = 0;
};

// A session's subscription to a channel, from confirmation to its end.
struct Subscription {
  std::string session;
  std::string channel;
  std::string user;                    // presence channels; "" otherwise
  std::int64_t subscribe_time = 0;     // when the subscription was confirmed
  std::int64_t end_time = kTimeNever;  // unsubscribed or gone; kTimeNever = held to the end
  bool connected_throughout = true;    // its connection never dropped in between
};

// A session's view of a presence channel's members at some time (e.g. at the end).
struct PresenceView {
  std::string session;
  std::string channel;
  std::vector<std::string> members;
  std::int64_t time = 0;
};

struct DeliveryLog {
  std::vector<Delivery> deliveries;  // each session's in the order it received them
  std::vector<Subscription> subscriptions;
  std::vector<PresenceView> presence_views;
};

// No acknowledged publish lost (to a session subscribed before it and connected to the
// end), one order per channel across sessions, per-publisher FIFO, no duplicates within a
// session, no phantom events (never published, or with other contents), gap-free delivery
// for sessions connected throughout and a missed-events notice before any gap otherwise.
CheckReport check_delivery(const History& history, const DeliveryLog& log);

// member_added/member_removed alternate per session, channel and user; every view taken
// at or after `heal_time` equals the users holding subscriptions at the end.
CheckReport check_presence(const DeliveryLog& log, std::int64_t heal_time);

}  // namespace simbus::checkers
