// Replay strategies: re-execute a recorded choice log exactly (every scheduling and data
// choice, matched by stable identity), or follow a compact `--schedule` of indices.
#pragma once

#include <memory>
#include <vector>

#include "sim/choice_log.h"
#include "sim/strategy.h"

namespace simbus::sim {

std::unique_ptr<Strategy> make_replay_strategy(ChoiceLog log);
// Follows `indices` at each point with more than one enabled action; data choices come
// from the seed. After the last index it keeps taking the first enabled action.
std::unique_ptr<Strategy> make_schedule_strategy(std::vector<std::uint32_t> indices);

}  // namespace simbus::sim
