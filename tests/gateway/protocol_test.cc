// Pusher protocol 7 frames: what the gateway sends is what pusher-js parses (data as a
// JSON string), and what clients send is read whatever the data's form.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/channels.h"
#include "gateway/protocol.h"

namespace simbus::gateway {
namespace {

using nlohmann::json;

TEST(GatewayProtocol, ConnectionEstablishedCarriesDataAsAString) {
  const json frame = json::parse(connection_established("1.2", 120));
  EXPECT_EQ(frame["event"], "pusher:connection_established");
  ASSERT_TRUE(frame["data"].is_string());
  const json data = json::parse(frame["data"].get<std::string>());
  EXPECT_EQ(data["socket_id"], "1.2");
  EXPECT_EQ(data["activity_timeout"], 120);
}

TEST(GatewayProtocol, PresenceSubscriptionSucceededListsMembers) {
  const std::vector<core::Member> members{{"u1", R"({"user_id":"u1","user_info":{"name":"A"}})"},
                                          {"u2", R"({"user_id":"u2"})"}};
  const json frame = json::parse(subscription_succeeded("presence-x", members, true));
  const json data = json::parse(frame["data"].get<std::string>());
  EXPECT_EQ(data["presence"]["count"], 2);
  EXPECT_EQ(data["presence"]["ids"], json::array({"u1", "u2"}));
  EXPECT_EQ(data["presence"]["hash"]["u1"]["name"], "A");
  EXPECT_TRUE(data["presence"]["hash"]["u2"].is_null());
  EXPECT_EQ(json::parse(subscription_succeeded("private-x", {}, false))["data"], "{}");
}

TEST(GatewayProtocol, MemberEventsAndClientEventsUserId) {
  core::EventMessage added{"1.1", "presence-x", 3, std::string(core::member_added_event),
                           R"({"user_id":"u1","user_info":{"n":1}})", "u1"};
  json data = json::parse(json::parse(channel_event(added))["data"].get<std::string>());
  EXPECT_EQ(data["user_id"], "u1");
  EXPECT_EQ(data["user_info"]["n"], 1);
  core::EventMessage removed{"1.1", "presence-x", 4, std::string(core::member_removed_event), "", "u1"};
  data = json::parse(json::parse(channel_event(removed))["data"].get<std::string>());
  EXPECT_EQ(data, json({{"user_id", "u1"}}));
  core::EventMessage client{"1.1", "presence-x", 5, "client-a", R"({"k":1})", "u2"};
  const json frame = json::parse(channel_event(client));
  EXPECT_EQ(frame["user_id"], "u2");
  EXPECT_EQ(frame["data"], R"({"k":1})");
  core::EventMessage plain{"1.1", "c", 6, "e", "text", ""};
  EXPECT_FALSE(json::parse(channel_event(plain)).contains("user_id"));
}

TEST(GatewayProtocol, ReadsClientFrames) {
  auto f = parse_client_frame(R"({"event":"pusher:subscribe","data":{"channel":"private-a","auth":"k:s"}})");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->data_channel, "private-a");
  EXPECT_EQ(f->auth, "k:s");
  f = parse_client_frame(R"({"event":"pusher:subscribe","data":"{\"channel\":\"b\"}"})");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->data_channel, "b");
  f = parse_client_frame(R"({"event":"client-x","channel":"private-a","data":{"n":1}})");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->channel, "private-a");
  EXPECT_EQ(f->data, R"({"n":1})");
  EXPECT_FALSE(parse_client_frame("[1]"));
  EXPECT_FALSE(parse_client_frame(R"({"event":1})"));
  EXPECT_FALSE(parse_client_frame("not json"));
}

TEST(GatewayProtocol, ConnectTarget) {
  ConnectTarget t = parse_connect_target("/app/key1?protocol=7&client=js&version=8.4.3");
  EXPECT_TRUE(t.path_ok);
  EXPECT_EQ(t.app_key, "key1");
  EXPECT_EQ(t.protocol, 7);
  EXPECT_FALSE(parse_connect_target("/app/key1").protocol);
  EXPECT_FALSE(parse_connect_target("/app/key1?protocol=x").protocol);
  EXPECT_FALSE(parse_connect_target("/apps/key1?protocol=7").path_ok);
  EXPECT_FALSE(parse_connect_target("/app/?protocol=7").path_ok);
}

}  // namespace
}  // namespace simbus::gateway
