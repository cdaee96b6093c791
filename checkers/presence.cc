// Presence: the member_added/member_removed stream and the final member views.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "checkers/delivery.h"

namespace simbus::checkers {

CheckReport check_presence(const DeliveryLog& log, std::int64_t heal_time) {
  CheckReport report;
  // Per session, channel and user: the last membership event and where it was.
  std::map<std::tuple<std::string, std::string, std::string>, std::size_t> last;
  for (std::size_t di = 0; di < log.deliveries.size(); ++di) {
    const Delivery& d = log.deliveries[di];
    if (d.kind != DeliveryKind::member_added && d.kind != DeliveryKind::member_removed) continue;
    auto [it, fresh] = last.emplace(std::make_tuple(d.session, d.channel, d.payload), di);
    if (fresh) continue;
    const Delivery& prev = log.deliveries[it->second];
    if (prev.kind == d.kind) {
      report.add({"presence-alternation",
                  fmt::format("session {} on channel {} got {} for user {} twice in a row", d.session, d.channel,
                              d.kind == DeliveryKind::member_added ? "member_added" : "member_removed", d.payload),
                  {}, {it->second, di}, prev.time, d.time});
    }
    it->second = di;
  }

  std::map<std::string, std::set<std::string>> members_at_end;
  for (const Subscription& s : log.subscriptions) {
    if (s.end_time == kTimeNever && !s.user.empty()) members_at_end[s.channel].insert(s.user);
  }
  for (const PresenceView& v : log.presence_views) {
    if (v.time < heal_time) continue;
    std::set<std::string> seen(v.members.begin(), v.members.end());
    const std::set<std::string>& expected = members_at_end[v.channel];
    if (seen == expected) continue;
    auto list = [](const std::set<std::string>& s) {
      std::string out;
      for (const std::string& m : s) out += (out.empty() ? "" : " ") + m;
      return "{" + out + "}";
    };
    report.add({"presence-convergence",
                fmt::format("session {} sees channel {} members {} after faults healed; subscribed users are {}",
                            v.session, v.channel, list(seen), list(expected)),
                {}, {}, heal_time, v.time});
  }
  return report;
}

}  // namespace simbus::checkers
