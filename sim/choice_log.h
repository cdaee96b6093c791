// The choice log: every nondeterministic choice of an execution, in order, keyed by
// stable identities. Scheduling choices are recorded only where more than one action
// was enabled. A log replays the execution exactly (sim/strategy_replay.cc).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/action.h"

namespace simbus::sim {

// Widest fields first: 40 bytes, not 48 (one is logged per scheduling choice).
struct Choice {
  enum class Kind : std::uint8_t { kSchedule, kData };
  FiberId actor = 0;
  std::uint64_t value = 0;     // data: the value drawn
  std::uint64_t step = 0;      // the world step it was made at
  std::uint32_t seq = 0;       // schedule: the actor's step; data: the actor's draw counter
  std::uint32_t index = 0;     // schedule: position among the enabled actions
  std::uint32_t options = 0;   // schedule: how many were enabled
  DataTag tag = DataTag::kUser;
  Kind kind = Kind::kSchedule;

  bool operator==(const Choice&) const = default;
};

static_assert(sizeof(Choice) == 40);

using ChoiceLog = std::vector<Choice>;

// A compact text form of the scheduling part, for `--schedule`: indices among the
// enabled actions, run-length encoded ("0x12.1.3x2"). Data choices are not included:
// with a seed they are redrawn from the same per-actor streams.
std::string encode_schedule(const ChoiceLog& log);
// Parses encode_schedule's output; false and a message on malformed text.
bool decode_schedule(const std::string& text, std::vector<std::uint32_t>* indices, std::string* error);

}  // namespace simbus::sim
