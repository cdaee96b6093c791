// The HTTP API's request signature (Pusher's "auth_version 1.0"): the query carries
// auth_key, auth_timestamp (Unix seconds), auth_version=1.0, body_md5 (hex MD5 of a
// non-empty body) and auth_signature = hex HMAC-SHA256(secret, "METHOD\nPATH\nQUERY"),
// QUERY being every other parameter as key=value (values decoded), sorted by key, joined
// by '&'.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace simbus::gateway {

inline constexpr std::int64_t auth_timestamp_window_s = 600;

// Query parameters, percent-decoded ('+' is a space). nullopt: a malformed escape or a
// parameter given twice.
std::optional<std::map<std::string, std::string>> parse_query(std::string_view query);
std::string md5_hex(std::string_view data);

struct SignedRequest {
  std::string_view method;  // "GET", "POST"
  std::string_view path;    // without the query
  const std::map<std::string, std::string>* query = nullptr;
  std::string_view body;
};
// Empty when the request is properly signed by (key, secret) at now_s; otherwise why not.
std::string check_signature(const SignedRequest& request, std::string_view key, std::string_view secret,
                            std::int64_t now_s);
// What a client signs (for tests and tools): the string to sign of these parameters.
std::string string_to_sign(std::string_view method, std::string_view path,
                           const std::map<std::string, std::string>& query);

}  // namespace simbus::gateway
