// Porcupine's key-value model, per key: get returns the value, put replaces it, append
// concatenates; every key starts as "". States are interned strings, so a get compares a
// hash before it compares text.
#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <string_view>

#include "base/assert.h"
#include "base/hash.h"
#include "checkers/interner.h"
#include "checkers/model.h"

namespace simbus::checkers {
namespace {

enum class Kind : std::uint8_t { get, get_unknown, put, append };

struct KvOp {
  Kind kind;
  std::string text;  // get: expected value; put/append: argument
  std::uint64_t text_hash = 0;
  // get: some put's value begins this result, so a put could lead back to it.
  bool put_can_lead_here = false;
};

class KvPartition final : public PartitionModel {
 public:
  explicit KvPartition(std::span<const Operation* const> ops) {
    ops_.reserve(ops.size());
    for (const Operation* op : ops) {
      KvOp o{Kind::get_unknown, {}};
      if (op->function == "get") {
        if (op->status == Status::ok && !op->results.empty()) {
          o.kind = Kind::get;
          o.text = std::get<std::string>(op->results[0]);
        }
      } else {
        o.kind = op->function == "put" ? Kind::put : Kind::append;
        o.text = std::get<std::string>(op->args[0]);
      }
      if (o.kind == Kind::get) o.text_hash = text_hash(o.text);
      ops_.push_back(std::move(o));
    }
    for (const KvOp& o : ops_) {
      if (o.kind == Kind::get) results_.push_back(o.text);
    }
    std::sort(results_.begin(), results_.end());
    results_.erase(std::unique(results_.begin(), results_.end()), results_.end());
    ids_.emplace(std::string(), 0);
    texts_.push_back(std::string());
    hashes_.push_back(text_hash(""));
    texts_.push_back("(a value no get reads)");
    hashes_.push_back(0);
    SIMBUS_ASSERT(static_cast<std::int32_t>(texts_.size()) == kUnobservable + 1);
    // Results beginning with a put's value sit together in sorted order.
    std::vector<bool> led(results_.size(), false);
    for (const KvOp& put : ops_) {
      if (put.kind != Kind::put) continue;
      for (auto it = std::lower_bound(results_.begin(), results_.end(), put.text);
           it != results_.end() && it->starts_with(put.text); ++it) {
        led[it - results_.begin()] = true;
      }
    }
    for (KvOp& get : ops_) {
      if (get.kind != Kind::get) continue;
      auto it = std::lower_bound(results_.begin(), results_.end(), get.text);
      get.put_can_lead_here = led[it - results_.begin()];
    }
  }

  // Values only grow until a put, so a get whose result does not extend the current
  // value can only become valid through a put whose value begins that result.
  bool may_become_valid(std::int32_t state, std::int32_t op) override {
    const KvOp& o = ops_[op];
    if (o.kind != Kind::get || o.put_can_lead_here) return true;
    if (state == kUnobservable) return false;
    // The same pending get meets the same value in many configurations.
    if (const std::int32_t* known = prefix_cache_.find(state, op)) return *known != 0;
    const bool prefix = o.text.starts_with(texts_[state]);
    prefix_cache_.put(state, op, prefix ? 1 : 0);
    return prefix;
  }

  std::int32_t initial_state() override { return 0; }

  std::int32_t step(std::int32_t state, std::int32_t op) override {
    const KvOp& o = ops_[op];
    switch (o.kind) {
      case Kind::get:
        return hashes_[state] == o.text_hash && texts_[state] == o.text ? state : kInvalidState;
      case Kind::get_unknown: return state;
      case Kind::put: {
        if (const std::int32_t* next = cache_.find(state, op)) return *next;
        std::int32_t next = intern(o.text);
        cache_.put(state, op, next);
        return next;
      }
      case Kind::append: {
        if (const std::int32_t* next = cache_.find(state, op)) return *next;
        std::int32_t next = state == kUnobservable ? kUnobservable : intern(texts_[state] + o.text);
        cache_.put(state, op, next);
        return next;
      }
    }
    SIMBUS_UNREACHABLE();
  }

  bool preserves_state(std::int32_t op) const override {
    return ops_[op].kind == Kind::get || ops_[op].kind == Kind::get_unknown;
  }
  bool is_noop(std::int32_t op) const override { return ops_[op].kind == Kind::get_unknown; }
  std::string describe_state(std::int32_t state) const override {
    return value_to_string(Value{texts_[state]});
  }
  std::int64_t memory_bytes() const override {
    return bytes_ + cache_.approx_bytes() + prefix_cache_.approx_bytes();
  }

 private:
  // Values that begin no get's result can never be read: appends keep them so until a put
  // replaces them. They are one state, so the search does not tell apart the many orders
  // in which a put's overwritten appends may have run.
  bool observable(const std::string& text) const {
    auto it = std::lower_bound(results_.begin(), results_.end(), text);
    return it != results_.end() && it->starts_with(text);
  }

  std::int32_t intern(std::string text) {
    if (!observable(text)) return kUnobservable;
    std::uint64_t h = text_hash(text);
    auto [it, inserted] = ids_.try_emplace(text, static_cast<std::int32_t>(texts_.size()));
    if (inserted) {
      bytes_ += static_cast<std::int64_t>(2 * text.size() + 64);
      texts_.push_back(std::move(text));
      hashes_.push_back(h);
    }
    return it->second;
  }

  static constexpr std::int32_t kUnobservable = 1;

  std::vector<KvOp> ops_;
  std::vector<std::string> results_;  // every get result, sorted
  std::unordered_map<std::string, std::int32_t> ids_;
  std::vector<std::string> texts_;
  std::vector<std::uint64_t> hashes_;
  // Word-at-a-time hashing: results and values run to kilobytes.
  static std::uint64_t text_hash(std::string_view text) { return std::hash<std::string_view>{}(text); }

  TransitionCache cache_;
  TransitionCache prefix_cache_;  // (value, get) -> 1 if the value begins the get's result
  std::int64_t bytes_ = 0;
};

class KvModel final : public Model {
 public:
  std::string_view name() const override { return "kv"; }
  std::string validate(const Operation& op) const override {
    if (op.function == "get") {
      if (op.results.size() > 1) return "get returns at most one value";
      if (op.results.size() == 1 && !std::holds_alternative<std::string>(op.results[0])) {
        return "get returns a string";
      }
      return "";
    }
    if (op.function == "put" || op.function == "append") {
      if (op.args.size() != 1 || !std::holds_alternative<std::string>(op.args[0])) {
        return fmt::format("{} takes one string argument", op.function);
      }
      return "";
    }
    return fmt::format("the kv model has no function '{}' (get, put, append)", op.function);
  }
  std::unique_ptr<PartitionModel> compile(std::span<const Operation* const> ops) const override {
    return std::make_unique<KvPartition>(ops);
  }
};

}  // namespace

std::unique_ptr<Model> make_kv_model() { return std::make_unique<KvModel>(); }

}  // namespace simbus::checkers
