#include "core/presence.h"

#include "base/assert.h"

namespace simbus::core {
namespace {

void skip_space(std::string_view s, std::size_t& i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
}

// Reads a JSON string without escapes other than \" and \\ (enough for ids).
std::optional<std::string> read_string(std::string_view s, std::size_t& i) {
  if (i >= s.size() || s[i] != '"') return std::nullopt;
  ++i;
  std::string out;
  while (i < s.size() && s[i] != '"') {
    if (s[i] == '\\') {
      ++i;
      if (i >= s.size() || (s[i] != '"' && s[i] != '\\')) return std::nullopt;
    }
    out.push_back(s[i]);
    ++i;
  }
  if (i >= s.size()) return std::nullopt;
  ++i;
  return out;
}

}  // namespace

std::optional<std::string> presence_user_id(std::string_view s) {
  // Finds the top-level key "user_id" by scanning the first object's keys in order.
  std::size_t i = 0;
  skip_space(s, i);
  if (i >= s.size() || s[i] != '{') return std::nullopt;
  ++i;
  skip_space(s, i);
  std::optional<std::string> key = read_string(s, i);
  // Only a leading "user_id" key is accepted: the canonical Pusher form.
  if (!key || *key != "user_id") return std::nullopt;
  skip_space(s, i);
  if (i >= s.size() || s[i] != ':') return std::nullopt;
  ++i;
  skip_space(s, i);
  std::string id;
  if (i < s.size() && s[i] == '"') {
    std::optional<std::string> text = read_string(s, i);
    if (!text) return std::nullopt;
    id = *text;
  } else {
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') id.push_back(s[i++]);
  }
  if (id.empty() || id.size() > user_id_bytes_max) return std::nullopt;
  return id;
}

std::string presence_channel_data(std::string_view user_id, std::string_view user_info_json) {
  std::string s = "{\"user_id\":\"";
  for (char c : user_id) {
    if (c == '"' || c == '\\') s.push_back('\\');
    s.push_back(c);
  }
  s += "\"";
  if (!user_info_json.empty()) s.append(",\"user_info\":").append(user_info_json);
  s += "}";
  return s;
}

bool PresenceMembers::add(const std::string& user_id, const std::string& user_info) {
  Entry& entry = members_[user_id];
  ++entry.connections;
  if (entry.connections == 1) entry.user_info = user_info;
  return entry.connections == 1;
}

bool PresenceMembers::remove(const std::string& user_id) {
  auto it = members_.find(user_id);
  if (it == members_.end()) return false;
  SIMBUS_ASSERT(it->second.connections > 0);
  --it->second.connections;
  if (it->second.connections > 0) return false;
  members_.erase(it);
  return true;
}

bool PresenceMembers::remove_all(const std::string& user_id) {
  return members_.erase(user_id) > 0;
}

std::vector<Member> PresenceMembers::list() const {
  std::vector<Member> out;
  for (const auto& [id, entry] : members_) out.push_back(Member{id, entry.user_info});
  return out;
}

}  // namespace simbus::core
