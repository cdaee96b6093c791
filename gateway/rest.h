// The HTTP API (https://pusher.com/docs/channels/library_auth_reference/rest-api/), under
// /apps/<app id>/, every request signed (signature.h):
//   POST /events         {"name", "data", "channels" | "channel", "socket_id"?}: one publish
//                        through Raft, answered once committed (200 {}); data at most 10 KB
//                        (413), at most 100 channels (400)
//   POST /batch_events   {"batch": [{"channel", "name", "data", "socket_id"?}, ...]}, at most
//                        10, published one after another
//   GET  /channels       ?filter_by_prefix=&info=user_count: occupied channels, from this
//                        node's replica (it may lag the leader by a heartbeat)
//   GET  /channels/<c>   ?info=user_count,subscription_count: linearizable (at the leader)
//   GET  /channels/<c>/users  presence channels: {"users": [{"id"}]}, linearizable
// Runs inside a task: it blocks on the broker through a BrokerClient of its own endpoint.
#pragma once

#include <boost/beast/http.hpp>

#include <string>

#include "gateway/gateway.h"

namespace simbus::gateway {

inline constexpr std::size_t batch_events_max = 10;
inline constexpr std::size_t channels_listed_max = 10'000;

struct RestReply {
  unsigned status = 200;
  std::string body = "{}";
};

RestReply handle_rest(Gateway& gateway, const boost::beast::http::request<boost::beast::http::string_body>& request);

}  // namespace simbus::gateway
