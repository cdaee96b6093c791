// A blocking client of the broker over core::Env (clients are nodes too): connect,
// subscribe (with resume), unsubscribe, client events, server-side publish with a client
// session (redirects followed, retries with the same request number), channel info.
// One request at a time; events and notices that arrive meanwhile are queued in inbox(),
// or handed to a listener as they come.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <set>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/env.h"
#include "core/messages.h"

namespace simbus::core {

struct ClientConfig {
  std::vector<NodeId> brokers;             // where to start and where to try next
  std::int64_t request_timeout_us = 500'000;
  std::uint32_t attempts_max = 10;         // per request: timeouts (plus redirects past as many)
  // Ordered mode: events of each subscription reach the inbox in sequence order, without
  // duplicates; a gap (or silence) is repaired by re-subscribing with resume from the last
  // delivered sequence number. Raw mode (false): the inbox holds events as they arrive,
  // which is what a checker of the node's own send order wants.
  bool ordered = true;
  std::int64_t gap_timeout_us = 200'000;     // a hole older than this triggers a resume
  std::int64_t idle_resync_us = 1'000'000;  // resume a subscription silent for this long
  // Told of every request attempt that went unanswered for its timeout (what the request
  // was, when that attempt was sent): retries hide such losses from the caller, so a
  // checker that owes every answer (a fault-free cluster) listens here.
  std::function<void(std::string_view request, std::int64_t sent_us)> on_timeout;
  // Told when a repair's resume is refused as unknown_socket: the node no longer knows the
  // connection (it restarted, or expired the session, of which the client is meant to hear
  // by a SessionExpired notice). The client goes on as before; a checker decides.
  std::function<void(const SubscribeReply& reply)> on_repair_refused;
};

class BrokerClient {
 public:
  BrokerClient(Env& env, ClientConfig config, std::uint64_t client_id);

  // Opens a connection at `broker`; returns the socket id (nullopt: no answer).
  std::optional<std::string> connect(NodeId broker);
  // Subscribes the connection (it lives at the broker it was opened on).
  std::optional<SubscribeReply> subscribe(NodeId broker, const SubscribeRequest& request);
  std::optional<UnsubscribeReply> unsubscribe(NodeId broker, const UnsubscribeRequest& request);
  std::optional<ClientEventReply> client_event(NodeId broker, const ClientEventRequest& request);
  void disconnect(NodeId broker, const std::string& socket_id);

  // Publishes with this client's session; a retry reuses the request number. nullopt:
  // indeterminate (it may or may not have been applied).
  std::optional<PublishReply> publish(std::vector<std::string> channels, std::string event,
                                      std::string data, std::string exclude_socket_id = "");
  std::optional<InfoReply> info(const std::string& channel);

  // Events, missed-event notices and session expiries received so far, in arrival order.
  std::deque<Message>& inbox() { return inbox_; }
  // Hands those messages to `listener` as they arrive instead of queuing them, as a real
  // client library calls its bound handlers. Why: an application blocked in subscribe()
  // would otherwise see events that arrived meanwhile only when the call returns, up to
  // request_timeout_us × attempts_max later.
  void set_listener(std::function<void(Message&&)> listener) { listener_ = std::move(listener); }
  // The transport's word on whether the connection still stands (a crashed broker's
  // connections are gone): a wait for a reply ends with nullopt as soon as it says no,
  // instead of running out its timeout. Asked whenever the wait wakes, which in ordered
  // mode is at least every gap_timeout_us.
  void set_connection_alive(std::function<bool()> alive) { alive_ = std::move(alive); }
  // Waits up to timeout_us for anything to arrive into the inbox.
  void poll(std::int64_t timeout_us);
  std::uint64_t client_id() const { return client_id_; }
  NodeId leader_guess() const { return leader_guess_; }
  // The next request starts at `broker` (a redirect from it is still followed).
  void aim_at(NodeId broker) { leader_guess_ = broker; }

 private:
  struct Tracked {
    NodeId broker = 0;
    SubscribeRequest request;
    std::uint64_t delivered_seq = 0;
    std::map<std::uint64_t, EventMessage> pending;
    std::int64_t gap_since_us = 0;
    std::int64_t last_activity_us = 0;
    // A fresh subscription starts after the seq_last of its reply: until the reply comes,
    // events are held, not delivered (an early one could be older than that start).
    bool confirmed = false;
    std::set<std::uint64_t> skipped;  // our own client events' numbers: never sent to us
    // The highest seq_last a (re)subscribe reply reported: below it we are behind even with
    // nothing pending (a replay whose events were all lost), so repair on the gap timeout,
    // not only after idle_resync_us of silence.
    std::uint64_t known_last_seq = 0;
  };
  void on_event(EventMessage event);
  void on_missed(MissedEvents missed);
  void on_repair_reply(const SubscribeReply& reply);
  // Our own event took `seq` (told by its ClientEventReply or, when that was lost, by an
  // EventOmitted in a replay): nothing is sent to us for it, so it is stepped over.
  void skip_own(const std::string& socket_id, const std::string& channel, std::uint64_t seq);
  void flush(Tracked& tracked);
  void repair();
  // Receives until `match` accepts a message or the timeout passes; others go to inbox.
  template <class T, class Match>
  std::optional<T> await(std::int64_t timeout_us, Match match);
  template <class Reply, class Match>
  std::optional<Reply> request_leader(std::string_view what, const Message& request, Match match);
  void timed_out(std::string_view request, std::int64_t sent_us, std::int64_t timeout_us);
  void file(Message message);
  NodeId next_broker(NodeId hint);

  Env& env_;
  ClientConfig config_;
  std::uint64_t client_id_ = 0;
  std::uint64_t request_no_ = 0;
  NodeId leader_guess_ = no_node;
  std::size_t rotation_ = 0;
  std::deque<Message> inbox_;
  std::function<void(Message&&)> listener_;
  std::function<bool()> alive_;
  std::map<std::pair<std::string, std::string>, Tracked> tracked_;  // (socket, channel)
};

}  // namespace simbus::core
