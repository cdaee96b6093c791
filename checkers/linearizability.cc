#include "checkers/linearizability.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
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

// Tells the search to give up: the wall clock ran out, or a partition earlier in key
// order already failed (its verdict wins, so later ones need not finish).
struct StopSignal {
  const std::atomic<bool>* cancel = nullptr;
  std::chrono::steady_clock::time_point deadline{};
  bool has_deadline = false;
  const std::atomic<std::int64_t>* first_violation = nullptr;
  std::int64_t partition_index = 0;

  const char* poll() const {
    if (cancel != nullptr && cancel->load(std::memory_order_relaxed)) return "cancelled";
    if (first_violation != nullptr &&
        first_violation->load(std::memory_order_relaxed) < partition_index) {
      return "an earlier partition failed";
    }
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

  PartitionOutcome run() {
    build();
    PartitionOutcome out;
    out.verdict = search(out);
    out.steps = steps_;
    if (std::getenv("SIMBUS_CHECK_DEBUG")) {
      std::fprintf(stderr, "partition %s: ops %zu required %d optional %zu steps %lld memo %zu best %zu verdict %s\n",
                   partition_.key.c_str(), ops_.size(), required_count_, optional_ops_.size(),
                   static_cast<long long>(steps_), memo_.size(), best_depth_, verdict_name(out.verdict));
    }
    return out;
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
    if (!frame.forced && prune_dead_) {
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
    if (frames_.size() > best_depth_) record_best();
  }

  void record_best() {
    std::int32_t first_return = next_[head_];
    while (first_return != head_ && entry_is_call_[first_return]) first_return = next_[first_return];
    best_depth_ = frames_.size();
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

  Verdict search(PartitionOutcome& out) {
    memo_ = MemoTable(words_);
    std::int32_t linearized = 0;
    if (required_count_ == 0) return Verdict::linearizable;
    push_frame(model_.initial_state());
    std::int64_t next_poll = kPollStepsInterval;
    while (true) {
      if (steps_ >= next_poll) {
        next_poll = steps_ + kPollStepsInterval;
        if (steps_ > limits_.steps_max) return give_up(out, "search steps limit");
        if (memory_bytes() > limits_.memory_bytes_max) return give_up(out, "memory limit");
        if (const char* why = stop_.poll()) return give_up(out, why);
      }
      Frame& frame = frames_.back();
      if (frame.cursor == frame.cand_end) {
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
  bool prune_dead_ = true;

  std::size_t words_ = 1;
  std::vector<std::uint64_t> bits_;
  std::uint64_t hash_ = 0;
  MemoTable memo_{1};
  std::vector<Frame> frames_;
  std::vector<std::int32_t> cands_;
  std::int64_t steps_ = 0;

  std::size_t best_depth_ = 0;
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
      throw std::invalid_argument(fmt::format("{}: {} ({})", op.origin.empty() ? fmt::format("operation {}", i) : op.origin,
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

PartitionOutcome check_partition(const History& history, const Model& model,
                                 const Partition& partition, const LinearizabilityLimits& limits,
                                 const StopSignal& stop) {
  std::vector<const Operation*> ops;
  ops.reserve(partition.history_indices.size());
  for (std::size_t i : partition.history_indices) ops.push_back(&history.operations[i]);
  std::unique_ptr<PartitionModel> compiled = model.compile(ops);
  SIMBUS_ASSERT(compiled != nullptr);
  Search search(history, partition, *compiled, limits, stop);
  return search.run();
}

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
  std::atomic<std::int64_t> first_violation{static_cast<std::int64_t>(parts.size())};
  std::atomic<std::size_t> next_part{0};
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(limits.time_limit_ms);

  auto worker = [&] {
    while (true) {
      std::size_t i = next_part.fetch_add(1);
      if (i >= parts.size()) return;
      StopSignal stop;
      stop.cancel = cancel;
      stop.deadline = deadline;
      stop.has_deadline = limits.time_limit_ms > 0;
      stop.first_violation = &first_violation;
      stop.partition_index = static_cast<std::int64_t>(i);
      if (static_cast<std::int64_t>(i) > first_violation.load()) continue;
      outcomes[i] = check_partition(history, model, parts[i], limits, stop);
      if (outcomes[i].verdict == Verdict::not_linearizable) {
        std::int64_t seen = first_violation.load();
        while (static_cast<std::int64_t>(i) < seen &&
               !first_violation.compare_exchange_weak(seen, static_cast<std::int64_t>(i))) {
        }
      }
    }
  };
  std::size_t threads = std::min<std::size_t>(std::max(1, limits.threads), parts.size());
  if (threads <= 1) {
    worker();
  } else {
    std::vector<std::thread> pool;
    for (std::size_t t = 0; t < threads; ++t) pool.emplace_back(worker);
    for (std::thread& t : pool) t.join();
  }

  LinearizabilityResult result;
  result.partitions = static_cast<std::int64_t>(parts.size());
  for (const PartitionOutcome& o : outcomes) result.steps += o.steps;
  std::int64_t failed = first_violation.load();
  if (failed < static_cast<std::int64_t>(parts.size())) {
    result.verdict = Verdict::not_linearizable;
    explain_result(history, parts[failed], outcomes[failed], result);
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
