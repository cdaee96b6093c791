// The channel state machine's rules, one test each, plus a rapidcheck comparison with a
// simple sequential model.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <set>

#include "core/auth.h"
#include "core/channels.h"
#include "core/names.h"
#include "core/presence.h"

namespace simbus::core {
namespace {

class ChannelsTest : public ::testing::Test {
 protected:
  ChannelState state{ChannelConfig{}, Bugs{}};
  std::uint64_t index = 0;
  AppCredentials app;

  ApplyOutcome run(Op op, std::uint64_t client_id = 0, std::uint64_t request_no = 0) {
    return state.apply(++index, Command{client_id, request_no, {std::move(op)}});
  }
  ApplyOutcome subscribe(const std::string& socket, const std::string& channel,
                         const std::string& user = "", bool resume = false,
                         std::uint64_t last_seq = 0, NodeId node = 1) {
    SubscribeOp op;
    op.socket_id = socket;
    op.node = node;
    op.incarnation = 1;
    op.channel = channel;
    if (!user.empty()) op.channel_data = presence_channel_data(user, "{}");
    if (channel_kind(channel) != ChannelKind::public_channel) {
      op.auth = sign_subscription(app, socket, channel, op.channel_data);
    }
    op.resume = resume;
    op.last_seq = last_seq;
    return run(op);
  }
  ApplyOutcome publish(std::vector<std::string> channels, const std::string& exclude = "",
                       std::uint64_t client_id = 0, std::uint64_t request_no = 0) {
    return run(PublishOp{std::move(channels), "evt", "data", exclude}, client_id, request_no);
  }
  static std::vector<std::string> event_targets(const ApplyOutcome& out) {
    std::vector<std::string> targets;
    for (const Effect& e : out.effects) {
      if (std::holds_alternative<EventMessage>(e.message)) targets.push_back(e.socket_id);
    }
    return targets;
  }
  template <class T>
  static const T* find(const ApplyOutcome& out) {
    for (const Effect& e : out.effects) {
      if (const T* m = std::get_if<T>(&e.message)) return m;
    }
    return nullptr;
  }
};

TEST(Names, PusherChannelNameRules) {
  EXPECT_TRUE(valid_channel_name("my-channel_1=@,.;"));
  EXPECT_TRUE(valid_channel_name(std::string(164, 'a')));
  EXPECT_FALSE(valid_channel_name(std::string(165, 'a')));
  EXPECT_FALSE(valid_channel_name(""));
  EXPECT_FALSE(valid_channel_name("has space"));
  EXPECT_FALSE(valid_channel_name("slash/"));
  EXPECT_FALSE(valid_channel_name("private-"));
  EXPECT_EQ(channel_kind("private-x"), ChannelKind::private_channel);
  EXPECT_EQ(channel_kind("presence-x"), ChannelKind::presence_channel);
  EXPECT_EQ(channel_kind("x"), ChannelKind::public_channel);
}

TEST(Auth, HmacSha256KnownVector) {
  // RFC 4231 test case 2.
  EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // The keyed context is kept between calls: other keys (RFC 4231 cases 1 and 6, a key
  // longer than SHA-256's block), then the first key again, must each give their own MAC.
  EXPECT_EQ(hmac_sha256_hex(std::string(20, '\x0b'), "Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(hmac_sha256_hex(std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First"),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  AppCredentials app;
  const std::string token = sign_subscription(app, "1.2", "private-a", "");
  EXPECT_TRUE(token.starts_with(app.key + ":"));
  EXPECT_TRUE(verify_subscription(app, token, "1.2", "private-a", ""));
  EXPECT_FALSE(verify_subscription(app, token, "1.3", "private-a", ""));
  EXPECT_FALSE(verify_subscription(app, token, "1.2", "private-b", ""));
  EXPECT_FALSE(verify_subscription(app, token + "0", "1.2", "private-a", ""));
}

TEST(Presence, UserIdParsing) {
  EXPECT_EQ(presence_user_id(presence_channel_data("u1", "{\"name\":\"x\"}")), "u1");
  EXPECT_EQ(presence_user_id("{\"user_id\": 42}"), "42");
  EXPECT_FALSE(presence_user_id("{}"));
  EXPECT_FALSE(presence_user_id("not json"));
  EXPECT_FALSE(presence_user_id("{\"user_id\":\"\"}"));
}

TEST_F(ChannelsTest, PublishAssignsPerChannelSequenceNumbers) {
  auto a = publish({"a", "b"});
  ASSERT_EQ(a.result.status, Status::ok);
  EXPECT_EQ(a.result.seqs, (std::vector<ChannelSeq>{{"a", 1}, {"b", 1}}));
  auto b = publish({"a"});
  EXPECT_EQ(b.result.seqs, (std::vector<ChannelSeq>{{"a", 2}}));
  EXPECT_EQ(state.info("a").seq_last, 2u);
}

TEST_F(ChannelsTest, PublishLimitsAndValidation) {
  std::vector<std::string> many;
  for (int i = 0; i < 101; ++i) many.push_back("c" + std::to_string(i));
  EXPECT_EQ(publish(many).result.status, Status::too_many_channels);
  many.pop_back();
  EXPECT_EQ(publish(many).result.status, Status::ok);
  EXPECT_EQ(publish({"bad name"}).result.status, Status::invalid_channel);
  EXPECT_EQ(publish({"a", "a"}).result.status, Status::invalid_request);
  EXPECT_EQ(publish({}).result.status, Status::invalid_request);
}

TEST_F(ChannelsTest, PublishExcludesSocket) {
  subscribe("1.1", "a");
  subscribe("1.2", "a");
  auto out = publish({"a"}, "1.1");
  EXPECT_EQ(event_targets(out), (std::vector<std::string>{"1.2"}));
}

TEST_F(ChannelsTest, PrivateChannelsNeedValidAuth) {
  SubscribeOp op{"1.1", 1, 1, "private-x", "simbus-key:deadbeef", "", false, 0};
  auto out = run(op);
  ASSERT_NE(find<SubscribeReply>(out), nullptr);
  EXPECT_EQ(find<SubscribeReply>(out)->status, Status::auth_failed);
  EXPECT_EQ(subscribe("1.1", "private-x").effects.size(), 1u);
  EXPECT_EQ(state.info("private-x").subscription_count, 1u);
}

TEST_F(ChannelsTest, ClientEventsOnlyOnPrivateAndNeverEchoed) {
  subscribe("1.1", "pub");
  EXPECT_EQ(find<ClientEventReply>(run(ClientEventOp{"1.1", "pub", "client-x", ""}))->status,
            Status::forbidden);
  subscribe("1.1", "private-p");
  subscribe("1.2", "private-p");
  EXPECT_EQ(find<ClientEventReply>(run(ClientEventOp{"1.1", "private-p", "nope", ""}))->status,
            Status::forbidden);
  auto out = run(ClientEventOp{"1.1", "private-p", "client-x", "d"});
  EXPECT_EQ(find<ClientEventReply>(out)->status, Status::ok);
  EXPECT_EQ(event_targets(out), (std::vector<std::string>{"1.2"}));
  EXPECT_EQ(find<ClientEventReply>(run(ClientEventOp{"1.3", "private-p", "client-x", ""})),
            nullptr);  // unknown socket: nobody to answer
}

// A connection subscribed to nothing is unknown to the cluster; its node forwarded the op,
// so the refusal goes to that node (found by broker-limits: the client waited out 5 s).
TEST_F(ChannelsTest, OpsOfAConnectionSubscribedToNothingAreAnsweredThroughItsNode) {
  const std::uint64_t node_session = node_session_id(2, 7);
  ASSERT_EQ(node_session_origin(node_session)->node, 2u);
  ASSERT_EQ(node_session_origin(node_session)->incarnation, 7u);
  ASSERT_FALSE(node_session_origin(12345).has_value());
  auto out = run(ClientEventOp{"s9", "private-a", "client-x", "{}"}, node_session, 1);
  ASSERT_EQ(out.effects.size(), 1u);
  EXPECT_EQ(out.effects[0].node, 2u);
  EXPECT_EQ(out.effects[0].incarnation, 7u);
  const auto* reply = find<ClientEventReply>(out);
  ASSERT_NE(reply, nullptr);
  EXPECT_EQ(reply->socket_id, "s9");
  EXPECT_EQ(reply->status, Status::not_subscribed);
  out = run(UnsubscribeOp{"s9", "private-a"}, node_session, 2);
  const auto* unsub = find<UnsubscribeReply>(out);
  ASSERT_NE(unsub, nullptr);
  EXPECT_EQ(unsub->status, Status::not_subscribed);
  EXPECT_EQ(out.effects[0].node, 2u);
  // An external client's command has no node to answer through.
  EXPECT_TRUE(run(ClientEventOp{"s9", "private-a", "client-x", "{}"}, 99, 1).effects.empty());
}

TEST_F(ChannelsTest, PresenceMemberIsUserNotConnection) {
  subscribe("1.9", "presence-r", "watcher");
  auto first = subscribe("1.1", "presence-r", "alice");
  EXPECT_EQ(event_targets(first), (std::vector<std::string>{"1.9"}));  // member_added
  auto second = subscribe("1.2", "presence-r", "alice");
  EXPECT_TRUE(event_targets(second).empty());  // same user: no second member_added
  EXPECT_EQ(state.info("presence-r").user_count, 2u);
  EXPECT_EQ(state.info("presence-r").subscription_count, 3u);
  auto leave1 = run(UnsubscribeOp{"1.1", "presence-r"});
  EXPECT_TRUE(event_targets(leave1).empty());  // alice still has a connection
  auto leave2 = run(CloseOp{"1.2"});
  ASSERT_EQ(event_targets(leave2).size(), 1u);  // member_removed on the last one
  EXPECT_EQ(state.info("presence-r").users, (std::vector<std::string>{"watcher"}));
}

TEST_F(ChannelsTest, ResumeReplaysWithoutLossOrDuplicates) {
  for (int i = 0; i < 5; ++i) publish({"a"});
  auto out = subscribe("1.1", "a", "", true, 3);
  std::vector<std::uint64_t> seqs;
  for (const Effect& e : out.effects) {
    if (auto* ev = std::get_if<EventMessage>(&e.message)) seqs.push_back(ev->seq);
  }
  EXPECT_EQ(seqs, (std::vector<std::uint64_t>{4, 5}));
  EXPECT_EQ(find<MissedEvents>(out), nullptr);
}

// A connection that sent a client event and never got its reply (lost, or applied on a node
// that caught up by snapshot) must still learn which number the event took: a resume
// passing over it says so with an EventOmitted in its place, never the event itself
// (presence-churn seed 966: the ordered client waited on that hole for good).
TEST_F(ChannelsTest, ResumeOverOwnClientEventSaysWhichNumberItTook) {
  subscribe("1.1", "private-p");
  subscribe("1.2", "private-p");
  publish({"private-p"});                                       // seq 1
  run(ClientEventOp{"1.1", "private-p", "client-x", "mine"});  // seq 2, 1.1's own
  publish({"private-p"});                                       // seq 3
  auto out = subscribe("1.1", "private-p", "", true, 0);
  std::vector<std::pair<std::string, std::uint64_t>> got;
  for (const Effect& e : out.effects) {
    EXPECT_EQ(e.socket_id, "1.1");
    if (const auto* ev = std::get_if<EventMessage>(&e.message)) {
      EXPECT_NE(ev->data, "mine");  // never echoed
      got.emplace_back("event", ev->seq);
    } else if (const auto* omitted = std::get_if<EventOmitted>(&e.message)) {
      EXPECT_EQ(omitted->channel, "private-p");
      got.emplace_back("own", omitted->seq);
    }
  }
  EXPECT_EQ(got, (std::vector<std::pair<std::string, std::uint64_t>>{{"event", 1}, {"own", 2}, {"event", 3}}));
  // Another subscriber's resume gets the event itself.
  auto other = subscribe("1.2", "private-p", "", true, 1);
  EXPECT_EQ(find<EventOmitted>(other), nullptr);
  EXPECT_EQ(event_targets(other).size(), 2u);  // 2 and 3
}

TEST_F(ChannelsTest, ResumePastRetainedHistoryIsToldItMissedEvents) {
  ChannelConfig config;
  config.history_per_channel_max = 3;
  state = ChannelState(config, Bugs{});
  for (int i = 0; i < 10; ++i) publish({"a"});
  auto out = subscribe("1.1", "a", "", true, 2);
  const MissedEvents* missed = find<MissedEvents>(out);
  ASSERT_NE(missed, nullptr);
  EXPECT_EQ(missed->first_seq, 3u);
  EXPECT_EQ(missed->last_seq, 7u);
  EXPECT_EQ(event_targets(out).size(), 3u);  // 8, 9, 10
}

TEST_F(ChannelsTest, SessionsApplyARetryOnce) {
  auto first = publish({"a"}, "", 77, 1);
  auto retry = publish({"a"}, "", 77, 1);
  EXPECT_TRUE(retry.result.duplicate);
  EXPECT_EQ(retry.result.seqs, first.result.seqs);
  EXPECT_EQ(state.info("a").seq_last, 1u);
  publish({"a"}, "", 77, 2);
  EXPECT_EQ(publish({"a"}, "", 77, 1).result.status, Status::stale_request);
  EXPECT_EQ(state.info("a").seq_last, 2u);
}

TEST_F(ChannelsTest, RetryAppliedTwiceBugDuplicates) {
  state = ChannelState(ChannelConfig{}, Bugs::only(Bug::retry_applied_twice));
  publish({"a"}, "", 77, 1);
  publish({"a"}, "", 77, 1);
  EXPECT_EQ(state.info("a").seq_last, 2u);
}

TEST_F(ChannelsTest, NodeRestartAndExpiryRemoveItsConnections) {
  subscribe("1.1", "presence-r", "alice", false, 0, 1);
  subscribe("2.1", "presence-r", "bob", false, 0, 2);
  auto expired = run(ExpireNodeOp{2, 1});
  EXPECT_NE(find<SessionExpired>(expired), nullptr);
  EXPECT_EQ(state.info("presence-r").users, (std::vector<std::string>{"alice"}));
  run(NodeUpOp{1, 2});
  EXPECT_FALSE(state.info("presence-r").occupied);
  // A late op from the dead incarnation is refused.
  EXPECT_EQ(subscribe("1.5", "a", "", false, 0, 1).effects.size(), 0u);
}

TEST_F(ChannelsTest, SnapshotRoundTripsExactly) {
  subscribe("1.1", "presence-r", "alice");
  subscribe("1.2", "private-p");
  publish({"a", "presence-r"}, "", 5, 1);
  const Bytes snap = state.snapshot();
  ChannelState copy(ChannelConfig{}, Bugs{});
  ASSERT_TRUE(copy.restore(snap));
  EXPECT_EQ(copy.digest(), state.digest());
  EXPECT_EQ(copy.applied_index(), state.applied_index());
  EXPECT_TRUE(copy.apply(index + 1, Command{5, 1, {PublishOp{{"a"}, "e", "", ""}}})
                  .result.duplicate);
  EXPECT_FALSE(copy.restore(Bytes{1, 2, 3}));
}

// A follower that catches up by InstallSnapshot never applies the skipped entries: their
// events must still reach its local subscribers (snapshot-catchup seed 29 compact=12 lost
// news-1 seq 19 this way), exactly those and in order, and none to a socket that
// subscribed inside the skipped range or to an excluded sender.
TEST_F(ChannelsTest, RestoreCatchingUpDeliversSkippedEventsToLocalSubscribers) {
  subscribe("1.1", "a");                 // node 1's subscriber
  subscribe("2.1", "a", "", false, 0, 2);  // node 2's
  publish({"a"});                        // seq 1: applied on the follower too
  ChannelState follower(ChannelConfig{}, Bugs{});
  ASSERT_TRUE(follower.restore(state.snapshot()));
  publish({"a"});                        // seq 2: skipped by the follower
  publish({"a"}, "1.1");                 // seq 3: 1.1 is its sender, excluded
  subscribe("1.2", "a");                 // subscribes inside the skipped range
  publish({"a", "b"});                   // seq 4 on a, seq 1 on b (new channel)
  const auto effects = follower.restore_catching_up(state.snapshot(), 1);
  ASSERT_TRUE(effects.has_value());
  EXPECT_EQ(follower.digest(), state.digest());
  std::vector<std::pair<std::string, std::uint64_t>> got;
  for (const Effect& e : *effects) {
    EXPECT_EQ(e.node, 1u);
    if (const auto* omitted = std::get_if<EventOmitted>(&e.message)) {
      // Its own event: only the number it took (its ClientEventReply was skipped too).
      EXPECT_EQ(omitted->channel, "a");
      got.emplace_back(e.socket_id + " own", omitted->seq);
      continue;
    }
    const auto* event = std::get_if<EventMessage>(&e.message);
    ASSERT_NE(event, nullptr);
    EXPECT_EQ(event->channel, "a");
    got.emplace_back(e.socket_id, event->seq);
  }
  EXPECT_EQ(got, (std::vector<std::pair<std::string, std::uint64_t>>{{"1.1", 2}, {"1.1 own", 3}, {"1.1", 4}}));
  EXPECT_FALSE(follower.restore_catching_up(Bytes{1, 2, 3}, 1).has_value());
}

TEST_F(ChannelsTest, ARetriedNodeCommandCarriesTheAnswersItsFirstApplicationSent) {
  // Node 3 forwards a batch; it is committed and applied while node 3 installs a snapshot
  // over that entry, so node 3 never applies it and never answers its connection. Its
  // retry then applies as a duplicate, which must carry the original answers.
  const std::uint64_t node3_session = (1ULL << 63) | (3ULL << 32) | 1;
  SubscribeOp bad;
  bad.socket_id = "3.1";
  bad.node = 3;
  bad.incarnation = 1;
  bad.channel = "bad#name";
  SubscribeOp good = bad;
  good.channel = "news";
  const Command batch{node3_session, 7, {bad, good}};
  EXPECT_TRUE(state.apply(++index, batch, 1).effects.empty());  // applied on node 1: nothing for node 3
  ChannelState node3(ChannelConfig{}, Bugs{});
  ASSERT_TRUE(node3.restore(state.snapshot()));  // the snapshot carries the remembered answers
  const ApplyOutcome retry = node3.apply(++index, batch, 3);
  EXPECT_TRUE(retry.result.duplicate);
  EXPECT_TRUE(retry.effects.empty());
  ASSERT_EQ(retry.replies_again.size(), 2u);
  std::vector<std::pair<std::string, Status>> answers;
  for (const Effect& e : retry.replies_again) {
    EXPECT_EQ(e.node, 3u);
    EXPECT_EQ(e.socket_id, "3.1");
    const auto* reply = std::get_if<SubscribeReply>(&e.message);
    ASSERT_NE(reply, nullptr);
    answers.emplace_back(reply->channel, reply->status);
  }
  EXPECT_EQ(answers, (std::vector<std::pair<std::string, Status>>{{"bad#name", Status::invalid_channel},
                                                                  {"news", Status::ok}}));
  // Other nodes have nothing to answer; a client's own session keeps no answers.
  EXPECT_TRUE(state.apply(++index, batch, 1).replies_again.empty());
  const Command from_client{42, 1, {good}};
  state.apply(++index, from_client, 1);
  EXPECT_TRUE(state.apply(++index, from_client, 3).replies_again.empty());
}

TEST_F(ChannelsTest, RestoreCatchingUpPastTheHistoryReportsMissedEvents) {
  state = ChannelState(ChannelConfig{AppCredentials{}, 2, 4096}, Bugs{});
  subscribe("1.1", "a");
  ChannelState follower(ChannelConfig{AppCredentials{}, 2, 4096}, Bugs{});
  ASSERT_TRUE(follower.restore(state.snapshot()));
  for (int i = 0; i < 5; ++i) publish({"a"});  // seqs 1..5, history keeps 4 and 5
  const auto effects = follower.restore_catching_up(state.snapshot(), 1);
  ASSERT_TRUE(effects.has_value());
  ASSERT_EQ(effects->size(), 3u);
  const auto* missed = std::get_if<MissedEvents>(&(*effects)[0].message);
  ASSERT_NE(missed, nullptr);
  EXPECT_EQ(missed->first_seq, 1u);
  EXPECT_EQ(missed->last_seq, 3u);
  EXPECT_EQ(std::get<EventMessage>((*effects)[1].message).seq, 4u);
  EXPECT_EQ(std::get<EventMessage>((*effects)[2].message).seq, 5u);
}

// The state machine against a sequential model of sequence numbers and subscriptions.
RC_GTEST_PROP(ChannelsModel, MatchesSequentialModel, ()) {
  ChannelState state(ChannelConfig{}, Bugs{});
  AppCredentials app;
  std::map<std::string, std::uint64_t> seq;                   // channel -> last seq
  std::map<std::string, std::set<std::string>> subscribers;  // channel -> sockets
  std::map<std::string, std::map<std::string, int>> members;  // channel -> user -> conns
  const std::vector<std::string> channels{"a", "b", "private-c", "presence-d"};
  const std::vector<std::string> sockets{"1.1", "1.2", "2.1"};
  const std::vector<std::string> users{"u1", "u2"};
  std::map<std::string, std::string> user_of;  // socket -> user (fixed per socket+run)
  for (const std::string& s : sockets) user_of[s] = *rc::gen::elementOf(users);
  std::uint64_t index = 0;
  const int steps = *rc::gen::inRange(1, 60);
  for (int i = 0; i < steps; ++i) {
    const int kind = *rc::gen::inRange(0, 4);
    const std::string channel = *rc::gen::elementOf(channels);
    const std::string socket = *rc::gen::elementOf(sockets);
    if (kind == 0) {
      state.apply(++index, Command{0, 0, {PublishOp{{channel}, "e", "", ""}}});
      ++seq[channel];
    } else if (kind == 1) {
      SubscribeOp op{socket, 1, 1, channel, "", "", false, 0};
      if (channel_kind(channel) == ChannelKind::presence_channel) {
        op.channel_data = presence_channel_data(user_of[socket], "");
      }
      if (channel_kind(channel) != ChannelKind::public_channel) {
        op.auth = sign_subscription(app, socket, channel, op.channel_data);
      }
      state.apply(++index, Command{0, 0, {op}});
      if (subscribers[channel].insert(socket).second &&
          channel_kind(channel) == ChannelKind::presence_channel) {
        if (members[channel][user_of[socket]]++ == 0) ++seq[channel];
      }
    } else if (kind == 2) {
      state.apply(++index, Command{0, 0, {UnsubscribeOp{socket, channel}}});
      if (subscribers[channel].erase(socket) &&
          channel_kind(channel) == ChannelKind::presence_channel) {
        if (--members[channel][user_of[socket]] == 0) {
          members[channel].erase(user_of[socket]);
          ++seq[channel];
        }
      }
    } else {
      state.apply(++index, Command{0, 0, {ClientEventOp{socket, channel, "client-e", ""}}});
      if (subscribers[channel].contains(socket) &&
          channel_kind(channel) != ChannelKind::public_channel) {
        ++seq[channel];
      }
    }
    for (const std::string& c : channels) {
      const ChannelInfo info = state.info(c);
      RC_ASSERT(info.seq_last == seq[c]);
      RC_ASSERT(info.subscription_count == subscribers[c].size());
      RC_ASSERT(info.user_count == members[c].size());
    }
  }
}

}  // namespace
}  // namespace simbus::core
