#include "core/names.h"

namespace simbus::core {
namespace {

bool allowed(char c) {
  if (c >= 'a' && c <= 'z') return true;
  if (c >= 'A' && c <= 'Z') return true;
  if (c >= '0' && c <= '9') return true;
  switch (c) {
    case '_': case '-': case '=': case '@': case ',': case '.': case ';': return true;
    default: return false;
  }
}

}  // namespace

bool valid_channel_name(std::string_view name) {
  if (name.empty() || name.size() > channel_name_bytes_max) return false;
  for (char c : name) {
    if (!allowed(c)) return false;
  }
  // A bare prefix names no channel.
  return name != "private-" && name != "presence-";
}

ChannelKind channel_kind(std::string_view name) {
  if (name.starts_with("presence-")) return ChannelKind::presence_channel;
  if (name.starts_with("private-")) return ChannelKind::private_channel;
  return ChannelKind::public_channel;
}

bool valid_event_name(std::string_view name) {
  return !name.empty() && name.size() <= event_name_bytes_max;
}

bool is_client_event(std::string_view name) { return name.starts_with("client-"); }

}  // namespace simbus::core
