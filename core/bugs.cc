#include "core/bugs.h"

#include <array>

#include "base/assert.h"

namespace simbus::core {
namespace {

constexpr std::array<BugInfo, bug_count> table{{
    {Bug::vote_before_persist, "vote_before_persist",
     "A vote is granted while votedFor is kept only in memory; a crash then lets the node "
     "vote again in the same term, so two candidates can both win it.",
     "raft election safety (at most one leader per term)"},
    {Bug::commit_previous_term_by_count, "commit_previous_term_by_count",
     "The leader advances commitIndex over an entry of an earlier term once it is stored on a "
     "majority (Raft paper, figure 8), without the current-term rule; a later leader may "
     "overwrite it.",
     "raft state machine safety / leader completeness"},
    {Bug::append_from_stale_term, "append_from_stale_term",
     "A follower accepts AppendEntries whose term is lower than its own, so a deposed leader "
     "can overwrite entries of the new leader.",
     "raft log matching / state machine safety"},
    {Bug::truncate_on_matching_prefix, "truncate_on_matching_prefix",
     "On AppendEntries the follower truncates its log after prevLogIndex even when the entries "
     "match; a delayed, reordered append drops newer entries already acknowledged.",
     "raft commit durability / state machine safety (committed entry lost)"},
    {Bug::append_reply_before_fsync, "append_reply_before_fsync",
     "A follower answers AppendEntries before the appended entries are durable; a crash loses "
     "entries the leader counted towards commit.",
     "raft state machine safety (under crashes with lost unsynced writes)"},
    {Bug::snapshot_over_newer_log, "snapshot_over_newer_log",
     "A follower installs an InstallSnapshot older than its commit index and discards its "
     "whole log, rewinding applied state.",
     "raft state machine safety; linearizability"},
    {Bug::publish_ack_before_commit, "publish_ack_before_commit",
     "The leader acknowledges a publish as soon as it is appended to its own log, before it is "
     "committed; a leader change loses the acknowledged event.",
     "delivery (no acknowledged event lost); linearizability"},
    {Bug::lease_read_ignores_skew, "lease_read_ignores_skew",
     "Lease reads trust the local clock with no skew bound; a leader with a slow clock serves "
     "a stale read after a new leader was elected.",
     "linearizability (stale channel info)"},
    {Bug::follower_local_read, "follower_local_read",
     "A follower answers channel-info reads from its local, possibly stale state instead of "
     "redirecting them or using ReadIndex.",
     "linearizability (stale read)"},
    {Bug::fanout_unordered_workers, "fanout_unordered_workers",
     "Committed events are fanned out to local subscribers by two worker fibers taking "
     "alternate events, with no ordering between them.",
     "delivery (every subscriber sees one committed order per channel)"},
    {Bug::presence_remove_on_first_close, "presence_remove_on_first_close",
     "A presence member is removed when the first of its connections leaves the channel, "
     "although another connection of the same user is still subscribed.",
     "linearizability of presence lists; presence convergence"},
    {Bug::registry_update_without_lock, "registry_update_without_lock",
     "The node's local connection registry is read, modified and written back across a "
     "scheduling point without its lock; concurrent updates are lost.",
     "delivery (a subscriber misses events / gap for a connected subscriber)"},
    {Bug::resume_off_by_one, "resume_off_by_one",
     "A resuming subscriber is replayed history from its last seen sequence number inclusive, "
     "so it receives that event twice.",
     "delivery (no duplicates)"},
    {Bug::retry_applied_twice, "retry_applied_twice",
     "Client sessions are ignored: a publish retried after a timeout is applied a second time.",
     "linearizability; delivery (no duplicates)"},
    {Bug::client_event_echoed, "client_event_echoed",
     "A client- event is delivered back to the connection that sent it.",
     "delivery (no phantom events: client events never echoed)"},
    {Bug::read_index_reuses_acked_round, "read_index_reuses_acked_round",
     "A ReadIndex read is confirmed by the last heartbeat round already sent, not a round sent "
     "after it arrived; a leader that slept through its deposition serves a stale read.",
     "linearizability (stale channel info) when a paused leader wakes"},
    {Bug::read_answered_on_heartbeat, "read_answered_on_heartbeat",
     "A ReadIndex read is answered only when the leader next sends a heartbeat, not as soon "
     "as a majority acknowledges its round: every read waits up to a heartbeat interval.",
     "latency (a fault-free cluster answers within a few round trips)"},
    {Bug::close_not_replicated, "close_not_replicated",
     "A disconnect removes the connection from the node's own registry but never proposes its "
     "close: the replicated state keeps the connection and its subscriptions for ever.",
     "connection-leak (the replicated state holds a connection its node closed)"},
    {Bug::snapshot_omits_members, "snapshot_omits_members",
     "The channel-state snapshot leaves out presence members: a replica restored from it "
     "(a restart, or a follower catching up) lists none while the others list them.",
     "replica-agreement (two replicas at one applied index differ)"},
    {Bug::node_up_expires_others, "node_up_expires_others",
     "A restarted node's first op (its node-up) removes, besides its own older connections, "
     "every connection of an older incarnation number on any node: clients of nodes that "
     "never went down lose their subscriptions, silently.",
     "subscription-lost (a node's open connection lost a subscription it never left)"},
    {Bug::expiry_notice_not_sent, "expiry_notice_not_sent",
     "A node whose connections the cluster expired lets go of each socket without sending its "
     "client the session-expired notice: the client waits on a dead connection for ever.",
     "session-end-untold (a node refused a connection it never told the client had ended)"},
}};

constexpr bool table_in_enum_order() {
  for (std::size_t i = 0; i < table.size(); ++i) {
    if (static_cast<std::size_t>(table[i].bug) != i) return false;
  }
  return true;
}
static_assert(table_in_enum_order(), "bug table must list bugs in enum order");
static_assert(bug_count >= 12, "the zoo promises at least 12 seeded bugs");

}  // namespace

std::span<const BugInfo> bug_table() { return table; }

const BugInfo& bug_info(Bug bug) {
  const auto i = static_cast<std::size_t>(bug);
  SIMBUS_ASSERT(i < bug_count);
  return table[i];
}

std::optional<Bug> bug_from_name(std::string_view name) {
  for (const BugInfo& info : table) {
    if (info.name == name) return info.bug;
  }
  return std::nullopt;
}

}  // namespace simbus::core
