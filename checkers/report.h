// What the linear-time checkers (delivery, presence, Raft safety, liveness) report: each
// violation names its checker, the operations and deliveries involved, and the window of
// time that shows it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "checkers/history.h"

namespace simbus::checkers {

struct Violation {
  std::string checker;                  // "lost", "order", "raft-election-safety", ...
  std::string message;                  // what broke, in one sentence
  std::vector<std::size_t> operations;  // indices into the history
  std::vector<std::size_t> deliveries;  // indices into the delivery log
  std::int64_t window_begin = 0;        // the smallest span of time holding all of them
  std::int64_t window_end = 0;
};

struct CheckReport {
  std::vector<Violation> violations;
  // Violations past this many are counted but not kept, so a broken run stays readable.
  std::int64_t violations_max = 100;
  std::int64_t violations_dropped = 0;

  bool ok() const { return violations.empty(); }
  void add(Violation v);
  // Multi-line; operations printed from `history` when given.
  std::string to_string(const History* history = nullptr) const;
};

}  // namespace simbus::checkers
