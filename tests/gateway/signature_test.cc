// The HTTP API's signature check: what pusher (the npm library) signs is accepted, and each
// part it covers (secret, key, timestamp window, version, body, path, query) is refused
// when changed.
#include <gtest/gtest.h>

#include "core/auth.h"
#include "gateway/signature.h"

namespace simbus::gateway {
namespace {

constexpr std::int64_t now_s = 1'700'000'000;

struct Signed {
  std::map<std::string, std::string> query;
  std::string body;
};

Signed sign(std::string_view method, std::string_view path, std::string body, std::int64_t ts,
            std::string_view secret = "sec", std::map<std::string, std::string> extra = {}) {
  Signed s{std::move(extra), std::move(body)};
  s.query["auth_key"] = "key";
  s.query["auth_timestamp"] = std::to_string(ts);
  s.query["auth_version"] = "1.0";
  if (!s.body.empty()) s.query["body_md5"] = md5_hex(s.body);
  s.query["auth_signature"] = core::hmac_sha256_hex(secret, string_to_sign(method, path, s.query));
  return s;
}

std::string check(const Signed& s, std::string_view method = "POST", std::string_view path = "/apps/1/events") {
  return check_signature(SignedRequest{method, path, &s.query, s.body}, "key", "sec", now_s);
}

TEST(GatewaySignature, PusherNodeLibraryVector) {
  // As pusher 5 signs a GET /channels?filter_by_prefix=presence-&info=user_count.
  std::map<std::string, std::string> q{{"auth_key", "key"}, {"auth_timestamp", "1700000000"}, {"auth_version", "1.0"},
                                       {"filter_by_prefix", "presence-"}, {"info", "user_count"}};
  EXPECT_EQ(string_to_sign("GET", "/apps/1/channels", q),
            "GET\n/apps/1/channels\nauth_key=key&auth_timestamp=1700000000&auth_version=1.0&filter_by_prefix=presence-&"
            "info=user_count");
  EXPECT_EQ(md5_hex(""), "d41d8cd98f00b204e9800998ecf8427e");
}

TEST(GatewaySignature, AcceptsAProperlySignedRequest) {
  EXPECT_EQ(check(sign("POST", "/apps/1/events", R"({"name":"e"})", now_s)), "");
  EXPECT_EQ(check(sign("GET", "/apps/1/channels", "", now_s - 600, "sec", {{"info", "user_count"}}), "GET",
                  "/apps/1/channels"),
            "");
}

TEST(GatewaySignature, RefusesEachChangedPart) {
  const std::string body = R"({"name":"e"})";
  EXPECT_EQ(check(sign("POST", "/apps/1/events", body, now_s, "other")), "invalid auth_signature");
  EXPECT_NE(check(sign("POST", "/apps/1/events", body, now_s - 601)), "");
  EXPECT_NE(check(sign("POST", "/apps/1/events", body, now_s + 601)), "");
  EXPECT_EQ(check(sign("POST", "/apps/1/events", body, now_s), "GET"), "invalid auth_signature");
  EXPECT_EQ(check(sign("POST", "/apps/1/events", body, now_s), "POST", "/apps/2/events"), "invalid auth_signature");
  Signed tampered = sign("POST", "/apps/1/events", body, now_s);
  tampered.body = R"({"name":"f"})";
  EXPECT_EQ(check(tampered), "body_md5 does not match the body");
  Signed added = sign("POST", "/apps/1/events", body, now_s);
  added.query["extra"] = "1";
  EXPECT_EQ(check(added), "invalid auth_signature");
  Signed key = sign("POST", "/apps/1/events", body, now_s);
  key.query["auth_key"] = "other";
  EXPECT_EQ(check(key), "unknown auth_key");
  Signed version = sign("POST", "/apps/1/events", body, now_s);
  version.query["auth_version"] = "2.0";
  EXPECT_EQ(check(version), "auth_version must be 1.0");
  Signed missing = sign("POST", "/apps/1/events", body, now_s);
  missing.query.erase("auth_signature");
  EXPECT_NE(check(missing), "");
  Signed no_md5 = sign("POST", "/apps/1/events", body, now_s);
  no_md5.query.erase("body_md5");
  EXPECT_EQ(check(no_md5), "body_md5 is required with a body");
}

TEST(GatewaySignature, ParsesQueries) {
  auto q = parse_query("a=1&b=x%2Cy&c=&d=a+b");
  ASSERT_TRUE(q);
  EXPECT_EQ((*q)["b"], "x,y");
  EXPECT_EQ((*q)["c"], "");
  EXPECT_EQ((*q)["d"], "a b");
  EXPECT_FALSE(parse_query("a=%2"));
  EXPECT_FALSE(parse_query("a=%zz"));
  EXPECT_FALSE(parse_query("a=1&a=2"));
}

}  // namespace
}  // namespace simbus::gateway
