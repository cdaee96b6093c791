// A tiny deterministic network for testing RaftNode without the simulator: every in-flight
// message is a candidate for delivery in any order (reorder, delay), sends may be dropped
// or duplicated, nodes crash (losing unsynced writes) and restart from their storage.
// After every step it checks election safety, log matching, leader completeness and state
// machine safety, and records the first violation.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "base/hash.h"
#include "core/codec.h"
#include "core/raft.h"
#include "core/storage.h"
#include "tests/core/memory_storage.h"

namespace simbus::core::testing {

// SplitMix64: the tests' own PRNG (never std randomness).
class TestRng {
 public:
  explicit TestRng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    ++state_;
    return mix64(state_);
  }
  std::uint64_t below(std::uint64_t bound) { return bound == 0 ? 0 : next() % bound; }
  bool percent(std::uint64_t p) { return below(100) < p; }

 private:
  std::uint64_t state_;
};

struct HarnessOptions {
  std::size_t nodes = 3;
  std::uint64_t drop_percent = 5;
  std::uint64_t duplicate_percent = 5;
  std::uint64_t crash_per_mille = 5;
  std::uint64_t propose_percent = 10;
  std::uint64_t compact_after_entries = 8;  // 0: never compact
  std::size_t in_flight_max = 400;
  bool pre_vote = true;
  bool check_quorum = true;
  bool partitions = true;
};

class RaftHarness {
 public:
  RaftHarness(std::uint64_t seed, HarnessOptions options, Bugs bugs = {})
      : rng_(seed), options_(options), bugs_(bugs) {
    // Node ids start at 0, as the simulator's do (no_node is the sentinel).
    for (std::size_t i = 0; i < options_.nodes; ++i) members_.push_back(static_cast<NodeId>(i));
    nodes_.resize(options_.nodes);
    side_.assign(options_.nodes, 0);
    for (NodeId id : members_) start(id);
  }

  std::int64_t now_us() const { return now_us_; }
  const std::optional<std::string>& violation() const { return violation_; }
  RaftNode* node(NodeId id) { return nodes_[id].raft.get(); }
  std::uint64_t max_commit_seen() const { return committed_.empty() ? 0 : committed_.rbegin()->first; }
  std::uint64_t leaders_elected() const { return leader_of_term_.size(); }

  // One random step: crash, restart, propose, deliver a due message, or advance time.
  void step(bool faults = true) {
    const std::uint64_t roll = rng_.below(1000);
    if (faults && roll < options_.crash_per_mille) {
      crash(static_cast<NodeId>(rng_.below(members_.size())));
    } else if (faults && roll < 40) {
      for (NodeId id : members_) {
        if (!nodes_[id].raft) start(id);
      }
    } else if (faults && roll >= 990 && options_.partitions) {
      partition();
    } else if (roll >= 40 && roll < 40 + options_.propose_percent * 10) {
      propose_anywhere();
    } else {
      deliver_or_advance(faults);
    }
    check();
  }

  void run(std::size_t steps, bool faults = true) {
    faults_ = faults;
    for (std::size_t i = 0; i < steps && !violation_; ++i) step(faults);
  }

  // Heals: restarts every node, then runs without faults until a new proposal commits.
  bool commits_after_heal(std::size_t steps_max) {
    faults_ = false;
    side_.assign(side_.size(), 0);
    for (NodeId id : members_) {
      if (!nodes_[id].raft) start(id);
    }
    const std::uint64_t command_no = next_command_++;
    std::optional<std::uint64_t> index;
    NodeId at = 0;
    for (std::size_t i = 0; i < steps_max && !violation_; ++i) {
      if (!index) {
        for (NodeId id : members_) {
          RaftNode* raft = nodes_[id].raft.get();
          if (raft && raft->role() == Role::leader) {
            index = raft->propose(now_us_, command_bytes(command_no));
            at = id;
            pump(id);
            break;
          }
        }
      }
      if (index && nodes_[at].raft && nodes_[at].raft->applied_index() >= *index) return true;
      if (index && (!nodes_[at].raft || nodes_[at].raft->role() != Role::leader)) index.reset();
      deliver_or_advance(false);
      check();
    }
    return false;
  }

  // Half the time heals; otherwise puts each node on side 0 or 1 at random.
  void partition() {
    side_.assign(options_.nodes, 0);
    if (rng_.percent(50)) return;
    for (NodeId id : members_) side_[id] = static_cast<std::uint8_t>(rng_.below(2));
  }

  void crash(NodeId id) {
    Node& n = nodes_[id];
    if (!n.raft) return;
    n.storage.crash();
    n.raft.reset();
  }

  void start(NodeId id) {
    Node& n = nodes_[id];
    RaftConfig config;
    config.id = id;
    config.members = members_;
    config.election_timeout_us_min = 150'000;
    config.election_timeout_us_max = 300'000;
    config.heartbeat_interval_us = 50'000;
    config.pre_vote = options_.pre_vote;
    config.check_quorum = options_.check_quorum;
    RecoveredState recovered = n.storage.recover();
    n.hard_state_written = recovered.hard_state;
    n.applied_index = 0;
    n.chain = 0;
    n.raft = std::make_unique<RaftNode>(
        config, bugs_, std::move(recovered), [this](std::uint64_t b) { return rng_.below(b); },
        now_us_);
    pump(id);
  }

  void propose_anywhere() {
    for (NodeId id : members_) {
      RaftNode* raft = nodes_[id].raft.get();
      if (raft && raft->role() == Role::leader) {
        raft->propose(now_us_, command_bytes(next_command_++));
        pump(id);
        return;
      }
    }
  }

 private:
  struct Node {
    MemoryStorage storage;
    std::unique_ptr<RaftNode> raft;
    HardState hard_state_written;
    std::uint64_t applied_index = 0;
    std::uint64_t chain = 0;  // hash chain over applied (index, term, command)
  };
  struct InFlight {
    NodeId from = 0;
    NodeId to = 0;
    RaftMessage message;
    std::int64_t deliver_at_us = 0;
  };

  static Bytes command_bytes(std::uint64_t no) {
    Writer w;
    w.u64(no);
    return w.take();
  }

  void fail(std::string what) {
    if (!violation_) violation_ = fmt::format("t={}us: {}", now_us_, what);
  }

  // Delivers one message whose time has come, chosen at random among them (reordering);
  // when none is due, advances time to the next delivery or node deadline.
  void deliver_or_advance(bool faults) {
    std::vector<std::size_t> due;
    for (std::size_t i = 0; i < in_flight_.size(); ++i) {
      if (in_flight_[i].deliver_at_us <= now_us_) due.push_back(i);
    }
    if (!due.empty()) {
      deliver(due[rng_.below(due.size())], faults);
      return;
    }
    std::int64_t next = now_us_ + 1'000'000;
    for (const InFlight& m : in_flight_) next = std::min(next, m.deliver_at_us);
    for (NodeId id : members_) {
      if (nodes_[id].raft) next = std::min(next, nodes_[id].raft->next_deadline_us());
    }
    now_us_ = std::max(now_us_ + 1, next);
    for (NodeId id : members_) {
      if (nodes_[id].raft && nodes_[id].raft->next_deadline_us() <= now_us_) {
        nodes_[id].raft->tick(now_us_);
        pump(id);
      }
    }
  }

  void deliver(std::size_t i, bool faults) {
    InFlight m = std::move(in_flight_[i]);
    in_flight_[i] = std::move(in_flight_.back());
    in_flight_.pop_back();
    if (faults && rng_.percent(options_.duplicate_percent)) {
      InFlight copy = m;
      copy.deliver_at_us = now_us_ + latency_us(faults);
      in_flight_.push_back(std::move(copy));
    }
    RaftNode* raft = nodes_[m.to].raft.get();
    if (!raft) return;
    if (side_[m.from] != side_[m.to]) return;  // partitioned: lost
    raft->step(now_us_, m.from, m.message);
    pump(m.to);
  }

  std::int64_t latency_us(bool faults) {
    if (faults && rng_.percent(3)) return 1'000 + static_cast<std::int64_t>(rng_.below(600'000));
    return 500 + static_cast<std::int64_t>(rng_.below(10'000));
  }

  void pump(NodeId id) {
    Node& n = nodes_[id];
    for (int round = 0; round < 4 && n.raft; ++round) {
      Ready ready = n.raft->take_ready();
      if (ready.empty()) return;
      persist_ready(n.storage, ready, n.hard_state_written, bugs_);
      if (ready.hard_state) n.hard_state_written = *ready.hard_state;
      for (Outgoing& out : ready.messages) {
        if (faults_ && rng_.percent(options_.drop_percent)) continue;
        if (in_flight_.size() >= options_.in_flight_max) continue;
        in_flight_.push_back(
            InFlight{id, out.to, std::move(out.message), now_us_ + latency_us(faults_)});
      }
      if (ready.snapshot_to_apply) restore(id, *ready.snapshot_to_apply);
      for (const LogEntry& entry : ready.committed) apply(id, entry);
      if (options_.compact_after_entries > 0 &&
          n.applied_index >= n.raft->log().snapshot_index() + options_.compact_after_entries) {
        Writer w;
        w.u64(n.applied_index);
        w.u64(n.chain);
        n.raft->compact(n.applied_index, w.take());
      }
    }
  }

  void restore(NodeId id, const Snapshot& snapshot) {
    Node& n = nodes_[id];
    Reader r(snapshot.data);
    const std::uint64_t index = r.u64();
    const std::uint64_t chain = r.u64();
    if (!r.ok() || index != snapshot.index) return fail("undecodable snapshot");
    n.applied_index = index;
    n.chain = chain;
    auto it = chain_at_.find(index);
    if (it != chain_at_.end() && it->second != chain) {
      fail(fmt::format("state machine safety: node {} restored a snapshot at {} that differs",
                       id, index));
    }
  }

  void apply(NodeId id, const LogEntry& entry) {
    Node& n = nodes_[id];
    if (entry.index != n.applied_index + 1) {
      return fail(fmt::format("node {} applied index {} after {}", id, entry.index,
                              n.applied_index));
    }
    n.applied_index = entry.index;
    n.chain = hash_combine(hash_combine(n.chain, entry.term), checksum64(entry.command));
    auto [it, inserted] = chain_at_.emplace(entry.index, n.chain);
    if (!inserted && it->second != n.chain) {
      fail(fmt::format("state machine safety: node {} applied a different entry at {}", id,
                       entry.index));
    }
    committed_.emplace(entry.index, std::make_pair(entry.term, checksum64(entry.command)));
  }

  void check() {
    for (NodeId id : members_) {
      RaftNode* raft = nodes_[id].raft.get();
      if (!raft || raft->role() != Role::leader) continue;
      auto [it, inserted] = leader_of_term_.emplace(raft->term(), id);
      if (!inserted && it->second != id) {
        fail(fmt::format("election safety: nodes {} and {} both led term {}", it->second, id,
                         raft->term()));
      }
      if (inserted) check_leader_completeness(id);
    }
    check_log_matching();
  }

  void check_leader_completeness(NodeId id) {
    const RaftLog& log = nodes_[id].raft->log();
    for (const auto& [index, term_sum] : committed_) {
      if (index <= log.snapshot_index()) continue;
      if (index > log.last_index() || log.at(index).term != term_sum.first ||
          checksum64(log.at(index).command) != term_sum.second) {
        return fail(fmt::format("leader completeness: leader {} of term {} lacks committed "
                                "entry {}",
                                id, nodes_[id].raft->term(), index));
      }
    }
  }

  void check_log_matching() {
    for (std::size_t a = 0; a < members_.size(); ++a) {
      for (std::size_t b = a + 1; b < members_.size(); ++b) {
        const RaftNode* x = nodes_[members_[a]].raft.get();
        const RaftNode* y = nodes_[members_[b]].raft.get();
        if (!x || !y) continue;
        const RaftLog& lx = x->log();
        const RaftLog& ly = y->log();
        const std::uint64_t lo = std::max(lx.first_index(), ly.first_index());
        const std::uint64_t hi = std::min(lx.last_index(), ly.last_index());
        bool matched = false;
        for (std::uint64_t i = hi; i >= lo && i > 0; --i) {
          if (!matched && lx.at(i).term == ly.at(i).term) matched = true;
          if (matched && !(lx.at(i) == ly.at(i))) {
            return fail(fmt::format("log matching: nodes {} and {} differ at {}", members_[a],
                                    members_[b], i));
          }
        }
      }
    }
  }

  TestRng rng_;
  HarnessOptions options_;
  Bugs bugs_;
  std::vector<NodeId> members_;
  std::vector<Node> nodes_;
  std::vector<InFlight> in_flight_;
  std::vector<std::uint8_t> side_;  // partition side per node
  std::int64_t now_us_ = 0;
  bool faults_ = true;
  std::uint64_t next_command_ = 1;
  std::map<std::uint64_t, NodeId> leader_of_term_;
  std::map<std::uint64_t, std::uint64_t> chain_at_;
  std::map<std::uint64_t, std::pair<std::uint64_t, std::uint64_t>> committed_;
  std::optional<std::string> violation_;
};

}  // namespace simbus::core::testing
