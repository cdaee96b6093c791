// Linearizability by a WGL-style search (Wing & Gong, Lowe) over each independent part of
// the history (Horn & Kroening's P-compositionality), with memoised (linearized set,
// state) configurations. The verdict depends only on the history, the model and the step
// and memory limits: never on wall time or thread timing (the optional wall-clock limit is
// for the standalone `simbus check` only).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "checkers/history.h"
#include "checkers/model.h"

namespace simbus::checkers {

struct LinearizabilityLimits {
  // Search steps (one per attempted placement of an operation) per partition.
  std::int64_t steps_max = 50'000'000;
  // Memo table and model states per partition.
  std::int64_t memory_bytes_max = std::int64_t{1} << 30;
  // Wall clock for the whole check; 0 = none. Makes the verdict machine-dependent, so
  // only the standalone command sets it.
  std::int64_t time_limit_ms = 0;
  // Partitions checked in parallel; 1 = on the calling thread.
  int threads = 1;
};

enum class Verdict : std::uint8_t { linearizable, not_linearizable, unknown };
const char* verdict_name(Verdict verdict);  // "linearizable", "not linearizable", "unknown"

struct LinearizabilityResult {
  Verdict verdict = Verdict::linearizable;
  // For not_linearizable: the first failing partition (in key order) and its explanation.
  std::string key;
  // History indices of the longest prefix of a linearization the search found, in order.
  std::vector<std::size_t> partial_linearization;
  // History indices of operations that had to come next but none could be placed.
  std::vector<std::size_t> unplaced;
  std::string explanation;      // human-readable, multi-line
  std::string unknown_reason;   // for unknown: which limit was hit
  std::int64_t steps = 0;       // over all partitions
  std::int64_t partitions = 0;
};

// `cancel`, if given, is polled; setting it makes the result unknown (used for the wall
// clock of the standalone command).
LinearizabilityResult check_linearizable(const History& history, const Model& model,
                                         const LinearizabilityLimits& limits,
                                         const std::atomic<bool>* cancel = nullptr);

}  // namespace simbus::checkers
