#include "checkers/liveness.h"

#include <fmt/format.h>

#include <unordered_map>

#include "base/assert.h"

namespace simbus::checkers {

CheckReport check_liveness(const History& history, const DeliveryLog* log, const LivenessOptions& options) {
  SIMBUS_ASSERT(options.completion_bound >= 0);
  SIMBUS_ASSERT(options.delivery_bound >= 0);
  CheckReport report;
  // First delivery time per session, channel and payload.
  std::unordered_map<std::string, std::int64_t> received;
  if (log != nullptr) {
    for (const Delivery& d : log->deliveries) {
      if (d.kind != DeliveryKind::event) continue;
      received.emplace(d.session + '\x1f' + d.channel + '\x1f' + d.payload, d.time);
    }
  }
  for (std::size_t i = 0; i < history.operations.size(); ++i) {
    const Operation& op = history.operations[i];
    if (op.function != options.function || op.invoke_time < options.heal_time) continue;
    if (op.status != Status::ok) {
      report.add({options.checker,
                  fmt::format("{} invoked at {} {} (at {}) ended {}", op.function, op.invoke_time, options.since,
                              options.heal_time, status_name(op.status)),
                  {i}, {}, op.invoke_time, op.status == Status::info ? op.invoke_time : op.complete_time});
      continue;
    }
    const std::int64_t took = op.complete_time - op.invoke_time;
    if (took > options.completion_bound) {
      report.add({options.checker,
                  fmt::format("{} invoked at {} {} took {}, over the bound {}", op.function, op.invoke_time,
                              options.since, took, options.completion_bound),
                  {i}, {}, op.invoke_time, op.complete_time});
    }
    if (log == nullptr || options.delivery_bound == 0 || op.args.empty()) continue;
    const std::string payload =
        std::holds_alternative<std::string>(op.args[0]) ? std::get<std::string>(op.args[0]) : value_to_string(op.args[0]);
    for (const Subscription& s : log->subscriptions) {
      if (s.channel != op.key || !s.connected_throughout || s.end_time != kTimeNever) continue;
      if (s.subscribe_time >= op.invoke_time) continue;
      auto it = received.find(s.session + '\x1f' + s.channel + '\x1f' + payload);
      const std::int64_t deadline = op.invoke_time + options.delivery_bound;
      if (it != received.end() && it->second <= deadline) continue;
      report.add({options.checker,
                  it == received.end()
                      ? fmt::format("publish at {} on {} never reached session {}", op.invoke_time, op.key, s.session)
                      : fmt::format("publish at {} on {} reached session {} at {}, over the bound {}", op.invoke_time,
                                    op.key, s.session, it->second, options.delivery_bound),
                  {i}, {}, op.invoke_time, it == received.end() ? deadline : it->second});
    }
  }
  return report;
}

CheckReport check_attempts_answered(const std::vector<UnansweredAttempt>& unanswered, std::int64_t from,
                                    std::string_view since) {
  CheckReport report;
  for (const UnansweredAttempt& attempt : unanswered) {
    if (attempt.sent_time < from) continue;
    report.add({"latency",
                fmt::format("a {} request sent at {} {} got no answer within the client's timeout (a retry may "
                            "have hidden it)",
                            attempt.request, attempt.sent_time, since),
                {}, {}, attempt.sent_time, attempt.sent_time});
  }
  return report;
}

}  // namespace simbus::checkers
