#include "gateway/protocol.h"

#include <charconv>

#include <nlohmann/json.hpp>

#include "core/channels.h"

namespace simbus::gateway {
namespace {

using nlohmann::json;

std::string frame(std::string_view event, const json& data, std::string_view channel = {}) {
  json out = {{"event", event}};
  if (!channel.empty()) out["channel"] = channel;
  out["data"] = data;
  // Invalid UTF-8 in client-supplied data is replaced, not thrown on.
  return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string text_of(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string string_field(const json& object, const char* name) {
  if (!object.is_object()) return {};
  auto it = object.find(name);
  if (it == object.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

}  // namespace

std::string connection_established(std::string_view socket_id, std::int64_t activity_timeout_s) {
  return frame("pusher:connection_established",
               json({{"socket_id", socket_id}, {"activity_timeout", activity_timeout_s}}).dump());
}

std::string error_frame(std::uint16_t code, std::string_view message) {
  json data = {{"message", message}};
  data["code"] = code == 0 ? json(nullptr) : json(code);
  return frame("pusher:error", data);
}

std::string pong_frame() { return frame("pusher:pong", "{}"); }
std::string ping_frame() { return frame("pusher:ping", "{}"); }

std::string subscription_succeeded(std::string_view channel, const std::vector<core::Member>& members,
                                   bool presence) {
  if (!presence) return frame("pusher_internal:subscription_succeeded", "{}", channel);
  json ids = json::array();
  json hash = json::object();
  for (const core::Member& m : members) {
    ids.push_back(m.user_id);
    hash[m.user_id] = json::parse(member_user_info(m.user_info));
  }
  const json data = {{"presence", {{"ids", ids}, {"hash", hash}, {"count", members.size()}}}};
  return frame("pusher_internal:subscription_succeeded", data.dump(-1, ' ', false, json::error_handler_t::replace),
               channel);
}

std::string subscription_error(std::string_view channel, std::string_view type, std::string_view error,
                               int status) {
  return frame("pusher:subscription_error", json({{"type", type}, {"error", error}, {"status", status}}), channel);
}

std::string channel_event(const core::EventMessage& event) {
  if (event.event == core::member_added_event) {
    const json data = {{"user_id", event.user_id}, {"user_info", json::parse(member_user_info(event.data))}};
    return frame(event.event, data.dump(-1, ' ', false, json::error_handler_t::replace), event.channel);
  }
  if (event.event == core::member_removed_event) {
    return frame(event.event, json({{"user_id", event.user_id}}).dump(), event.channel);
  }
  json out = {{"event", event.event}, {"channel", event.channel}, {"data", event.data}};
  if (!event.user_id.empty()) out["user_id"] = event.user_id;
  return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string signin_success(std::string_view user_data) {
  return frame("pusher:signin_success", json({{"user_data", user_data}}));
}

ConnectTarget parse_connect_target(std::string_view target) {
  ConnectTarget out;
  const std::size_t q = target.find('?');
  const std::string_view path = target.substr(0, q);
  constexpr std::string_view prefix = "/app/";
  if (!path.starts_with(prefix) || path.size() == prefix.size()) return out;
  out.app_key = std::string(path.substr(prefix.size()));
  out.path_ok = out.app_key.find('/') == std::string::npos;
  if (q == std::string_view::npos) return out;
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (!pair.starts_with("protocol=")) continue;
    const std::string_view value = pair.substr(9);
    int version = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), version);
    if (ec == std::errc() && end == value.data() + value.size()) out.protocol = version;
  }
  return out;
}

std::optional<ClientFrame> parse_client_frame(std::string_view text) {
  const json message = json::parse(text, nullptr, false);
  if (message.is_discarded() || !message.is_object()) return std::nullopt;
  auto event = message.find("event");
  if (event == message.end() || !event->is_string()) return std::nullopt;
  ClientFrame out;
  out.event = event->get<std::string>();
  out.channel = string_field(message, "channel");
  auto data = message.find("data");
  if (data == message.end()) return out;
  out.data = text_of(*data);
  // pusher-js sends the data of its own events as an object; some clients send a string.
  json fields = *data;
  if (fields.is_string()) {
    fields = json::parse(fields.get<std::string>(), nullptr, false);
  }
  out.data_channel = string_field(fields, "channel");
  out.auth = string_field(fields, "auth");
  out.channel_data = string_field(fields, "channel_data");
  out.user_data = string_field(fields, "user_data");
  return out;
}

std::string member_user_info(std::string_view channel_data) {
  const json data = json::parse(channel_data, nullptr, false);
  if (data.is_discarded() || !data.is_object()) return "null";
  auto it = data.find("user_info");
  if (it == data.end()) return "null";
  return it->dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace simbus::gateway
