// Seeded bugs: named switches that re-create known real bugs, to measure how well the
// harness finds them. All are off by default; with a switch off, the code path is exactly
// the correct one. Each switch is tested in one place, with a `// BUG(name)` comment.
#pragma once

#include <bitset>
#include <cstddef>
#include <optional>
#include <span>
#include <string_view>

namespace simbus::core {

enum class Bug : std::size_t {
  vote_before_persist = 0,
  commit_previous_term_by_count,
  append_from_stale_term,
  truncate_on_matching_prefix,
  append_reply_before_fsync,
  snapshot_over_newer_log,
  publish_ack_before_commit,
  lease_read_ignores_skew,
  follower_local_read,
  fanout_unordered_workers,
  presence_remove_on_first_close,
  registry_update_without_lock,
  resume_off_by_one,
  retry_applied_twice,
  client_event_echoed,
  read_index_reuses_acked_round,
  read_answered_on_heartbeat,
  close_not_replicated,
  snapshot_omits_members,
  node_up_expires_others,
  expiry_notice_not_sent,
  count,  // not a bug: the number of switches
};

inline constexpr std::size_t bug_count = static_cast<std::size_t>(Bug::count);

struct BugInfo {
  Bug bug;
  std::string_view name;
  std::string_view mechanism;
  std::string_view caught_by;  // the invariant (checker) that should catch it
};

// The table of every seeded bug, in enum order.
std::span<const BugInfo> bug_table();
const BugInfo& bug_info(Bug bug);
std::optional<Bug> bug_from_name(std::string_view name);

// The set of switches on for one run. Copyable, value-semantic.
class Bugs {
 public:
  Bugs() = default;
  static Bugs none() { return Bugs(); }
  static Bugs only(Bug bug) {
    Bugs bugs;
    bugs.enable(bug);
    return bugs;
  }
  void enable(Bug bug) { on_.set(static_cast<std::size_t>(bug)); }
  bool has(Bug bug) const { return on_.test(static_cast<std::size_t>(bug)); }
  bool any() const { return on_.any(); }

 private:
  std::bitset<bug_count> on_;
};

}  // namespace simbus::core
