#include "core/raft.h"

#include <algorithm>

#include "base/assert.h"
#include "core/codec.h"

namespace simbus::core {

std::string_view role_name(Role role) {
  switch (role) {
    case Role::follower: return "follower";
    case Role::pre_candidate: return "pre_candidate";
    case Role::candidate: return "candidate";
    case Role::leader: return "leader";
  }
  return "unknown";
}

bool Ready::empty() const {
  return !snapshot_to_persist && !truncate_from && entries_to_append.empty() && !hard_state &&
         messages.empty() && !snapshot_to_apply && committed.empty() && reads.empty();
}

RaftNode::RaftNode(RaftConfig config, Bugs bugs, RecoveredState recovered,
                   RandomBelow random_below, std::int64_t now_us)
    : config_(std::move(config)), bugs_(bugs), random_below_(std::move(random_below)) {
  SIMBUS_ASSERT(config_.id != no_node);
  SIMBUS_ASSERT(!config_.members.empty());
  SIMBUS_ASSERT(config_.members.size() <= members_max);
  SIMBUS_ASSERT(std::is_sorted(config_.members.begin(), config_.members.end()));
  SIMBUS_ASSERT(std::adjacent_find(config_.members.begin(), config_.members.end()) ==
                config_.members.end());
  SIMBUS_ASSERT(std::binary_search(config_.members.begin(), config_.members.end(), config_.id));
  SIMBUS_ASSERT(config_.election_timeout_us_min > 0);
  SIMBUS_ASSERT(config_.election_timeout_us_max > config_.election_timeout_us_min);
  SIMBUS_ASSERT(config_.heartbeat_interval_us < config_.election_timeout_us_min);
  SIMBUS_ASSERT(config_.lease_clock_skew_us_max >= 0);
  SIMBUS_ASSERT(config_.lease_clock_skew_us_max < config_.election_timeout_us_min);

  log_.set_strict(!bugs_.any());
  term_ = recovered.hard_state.term;
  voted_for_ = recovered.hard_state.voted_for;
  if (recovered.snapshot) {
    snapshot_ = std::move(recovered.snapshot);
    log_.reset(snapshot_->index, snapshot_->term);
    commit_index_ = snapshot_->index;
    applied_ = snapshot_->index;
    snapshot_to_apply_ = snapshot_;
  }
  for (LogEntry& entry : recovered.entries) {
    if (entry.index <= log_.snapshot_index()) continue;
    if (entry.index != log_.last_index() + 1) break;  // a gap: keep the consecutive prefix
    if (entry.term < log_.last_term() && !bugs_.any()) break;
    log_.append(std::move(entry));
  }
  unstable_from_ = log_.last_index() + 1;
  boot_us_ = now_us;
  last_leader_contact_us_ = now_us;
  reset_election_deadline(now_us);
}

void RaftNode::reset_election_deadline(std::int64_t now_us) {
  const auto spread =
      static_cast<std::uint64_t>(config_.election_timeout_us_max - config_.election_timeout_us_min);
  election_deadline_us_ =
      now_us + config_.election_timeout_us_min + static_cast<std::int64_t>(random_below_(spread));
  SIMBUS_ASSERT(election_deadline_us_ > now_us);
}

void RaftNode::set_term(std::uint64_t term) {
  SIMBUS_ASSERT(term > term_);
  term_ = term;
  voted_for_ = no_node;
  hard_state_dirty_ = true;
}

void RaftNode::set_vote(NodeId vote) {
  SIMBUS_ASSERT(vote != no_node);
  voted_for_ = vote;
  hard_state_dirty_ = true;
}

void RaftNode::send(NodeId to, RaftMessage message) {
  SIMBUS_ASSERT(to != config_.id);
  outbox_.push_back(Outgoing{to, std::move(message)});
}

bool RaftNode::log_up_to_date(std::uint64_t last_index, std::uint64_t last_term) const {
  if (last_term != log_.last_term()) return last_term > log_.last_term();
  return last_index >= log_.last_index();
}

bool RaftNode::in_lease(std::int64_t now_us) const {
  if (!config_.check_quorum) return false;
  if (role_ == Role::leader) return true;
  if (leader_id_ != no_node && now_us - last_leader_contact_us_ < config_.election_timeout_us_min) {
    return true;
  }
  // After a restart this node may have acknowledged a lease it no longer remembers.
  return config_.lease_reads && now_us - boot_us_ < config_.election_timeout_us_min;
}

void RaftNode::become_follower(std::int64_t now_us, std::uint64_t term, NodeId leader) {
  if (term > term_) set_term(term);
  SIMBUS_ASSERT(term == term_);
  role_ = Role::follower;
  leader_id_ = leader;
  if (leader != no_node) last_leader_contact_us_ = now_us;
  votes_.clear();
  progress_.clear();
  pending_reads_.clear();
  reads_waiting_commit_.clear();
  reset_election_deadline(now_us);
}

void RaftNode::become_pre_candidate(std::int64_t now_us) {
  role_ = Role::pre_candidate;
  leader_id_ = no_node;
  votes_ = {config_.id};
  reset_election_deadline(now_us);
  if (votes_.size() >= majority()) {
    become_candidate(now_us);
    return;
  }
  for (NodeId peer : config_.members) {
    if (peer == config_.id) continue;
    send(peer, VoteRequest{term_ + 1, log_.last_index(), log_.last_term(), true});
  }
}

void RaftNode::become_candidate(std::int64_t now_us) {
  set_term(term_ + 1);
  set_vote(config_.id);
  role_ = Role::candidate;
  leader_id_ = no_node;
  votes_ = {config_.id};
  reset_election_deadline(now_us);
  if (votes_.size() >= majority()) {
    become_leader(now_us);
    return;
  }
  for (NodeId peer : config_.members) {
    if (peer == config_.id) continue;
    send(peer, VoteRequest{term_, log_.last_index(), log_.last_term(), false});
  }
}

void RaftNode::become_leader(std::int64_t now_us) {
  SIMBUS_ASSERT(role_ == Role::candidate);
  SIMBUS_ASSERT(voted_for_ == config_.id);
  role_ = Role::leader;
  leader_id_ = config_.id;
  progress_.clear();
  for (NodeId peer : config_.members) {
    if (peer == config_.id) continue;
    progress_[peer] = Progress{log_.last_index() + 1, 0, now_us, 0};
  }
  pending_reads_.clear();
  reads_waiting_commit_.clear();
  quorum_check_deadline_us_ = now_us + config_.election_timeout_us_max;
  log_.append(LogEntry{term_, log_.last_index() + 1, {}});  // no-op of the new term
  broadcast_heartbeat(now_us);
  maybe_commit(now_us);
}

void RaftNode::tick(std::int64_t now_us) {
  if (role_ == Role::leader) {
    if (now_us >= heartbeat_deadline_us_) broadcast_heartbeat(now_us);
    if (config_.check_quorum && now_us >= quorum_check_deadline_us_) {
      std::size_t active = 1;
      for (const auto& [peer, p] : progress_) {
        if (now_us - p.last_ack_us < config_.election_timeout_us_max) ++active;
      }
      if (active < majority()) {
        become_follower(now_us, term_, no_node);  // CheckQuorum: lost touch with a majority
        return;
      }
      quorum_check_deadline_us_ = now_us + config_.election_timeout_us_min;
    }
    return;
  }
  if (now_us < election_deadline_us_) return;
  if (config_.pre_vote) {
    become_pre_candidate(now_us);
  } else {
    become_candidate(now_us);
  }
}

std::int64_t RaftNode::next_deadline_us() const {
  if (role_ == Role::leader) {
    if (!config_.check_quorum) return heartbeat_deadline_us_;
    return std::min(heartbeat_deadline_us_, quorum_check_deadline_us_);
  }
  return election_deadline_us_;
}

void RaftNode::step(std::int64_t now_us, NodeId from, const RaftMessage& message) {
  if (from == config_.id) return;
  if (!std::binary_search(config_.members.begin(), config_.members.end(), from)) return;
  std::visit(
      [&](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, VoteRequest>) on_vote_request(now_us, from, m);
        if constexpr (std::is_same_v<T, VoteResponse>) on_vote_response(now_us, from, m);
        if constexpr (std::is_same_v<T, AppendRequest>) on_append_request(now_us, from, m);
        if constexpr (std::is_same_v<T, AppendResponse>) on_append_response(now_us, from, m);
        if constexpr (std::is_same_v<T, SnapshotRequest>) on_snapshot_request(now_us, from, m);
        if constexpr (std::is_same_v<T, SnapshotResponse>) on_snapshot_response(now_us, from, m);
      },
      message);
}

void RaftNode::on_vote_request(std::int64_t now_us, NodeId from, const VoteRequest& m) {
  if (m.pre_vote) {
    // A pre-vote changes nothing here: it only asks "would you vote for me?".
    const bool grant =
        m.term > term_ && !in_lease(now_us) && log_up_to_date(m.last_log_index, m.last_log_term);
    send(from, VoteResponse{grant ? m.term : term_, grant, true});
    return;
  }
  if (m.term > term_ && in_lease(now_us)) {
    send(from, VoteResponse{term_, false, false});  // leader stickiness: ignore disruption
    return;
  }
  if (m.term > term_) become_follower(now_us, m.term, no_node);
  const bool grant = m.term == term_ && (voted_for_ == no_node || voted_for_ == from) &&
                     log_up_to_date(m.last_log_index, m.last_log_term);
  if (grant) {
    set_vote(from);
    reset_election_deadline(now_us);
  }
  send(from, VoteResponse{term_, grant, false});
}

void RaftNode::on_vote_response(std::int64_t now_us, NodeId from, const VoteResponse& m) {
  if (m.pre_vote) {
    if (role_ != Role::pre_candidate) return;
    if (!m.granted && m.term > term_) {
      become_follower(now_us, m.term, no_node);
      return;
    }
    if (m.granted && m.term == term_ + 1) {
      votes_.insert(from);
      if (votes_.size() >= majority()) become_candidate(now_us);
    }
    return;
  }
  if (m.term > term_) {
    become_follower(now_us, m.term, no_node);
    return;
  }
  if (role_ != Role::candidate || m.term != term_ || !m.granted) return;
  votes_.insert(from);
  if (votes_.size() >= majority()) become_leader(now_us);
}

void RaftNode::mark_unstable_from(std::uint64_t index) {
  if (index >= unstable_from_) return;
  truncate_from_ = truncate_from_ ? std::min(*truncate_from_, index) : index;
  unstable_from_ = index;
}

void RaftNode::advance_commit(std::uint64_t index) {
  if (index <= commit_index_) return;
  SIMBUS_ASSERT(index <= log_.last_index());
  commit_index_ = index;
}

void RaftNode::on_append_request(std::int64_t now_us, NodeId from, const AppendRequest& m) {
  std::uint64_t reply_term = term_;
  if (m.term < term_) {
    // BUG(append_from_stale_term): a deposed leader's append is processed, and acknowledged
    // in its own term, so the deposed leader counts it towards commit.
    if (!bugs_.has(Bug::append_from_stale_term)) {
      send(from, AppendResponse{term_, false, 0, 0, 0});  // no read_ctx: not an ack
      return;
    }
    reply_term = m.term;
  } else {
    if (m.term > term_ || role_ != Role::follower) become_follower(now_us, m.term, from);
    leader_id_ = from;
    last_leader_contact_us_ = now_us;
    reset_election_deadline(now_us);
    reply_term = term_;
  }

  std::uint64_t prev = m.prev_log_index;
  std::uint64_t prev_term = m.prev_log_term;
  std::size_t skip = 0;
  if (prev < log_.snapshot_index()) {
    // Entries up to our snapshot are committed, so they match the leader's.
    while (skip < m.entries.size() && m.entries[skip].index <= log_.snapshot_index()) ++skip;
    prev = log_.snapshot_index();
    prev_term = log_.snapshot_term();
  }
  const std::optional<std::uint64_t> have = log_.term_at(prev);
  if (!have || *have != prev_term) {
    std::uint64_t conflict = log_.last_index() + 1;
    if (have && prev > log_.snapshot_index()) conflict = log_.first_index_of_term_at(prev);
    if (have && prev == log_.snapshot_index()) conflict = prev + 1;
    conflict = std::max(conflict, commit_index_ + 1);
    send(from, AppendResponse{reply_term, false, 0, conflict, m.read_ctx});
    return;
  }
  // BUG(truncate_on_matching_prefix): drop everything after prev, even matching entries.
  if (bugs_.has(Bug::truncate_on_matching_prefix) && skip < m.entries.size() &&
      prev < log_.last_index()) {
    log_.truncate_from(prev + 1);
    mark_unstable_from(prev + 1);
  }
  for (std::size_t i = skip; i < m.entries.size(); ++i) {
    const LogEntry& entry = m.entries[i];
    SIMBUS_ASSERT(entry.index == prev + 1 + (i - skip));
    const std::optional<std::uint64_t> existing = log_.term_at(entry.index);
    if (existing && *existing == entry.term) continue;
    if (existing) {
      SIMBUS_ASSERT(bugs_.any() || entry.index > commit_index_);
      log_.truncate_from(entry.index);
      mark_unstable_from(entry.index);
    }
    log_.append(entry);
  }
  const std::uint64_t last_new = prev + (m.entries.size() - skip);
  if (m.leader_commit > commit_index_) {
    advance_commit(std::min(m.leader_commit, std::min(last_new, log_.last_index())));
  }
  send(from, AppendResponse{reply_term, true, last_new, 0, m.read_ctx});
}

void RaftNode::on_append_response(std::int64_t now_us, NodeId from, const AppendResponse& m) {
  if (m.term > term_) {
    become_follower(now_us, m.term, no_node);
    return;
  }
  if (role_ != Role::leader || m.term != term_) return;
  Progress& p = progress_.at(from);
  record_ack(now_us, from, m.read_ctx);
  if (m.success) {
    SIMBUS_ASSERT(bugs_.any() || m.match_index <= log_.last_index());
    if (m.match_index > log_.last_index()) return;  // only under seeded bugs
    p.match_index = std::max(p.match_index, m.match_index);
    p.next_index = std::max(p.next_index, p.match_index + 1);
    maybe_commit(now_us);
    if (role_ == Role::leader && p.next_index <= log_.last_index()) send_append(from, 0);
    return;
  }
  p.next_index = std::max(p.match_index + 1, std::min(m.conflict_index, log_.last_index() + 1));
  SIMBUS_ASSERT(p.next_index >= 1);
  send_append(from, 0);
}

void RaftNode::on_snapshot_request(std::int64_t now_us, NodeId from, const SnapshotRequest& m) {
  if (m.term < term_) {
    send(from, SnapshotResponse{term_, 0, 0});
    return;
  }
  if (m.term > term_ || role_ != Role::follower) become_follower(now_us, m.term, from);
  leader_id_ = from;
  last_leader_contact_us_ = now_us;
  reset_election_deadline(now_us);

  // BUG(snapshot_over_newer_log): install even a snapshot older than what we committed.
  if (!bugs_.has(Bug::snapshot_over_newer_log)) {
    if (m.last_index <= commit_index_) {
      send(from, SnapshotResponse{term_, commit_index_, m.read_ctx});
      return;
    }
    const std::optional<std::uint64_t> have = log_.term_at(m.last_index);
    if (have && *have == m.last_term) {
      // Our log already holds the snapshot's prefix: keep it, and what follows.
      advance_commit(m.last_index);
      send(from, SnapshotResponse{term_, m.last_index, m.read_ctx});
      return;
    }
  }
  snapshot_ = Snapshot{m.last_index, m.last_term, m.data};
  log_.reset(m.last_index, m.last_term);
  commit_index_ = m.last_index;
  applied_ = m.last_index;
  snapshot_dirty_ = true;
  snapshot_to_apply_ = snapshot_;
  truncate_from_ = m.last_index + 1;
  unstable_from_ = m.last_index + 1;
  send(from, SnapshotResponse{term_, m.last_index, m.read_ctx});
}

void RaftNode::on_snapshot_response(std::int64_t now_us, NodeId from, const SnapshotResponse& m) {
  if (m.term > term_) {
    become_follower(now_us, m.term, no_node);
    return;
  }
  if (role_ != Role::leader || m.term != term_) return;
  Progress& p = progress_.at(from);
  record_ack(now_us, from, m.read_ctx);
  if (m.match_index > log_.last_index()) return;
  p.match_index = std::max(p.match_index, m.match_index);
  p.next_index = std::max(p.next_index, p.match_index + 1);
  maybe_commit(now_us);
  if (role_ == Role::leader && p.next_index <= log_.last_index()) send_append(from, 0);
}

void RaftNode::send_append(NodeId peer, std::uint64_t read_ctx) {
  const Progress& p = progress_.at(peer);
  if (p.next_index <= log_.snapshot_index()) {
    SIMBUS_ASSERT(snapshot_.has_value());
    SIMBUS_ASSERT(snapshot_->index == log_.snapshot_index());
    send(peer, SnapshotRequest{term_, snapshot_->index, snapshot_->term, read_ctx, snapshot_->data});
    return;
  }
  const std::uint64_t prev = p.next_index - 1;
  const std::optional<std::uint64_t> prev_term = log_.term_at(prev);
  SIMBUS_ASSERT(prev_term.has_value());
  send(peer, AppendRequest{term_, prev, *prev_term, commit_index_, read_ctx,
                           log_.slice(p.next_index, entries_per_append_max)});
}

void RaftNode::broadcast_heartbeat(std::int64_t now_us) {
  SIMBUS_ASSERT(role_ == Role::leader);
  ++round_;
  round_sent_us_[round_] = now_us;
  while (round_sent_us_.size() > rounds_tracked_max) round_sent_us_.erase(round_sent_us_.begin());
  for (const auto& [peer, p] : progress_) send_append(peer, round_);
  heartbeat_deadline_us_ = now_us + config_.heartbeat_interval_us;
  check_reads();
}

void RaftNode::record_ack(std::int64_t now_us, NodeId from, std::uint64_t read_ctx) {
  Progress& p = progress_.at(from);
  p.last_ack_us = now_us;
  // Two leaders of one term (only under seeded bugs) can see each other's rounds.
  SIMBUS_ASSERT(bugs_.any() || read_ctx <= round_);
  if (read_ctx > p.acked_round && read_ctx <= round_) p.acked_round = read_ctx;
  // BUG(read_answered_on_heartbeat): the round's acknowledgements wait for the next heartbeat.
  if (!bugs_.has(Bug::read_answered_on_heartbeat)) check_reads();
}

bool RaftNode::committed_in_term() const {
  return role_ == Role::leader && log_.term_at(commit_index_) == term_;
}

void RaftNode::maybe_commit(std::int64_t now_us) {
  if (role_ != Role::leader) return;
  std::vector<std::uint64_t> matches{log_.last_index()};
  for (const auto& [peer, p] : progress_) matches.push_back(p.match_index);
  std::sort(matches.begin(), matches.end(), std::greater<>());
  const std::uint64_t n = matches[majority() - 1];
  if (n <= commit_index_) return;
  // Only an entry of the current term is committed by counting replicas (Raft §5.4.2).
  // BUG(commit_previous_term_by_count): any entry on a majority is taken as committed.
  if (log_.term_at(n) == term_ || bugs_.has(Bug::commit_previous_term_by_count)) {
    advance_commit(n);
  }
  if (committed_in_term() && !reads_waiting_commit_.empty()) {
    for (std::uint64_t ctx : reads_waiting_commit_) {
      pending_reads_.push_back(PendingRead{ctx, round_ + 1, commit_index_});
    }
    reads_waiting_commit_.clear();
    broadcast_heartbeat(now_us);
  }
}

void RaftNode::check_reads() {
  if (role_ != Role::leader) return;
  std::size_t done = 0;
  for (const PendingRead& read : pending_reads_) {
    std::size_t acks = 1;
    for (const auto& [peer, p] : progress_) {
      if (p.acked_round >= read.round) ++acks;
    }
    if (acks < majority()) break;  // rounds only grow: later reads need later rounds
    reads_ready_.push_back(ReadState{read.ctx, read.index});
    ++done;
  }
  pending_reads_.erase(pending_reads_.begin(),
                       pending_reads_.begin() + static_cast<std::ptrdiff_t>(done));
}

bool RaftNode::lease_valid(std::int64_t now_us) const {
  if (!config_.lease_reads || role_ != Role::leader) return false;
  std::vector<std::int64_t> acked_sent_us{now_us};
  for (const auto& [peer, p] : progress_) {
    const auto it = round_sent_us_.find(p.acked_round);
    acked_sent_us.push_back(it == round_sent_us_.end() ? 0 : it->second);
  }
  std::sort(acked_sent_us.begin(), acked_sent_us.end(), std::greater<>());
  const std::int64_t lease_start_us = acked_sent_us[majority() - 1];
  if (lease_start_us == 0) return false;
  // BUG(lease_read_ignores_skew): the lease trusts this node's clock completely.
  const std::int64_t skew_us =
      bugs_.has(Bug::lease_read_ignores_skew) ? 0 : config_.lease_clock_skew_us_max;
  return now_us < lease_start_us + config_.election_timeout_us_min - skew_us;
}

std::optional<std::uint64_t> RaftNode::propose(std::int64_t now_us, Bytes command) {
  if (role_ != Role::leader) return std::nullopt;
  const std::uint64_t index = log_.last_index() + 1;
  log_.append(LogEntry{term_, index, std::move(command)});
  for (const auto& [peer, p] : progress_) {
    if (p.next_index == index) send_append(peer, 0);  // up to date: ship it now
  }
  maybe_commit(now_us);
  return index;
}

bool RaftNode::read(std::int64_t now_us, std::uint64_t ctx) {
  if (role_ != Role::leader) return false;
  if (pending_reads_.size() + reads_waiting_commit_.size() >= pending_reads_max) return false;
  if (!committed_in_term()) {
    reads_waiting_commit_.push_back(ctx);
    return true;
  }
  if (lease_valid(now_us)) {
    reads_ready_.push_back(ReadState{ctx, commit_index_});
    return true;
  }
  // Only acknowledgements of a round sent after the read arrived prove this node still
  // leads: older ones may predate an election it slept through.
  // BUG(read_index_reuses_acked_round): the last round sent, perhaps long acknowledged.
  const std::uint64_t round = bugs_.has(Bug::read_index_reuses_acked_round) ? round_ : round_ + 1;
  pending_reads_.push_back(PendingRead{ctx, round, commit_index_});
  broadcast_heartbeat(now_us);
  return true;
}

void RaftNode::compact(std::uint64_t index, Bytes data) {
  SIMBUS_ASSERT(index <= applied_);
  if (index <= log_.snapshot_index()) return;
  if (index > log_.last_index()) return;  // only under seeded bugs that lose entries
  SIMBUS_ASSERT(index < unstable_from_);
  const std::uint64_t term = *log_.term_at(index);
  log_.compact_to(index);
  snapshot_ = Snapshot{index, term, std::move(data)};
  snapshot_dirty_ = true;
  SIMBUS_ASSERT(log_.snapshot_index() == index);
}

void RaftNode::check_invariants() const {
  // Seeded bugs break Raft's rules on purpose; the checkers, not these asserts, must see it.
  if (bugs_.any()) return;
  SIMBUS_ASSERT(commit_index_ <= log_.last_index());
  SIMBUS_ASSERT(log_.snapshot_index() <= commit_index_);
  SIMBUS_ASSERT(applied_ <= commit_index_);
  SIMBUS_ASSERT(log_.last_term() <= term_);  // a node adopts a term before it holds its entries
  SIMBUS_ASSERT(unstable_from_ <= log_.last_index() + 1);
  SIMBUS_ASSERT(round_sent_us_.size() <= rounds_tracked_max);
  SIMBUS_ASSERT(voted_for_ == no_node ||
                std::binary_search(config_.members.begin(), config_.members.end(), voted_for_));
  SIMBUS_ASSERT(pending_reads_.size() + reads_waiting_commit_.size() <= pending_reads_max);
  if (role_ != Role::leader) {
    // Replication state and reads belong to one leadership: none outlives it.
    SIMBUS_ASSERT(leader_id_ != config_.id);
    SIMBUS_ASSERT(progress_.empty());
    SIMBUS_ASSERT(pending_reads_.empty());
    SIMBUS_ASSERT(reads_waiting_commit_.empty());
    if (role_ != Role::follower) {
      SIMBUS_ASSERT(leader_id_ == no_node);
      SIMBUS_ASSERT(votes_.contains(config_.id));
    }
    if (role_ == Role::candidate) SIMBUS_ASSERT(voted_for_ == config_.id);
    return;
  }
  SIMBUS_ASSERT(leader_id_ == config_.id);
  SIMBUS_ASSERT(voted_for_ == config_.id);
  SIMBUS_ASSERT(log_.last_term() == term_);  // its no-op at least
  SIMBUS_ASSERT(progress_.size() + 1 == config_.members.size());
  for (const auto& [peer, p] : progress_) {
    SIMBUS_ASSERT(peer != config_.id);
    SIMBUS_ASSERT(p.match_index < p.next_index);
    SIMBUS_ASSERT(p.next_index <= log_.last_index() + 1);
    SIMBUS_ASSERT(p.acked_round <= round_);
  }
  // A read waits for the term's first commit, or for a round already sent.
  SIMBUS_ASSERT(!committed_in_term() || reads_waiting_commit_.empty());
  std::uint64_t round_before = 0;
  for (const PendingRead& read : pending_reads_) {
    SIMBUS_ASSERT(read.round >= round_before);
    SIMBUS_ASSERT(read.round <= round_);
    SIMBUS_ASSERT(read.index <= commit_index_);
    round_before = read.round;
  }
}

Ready RaftNode::take_ready() {
  check_invariants();
  Ready ready;
  if (snapshot_dirty_) {
    ready.snapshot_to_persist = *snapshot_;
    snapshot_dirty_ = false;
  }
  ready.truncate_from = truncate_from_;
  truncate_from_.reset();
  if (unstable_from_ <= log_.last_index()) {
    const std::uint64_t from = std::max(unstable_from_, log_.first_index());
    ready.entries_to_append = log_.slice(from, log_.last_index() - from + 1);
  }
  unstable_from_ = log_.last_index() + 1;
  if (hard_state_dirty_) {
    ready.hard_state = HardState{term_, voted_for_};
    hard_state_dirty_ = false;
  }
  ready.messages = std::move(outbox_);
  outbox_.clear();
  ready.snapshot_to_apply = std::move(snapshot_to_apply_);
  snapshot_to_apply_.reset();
  const std::uint64_t apply_to = std::min(commit_index_, log_.last_index());
  while (applied_ < apply_to) {
    ++applied_;
    ready.committed.push_back(log_.at(applied_));
  }
  ready.reads = std::move(reads_ready_);
  reads_ready_.clear();
  return ready;
}

RaftStatus RaftNode::status() const {
  RaftStatus s;
  s.id = config_.id;
  s.role = role_;
  s.term = term_;
  s.voted_for = voted_for_;
  s.leader_id = leader_id_;
  s.commit_index = commit_index_;
  s.applied_index = applied_;
  s.snapshot_index = log_.snapshot_index();
  s.snapshot_term = log_.snapshot_term();
  s.log.reserve(log_.last_index() - log_.snapshot_index());
  log_.for_each_with_checksum([&s](const LogEntry& entry, std::uint64_t checksum) {
    s.log.push_back(EntryDigest{entry.index, entry.term, checksum});
  });
  return s;
}

}  // namespace simbus::core
