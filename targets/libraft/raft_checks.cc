#include "targets/libraft/raft_checks.h"

#include <fmt/format.h>

#include "base/assert.h"

namespace simbus::targets::libraft {

void RaftChecks::fail(std::string check, std::string message) {
  for (const std::string& t : tolerated_checks_) {
    if (t != check) continue;
    for (const RaftCheckFailure& f : tolerated_) {
      if (f.check == check) return;
    }
    tolerated_.push_back(RaftCheckFailure{std::move(check), std::move(message)});
    return;
  }
  if (!failure_) failure_ = RaftCheckFailure{std::move(check), std::move(message)};
}

std::optional<EntryView> RaftChecks::committed(std::uint64_t index) const {
  const auto it = committed_.find(index);
  if (it == committed_.end()) return std::nullopt;
  return it->second;
}

void RaftChecks::observe(const NodeView& v, std::int64_t now_us) {
  if (failure_) return;
  SIMBUS_ASSERT(v.first_index >= 1);
  SIMBUS_ASSERT(v.last_index + 1 >= v.first_index);
  Seen& s = seen_[v.id];
  if (s.incarnation != v.incarnation) s = Seen{v.incarnation};
  auto in_log = [&](std::uint64_t i) { return i >= v.first_index && i <= v.last_index; };

  // Election safety: at most one leader per term.
  if (v.leader) {
    auto [it, fresh] = leader_of_term_.try_emplace(v.term, v.id, v.node);
    if (!fresh && it->second.first != v.id) {
      return fail("raft-election-safety", fmt::format("term {} has two leaders: {} and {} (at {} us)", v.term,
                                                      it->second.second, v.node, now_us));
    }
  }

  // Leader append-only: while it leads a term, a leader's log only grows.
  if (v.leader && s.leader_term == v.term) {
    if (v.last_index < s.leader_last_index) {
      fail("raft-leader-append-only",
                  fmt::format("{} leading term {} shrank its log from {} to {} entries (at {} us)", v.node, v.term,
                              s.leader_last_index, v.last_index, now_us));
      if (failure_) return;
    } else if (in_log(s.leader_last_index) && v.entry(s.leader_last_index) != s.leader_last) {
      fail("raft-leader-append-only", fmt::format("{} leading term {} overwrote its entry {} (at {} us)", v.node,
                                                  v.term, s.leader_last_index, now_us));
      if (failure_) return;
    }
  }
  // Leader completeness: a new leader holds every entry committed before it.
  if (v.leader && s.leader_term != v.term) {
    for (const auto& [i, e] : committed_) {
      if (i < v.first_index || commit_term_.at(i) >= v.term) continue;
      if (i > v.last_index) {
        return fail("raft-leader-completeness",
                    fmt::format("{} leads term {} with a log ending at {}, without committed entry {} (term {}) "
                                "(at {} us)",
                                v.node, v.term, v.last_index, i, e.term, now_us));
      }
      if (v.entry(i) != e) {
        return fail("raft-leader-completeness",
                    fmt::format("{} leads term {} with entry {} of term {}, not the committed one of term {} "
                                "(at {} us)",
                                v.node, v.term, i, v.entry(i).term, e.term, now_us));
      }
    }
  }
  if (v.leader) {
    s.leader_term = v.term;
    s.leader_last_index = v.last_index;
    s.leader_last = in_log(v.last_index) ? v.entry(v.last_index) : EntryView{};
  } else {
    s.leader_term = 0;
  }

  // Every entry a node newly counts as committed agrees with what any node committed there.
  if (v.commit_index > s.commit_index) {
    if (v.commit_index > v.last_index) {
      return fail("raft-commit-beyond-log", fmt::format("{} counts entries up to {} as committed, its log ends at {} "
                                                        "(at {} us)",
                                                        v.node, v.commit_index, v.last_index, now_us));
    }
    for (std::uint64_t i = std::max(s.commit_index + 1, v.first_index); i <= v.commit_index; ++i) {
      const EntryView e = v.entry(i);
      auto [it, fresh] = committed_.try_emplace(i, e);
      auto [ct, first] = commit_term_.try_emplace(i, v.term);
      if (!first) ct->second = std::min(ct->second, v.term);
      if (!fresh && it->second != e) {
        return fail("raft-state-machine-safety",
                    fmt::format("{} committed entry {} of term {}, another node committed one of term {} there "
                                "(at {} us)",
                                v.node, i, e.term, it->second.term, now_us));
      }
      SIMBUS_ASSERT(committed_.size() <= kCommittedMax);
    }
  }
  s.commit_index = std::max(s.commit_index, v.commit_index);
}

void RaftChecks::applied(const std::string& node, std::uint64_t id, std::uint64_t incarnation, std::uint64_t index,
                         const EntryView& e, std::int64_t now_us) {
  if (failure_) return;
  Seen& s = seen_[id];
  if (s.incarnation != incarnation) s = Seen{incarnation};
  if (index <= s.applied_index) {
    return fail("raft-state-machine-safety", fmt::format("{} applied entry {} after entry {} (at {} us)", node, index,
                                                         s.applied_index, now_us));
  }
  s.applied_index = index;
  auto [it, fresh] = applied_.try_emplace(index, e, node);
  if (!fresh && it->second.first != e) {
    return fail("raft-state-machine-safety",
                fmt::format("{} applied entry {} of term {}, {} applied one of term {} there (at {} us)", node, index,
                            e.term, it->second.second, it->second.first.term, now_us));
  }
  const auto c = committed_.find(index);
  if (c != committed_.end() && c->second != e) {
    return fail("raft-state-machine-safety", fmt::format("{} applied entry {} of term {}, the committed one is of "
                                                         "term {} (at {} us)",
                                                         node, index, e.term, c->second.term, now_us));
  }
}

void RaftChecks::restored(std::uint64_t id, std::uint64_t incarnation, std::uint64_t index) {
  Seen& s = seen_[id];
  if (s.incarnation != incarnation) s = Seen{incarnation};
  s.applied_index = std::max(s.applied_index, index);
}

void RaftChecks::persisted(const std::string& node, std::uint64_t index, const EntryView& e, std::int64_t now_us) {
  if (failure_) return;
  // Log matching, entry by entry: one (index, term) names one entry on every node.
  auto [it, fresh] = entry_digest_.try_emplace({index, e.term}, e.digest);
  if (!fresh && it->second != e.digest) {
    fail("raft-log-matching", fmt::format("{} stored entry {} of term {} with different contents than another node "
                                          "(at {} us)",
                                          node, index, e.term, now_us));
  }
}

}  // namespace simbus::targets::libraft
