// Raft's safety properties checked online, after every call into the library, from what
// each node's `struct raft` shows and what its io and FSM saw. Plain data in, so a test
// can feed crafted observations. Online because libraft is built with NDEBUG (its own
// assertions are off) and a broken run must stop where it broke, not at the end.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace simbus::targets::libraft {

struct EntryView {
  std::uint64_t term = 0;
  std::uint64_t digest = 0;  // of the entry's type and bytes
  bool operator==(const EntryView&) const = default;
};

struct NodeView {
  std::string node;  // for messages
  std::uint64_t id = 0;
  std::uint64_t incarnation = 0;
  std::uint64_t term = 0;
  bool leader = false;
  std::uint64_t commit_index = 0;
  std::uint64_t first_index = 1;  // the first index held in the in-memory log
  std::uint64_t last_index = 0;   // 0 or first_index - 1: empty
  std::function<EntryView(std::uint64_t index)> entry;  // for first_index <= index <= last_index
};

struct RaftCheckFailure {
  std::string check;  // "raft-election-safety", ...
  std::string message;
};

class RaftChecks {
 public:
  static constexpr std::size_t kCommittedMax = 10'000'000;

  // The first failure is kept; later calls are ignored once one is recorded.
  void observe(const NodeView& v, std::int64_t now_us);
  // The node's FSM applied the entry at `index` (a command), with this digest.
  void applied(const std::string& node, std::uint64_t id, std::uint64_t incarnation, std::uint64_t index,
               const EntryView& e, std::int64_t now_us);
  // The node restored a snapshot covering entries up to `index`.
  void restored(std::uint64_t id, std::uint64_t incarnation, std::uint64_t index);
  // The node's io persisted this entry (every entry of every append).
  void persisted(const std::string& node, std::uint64_t index, const EntryView& e, std::int64_t now_us);

  // A check named here is still evaluated, and its first violation kept in tolerated(),
  // but it does not fail the run: the run goes on to show what the violation leads to.
  void tolerate(const std::string& check) { tolerated_checks_.push_back(check); }
  const std::vector<RaftCheckFailure>& tolerated() const { return tolerated_; }

  // Records a failed check (the io's contract checks report through here too), unless it
  // is tolerated.
  void report(std::string check, std::string message) { fail(std::move(check), std::move(message)); }

  bool failed() const { return failure_.has_value(); }
  const std::optional<RaftCheckFailure>& failure() const { return failure_; }
  std::size_t leaders() const { return leader_of_term_.size(); }
  // The committed entry at `index`, if one was seen committed.
  std::optional<EntryView> committed(std::uint64_t index) const;

 private:
  struct Seen {
    std::uint64_t incarnation = 0;
    std::uint64_t commit_index = 0;
    std::uint64_t leader_term = 0;  // 0: not leading
    std::uint64_t leader_last_index = 0;
    EntryView leader_last;
    std::uint64_t applied_index = 0;
  };
  void fail(std::string check, std::string message);

  std::map<std::uint64_t, Seen> seen_;  // by node id
  std::map<std::uint64_t, std::pair<std::uint64_t, std::string>> leader_of_term_;  // term -> (id, node)
  std::map<std::uint64_t, EntryView> committed_;                                    // index -> entry
  // index -> the lowest term of a node seen counting it committed: leaders of later terms
  // must hold it (a leader of an earlier term may still be deposed-but-unaware).
  std::map<std::uint64_t, std::uint64_t> commit_term_;
  std::map<std::uint64_t, std::pair<EntryView, std::string>> applied_;              // index -> entry, node
  std::map<std::pair<std::uint64_t, std::uint64_t>, std::uint64_t> entry_digest_;   // (index, term) -> digest
  std::optional<RaftCheckFailure> failure_;
  std::vector<std::string> tolerated_checks_;
  std::vector<RaftCheckFailure> tolerated_;  // the first violation of each tolerated check
};

}  // namespace simbus::targets::libraft
