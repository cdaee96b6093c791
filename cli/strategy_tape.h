// The isolation tape: a shared-memory record of every call an enumerating strategy (dfs,
// dpor, ...) receives while a child process runs executions, and of each execution's
// result. If the code under test kills the child (a signal, an abort, a hang), the parent
// still holds the calls up to the crash: it replays them into its own copy of the strategy,
// which then stands exactly where the child's stood, reports the crashed execution with the
// schedule that led to it, and forks a new child to go on. Strategies are deterministic
// functions of the calls they receive, so the replay must return every recorded answer
// (checked).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "sim/choice_log.h"
#include "sim/strategy.h"

namespace simbus::cli {

enum class TapeRecord : std::uint32_t {
  kBegin = 1,        // u64 strategy seed
  kPick = 2,         // PickContext, u64 index, the enabled list as edits of the previous pick's
  kData = 3,         // DataChoice, u8 has_value, u64 value
  kHiddenWrite = 4,  // u64 object
  kLockBlocked = 5,  // u64 object
  kEnd = 6,          // u8 completed
  kResult = 7,       // one execution's outcome, bytes the enumerator encodes
  kFinish = 8,       // the child's loop ended: bytes the enumerator encodes
  kCheckpoint = 9,   // the tape is nearly full: replay, reset and go on in a new child
  kError = 10,       // a usage error (a diverging execution): text
};

class Tape {
 public:
  // Virtual size of the mapping (pages are only touched as records are written).
  static constexpr std::size_t kBytesMax = std::size_t{1} << 30;
  // Past this many bytes the child ends at the next execution boundary (kCheckpoint).
  static constexpr std::size_t kCheckpointBytes = std::size_t{64} << 20;

  Tape();
  ~Tape();
  Tape(const Tape&) = delete;
  Tape& operator=(const Tape&) = delete;

  // Writer (the child). False, and the tape marked overflowed, when the record does not fit.
  bool append(TapeRecord type, std::span<const std::byte> a, std::span<const std::byte> b = {});
  bool overflowed() const;
  std::size_t used_bytes() const;
  // Bumped by every append: the parent's sign of life from the child.
  std::uint64_t appends() const;
  // Set once by whoever warned that the space is astronomically large; survives reset().
  bool warned() const;
  void set_warned();

  // Reader (the parent, once the child is gone).
  struct Entry {
    TapeRecord type;
    std::span<const std::byte> bytes;
  };
  std::vector<Entry> entries() const;
  // Forgets every record (and releases their pages) before the next child.
  void reset();

 private:
  struct Header;
  Header* header_ = nullptr;
  std::byte* base_ = nullptr;
};

// Forwards every call to `inner` and records it, with the answer, on `tape`.
class RecordingStrategy final : public sim::Strategy {
 public:
  RecordingStrategy(std::shared_ptr<sim::Strategy> inner, Tape* tape) : inner_(std::move(inner)), tape_(tape) {}
  std::string name() const override { return inner_->name(); }
  void begin(std::uint64_t strategy_seed) override;
  std::size_t pick(std::span<const sim::EnabledAction> enabled, const sim::PickContext& ctx) override;
  std::optional<std::uint64_t> choose_data(const sim::DataChoice& choice) override;
  std::string divergence() const override { return inner_->divergence(); }
  void note_hidden_write(sim::ObjectId object) override;
  void note_lock_blocked(sim::ObjectId object) override;
  void end_execution(bool completed) override;
  bool exhausted() const override { return inner_->exhausted(); }
  bool wants_systematic() const override { return inner_->wants_systematic(); }
  bool last_execution_blocked() const override { return inner_->last_execution_blocked(); }
  std::string gave_up() const override { return inner_->gave_up(); }

 private:
  std::shared_ptr<sim::Strategy> inner_;
  Tape* tape_;
  std::vector<sim::EnabledAction> previous_;  // the last pick's list, which the next is encoded against
  std::vector<std::byte> delta_;
};

// A pick's enabled list as edits of the previous one (exposed for tests).
void encode_delta(std::span<const sim::EnabledAction> previous, std::span<const sim::EnabledAction> current,
                  std::vector<std::byte>& out);
void decode_delta(std::span<const sim::EnabledAction> previous, std::span<const std::byte> delta,
                  std::vector<sim::EnabledAction>& out);

// What a replay of the tape's strategy calls found.
struct TapeReplay {
  bool matched = true;  // every answer equal to the recorded one
  std::string mismatch;
  bool partial = false;  // the last execution began and never ended (the crash)
  // The partial execution's schedule (choices where more than one action was enabled),
  // for its reproduce line.
  sim::ChoiceLog partial_log;
};

// Feeds every strategy call on the tape to `strategy`, in order, checking its answers.
TapeReplay replay_tape(const Tape& tape, sim::Strategy& strategy);

}  // namespace simbus::cli
