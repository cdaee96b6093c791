#include "core/storage.h"

#include "base/assert.h"
#include "core/raft.h"

namespace simbus::core {

void persist_ready(RaftStorage& storage, const Ready& ready, const HardState& previous,
                   const Bugs& bugs) {
  bool wrote = false;
  if (ready.snapshot_to_persist) {
    storage.save_snapshot(*ready.snapshot_to_persist);
    wrote = true;
  }
  if (ready.truncate_from) {
    storage.truncate_from(*ready.truncate_from);
    wrote = true;
  }
  if (!ready.entries_to_append.empty()) {
    storage.append(ready.entries_to_append);
    wrote = true;
  }
  bool vote_changed = false;
  if (ready.hard_state) {
    storage.save_hard_state(*ready.hard_state);
    vote_changed = ready.hard_state->voted_for != previous.voted_for;
    wrote = true;
  }
  if (!wrote) return;
  // BUG(vote_before_persist): the vote is answered while still volatile.
  if (bugs.has(Bug::vote_before_persist) && vote_changed) return;
  // BUG(append_reply_before_fsync): appends are answered while still volatile.
  if (bugs.has(Bug::append_reply_before_fsync) && !ready.entries_to_append.empty() &&
      !ready.hard_state) {
    return;
  }
  storage.sync();
}

}  // namespace simbus::core
