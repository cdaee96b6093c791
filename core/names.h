// Pusher Channels naming rules: at most 164 characters (prefix included), only
// [A-Za-z0-9] and _ - = @ , . ; — and the channel kind from its prefix.
#pragma once

#include <cstddef>
#include <string_view>

namespace simbus::core {

inline constexpr std::size_t channel_name_bytes_max = 164;
inline constexpr std::size_t event_name_bytes_max = 200;
inline constexpr std::size_t event_data_bytes_max = 10 * 1024;
inline constexpr std::size_t channels_per_publish_max = 100;

enum class ChannelKind : std::uint8_t { public_channel, private_channel, presence_channel };

bool valid_channel_name(std::string_view name);
ChannelKind channel_kind(std::string_view name);
bool valid_event_name(std::string_view name);
bool is_client_event(std::string_view name);

}  // namespace simbus::core
