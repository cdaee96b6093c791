// Presence channel_data: Pusher's JSON object {"user_id": "...", "user_info": {...}}.
// core/ parses only what it needs: the user_id (a JSON string or integer); the rest is
// carried opaquely as user_info.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/messages.h"

namespace simbus::core {

inline constexpr std::size_t user_id_bytes_max = 128;

std::optional<std::string> presence_user_id(std::string_view channel_data);
// The channel_data a client would send.
std::string presence_channel_data(std::string_view user_id, std::string_view user_info_json);

// Members of one presence channel: a user is one member however many connections it has.
class PresenceMembers {
 public:
  // True if this was the user's first connection (member_added).
  bool add(const std::string& user_id, const std::string& user_info);
  // True if this was the user's last connection (member_removed).
  bool remove(const std::string& user_id);
  // Removes the member whatever its connection count (seeded bug only).
  bool remove_all(const std::string& user_id);
  std::size_t size() const { return members_.size(); }
  std::vector<Member> list() const;

  struct Entry {
    std::string user_info;
    std::uint32_t connections = 0;
  };
  const std::map<std::string, Entry>& entries() const { return members_; }
  std::map<std::string, Entry>& entries() { return members_; }

 private:
  std::map<std::string, Entry> members_;
};

}  // namespace simbus::core
