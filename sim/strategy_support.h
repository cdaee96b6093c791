// Small pieces shared by the strategy files (not part of the public Strategy API):
// argument parsing for "name:a:b" spellings and the order in which actors first appeared,
// which bounded strategies use as their round-robin order.
#pragma once

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "sim/action.h"

namespace simbus::sim::strategy_support {

// Splits "3:100" into {"3", "100"}; "" into {}.
inline std::vector<std::string> split_args(const std::string& arg) {
  std::vector<std::string> out;
  if (arg.empty()) return out;
  std::size_t pos = 0;
  while (true) {
    const std::size_t colon = arg.find(':', pos);
    out.push_back(arg.substr(pos, colon == std::string::npos ? std::string::npos : colon - pos));
    if (colon == std::string::npos) break;
    pos = colon + 1;
  }
  return out;
}

// A non-negative decimal integer no larger than `max`, or nullopt.
inline std::optional<std::uint64_t> parse_count(const std::string& text, std::uint64_t max) {
  if (text.empty()) return std::nullopt;
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value > max) return std::nullopt;
  return value;
}

// The order in which actors were first seen in this execution: a stable round-robin
// order that does not depend on actor ids (hashes).
class ActorOrder {
 public:
  void clear() {
    index_.clear();
    next_ = 0;
  }
  void observe(std::span<const EnabledAction> enabled) {
    for (const EnabledAction& a : enabled) {
      if (index_.emplace(a.actor, next_).second) next_ += 1;
    }
  }
  std::uint64_t index(FiberId actor) const {
    auto it = index_.find(actor);
    return it == index_.end() ? UINT64_MAX : it->second;
  }

 private:
  std::map<FiberId, std::uint64_t> index_;  // looked up only, never iterated
  std::uint64_t next_ = 0;
};

// Positions of `enabled` in round-robin order starting just after `current` (cyclic),
// with `current` itself first if it is enabled. This is the non-preemptive round-robin
// scheduler that delay bounding deviates from: entry 0 is its choice, entry i costs i
// delays.
inline std::vector<std::size_t> round_robin_from(std::span<const EnabledAction> enabled, const ActorOrder& order,
                                                 FiberId current, bool have_current) {
  std::vector<std::size_t> positions(enabled.size());
  for (std::size_t i = 0; i < enabled.size(); ++i) positions[i] = i;
  const std::uint64_t pivot = have_current ? order.index(current) : 0;
  // Key: distance after the pivot in the cyclic order; the current actor has distance 0.
  auto key = [&](std::size_t i) -> std::uint64_t {
    const std::uint64_t idx = order.index(enabled[i].actor);
    if (!have_current) return idx;
    if (idx >= pivot) return idx - pivot;
    return (UINT64_MAX / 2) + idx;  // wrapped around: after every later actor
  };
  std::sort(positions.begin(), positions.end(), [&](std::size_t a, std::size_t b) { return key(a) < key(b); });
  return positions;
}

// When a sampling strategy is not told the program's length (pct's K, preempt's and
// delay's H), each execution draws it log-uniformly from {2, 4, ..., 2^16}: a deviation
// point then lands in a short program's few steps with probability about 1/16 of what a
// known length would give, while long programs still get points spread over their length.
inline constexpr std::uint64_t kHorizonLog2Max = 16;
template <typename Rng>
std::uint64_t draw_horizon(Rng& rng) {
  return std::uint64_t{1} << (1 + rng.below(kHorizonLog2Max));
}

// The position of `actor` in `enabled`, or enabled.size().
inline std::size_t find_actor(std::span<const EnabledAction> enabled, FiberId actor) {
  for (std::size_t i = 0; i < enabled.size(); ++i) {
    if (enabled[i].actor == actor) return i;
  }
  return enabled.size();
}

}  // namespace simbus::sim::strategy_support
