#include "checkers/linearizability.h"

#include "base/assert.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <thread>

#include "base/assert.h"
#include "base/hash.h"
#include "checkers/memo_table.h"

namespace simbus::checkers {

const char* verdict_name(Verdict verdict) {
  switch (verdict) {
    case Verdict::linearizable: return "linearizable";
    case Verdict::not_linearizable: return "not linearizable";
    case Verdict::unknown: return "unknown";
  }
  return "?";
}

namespace {

// Operations of an explanation printed in full; longer ones show their tail.
constexpr std::size_t kExplanationOpsMax = 40;
// How often (in steps) the search looks at the clock and at cancellation.
constexpr std::int64_t kPollStepsInterval = 4096;
// Step budget of the first round over the partitions, and its growth per round.
constexpr std::int64_t kRoundStepsInitial = std::int64_t{1} << 14;
constexpr std::int64_t kRoundGrowth = 4;

struct Partition {
  std::string key;
  std::vector<std::size_t> history_indices;  // operations that may have taken effect
};

struct PartitionOutcome {
  Verdict verdict = Verdict::linearizable;
  std::string unknown_reason;
  std::vector<std::size_t> partial;  // history indices
  std::vector<std::size_t> unplaced;
  std::string state_after_partial;
  std::int64_t steps = 0;
};

// Tells the search to give up: the wall clock ran out or the caller cancelled.
struct StopSignal {
  const std::atomic<bool>* cancel = nullptr;
  std::chrono::steady_clock::time_point deadline{};
  bool has_deadline = false;

  const char* poll() const {
    if (cancel != nullptr && cancel->load(std::memory_order_relaxed)) return "cancelled";
    if (has_deadline && std::chrono::steady_clock::now() >= deadline) return "time limit";
    return nullptr;
  }
};

// One partition's search. Operations that must take effect ("required": ok) sit in a
// doubly linked list of call and return entries in history order, as in Lowe's WGL:
// the candidates for the next linearization point are the calls before the first return.
// Operations that may or may not have taken effect (info) never return, so they never
// bound anything; they wait in a separate array and the search succeeds as soon as every
// required operation is linearized.
class Search {
 public:
  Search(const History& history, const Partition& partition, PartitionModel& model,
         const LinearizabilityLimits& limits, const StopSignal& stop)
      : history_(history), partition_(partition), model_(model), limits_(limits), stop_(stop) {}

  // Searches until done or until `steps_pause` steps in all; false if paused. The pause
  // points depend on step counts only, so a paused search resumes deterministically.
  bool advance(std::int64_t steps_pause, PartitionOutcome& out) {
    if (!started_) {
      started_ = true;
      build();
      if (required_count_ == 0) return finish(out, Verdict::linearizable);
      push_frame(model_.initial_state());
    }
    std::optional<Verdict> verdict = search(out, steps_pause);
    if (!verdict) return false;
    return finish(out, *verdict);
  }

 private:
  struct Frame {
    std::int32_t state = 0;
    std::int32_t cand_begin = 0;
    std::int32_t cand_end = 0;
    std::int32_t cursor = 0;
    std::int32_t applied_op = -1;  // the op that led from this configuration to the next
    bool forced = false;
  };

  void build() {
    const std::size_t n = partition_.history_indices.size();
    ops_.resize(n);
    // Events sorted by time; at equal times calls come first, so operations touching at
    // one instant count as concurrent.
    struct Event {
      std::int64_t time;
      int kind;  // 0 call, 1 return
      std::int32_t op;
    };
    std::vector<Event> events;
    events.reserve(2 * n);
    for (std::size_t i = 0; i < n; ++i) {
      const Operation& op = history_.operations[partition_.history_indices[i]];
      OpInfo& info = ops_[i];
      info.optional = op.status == Status::info;
      info.dropped = model_.is_noop(static_cast<std::int32_t>(i)) ||
                     (info.optional && model_.preserves_state(static_cast<std::int32_t>(i)));
      info.preserves = model_.preserves_state(static_cast<std::int32_t>(i));
      info.zobrist = mix64(0x5eed0000ULL + i);
      if (info.dropped) continue;
      events.push_back({op.invoke_time, 0, static_cast<std::int32_t>(i)});
      if (!info.optional) events.push_back({op.complete_time, 1, static_cast<std::int32_t>(i)});
    }
    std::stable_sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
      if (a.time != b.time) return a.time < b.time;
      return a.kind < b.kind;
    });
    // Entry list over required operations; the head sentinel is entry `entries`.
    std::int32_t position = 0;
    for (const Event& e : events) {
      OpInfo& info = ops_[e.op];
      if (e.kind == 0) info.call_pos = position;
      position += 1;
      if (info.optional) {
        optional_ops_.push_back(e.op);
        continue;
      }
      std::int32_t entry = static_cast<std::int32_t>(entry_op_.size());
      entry_op_.push_back(e.op);
      entry_is_call_.push_back(e.kind == 0);
      entry_pos_.push_back(position - 1);
      if (e.kind == 0) info.call_entry = entry; else info.ret_entry = entry;
      required_count_ += e.kind == 0 ? 1 : 0;
    }
    const std::int32_t entries = static_cast<std::int32_t>(entry_op_.size());
    next_.resize(entries + 1);
    prev_.resize(entries + 1);
    for (std::int32_t e = 0; e <= entries; ++e) {
      next_[e] = e == entries ? 0 : e + 1;
      prev_[e] = e == 0 ? entries : e - 1;
    }
    if (entries == 0) next_[0] = prev_[0] = 0;
    head_ = entries;
    // Unknown operations that are identical are interchangeable: using the later one
    // where the earlier was free is never needed, so each waits for its predecessor.
    std::map<std::string, std::int32_t> last_twin;
    for (std::int32_t op : optional_ops_) {
      const Operation& h = history_.operations[partition_.history_indices[op]];
      std::string signature = h.function + '\x1f' + h.key;
      for (const Value& v : h.args) signature += '\x1f' + value_to_string(v);
      signature += '\x1e';
      for (const Value& v : h.results) signature += '\x1f' + value_to_string(v);
      auto it = last_twin.find(signature);
      ops_[op].twin_prev = it == last_twin.end() ? -1 : it->second;
      last_twin[signature] = op;
    }
    words_ = std::max<std::size_t>(1, (n + 63) / 64);
    bits_.assign(words_, 0);
    memo_ = MemoTable(words_);
  }

  bool used(std::int32_t op) const { return (bits_[op >> 6] >> (op & 63)) & 1; }
  void flip(std::int32_t op) {
    bits_[op >> 6] ^= std::uint64_t{1} << (op & 63);
    hash_ ^= ops_[op].zobrist;
  }
  void unlink(std::int32_t e) {
    next_[prev_[e]] = next_[e];
    prev_[next_[e]] = prev_[e];
  }
  void relink(std::int32_t e) {
    next_[prev_[e]] = e;
    prev_[next_[e]] = e;
  }
  void lift(std::int32_t op) {
    unlink(ops_[op].call_entry);
    unlink(ops_[op].ret_entry);
  }
  void unlift(std::int32_t op) {
    relink(ops_[op].ret_entry);
    relink(ops_[op].call_entry);
  }

  // Pushes the configuration reached in `state` with its candidates. A required
  // candidate that keeps the state and is valid is taken alone: any linearization from
  // here can be reordered to place it first, so trying the others too is wasted work.
  void push_frame(std::int32_t state) {
    Frame frame;
    frame.state = state;
    frame.cand_begin = static_cast<std::int32_t>(cands_.size());
    std::int32_t e = next_[head_];
    for (; e != head_ && entry_is_call_[e]; e = next_[e]) {
      std::int32_t op = entry_op_[e];
      if (ops_[op].preserves && !frame.forced) {
        steps_ += 1;
        if (model_.step(state, op) != kInvalidState) {
          cands_.resize(frame.cand_begin);
          cands_.push_back(op);
          frame.forced = true;
          break;
        }
      }
      cands_.push_back(op);
    }
    // Try first the operation that must be placed soonest: it returns first, so a wrong
    // guess about it shows sooner (halves the steps on Porcupine's kv logs).
    if (!frame.forced) {
      std::sort(cands_.begin() + frame.cand_begin, cands_.end(),
                [&](std::int32_t a, std::int32_t b) { return ops_[a].ret_entry < ops_[b].ret_entry; });
    }
    // A pending observation the model proves unreachable ends this configuration.
    if (!frame.forced) {
      for (std::int32_t c = frame.cand_begin; c < static_cast<std::int32_t>(cands_.size()); ++c) {
        std::int32_t op = cands_[c];
        if (ops_[op].preserves && !model_.may_become_valid(state, op)) {
          cands_.resize(frame.cand_begin);
          break;
        }
      }
    }
    if (!frame.forced && static_cast<std::int32_t>(cands_.size()) > frame.cand_begin) {
      std::int32_t bound = e == head_ ? INT32_MAX : entry_pos_[e];
      for (std::int32_t op : optional_ops_) {
        if (ops_[op].call_pos >= bound) break;
        if (used(op)) continue;
        if (ops_[op].twin_prev >= 0 && !used(ops_[op].twin_prev)) continue;
        cands_.push_back(op);
      }
    }
    frame.cand_end = static_cast<std::int32_t>(cands_.size());
    frame.cursor = frame.cand_begin;
    frames_.push_back(frame);
    // The deepest configuration is what a violation report shows. Copying it on every new
    // depth made a linearizable history quadratic; it is recorded when that frame is
    // popped instead (or at give-up), when the lists are as they were at this push.
    if (frames_.size() > best_depth_) {
      best_depth_ = frames_.size();
      best_pending_ = true;
    }
  }

  // Records the top frame as the deepest configuration if it is one not yet recorded.
  void settle_best() {
    if (!best_pending_) return;
    SIMBUS_ASSERT(frames_.size() == best_depth_);
    record_best();
    best_pending_ = false;
  }

  void record_best() {
    std::int32_t first_return = next_[head_];
    while (first_return != head_ && entry_is_call_[first_return]) first_return = next_[first_return];
    best_partial_.clear();
    for (std::size_t i = 0; i + 1 < frames_.size(); ++i) best_partial_.push_back(frames_[i].applied_op);
    const Frame& top = frames_.back();
    best_state_ = top.state;
    best_unplaced_.clear();
    for (std::int32_t c = top.cand_begin; c < top.cand_end; ++c) {
      if (!ops_[cands_[c]].optional) best_unplaced_.push_back(cands_[c]);
    }
    if (first_return != head_) {
      std::int32_t blocker = entry_op_[first_return];
      if (std::find(best_unplaced_.begin(), best_unplaced_.end(), blocker) == best_unplaced_.end()) {
        best_unplaced_.push_back(blocker);
      }
    }
  }

  std::int64_t memory_bytes() const {
    return memo_.memory_bytes() + model_.memory_bytes() +
           static_cast<std::int64_t>(cands_.capacity() * sizeof(std::int32_t) +
                                     frames_.capacity() * sizeof(Frame));
  }

  bool finish(PartitionOutcome& out, Verdict verdict) {
    out.verdict = verdict;
    out.steps = steps_;
    if (std::getenv("SIMBUS_CHECK_DEBUG")) {
      std::fprintf(stderr, "partition %s: ops %zu required %d optional %zu steps %lld memo %zu best %zu verdict %s\n",
                   partition_.key.c_str(), ops_.size(), required_count_, optional_ops_.size(),
                   static_cast<long long>(steps_), memo_.size(), best_depth_, verdict_name(verdict));
    }
    return true;
  }

  std::optional<Verdict> search(PartitionOutcome& out, std::int64_t steps_pause) {
    std::int32_t& linearized = linearized_;
    std::int64_t& next_poll = next_poll_;
    while (true) {
      if (steps_ >= steps_pause) {
        if (steps_ > limits_.steps_max) return give_up(out, "search steps limit");
        return std::nullopt;
      }
      if (steps_ >= next_poll) {
        next_poll = steps_ + kPollStepsInterval;
        if (steps_ > limits_.steps_max) return give_up(out, "search steps limit");
        if (memory_bytes() > limits_.memory_bytes_max) return give_up(out, "memory limit");
        if (const char* why = stop_.poll()) return give_up(out, why);
      }
      Frame& frame = frames_.back();
      if (frame.cursor == frame.cand_end) {
        settle_best();
        cands_.resize(frame.cand_begin);
        frames_.pop_back();
        if (frames_.empty()) {
          explain(out);
          return Verdict::not_linearizable;
        }
        Frame& parent = frames_.back();
        std::int32_t op = parent.applied_op;
        flip(op);
        if (!ops_[op].optional) {
          unlift(op);
          linearized -= 1;
        }
        parent.applied_op = -1;
        if (parent.forced) parent.cursor = parent.cand_end;
        continue;
      }
      std::int32_t op = cands_[frame.cursor];
      frame.cursor += 1;
      steps_ += 1;
      std::int32_t next_state = model_.step(frame.state, op);
      if (next_state == kInvalidState) continue;
      const bool optional = ops_[op].optional;
      // Using an unknown operation where it changes nothing only spends it.
      if (optional && next_state == frame.state) continue;
      if (next_state >= MemoTable::kStatesMax) return give_up(out, "model states limit");
      flip(op);
      if (!memo_.insert(hash_ ^ mix64(static_cast<std::uint64_t>(next_state)), bits_.data(),
                        next_state)) {
        flip(op);
        continue;
      }
      if (!optional) {
        lift(op);
        linearized += 1;
      }
      frame.applied_op = op;
      if (linearized == required_count_) return Verdict::linearizable;
      push_frame(next_state);
    }
  }

  Verdict give_up(PartitionOutcome& out, const char* why) {
    out.unknown_reason = why;
    explain(out);
    return Verdict::unknown;
  }

  void explain(PartitionOutcome& out) {
    if (!frames_.empty()) settle_best();
    for (std::int32_t op : best_partial_) out.partial.push_back(partition_.history_indices[op]);
    for (std::int32_t op : best_unplaced_) out.unplaced.push_back(partition_.history_indices[op]);
    out.state_after_partial = model_.describe_state(best_state_);
  }

  struct OpInfo {
    std::int32_t call_pos = 0;
    std::int32_t call_entry = -1;
    std::int32_t ret_entry = -1;
    std::int32_t twin_prev = -1;
    bool optional = false;
    bool dropped = false;
    bool preserves = false;
    std::uint64_t zobrist = 0;
  };

  const History& history_;
  const Partition& partition_;
  PartitionModel& model_;
  const LinearizabilityLimits& limits_;
  const StopSignal& stop_;

  std::vector<OpInfo> ops_;
  std::vector<std::int32_t> optional_ops_;  // in call order
  std::vector<std::int32_t> entry_op_;
  std::vector<bool> entry_is_call_;
  std::vector<std::int32_t> entry_pos_;
  std::vector<std::int32_t> next_;
  std::vector<std::int32_t> prev_;
  std::int32_t head_ = 0;
  std::int32_t required_count_ = 0;

  bool started_ = false;
  std::int32_t linearized_ = 0;
  std::int64_t next_poll_ = kPollStepsInterval;
  std::size_t words_ = 1;
  std::vector<std::uint64_t> bits_;
  std::uint64_t hash_ = 0;
  MemoTable memo_{1};
  std::vector<Frame> frames_;
  std::vector<std::int32_t> cands_;
  std::int64_t steps_ = 0;

  std::size_t best_depth_ = 0;
  bool best_pending_ = false;  // the deepest frame is on the stack and not yet recorded
  std::vector<std::int32_t> best_partial_;
  std::vector<std::int32_t> best_unplaced_;
  std::int32_t best_state_ = 0;
};

std::vector<Partition> split(const History& history, const Model& model) {
  std::map<std::string, std::vector<std::size_t>> by_key;
  for (std::size_t i = 0; i < history.operations.size(); ++i) {
    const Operation& op = history.operations[i];
    std::string error = model.validate(op);
    if (!error.empty()) {
      throw std::invalid_argument(fmt::format("{}: {} ({})", operation_origin(history, i),
                                              error, format_operation(op)));
    }
    if (op.status == Status::fail) continue;
    by_key[model.partitioned_by_key() ? op.key : std::string()].push_back(i);
  }
  std::vector<Partition> parts;
  parts.reserve(by_key.size());
  for (auto& [key, indices] : by_key) parts.push_back(Partition{key, std::move(indices)});
  return parts;
}

// A partition's search with the model it owns, kept between rounds.
struct PartitionTask {
  std::unique_ptr<PartitionModel> model;
  std::unique_ptr<Search> search;
  StopSignal stop;
  bool done = false;
};

void explain_result(const History& history, const Partition& partition,
                    const PartitionOutcome& outcome, LinearizabilityResult& result) {
  result.key = partition.key;
  result.partial_linearization = outcome.partial;
  result.unplaced = outcome.unplaced;
  std::string& text = result.explanation;
  if (!partition.key.empty()) text += fmt::format("key {}: ", partition.key);
  text += fmt::format("the longest partial linearization places {} of {} operations",
                      outcome.partial.size(), partition.history_indices.size());
  std::size_t skip = outcome.partial.size() > kExplanationOpsMax
                         ? outcome.partial.size() - kExplanationOpsMax
                         : 0;
  text += skip > 0 ? fmt::format(" (last {} shown):\n", kExplanationOpsMax) : ":\n";
  for (std::size_t i = skip; i < outcome.partial.size(); ++i) {
    text += fmt::format("  {:>4}. {}\n", i + 1, format_operation(history.operations[outcome.partial[i]]));
  }
  text += fmt::format("  state then: {}\n", outcome.state_after_partial);
  text += "operations that could not be placed next:\n";
  for (std::size_t i : outcome.unplaced) {
    text += fmt::format("        {}\n", format_operation(history.operations[i]));
  }
}

}  // namespace

LinearizabilityResult check_linearizable(const History& history, const Model& model,
                                         const LinearizabilityLimits& limits,
                                         const std::atomic<bool>* cancel) {
  std::vector<Partition> parts = split(history, model);
  std::vector<PartitionOutcome> outcomes(parts.size());
  std::vector<PartitionTask> tasks(parts.size());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(limits.time_limit_ms);
  for (std::size_t i = 0; i < parts.size(); ++i) {
    tasks[i].stop.cancel = cancel;
    tasks[i].stop.deadline = deadline;
    tasks[i].stop.has_deadline = limits.time_limit_ms > 0;
  }

  // Rounds of growing step budgets: every unfinished partition searches up to the round's
  // budget, and a round in which some partition fails ends the check with the first such
  // partition in key order. A hard partition thus cannot delay a violation found quickly
  // elsewhere, and which violation is reported depends on step counts, not on threads.
  std::int64_t budget = std::min(kRoundStepsInitial, limits.steps_max + 1);
  std::optional<std::size_t> failed;
  while (!failed) {
    std::vector<std::size_t> pending;
    for (std::size_t i = 0; i < tasks.size(); ++i) {
      if (!tasks[i].done) pending.push_back(i);
    }
    if (pending.empty()) break;
    std::atomic<std::size_t> next{0};
    auto worker = [&] {
      for (std::size_t k = next.fetch_add(1); k < pending.size(); k = next.fetch_add(1)) {
        const std::size_t i = pending[k];
        PartitionTask& task = tasks[i];
        if (!task.search) {
          std::vector<const Operation*> ops;
          ops.reserve(parts[i].history_indices.size());
          for (std::size_t h : parts[i].history_indices) ops.push_back(&history.operations[h]);
          task.model = model.compile(ops);
          SIMBUS_ASSERT(task.model != nullptr);
          task.search = std::make_unique<Search>(history, parts[i], *task.model, limits, task.stop);
        }
        if (task.search->advance(budget, outcomes[i])) {
          task.done = true;
          task.search.reset();  // frees the memo before the next round
          task.model.reset();
        }
      }
    };
    const std::size_t threads = std::min<std::size_t>(std::max(1, limits.threads), pending.size());
    if (threads <= 1) {
      worker();
    } else {
      std::vector<std::thread> pool;
      for (std::size_t t = 0; t < threads; ++t) pool.emplace_back(worker);
      for (std::thread& t : pool) t.join();
    }
    for (std::size_t i = 0; i < tasks.size() && !failed; ++i) {
      if (tasks[i].done && outcomes[i].verdict == Verdict::not_linearizable) failed = i;
    }
    budget = budget > limits.steps_max / kRoundGrowth ? limits.steps_max + 1 : budget * kRoundGrowth;
  }

  LinearizabilityResult result;
  result.partitions = static_cast<std::int64_t>(parts.size());
  for (const PartitionOutcome& o : outcomes) result.steps += o.steps;
  if (failed) {
    result.verdict = Verdict::not_linearizable;
    explain_result(history, parts[*failed], outcomes[*failed], result);
    return result;
  }
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (outcomes[i].verdict == Verdict::unknown) {
      result.verdict = Verdict::unknown;
      result.unknown_reason = outcomes[i].unknown_reason;
      explain_result(history, parts[i], outcomes[i], result);
      return result;
    }
  }
  return result;
}

}  // namespace simbus::checkers
