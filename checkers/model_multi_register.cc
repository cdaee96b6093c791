// Knossos's multi-register: a txn is a list of [read|write, key, value] triples applied
// atomically to registers that all start at one value. A read of nil is unknown.
#include <fmt/format.h>

#include <algorithm>

#include "base/assert.h"
#include "checkers/interner.h"
#include "checkers/model.h"

namespace simbus::checkers {
namespace {

struct Micro {
  bool write;
  bool known;          // reads: value known
  std::int32_t key;    // index into the partition's keys
  std::int32_t value;  // interned value
};

class MultiRegisterPartition final : public PartitionModel {
 public:
  MultiRegisterPartition(const Value& initial, std::span<const Operation* const> ops) {
    std::int32_t init = values_.intern(initial);
    std::vector<std::string> key_names;
    auto key_index = [&](const std::string& k) {
      auto it = std::find(key_names.begin(), key_names.end(), k);
      if (it != key_names.end()) return static_cast<std::int32_t>(it - key_names.begin());
      key_names.push_back(k);
      return static_cast<std::int32_t>(key_names.size() - 1);
    };
    for (const Operation* op : ops) {
      // Reads take their values from the completion when there is one.
      const std::vector<Value>& triples =
          op->status == Status::ok && op->results.size() == op->args.size() ? op->results : op->args;
      std::vector<Micro> micros;
      for (std::size_t i = 0; i + 3 <= triples.size(); i += 3) {
        bool write = std::get<std::string>(triples[i]) == "write";
        const Value& v = triples[i + 2];
        bool known = op->status == Status::ok && !is_nil(v);
        micros.push_back({write, write || known, key_index(std::get<std::string>(triples[i + 1])),
                          values_.intern(v)});
      }
      txns_.push_back(std::move(micros));
    }
    key_names_ = key_names;
    initial_ = states_.intern(std::vector<std::int32_t>(key_names.size(), init));
  }

  std::int32_t initial_state() override { return initial_; }

  std::int32_t step(std::int32_t state, std::int32_t op) override {
    if (const std::int32_t* next = cache_.find(state, op)) return *next;
    std::vector<std::int32_t> regs = states_.value(state);
    std::int32_t next = state;
    bool changed = false;
    for (const Micro& m : txns_[op]) {
      if (m.write) {
        changed = changed || regs[m.key] != m.value;
        regs[m.key] = m.value;
      } else if (m.known && regs[m.key] != m.value) {
        next = kInvalidState;
        break;
      }
    }
    if (next != kInvalidState && changed) next = states_.intern(regs);
    cache_.put(state, op, next);
    return next;
  }

  bool preserves_state(std::int32_t op) const override {
    return std::none_of(txns_[op].begin(), txns_[op].end(), [](const Micro& m) { return m.write; });
  }
  bool is_noop(std::int32_t op) const override {
    return std::none_of(txns_[op].begin(), txns_[op].end(),
                        [](const Micro& m) { return m.write || m.known; });
  }
  std::string describe_state(std::int32_t state) const override {
    std::string out = "{";
    const std::vector<std::int32_t>& regs = states_.value(state);
    for (std::size_t k = 0; k < regs.size(); ++k) {
      out += fmt::format("{}{} {}", k ? ", " : "", key_names_[k], value_to_string(values_.value(regs[k])));
    }
    return out + "}";
  }
  std::int64_t memory_bytes() const override {
    return states_.approx_bytes() + cache_.approx_bytes();
  }

 private:
  ValueInterner values_;
  IdsInterner states_;
  TransitionCache cache_;
  std::vector<std::vector<Micro>> txns_;
  std::vector<std::string> key_names_;
  std::int32_t initial_ = 0;
};

class MultiRegisterModel final : public Model {
 public:
  explicit MultiRegisterModel(Value initial) : initial_(std::move(initial)) {}
  std::string_view name() const override { return "multi-register"; }
  bool partitioned_by_key() const override { return false; }
  std::string validate(const Operation& op) const override {
    if (op.function != "txn") return fmt::format("the multi-register model has no function '{}' (txn)", op.function);
    for (const std::vector<Value>* triples : {&op.args, &op.results}) {
      if (triples->size() % 3 != 0) return "txn values are [read|write, key, value] triples";
      for (std::size_t i = 0; i < triples->size(); i += 3) {
        const auto* f = std::get_if<std::string>(&(*triples)[i]);
        if (f == nullptr || (*f != "read" && *f != "write")) return "txn micro-operations are read or write";
        if (!std::holds_alternative<std::string>((*triples)[i + 1])) return "txn keys are strings";
      }
    }
    return "";
  }
  std::unique_ptr<PartitionModel> compile(std::span<const Operation* const> ops) const override {
    return std::make_unique<MultiRegisterPartition>(initial_, ops);
  }

 private:
  Value initial_;
};

}  // namespace

std::unique_ptr<Model> make_multi_register_model(Value initial) {
  return std::make_unique<MultiRegisterModel>(std::move(initial));
}

}  // namespace simbus::checkers
