// What the scheduler and strategies see of each enabled action: a stable identity,
// the actor, the kind, and the object it touches with read or write access. Two
// actions are dependent only when they touch the same object and one writes.
#pragma once

#include <cstdint>

namespace simbus::sim {

using FiberId = std::uint64_t;
using ObjectId = std::uint64_t;
using NodeIndex = std::uint32_t;

// Node 0 is the world's own control node: it hosts setup, nemesis and checking fibers
// and can never crash.
inline constexpr NodeIndex kControlNode = 0;
inline constexpr ObjectId kNoObject = 0;

enum class ActionKind : std::uint8_t {
  kStart,
  kYield,
  kSleep,
  kLock,
  kCondWait,
  kNotify,
  kLoad,
  kStore,
  kRmw,
  kChannelSend,
  kChannelRecv,
  kSemAcquire,
  kSemRelease,
  kNetSend,
  kNetRecv,
  kDiskRead,
  kDiskWrite,
  kDiskSync,
  kJoin,
  kFault,
  kDeliver,  // an in-flight message arriving (systematic mode lists these as actions)
  kTimer,    // an armed timer firing (systematic mode)
  kTryLock,  // Mutex::try_lock: always enabled, fails while the mutex is held
};
inline constexpr int kActionKindCount = static_cast<int>(ActionKind::kTryLock) + 1;

const char* action_kind_name(ActionKind kind);

enum class Access : std::uint8_t { kNone, kRead, kWrite };

// What a fiber is about to do at a scheduling point.
struct Action {
  ActionKind kind = ActionKind::kYield;
  ObjectId object = kNoObject;
  Access access = Access::kNone;
  // A channel send: the channel's capacity (0 for Channel::close, a send of the end).
  // DPOR orders the k-th send after the receive that freed its slot; nothing hashes it.
  std::uint32_t capacity = 0;
};

struct EnabledAction {
  std::uint64_t id = 0;   // stable: derived from (actor, seq), not from list positions
  FiberId actor = 0;      // the fiber, or the event for deliveries and timers
  std::uint32_t seq = 0;  // the actor's own step counter
  NodeIndex node = 0;
  ActionKind kind = ActionKind::kYield;
  ObjectId object = kNoObject;
  Access access = Access::kNone;
  bool timeout = false;   // a waiting fiber that would take its timeout path
  std::uint32_t capacity = 0;  // Action::capacity
};

inline bool dependent(const EnabledAction& a, const EnabledAction& b) {
  if (a.actor == b.actor) return true;
  if (a.object == kNoObject || a.object != b.object) return false;
  return a.access == Access::kWrite || b.access == Access::kWrite;
}

// Tags of data choices, so a logged value is matched to the right request on replay.
enum class DataTag : std::uint16_t {
  kUser = 0,       // a value drawn by the program (workload values, Env randomness)
  kLatency = 1,
  kDrop = 2,
  kDuplicate = 3,
  kDiskLatency = 4,
  kDiskLoss = 5,
  kBitFlip = 6,
  kNemesis = 7,
  kBuggify = 8,
  kClock = 9,
};

}  // namespace simbus::sim
