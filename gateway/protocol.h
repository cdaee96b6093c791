// Pusher Channels protocol 7 frames as JSON text (https://pusher.com/docs/channels/library_auth_reference/pusher-websockets-protocol/).
// Pure functions: the WebSocket session (ws_session.h) sends what these build and acts on
// what parse_client_frame reads. The server always sends `data` as a JSON-encoded string,
// which is what pusher-js expects (it JSON.parses a string data and falls back to the raw
// string).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/messages.h"

namespace simbus::gateway {

// Close codes of the protocol.
inline constexpr std::uint16_t close_app_unknown = 4001;
inline constexpr std::uint16_t close_unsupported_protocol = 4007;
inline constexpr std::uint16_t close_no_protocol = 4008;
inline constexpr std::uint16_t close_unauthorized = 4009;
inline constexpr std::uint16_t close_over_capacity = 4100;
inline constexpr std::uint16_t close_reconnect_now = 4200;
inline constexpr std::uint16_t close_pong_not_received = 4201;
inline constexpr std::uint16_t close_rate_limited = 4301;

inline constexpr std::size_t client_frame_bytes_max = 64 * 1024;

std::string connection_established(std::string_view socket_id, std::int64_t activity_timeout_s);
// code 0: "code": null (an error that does not close the connection).
std::string error_frame(std::uint16_t code, std::string_view message);
std::string pong_frame();
std::string ping_frame();
std::string subscription_succeeded(std::string_view channel, const std::vector<core::Member>& members,
                                   bool presence);
// pusher:subscription_error, delivered by pusher-js to the channel's bound handlers.
std::string subscription_error(std::string_view channel, std::string_view type, std::string_view error,
                               int status);
// An event of a channel as the broker delivered it (member events mapped to the
// protocol's pusher_internal:member_added/removed with their data).
std::string channel_event(const core::EventMessage& event);
std::string signin_success(std::string_view user_data);

// The app key and protocol version from the WebSocket URL /app/<key>?protocol=7&...
struct ConnectTarget {
  std::string app_key;
  std::optional<int> protocol;  // nullopt: absent or not a number
  bool path_ok = false;
};
ConnectTarget parse_connect_target(std::string_view target);

// One frame from a client.
struct ClientFrame {
  std::string event;
  std::string channel;  // top-level "channel" (client events)
  std::string data;     // `data` as text: a string's value, anything else re-serialized
  // From data of pusher:subscribe / unsubscribe / signin.
  std::string data_channel;
  std::string auth;
  std::string channel_data;
  std::string user_data;
};
// nullopt: not a JSON object with a string "event" (the caller answers pusher:error).
std::optional<ClientFrame> parse_client_frame(std::string_view text);

// The user_info object of a presence member's channel_data ({"user_id":..,"user_info":..}),
// as JSON text ("null" when absent or not JSON).
std::string member_user_info(std::string_view channel_data);

}  // namespace simbus::gateway
