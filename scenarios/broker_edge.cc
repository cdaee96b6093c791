// broker-edges: a fault-free cluster (the usual publishers and subscribers) plus a prober
// that walks the client-visible edges of the protocol the other scenarios never reach, and
// checks each answer against the protocol as documented, written here independently of
// core/ (not by calling core's own validators):
//   - channel names: valid iff 1..164 characters of [A-Za-z0-9_-=@,.;] and not a bare
//     "private-" or "presence-" prefix; asked by channel-info and by subscribe, on every node;
//   - presence channel_data: a JSON object whose leading "user_id" is a non-empty string
//     (at most 128 bytes) or number; malformed data is refused, well-formed data makes
//     that user a member, including ids the client library's encoder had to escape;
//   - leaving a presence channel without closing the connection removes the member (the
//     others see member_removed), and joining again on the same connection adds it back;
//   - one client holding two connections, closing one: the other still receives events
//     and the closed one nothing more;
//   - resuming after more events than a channel retains: a MissedEvents notice for the
//     lost range, then every retained event, in order, up to the last one.
// In a fault-free cluster every probe must also be answered (a timeout fails the run).
// broker-limits runs the same prober on the protocol's size limits instead (Pusher's
// documented ones, restated here): a publish is granted iff its data is at most 10 KiB, its
// event name 1..200 bytes and it names 1..100 distinct valid channels, each limit probed
// at and one past its bound; a client event on a channel its connection is not on (held by
// another connection, or by nobody) is refused; and a request carrying a string of exactly
// the wire codec's largest field (core::string_bytes_max) must still be answered.
// Found by mutation testing (tools/mutate.py): each of these paths could be broken
// without any other scenario of the smoke suite noticing.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/assert.h"
#include "core/auth.h"
#include "core/channels.h"
#include "core/client.h"
#include "core/presence.h"
#include "checkers/liveness.h"
#include "scenarios/broker_cluster.h"
#include "scenarios/broker_edge.h"
#include "scenarios/sim_env.h"

namespace simbus::scenarios {
namespace edge {

bool spec_valid_channel_name(const std::string& name) {
  constexpr std::string_view kAllowed =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-=@,.;";
  if (name.empty() || name.size() > 164) return false;
  if (name.find_first_not_of(kAllowed) != std::string::npos) return false;
  return name != "private-" && name != "presence-";  // a bare prefix names no channel
}

std::string judge_channel_answer(const std::string& what, const std::string& name, core::Status status) {
  const core::Status expected = spec_valid_channel_name(name) ? core::Status::ok : core::Status::invalid_channel;
  if (status == expected) return "";
  return fmt::format("{} for channel '{}' answered {}; the channel-name rule says {}", what, name,
                     core::status_name(status), core::status_name(expected));
}

std::string judge_presence_answer(const std::string& channel_data, const std::optional<std::string>& user,
                                  const core::SubscribeReply& reply) {
  if (!user) {
    if (reply.status != core::Status::ok) return "";
    return fmt::format("presence subscribe with malformed channel_data '{}' was accepted", channel_data);
  }
  if (reply.status != core::Status::ok) {
    return fmt::format("presence subscribe with channel_data '{}' refused with {}", channel_data,
                       core::status_name(reply.status));
  }
  for (const core::Member& m : reply.members) {
    if (m.user_id == *user) return "";
  }
  return fmt::format("presence subscribe with channel_data '{}': user '{}' is not among the members", channel_data,
                     *user);
}

std::string judge_members(const std::string& when, const std::set<std::string>& seen,
                          const std::set<std::string>& expected) {
  if (seen == expected) return "";
  return fmt::format("{}: members seen {{{}}}, subscribed {{{}}}", when, fmt::join(seen, " "),
                     fmt::join(expected, " "));
}

std::string judge_after_close(const std::set<std::pair<std::string, std::string>>& got, const std::string& open,
                              const std::string& closed, const std::string& data) {
  if (got.count({closed, data}) != 0) return fmt::format("event '{}' reached connection {} after it was closed", data, closed);
  if (got.count({open, data}) == 0) {
    return fmt::format("after closing one of its two connections, the client never received '{}' on the other ({})",
                       data, open);
  }
  return "";
}

std::string judge_publish_answer(const std::string& what, std::size_t data_bytes, std::size_t event_bytes,
                                 std::size_t channels, core::Status status) {
  const bool valid = data_bytes <= 10 * 1024 && event_bytes >= 1 && event_bytes <= 200 && channels >= 1 &&
                     channels <= 100;
  if (valid == (status == core::Status::ok)) return "";
  return fmt::format("publish with {} ({} data bytes, {}-byte event name, {} channels) answered {}; the limits say {}",
                     what, data_bytes, event_bytes, channels, core::status_name(status),
                     valid ? "granted" : "refused");
}

std::string judge_resume(std::uint64_t from_seq, std::uint64_t last_seq, const std::optional<core::MissedEvents>& missed,
                         const std::vector<std::uint64_t>& seqs) {
  if (seqs.empty() || seqs.back() != last_seq) {
    return fmt::format("resumed from seq {}: the subscriber never got up to seq {} ({} events, {})", from_seq, last_seq,
                       seqs.size(), missed ? "a missed-events notice" : "no missed-events notice");
  }
  if (!missed || missed->first_seq != from_seq + 1 || seqs.front() != missed->last_seq + 1) {
    return fmt::format("resumed from seq {}: no missed-events notice covers the gap up to the first replayed event {}",
                       from_seq, seqs.front());
  }
  for (std::size_t i = 1; i < seqs.size(); ++i) {
    if (seqs[i] != seqs[i - 1] + 1) return fmt::format("resumed from seq {}: event {} after {}", from_seq, seqs[i], seqs[i - 1]);
  }
  return "";
}

}  // namespace edge

namespace {

constexpr std::int64_t kAnswerBoundUs = 2'000'000;  // fault-free: a notice arrives well within this
constexpr std::int64_t kPollSliceUs = 20'000;
constexpr std::size_t kRandomNames = 12;
constexpr std::size_t kUnansweredKeptMax = 1024;
constexpr std::size_t kRandomNameBytesMax = 12;

// What the prober found; judged at the end of the run.
struct ProbeResult {
  std::string failure;  // the first one
  bool done = false;
  std::int64_t warmed_up_us = -1;  // when the first request was answered (a leader known)
  std::vector<checkers::UnansweredAttempt> unanswered;  // the prober's timed-out attempts
};

bool starts_with(const std::string& s, std::string_view prefix) { return s.rfind(prefix, 0) == 0; }

// A subscription's signature as the Pusher protocol defines it ("<key>:<hex HMAC-SHA256 of
// socket_id:channel, then :channel_data for a presence channel>"), built here and not by
// core/auth.cc: a mistake the client library's signer and the node's verifier share (they
// are one function) must still fail a subscribe.
std::string spec_signature(const core::AppCredentials& app, const std::string& socket_id, const std::string& channel,
                           const std::string& channel_data) {
  std::string to_sign = socket_id + ":" + channel;
  if (starts_with(channel, "presence-")) to_sign += ":" + channel_data;
  return app.key + ":" + core::hmac_sha256_hex(app.secret, to_sign);
}

class Prober {
 public:
  Prober(sim::World& world, sim::NodeIndex self, std::vector<core::NodeId> brokers, ProbeResult& result)
      : world_(world), env_(world, self), brokers_(std::move(brokers)), result_(result) {
    SIMBUS_ASSERT(!brokers_.empty());
  }

  void run(bool limits_only) {
    publisher_ = std::make_unique<core::BrokerClient>(env_, config(false), 20'000);
    if (!first_request()) return;
    if (limits_only) {
      if (!limits()) return;
      result_.done = true;
      return;
    }
    if (!names()) return;
    if (!channel_data()) return;
    if (!presence_leave()) return;
    if (!two_connections()) return;
    if (!resume_past_history()) return;
    result_.done = true;
  }

 private:
  core::ClientConfig config(bool ordered) {
    core::ClientConfig c;
    c.brokers = brokers_;
    c.ordered = ordered;
    // Judged at the end (checkers::check_attempts_answered), from the first answer on.
    c.on_timeout = [this](std::string_view request, std::int64_t sent_us) {
      if (result_.unanswered.size() < kUnansweredKeptMax) result_.unanswered.push_back({std::string(request), sent_us});
    };
    return c;
  }
  core::NodeId broker(std::size_t k) const { return brokers_[k % brokers_.size()]; }
  std::string name_of(core::NodeId node) const { return world_.node_name(static_cast<sim::NodeIndex>(node)); }

  bool fail(std::string message) {
    if (result_.failure.empty()) result_.failure = fmt::format("{} (at {} us)", message, world_.now_us());
    return false;
  }

  // Polls `client` until `done()` holds or the bound passes; `take` sees every message.
  template <class Take, class Done>
  bool poll_until(core::BrokerClient& client, Take take, Done done) {
    const std::int64_t until_us = world_.now_us() + kAnswerBoundUs;
    while (true) {
      while (!client.inbox().empty()) {
        core::Message m = std::move(client.inbox().front());
        client.inbox().pop_front();
        take(m);
      }
      if (done()) return true;
      if (world_.now_us() >= until_us) return false;
      client.poll(kPollSliceUs);
    }
  }

  // The first request goes out while the cluster is still electing its first leader: the
  // client's retry budget (attempts spaced while no leader is known) must outlast that.
  bool first_request() {
    auto reply = publisher_->info("edge-warmup");
    if (!reply) return fail("the first channel-info request, sent while the cluster elected its first leader, "
                            "got no answer within the client's retry budget");
    if (reply->status != core::Status::ok) return fail("channel_info('edge-warmup') was refused");
    result_.warmed_up_us = world_.now_us();
    return true;
  }

  std::optional<std::string> connect(core::BrokerClient& client, core::NodeId node) {
    auto socket = client.connect(node);
    if (!socket) fail(fmt::format("connect to {} got no answer", name_of(node)));
    return socket;
  }

  // Subscribes with the credentials a legitimate client would send for that channel.
  std::optional<core::SubscribeReply> subscribe(core::BrokerClient& client, core::NodeId node,
                                                const std::string& socket, const std::string& channel,
                                                const std::string& channel_data) {
    std::string auth;
    if (starts_with(channel, "private-") || starts_with(channel, "presence-")) {
      auth = spec_signature(app_, socket, channel, channel_data);
    }
    auto reply = client.subscribe(node, core::SubscribeRequest{socket, channel, auth, channel_data, false, 0});
    if (!reply) fail(fmt::format("subscribe to '{}' on {} got no answer", channel, name_of(node)));
    return reply;
  }

  std::optional<std::uint64_t> publish(const std::string& channel, const std::string& data) {
    auto reply = publisher_->publish({channel}, "evt", data);
    if (!reply || reply->status != core::Status::ok || reply->seqs.size() != 1) {
      fail(fmt::format("publish '{}' on {} was not acknowledged", data, channel));
      return std::nullopt;
    }
    return reply->seqs[0].seq;
  }

  bool names() {
    std::vector<std::string> names = {"a", "edge-name", "Edge_name=@,.;-9", std::string(164, 'n'),
                                      std::string(165, 'n'), "", "bad name", "bad#name", "bad/name", "bad:name",
                                      "caf\xc3\xa9", "private-", "presence-", "private-edge", "presence-edge-name",
                                      "private", "presence", "private-private-", "presence-presence-",
                                      // Each allowed range's first and last character, then each one's
                                      // outside neighbours (` { @ [ / : are ASCII's next to a-z, A-Z, 0-9).
                                      "azAZ09", "bad`name", "bad{name", "bad[name", "private-z9Z"};
    constexpr std::string_view kPool = "aZ09_-=@,.;-# /:*\x01";
    for (std::size_t i = 0; i < kRandomNames; ++i) {
      std::string name = i % 2 == 0 ? "private-" : "";
      const std::size_t length = 1 + world_.draw_below(sim::DataTag::kUser, kRandomNameBytesMax);
      for (std::size_t k = 0; k < length; ++k) name.push_back(kPool[world_.draw_below(sim::DataTag::kUser, kPool.size())]);
      names.push_back(name);
    }
    core::BrokerClient client(env_, config(false), 20'001);
    for (std::size_t i = 0; i < names.size(); ++i) {
      const std::string& name = names[i];
      auto info = publisher_->info(name);
      if (!info) return fail(fmt::format("channel_info('{}') got no answer", name));
      if (std::string why = edge::judge_channel_answer("channel_info", name, info->status); !why.empty()) {
        return fail(why);
      }
      const core::NodeId node = broker(i);
      auto socket = connect(client, node);
      if (!socket) return false;
      const std::string data = starts_with(name, "presence-") ? core::presence_channel_data("edge-user", "") : "";
      auto reply = subscribe(client, node, *socket, name, data);
      if (!reply) return false;
      if (std::string why = edge::judge_channel_answer("subscribe on " + name_of(node), name, reply->status);
          !why.empty()) {
        return fail(why);
      }
      client.disconnect(node, *socket);
    }
    return true;
  }

  bool channel_data() {
    struct Case {
      std::string data;
      std::optional<std::string> user;  // nullopt: must be refused
    };
    const std::vector<Case> cases = {
        {R"({"user_id":"alice"})", "alice"},
        {R"({"user_id":42,"user_info":{}})", "42"},
        {R"({"user_id":1050})", "1050"},  // a numeric id is all of its digits
        {R"({"id":"carol"})", std::nullopt},  // no user_id at all
        {" {\t\"user_id\" : \"bob\" ,\n \"user_info\": {\"name\": \"Bob\"}}", "bob"},
        // Built by the client library's encoder: the quote and backslash must survive it.
        {core::presence_channel_data("q\"uo\\te", "{}"), "q\"uo\\te"},
        {"{\"user_id\":\"" + std::string(128, 'u') + "\"}", std::string(128, 'u')},
        {"{\"user_id\":\"" + std::string(129, 'u') + "\"}", std::nullopt},
        {R"({"user_id":"abc)", std::nullopt},  // the string never ends
        {R"({"user_id":"abc\)", std::nullopt},
        {R"({"user_id":""})", std::nullopt},
        {R"("user_id":"x"})", std::nullopt},
        {R"({"user_id":})", std::nullopt},
        {R"({"user_id")", std::nullopt},
        {"", std::nullopt},
        {"   ", std::nullopt},
    };
    const std::string channel = "presence-edge-data";
    core::BrokerClient client(env_, config(false), 20'002);
    for (std::size_t i = 0; i < cases.size(); ++i) {
      const Case& c = cases[i];
      const core::NodeId node = broker(i);
      auto socket = connect(client, node);
      if (!socket) return false;
      auto reply = subscribe(client, node, *socket, channel, c.data);
      if (!reply) return false;
      if (std::string why = edge::judge_presence_answer(c.data, c.user, *reply); !why.empty()) return fail(why);
      client.disconnect(node, *socket);
    }
    return true;
  }

  bool presence_leave() {
    const std::string channel = "presence-edge-room";
    core::BrokerClient a(env_, config(true), 20'003);
    core::BrokerClient b(env_, config(true), 20'004);
    const core::NodeId node_a = broker(1), node_b = broker(2);
    auto socket_a = connect(a, node_a);
    auto socket_b = socket_a ? connect(b, node_b) : std::nullopt;
    if (!socket_b) return false;
    auto joined_a = subscribe(a, node_a, *socket_a, channel, core::presence_channel_data("edge-a", ""));
    if (!joined_a) return false;
    auto joined_b = subscribe(b, node_b, *socket_b, channel, core::presence_channel_data("edge-b", ""));
    if (!joined_b) return false;
    if (joined_a->status != core::Status::ok || joined_b->status != core::Status::ok) {
      return fail("a well-formed presence subscribe was refused");
    }
    std::set<std::string> view;  // b's members
    for (const core::Member& m : joined_b->members) view.insert(m.user_id);
    auto track = [&](const core::Message& m) {
      const auto* e = std::get_if<core::EventMessage>(&m);
      if (e == nullptr || e->channel != channel) return;
      if (e->event == core::member_added_event) view.insert(e->user_id);
      if (e->event == core::member_removed_event) view.erase(e->user_id);
    };
    const std::set<std::string> both = {"edge-a", "edge-b"};
    poll_until(b, track, [&] { return view == both; });
    if (std::string why = edge::judge_members(fmt::format("{} on {}, both joined", channel, name_of(node_b)), view, both);
        !why.empty()) {
      return fail(why);
    }
    auto left = a.unsubscribe(node_a, core::UnsubscribeRequest{*socket_a, channel});
    if (!left || left->status != core::Status::ok) return fail("unsubscribe from a presence channel not granted");
    const std::set<std::string> only_b = {"edge-b"};
    poll_until(b, track, [&] { return view == only_b; });
    if (std::string why = edge::judge_members(
            fmt::format("{} on {}, edge-a left (its connection kept open)", channel, name_of(node_b)), view, only_b);
        !why.empty()) {
      return fail(why);
    }
    auto again = subscribe(a, node_a, *socket_a, channel, core::presence_channel_data("edge-a", ""));
    if (!again) return false;
    if (again->status != core::Status::ok) return fail("re-joining a presence channel on the same connection refused");
    poll_until(b, track, [&] { return view == both; });
    if (std::string why = edge::judge_members(
            fmt::format("{} on {}, edge-a joined again on the same connection", channel, name_of(node_b)), view, both);
        !why.empty()) {
      return fail(why);
    }
    return true;
  }

  bool two_connections() {
    const std::string channel = "edge-two";
    core::BrokerClient client(env_, config(true), 20'005);
    const core::NodeId node1 = broker(0), node2 = broker(1);
    auto s1 = connect(client, node1);
    auto s2 = s1 ? connect(client, node2) : std::nullopt;
    if (!s2) return false;
    for (const auto& [node, socket] : {std::pair{node1, *s1}, std::pair{node2, *s2}}) {
      auto reply = subscribe(client, node, socket, channel, "");
      if (!reply) return false;
      if (reply->status != core::Status::ok) return fail("subscribe to a public channel refused");
    }
    std::set<std::pair<std::string, std::string>> got;  // (socket, data)
    auto take = [&](const core::Message& m) {
      if (const auto* e = std::get_if<core::EventMessage>(&m); e != nullptr && e->channel == channel) {
        got.emplace(e->socket_id, e->data);
      }
    };
    if (!publish(channel, "one")) return false;
    if (!poll_until(client, take, [&] { return got.count({*s1, "one"}) && got.count({*s2, "one"}); })) {
      return fail("a client with two connections did not get an event on both");
    }
    client.disconnect(node1, *s1);
    if (!publish(channel, "two")) return false;
    poll_until(client, take, [&] { return got.count({*s2, "two"}) != 0; });
    if (std::string why = edge::judge_after_close(got, *s2, *s1, "two"); !why.empty()) return fail(why);
    return true;
  }

  bool limits() {
    struct Case {
      std::string what;
      std::size_t data_bytes;
      std::size_t event_bytes;
      std::size_t channels;
    };
    const std::vector<Case> cases = {
        {"the largest data", 10 * 1024, 3, 1},     {"data one byte too long", 10 * 1024 + 1, 3, 1},
        {"the longest event name", 1, 200, 1},     {"an event name one byte too long", 1, 201, 1},
        {"an empty event name", 1, 0, 1},          {"the most channels", 1, 3, 100},
        {"one channel too many", 1, 3, 101},       {"no channel", 1, 3, 0},
    };
    for (const Case& c : cases) {
      std::vector<std::string> channels;
      for (std::size_t k = 0; k < c.channels; ++k) channels.push_back(fmt::format("edge-limit-{}", k));
      auto reply = publisher_->publish(channels, std::string(c.event_bytes, 'e'), std::string(c.data_bytes, 'd'));
      if (!reply) return fail(fmt::format("publish with {} got no answer", c.what));
      if (std::string why = edge::judge_publish_answer(c.what, c.data_bytes, c.event_bytes, c.channels, reply->status);
          !why.empty()) {
        return fail(why);
      }
    }
    // Client events go only to channels the sender is on (Pusher: "only on subscribed
    // private and presence channels"): one on a channel it never joined, which another
    // connection holds or nobody does, must be answered and refused.
    core::BrokerClient sender(env_, config(false), 20'008);
    core::BrokerClient holder(env_, config(false), 20'009);
    const core::NodeId node = broker(1);
    auto sender_socket = connect(sender, node);
    auto holder_socket = sender_socket ? connect(holder, node) : std::nullopt;
    if (!holder_socket) return false;
    const std::string held = "private-edge-held";
    auto joined = subscribe(holder, node, *holder_socket, held, "");
    if (!joined) return false;
    if (joined->status != core::Status::ok) return fail("a private subscribe with valid auth was refused");
    // A connection on no channel at all is unknown to the replicated state; its node must
    // still answer (it once stayed silent, and the client waited out its timeout).
    {
      auto reply = sender.client_event(node, core::ClientEventRequest{*sender_socket, held, "client-x", "{}"});
      if (!reply) return fail("a client event from a connection subscribed to nothing got no answer");
      if (reply->status == core::Status::ok) {
        return fail("a client event from a connection subscribed to nothing was accepted");
      }
    }
    // Then from a connection on another channel.
    auto own = subscribe(sender, node, *sender_socket, "private-edge-own", "");
    if (!own) return false;
    if (own->status != core::Status::ok) return fail("a private subscribe with valid auth was refused");
    for (const std::string& channel : {held, std::string("private-edge-nobody")}) {
      auto reply = sender.client_event(node, core::ClientEventRequest{*sender_socket, channel, "client-x", "{}"});
      if (!reply) return fail(fmt::format("a client event on '{}', not subscribed, got no answer", channel));
      if (reply->status == core::Status::ok) {
        return fail(fmt::format("a client event on '{}' from a connection not subscribed to it was accepted", channel));
      }
    }
    // A signature of the right length with one digit changed, and one made with another
    // secret: both must be refused (a comparison that only checks lengths accepts them).
    {
      std::string tampered = spec_signature(app_, *sender_socket, "private-edge-forged", "");
      char& digit = tampered.back();
      digit = digit == '0' ? '1' : '0';
      core::AppCredentials other = app_;
      other.secret += "-other";
      for (const auto& [what, auth] : {std::pair<std::string, std::string>{"one digit changed", tampered},
                                       {"signed with another secret",
                                        spec_signature(other, *sender_socket, "private-edge-forged", "")}}) {
        auto reply = sender.subscribe(node, core::SubscribeRequest{*sender_socket, "private-edge-forged", auth, "", false, 0});
        if (!reply) return fail(fmt::format("a private subscribe with a signature {} got no answer", what));
        if (reply->status != core::Status::auth_failed) {
          return fail(fmt::format("a private subscribe with a signature {} answered {}, not auth_failed", what,
                                  core::status_name(reply->status)));
        }
      }
    }
    // Client ids 0 and those with the top bit set are reserved (no session; the nodes' own
    // sessions): a publish carrying one must be answered invalid_request, not applied or
    // ignored. No BrokerClient sends them, so these go out as raw frames.
    for (const std::uint64_t reserved : {std::uint64_t{0}, (std::uint64_t{1} << 63) | 7}) {
      if (std::string why = raw_publish_refused(reserved); !why.empty()) return fail(why);
    }
    // The codec's largest field: legal on the wire, so the node must decode the request
    // and answer it (the name is no channel's: invalid_channel).
    auto info = publisher_->info(std::string(core::string_bytes_max, 'n'));
    if (!info) return fail(fmt::format("channel_info with a {}-byte name (the codec's largest field) got no answer",
                                       core::string_bytes_max));
    if (info->status != core::Status::invalid_channel) {
      return fail(fmt::format("channel_info with a {}-byte name answered {}", core::string_bytes_max,
                              core::status_name(info->status)));
    }
    return true;
  }

  // Sends a publish with `client_id` straight to the leader (as a hostile client would),
  // following a redirect, and waits for its answer: "" if it is refused with
  // invalid_request. Called when nothing else is in flight to the prober's node (its
  // receive would take another client's message).
  std::string raw_publish_refused(std::uint64_t client_id) {
    core::NodeId target = publisher_->leader_guess();
    const core::PublishRequest request{client_id, 1, {"edge-reserved"}, "evt", "x", ""};
    for (std::size_t hop = 0; hop <= brokers_.size(); ++hop) {
      env_.send(target, core::encode_message(request));
      std::optional<core::PublishReply> reply;
      const std::int64_t until_us = world_.now_us() + kAnswerBoundUs;
      while (!reply && world_.now_us() < until_us) {
        auto envelope = env_.receive(until_us - world_.now_us());
        if (!envelope) break;
        core::Message m;
        if (core::decode_message(envelope->payload, m) != core::DecodeError::none) continue;
        if (const auto* r = std::get_if<core::PublishReply>(&m); r != nullptr && r->client_id == client_id) reply = *r;
      }
      if (!reply) {
        return fmt::format("a publish with the reserved client id {:#x} got no answer from {}", client_id,
                           name_of(target));
      }
      if (reply->status == core::Status::invalid_request) return "";
      if (reply->status != core::Status::not_leader || reply->leader_hint == core::no_node) {
        return fmt::format("a publish with the reserved client id {:#x} answered {}, not invalid_request", client_id,
                           core::status_name(reply->status));
      }
      target = reply->leader_hint;
    }
    return fmt::format("a publish with the reserved client id {:#x} was redirected {} times", client_id,
                       brokers_.size() + 1);
  }

  bool resume_past_history() {
    const std::string channel = "edge-resume";
    const std::size_t retained = core::ChannelConfig{}.history_per_channel_max;
    std::uint64_t seen = 0;
    {
      core::BrokerClient first(env_, config(true), 20'006);
      const core::NodeId node = broker(2);
      auto socket = connect(first, node);
      if (!socket) return false;
      auto reply = subscribe(first, node, *socket, channel, "");
      if (!reply) return false;
      if (reply->status != core::Status::ok) return fail("subscribe to a public channel refused");
      auto seq = publish(channel, "r0");
      if (!seq) return false;
      auto take = [&](const core::Message& m) {
        if (const auto* e = std::get_if<core::EventMessage>(&m); e != nullptr && e->channel == channel) {
          seen = std::max(seen, e->seq);
        }
      };
      if (!poll_until(first, take, [&] { return seen == *seq; })) return fail("a subscriber missed an event");
      first.disconnect(node, *socket);
    }
    std::uint64_t last = 0;
    for (std::size_t k = 1; k <= retained + 5; ++k) {
      auto seq = publish(channel, fmt::format("r{}", k));
      if (!seq) return false;
      last = *seq;
    }
    auto got = resume_from(20'007, broker(0), channel, seen, last, "", false);
    if (!got) return false;
    const auto& [missed, seqs] = *got;
    if (std::string why = edge::judge_resume(seen, last, missed, seqs); !why.empty()) return fail(why);
    return resume_at_retention_edge(channel, last, retained);
  }

  // A resume from exactly `retained` events back is still within the history: every one of
  // them, in order, and no missed-events notice (a channel that keeps one event fewer than
  // its configuration says would send one).
  bool resume_at_retention_edge(const std::string& channel, std::uint64_t last, std::size_t retained) {
    SIMBUS_ASSERT(last > retained);
    const std::uint64_t from = last - retained;
    auto got = resume_from(20'010, broker(1), channel, from, last, " at the retention edge", true);
    if (!got) return false;
    const bool missed = got->missed.has_value();
    const std::vector<std::uint64_t>& seqs = got->seqs;
    if (missed) {
      return fail(fmt::format("resumed from seq {}, {} events back (the channel retains {}): a missed-events notice "
                              "came", from, retained, retained));
    }
    if (seqs.size() != retained || seqs.front() != from + 1 || seqs.back() != last) {
      return fail(fmt::format("resumed from seq {}, {} events back (the channel retains {}): got {} events, seq {} to {}",
                              from, retained, retained, seqs.size(), seqs.empty() ? 0 : seqs.front(),
                              seqs.empty() ? 0 : seqs.back()));
    }
    return true;
  }

  struct Resumed {
    std::optional<core::MissedEvents> missed;  // the first notice
    std::vector<std::uint64_t> seqs;           // the events, as they came
  };
  // A new connection (client `client_id`) at `node` resumes `channel` from `from_seq` and
  // collects what arrives until seq `last` does or the bound passes, then disconnects if
  // asked. nullopt (the failure noted) if the subscribe is not answered or refused; `what`
  // names the probe.
  std::optional<Resumed> resume_from(std::uint64_t client_id, core::NodeId node, const std::string& channel,
                                     std::uint64_t from_seq, std::uint64_t last, const char* what,
                                     bool disconnect) {
    core::BrokerClient client(env_, config(true), client_id);
    auto socket = connect(client, node);
    if (!socket) return std::nullopt;
    auto reply = client.subscribe(node, core::SubscribeRequest{*socket, channel, "", "", true, from_seq});
    if (!reply) {
      fail(fmt::format("a resuming subscribe{} got no answer", what));
      return std::nullopt;
    }
    if (reply->status != core::Status::ok) {
      fail(fmt::format("a resuming subscribe{} was refused", what));
      return std::nullopt;
    }
    Resumed got;
    auto take = [&](const core::Message& m) {
      if (const auto* e = std::get_if<core::EventMessage>(&m); e != nullptr && e->channel == channel) {
        got.seqs.push_back(e->seq);
      } else if (const auto* n = std::get_if<core::MissedEvents>(&m); n != nullptr && n->channel == channel) {
        if (!got.missed) got.missed = *n;
      }
    };
    poll_until(client, take, [&] { return !got.seqs.empty() && got.seqs.back() == last; });
    if (disconnect) client.disconnect(node, *socket);
    return got;
  }

  sim::World& world_;
  SimEnv env_;
  std::vector<core::NodeId> brokers_;
  ProbeResult& result_;
  core::AppCredentials app_;
  std::unique_ptr<core::BrokerClient> publisher_;
};

}  // namespace

namespace {

void add_prober_scenario(const char* name, const char* description, bool limits_only) {
  Scenario s;
  s.name = name;
  s.description = description;
  s.params = broker_params(3);
  s.setup = [limits_only](ScenarioContext& ctx) {
    const auto first = static_cast<core::NodeId>(ctx.world.node_count());
    const auto nodes = ctx.params.get("nodes");
    setup_broker_scenario(ctx, BrokerScenarioOptions{});
    std::vector<core::NodeId> brokers;
    for (std::int64_t i = 0; i < nodes; ++i) brokers.push_back(first + static_cast<core::NodeId>(i));
    // The brokers are the first nodes the setup adds, named b1..bN.
    SIMBUS_ASSERT(ctx.world.node_name(static_cast<sim::NodeIndex>(brokers.front())) == "b1");
    if (ctx.params.get("faults") != kFaultsScenario) {
      // The probes' answers are only owed by a fault-free cluster.
      ctx.report("prober: off (faults=1)");
      return;
    }
    auto result = std::make_shared<ProbeResult>();
    const sim::NodeIndex self = ctx.world.add_node("prober");
    ctx.world.spawn(self, "prober", [&ctx, self, brokers, result, limits_only] {
      Prober(ctx.world, self, brokers, *result).run(limits_only);
    });
    ctx.at_end([&ctx, result] {
      // Once the first request was answered, a fault-free cluster owes every attempt an
      // answer within the timeout: one the client's retry rescued is still a lost message.
      const auto answered =
          result->warmed_up_us < 0
              ? checkers::CheckReport{}
              : checkers::check_attempts_answered(result->unanswered, result->warmed_up_us, "us after the first answer");
      if (!result->failure.empty()) {
        ctx.fail("protocol", result->failure);
      } else if (!answered.ok()) {
        ctx.fail(answered.violations.front().checker, answered.violations.front().message);
      } else if (!result->done) {
        ctx.fail("liveness", "the prober did not finish its probes before the end of the run");
      }
    });
  };
  s.time_us_max = 120'000'000;
  s.steps_max = 1'000'000;
  s.determinism_seeds = 6;
  register_scenario(std::move(s));
}

}  // namespace

void register_broker_edge_scenarios() {
  add_prober_scenario("broker-edges",
                      "3-node broker, no faults: channel names, presence data, leave and re-join, two connections, "
                      "resume past the retained history, each answer checked against the protocol",
                      false);
  add_prober_scenario("broker-limits",
                      "3-node broker, no faults: publishes at and one past each size limit, and a request carrying "
                      "the wire codec's largest field, each answer checked against the protocol",
                      true);
}

}  // namespace simbus::scenarios
