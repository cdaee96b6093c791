#include "checkers/delivery_files.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "checkers/readers.h"

namespace simbus::checkers {
namespace {

using nlohmann::json;

constexpr const char* kKindNames[] = {"event", "missed", "member_added", "member_removed"};

const char* kind_name(DeliveryKind kind) { return kKindNames[static_cast<int>(kind)]; }

// Field access that names the file, line and field of whatever is missing or mistyped.
struct Fields {
  const json& object;
  const std::string& file;
  std::int64_t line;

  const json& at(const char* field) const {
    auto it = object.find(field);
    if (it == object.end()) throw ParseError(file, line, fmt::format("missing field \"{}\"", field));
    return *it;
  }
  std::string text(const char* field) const {
    const json& j = at(field);
    if (!j.is_string()) throw ParseError(file, line, fmt::format("\"{}\" must be a string", field));
    return j.get<std::string>();
  }
  std::int64_t integer(const char* field) const {
    const json& j = at(field);
    if (!j.is_number_integer()) throw ParseError(file, line, fmt::format("\"{}\" must be an integer", field));
    return j.get<std::int64_t>();
  }
  // null stands for "never" (a subscription held to the end).
  std::int64_t time_or_never(const char* field) const {
    const json& j = at(field);
    if (j.is_null()) return kTimeNever;
    return integer(field);
  }
  bool boolean(const char* field) const {
    const json& j = at(field);
    if (!j.is_boolean()) throw ParseError(file, line, fmt::format("\"{}\" must be true or false", field));
    return j.get<bool>();
  }
};

}  // namespace

std::string write_deliveries_jsonl(const DeliveryLog& log) {
  std::string out;
  for (const Subscription& s : log.subscriptions) {
    json j = {{"session", s.session},
              {"channel", s.channel},
              {"user", s.user},
              {"subscribe_time", s.subscribe_time},
              {"end_time", s.end_time == kTimeNever ? json(nullptr) : json(s.end_time)},
              {"connected_throughout", s.connected_throughout}};
    out += json{{"subscription", j}}.dump() + '\n';
  }
  for (const Delivery& d : log.deliveries) {
    json j = {{"session", d.session}, {"channel", d.channel}, {"kind", kind_name(d.kind)},
              {"seq", d.seq},         {"payload", d.payload}, {"time", d.time}};
    out += json{{"delivery", j}}.dump() + '\n';
  }
  for (const PresenceView& v : log.presence_views) {
    json j = {{"session", v.session}, {"channel", v.channel}, {"members", v.members}, {"time", v.time}};
    out += json{{"presence_view", j}}.dump() + '\n';
  }
  return out;
}

DeliveryLog read_deliveries_jsonl(std::string_view text, const std::string& file) {
  DeliveryLog log;
  std::int64_t number = 0;
  while (!text.empty()) {
    const std::size_t eol = text.find('\n');
    const std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
    number += 1;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    const json j = json::parse(line, nullptr, false);
    if (j.is_discarded()) throw ParseError(file, number, "not valid JSON");
    if (!j.is_object() || j.size() != 1 || !j.begin()->is_object()) {
      throw ParseError(file, number,
                       "expected {\"subscription\": {...}}, {\"delivery\": {...}} or {\"presence_view\": {...}}");
    }
    const std::string& tag = j.begin().key();
    const Fields f{*j.begin(), file, number};
    if (tag == "subscription") {
      Subscription s{f.text("session"), f.text("channel"), f.text("user"), f.integer("subscribe_time"),
                     f.time_or_never("end_time"), f.boolean("connected_throughout")};
      log.subscriptions.push_back(std::move(s));
    } else if (tag == "delivery") {
      const std::string kind = f.text("kind");
      int k = 0;
      while (k < 4 && kind != kKindNames[k]) k += 1;
      if (k == 4) throw ParseError(file, number, fmt::format("unknown delivery kind \"{}\"", kind));
      log.deliveries.push_back(Delivery{f.text("session"), f.text("channel"), static_cast<DeliveryKind>(k),
                                        f.integer("seq"), f.text("payload"), f.integer("time")});
    } else if (tag == "presence_view") {
      PresenceView v{f.text("session"), f.text("channel"), {}, f.integer("time")};
      const json& members = f.at("members");
      if (!members.is_array()) throw ParseError(file, number, "\"members\" must be an array of strings");
      for (const json& m : members) {
        if (!m.is_string()) throw ParseError(file, number, "\"members\" must be an array of strings");
        v.members.push_back(m.get<std::string>());
      }
      log.presence_views.push_back(std::move(v));
    } else {
      throw ParseError(file, number, fmt::format("unknown record \"{}\"", tag));
    }
  }
  return log;
}

DeliveryLog load_deliveries(const std::string& path) {
  return read_deliveries_jsonl(read_input_file(path), path);
}

}  // namespace simbus::checkers
