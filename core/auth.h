// Pusher-style subscription auth: "<app_key>:<hex HMAC-SHA256(secret, string_to_sign)>",
// where string_to_sign is "socket_id:channel" or, for presence, "socket_id:channel:data".
// HMAC and SHA come from OpenSSL's libcrypto (pure functions; no home-made crypto).
#pragma once

#include <string>
#include <string_view>

namespace simbus::core {

struct AppCredentials {
  std::string key = "simbus-key";
  std::string secret = "simbus-secret";
};

std::string hmac_sha256_hex(std::string_view secret, std::string_view message);
// a == b in time that depends only on the lengths: for comparing a presented signature
// with the expected one.
bool equal_constant_time(std::string_view a, std::string_view b);
std::string subscription_string_to_sign(std::string_view socket_id, std::string_view channel,
                                        std::string_view channel_data);
// The auth token a trusted app server would hand its client.
std::string sign_subscription(const AppCredentials& app, std::string_view socket_id,
                              std::string_view channel, std::string_view channel_data);
// Constant-time comparison of the signature.
bool verify_subscription(const AppCredentials& app, std::string_view auth,
                         std::string_view socket_id, std::string_view channel,
                         std::string_view channel_data);

}  // namespace simbus::core
