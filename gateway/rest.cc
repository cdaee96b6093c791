#include "gateway/rest.h"

#include <chrono>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/names.h"
#include "gateway/signature.h"
#include "runtime/log.h"

namespace simbus::gateway {
namespace {

namespace http = boost::beast::http;
using nlohmann::json;

RestReply error(unsigned status, std::string_view message) {
  return RestReply{status, json({{"error", message}}).dump(-1, ' ', false, json::error_handler_t::replace)};
}

struct Event {
  std::vector<std::string> channels;
  std::string name;
  std::string data;
  std::string socket_id;
};

// Reads one event of /events or of a batch; nullopt with *why set when it is refused.
std::optional<Event> read_event(const json& body, bool batch, RestReply* why) {
  if (!body.is_object()) {
    *why = error(400, "the body must be a JSON object");
    return std::nullopt;
  }
  Event e;
  auto name = body.find("name");
  auto data = body.find("data");
  if (name == body.end() || !name->is_string()) {
    *why = error(400, "'name' (a string) is required");
    return std::nullopt;
  }
  e.name = name->get<std::string>();
  if (data == body.end()) {
    *why = error(400, "'data' is required");
    return std::nullopt;
  }
  e.data = data->is_string() ? data->get<std::string>() : data->dump(-1, ' ', false, json::error_handler_t::replace);
  if (auto channels = body.find("channels"); !batch && channels != body.end()) {
    if (!channels->is_array()) {
      *why = error(400, "'channels' must be an array of strings");
      return std::nullopt;
    }
    for (const json& c : *channels) {
      if (!c.is_string()) {
        *why = error(400, "'channels' must be an array of strings");
        return std::nullopt;
      }
      e.channels.push_back(c.get<std::string>());
    }
  } else if (auto channel = body.find("channel"); channel != body.end() && channel->is_string()) {
    e.channels.push_back(channel->get<std::string>());
  }
  if (auto socket = body.find("socket_id"); socket != body.end()) {
    if (!socket->is_string()) {
      *why = error(400, "'socket_id' must be a string");
      return std::nullopt;
    }
    e.socket_id = socket->get<std::string>();
  }
  if (e.channels.empty()) {
    *why = error(400, "'channels' (or 'channel') is required");
    return std::nullopt;
  }
  if (e.channels.size() > core::channels_per_publish_max) {
    *why = error(400, fmt::format("at most {} channels per event, got {}", core::channels_per_publish_max, e.channels.size()));
    return std::nullopt;
  }
  for (const std::string& c : e.channels) {
    if (!core::valid_channel_name(c)) {
      *why = error(400, fmt::format("invalid channel name '{}'", c));
      return std::nullopt;
    }
  }
  if (!core::valid_event_name(e.name)) {
    *why = error(400, fmt::format("event name must be 1..{} bytes", core::event_name_bytes_max));
    return std::nullopt;
  }
  if (e.data.size() > core::event_data_bytes_max) {
    *why = error(413, fmt::format("data is {} bytes, over the limit of {}", e.data.size(), core::event_data_bytes_max));
    return std::nullopt;
  }
  return e;
}

RestReply publish(Gateway& gateway, const Event& e) {
  CallerLease client(gateway.callers());
  if (!client) return error(503, "every client of the broker is busy");
  std::optional<core::PublishReply> reply = client->publish(e.channels, e.name, e.data, e.socket_id);
  if (!reply) return error(503, "no answer from the cluster: the event may or may not have been published");
  if (reply->status != core::Status::ok) {
    return error(400, fmt::format("refused: {}", core::status_name(reply->status)));
  }
  return RestReply{200, "{}"};
}

std::vector<std::string> split(std::string_view text, char by) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const std::size_t at = text.find(by);
    out.emplace_back(text.substr(0, at));
    if (at == std::string_view::npos) break;
    text.remove_prefix(at + 1);
  }
  return out;
}

RestReply list_channels(Gateway& gateway, const std::map<std::string, std::string>& query) {
  auto prefix_it = query.find("filter_by_prefix");
  const std::string prefix = prefix_it == query.end() ? "" : prefix_it->second;
  bool user_count = false;
  if (auto info = query.find("info"); info != query.end()) {
    for (const std::string& attribute : split(info->second, ',')) {
      if (attribute == "user_count") {
        user_count = true;
      } else {
        return error(400, fmt::format("info '{}' is not supported on the channel list (only user_count)", attribute));
      }
    }
  }
  if (user_count && !prefix.starts_with("presence-")) {
    return error(400, "info=user_count needs filter_by_prefix=presence-");
  }
  const core::ChannelState& state = gateway.node().channels();
  json channels = json::object();
  for (const std::string& name : state.occupied_channels(prefix, channels_listed_max)) {
    json attributes = json::object();
    if (user_count) attributes["user_count"] = state.info(name).user_count;
    channels[name] = attributes;
  }
  return RestReply{200, json({{"channels", channels}}).dump()};
}

RestReply channel_info(Gateway& gateway, const std::string& channel, const std::map<std::string, std::string>& query,
                       bool users) {
  if (!core::valid_channel_name(channel)) return error(400, fmt::format("invalid channel name '{}'", channel));
  const bool presence = core::channel_kind(channel) == core::ChannelKind::presence_channel;
  bool user_count = false;
  bool subscription_count = false;
  if (auto info = query.find("info"); info != query.end()) {
    for (const std::string& attribute : split(info->second, ',')) {
      if (attribute == "user_count") {
        user_count = true;
      } else if (attribute == "subscription_count") {
        subscription_count = true;
      } else {
        return error(400, fmt::format("unknown info attribute '{}'", attribute));
      }
    }
  }
  if ((users || user_count) && !presence) return error(400, "users and user_count exist only on presence channels");
  CallerLease client(gateway.callers());
  if (!client) return error(503, "every client of the broker is busy");
  std::optional<core::InfoReply> reply = client->info(channel);
  if (!reply) return error(503, "no answer from the cluster");
  if (reply->status != core::Status::ok) return error(400, fmt::format("refused: {}", core::status_name(reply->status)));
  if (users) {
    json list = json::array();
    for (const std::string& id : reply->users) list.push_back({{"id", id}});
    return RestReply{200, json({{"users", list}}).dump(-1, ' ', false, json::error_handler_t::replace)};
  }
  json out = {{"occupied", reply->occupied}};
  if (user_count) out["user_count"] = reply->user_count;
  if (subscription_count) out["subscription_count"] = reply->subscription_count;
  return RestReply{200, out.dump()};
}

}  // namespace

RestReply handle_rest(Gateway& gateway, const http::request<http::string_body>& request) {
  const std::string_view target(request.target().data(), request.target().size());
  const std::size_t q = target.find('?');
  const std::string_view path = target.substr(0, q);
  const std::string prefix = fmt::format("/apps/{}/", gateway.config().app_id);
  if (!path.starts_with(prefix)) return error(404, "no such app or path (the API is under /apps/<app id>/)");
  const std::optional<std::map<std::string, std::string>> query =
      parse_query(q == std::string_view::npos ? std::string_view{} : target.substr(q + 1));
  if (!query) return error(400, "malformed query string");
  const std::string method(request.method_string());
  const std::int64_t now_s =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  const std::string refused = check_signature(SignedRequest{method, path, &*query, request.body()},
                                              gateway.config().app_key, gateway.config().app_secret, now_s);
  if (!refused.empty()) return error(401, refused);

  const std::string_view rest = path.substr(prefix.size());
  const bool post = request.method() == http::verb::post;
  const bool get = request.method() == http::verb::get;
  if (rest == "events" || rest == "batch_events") {
    if (!post) return error(405, "POST only");
    const json body = json::parse(request.body(), nullptr, false);
    if (body.is_discarded()) return error(400, "the body is not JSON");
    RestReply why;
    if (rest == "events") {
      std::optional<Event> event = read_event(body, false, &why);
      return event ? publish(gateway, *event) : why;
    }
    auto batch = body.is_object() ? body.find("batch") : body.end();
    if (!body.is_object() || batch == body.end() || !batch->is_array()) return error(400, "'batch' (an array) is required");
    if (batch->size() > batch_events_max) {
      return error(400, fmt::format("at most {} events per batch, got {}", batch_events_max, batch->size()));
    }
    std::vector<Event> events;
    for (const json& item : *batch) {
      std::optional<Event> event = read_event(item, true, &why);
      if (!event) return why;
      events.push_back(std::move(*event));
    }
    for (const Event& event : events) {
      RestReply reply = publish(gateway, event);
      if (reply.status != 200) return reply;
    }
    return RestReply{200, "{}"};
  }
  if (!get) return error(405, "GET only");
  if (rest == "channels") return list_channels(gateway, *query);
  constexpr std::string_view channels_prefix = "channels/";
  if (rest.starts_with(channels_prefix)) {
    std::string_view name = rest.substr(channels_prefix.size());
    bool users = false;
    if (name.ends_with("/users")) {
      users = true;
      name.remove_suffix(6);
    }
    return channel_info(gateway, std::string(name), *query, users);
  }
  return error(404, fmt::format("no such path '{}'", path));
}

}  // namespace simbus::gateway
