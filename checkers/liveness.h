// Liveness after faults heal: once the nemesis stops, every publish completes and reaches
// every subscriber within a bound. The same check with a tight bound, from the first
// leadership of a fault-free run, is the latency check. Bounds are in the history's time unit.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "checkers/delivery.h"
#include "checkers/history.h"
#include "checkers/report.h"

namespace simbus::checkers {

struct LivenessOptions {
  std::int64_t heal_time = 0;          // when the last fault healed
  std::int64_t completion_bound = 0;   // invoke to ok, for operations invoked after heal
  std::int64_t delivery_bound = 0;     // invoke to delivery; 0 = do not check deliveries
  std::string function = "publish";    // the operations held to the bound
  // How violations are named: the check, and when the bound starts to hold.
  std::string checker = "liveness";
  std::string since = "after faults healed";
};

// `log` may be nullptr: then only completions are checked.
CheckReport check_liveness(const History& history, const DeliveryLog* log, const LivenessOptions& options);

// A client request attempt that got no answer within its timeout. Clients retry, so the
// history shows at most a slow operation; the attempt itself is the evidence.
struct UnansweredAttempt {
  std::string request;  // "publish", "subscribe", ...
  std::int64_t sent_time = 0;
};

// Every attempt sent at or after `from` was answered: one violation (checker "latency")
// per unanswered attempt, `since` saying when the promise began ("after ...").
CheckReport check_attempts_answered(const std::vector<UnansweredAttempt>& unanswered, std::int64_t from,
                                    std::string_view since);

}  // namespace simbus::checkers
