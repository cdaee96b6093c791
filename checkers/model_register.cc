// Read/write/cas register: Porcupine's etcd model and Knossos's cas-register, which differ
// only in the start value once the readers have translated fail/info/nil.
#include <fmt/format.h>

#include "base/assert.h"
#include "checkers/interner.h"
#include "checkers/model.h"

namespace simbus::checkers {
namespace {

enum class Kind : std::uint8_t { read, read_unknown, write, cas_ok, cas_failed, cas_unknown };

struct RegisterOp {
  Kind kind;
  std::int32_t a = 0;  // read: expected value; write: value; cas: expected old value
  std::int32_t b = 0;  // cas: new value
};

class RegisterPartition final : public PartitionModel {
 public:
  RegisterPartition(const Value& initial, std::span<const Operation* const> ops) {
    initial_ = values_.intern(initial);
    ops_.reserve(ops.size());
    for (const Operation* op : ops) ops_.push_back(compile(*op));
  }

  std::int32_t initial_state() override { return initial_; }

  std::int32_t step(std::int32_t state, std::int32_t op) override {
    const RegisterOp& o = ops_[op];
    switch (o.kind) {
      case Kind::read: return state == o.a ? state : kInvalidState;
      case Kind::read_unknown: return state;
      case Kind::write: return o.a;
      case Kind::cas_ok: return state == o.a ? o.b : kInvalidState;
      case Kind::cas_failed: return state != o.a ? state : kInvalidState;
      case Kind::cas_unknown: return state == o.a ? o.b : state;
    }
    SIMBUS_UNREACHABLE();
  }

  bool preserves_state(std::int32_t op) const override {
    Kind k = ops_[op].kind;
    return k == Kind::read || k == Kind::read_unknown || k == Kind::cas_failed;
  }
  bool is_noop(std::int32_t op) const override { return ops_[op].kind == Kind::read_unknown; }
  std::string describe_state(std::int32_t state) const override {
    return value_to_string(values_.value(state));
  }

 private:
  RegisterOp compile(const Operation& op) {
    const bool known = op.status == Status::ok && !op.results.empty();
    if (op.function == "read") {
      if (!known) return {Kind::read_unknown};
      return {Kind::read, values_.intern(op.results[0])};
    }
    if (op.function == "write") return {Kind::write, values_.intern(op.args[0])};
    SIMBUS_ASSERT(op.function == "cas");
    RegisterOp out{Kind::cas_unknown, values_.intern(op.args[0]), values_.intern(op.args[1])};
    if (known) out.kind = std::get<std::int64_t>(op.results[0]) != 0 ? Kind::cas_ok : Kind::cas_failed;
    return out;
  }

  ValueInterner values_;
  std::int32_t initial_ = 0;
  std::vector<RegisterOp> ops_;
};

class RegisterModel final : public Model {
 public:
  RegisterModel(std::string name, Value initial) : name_(std::move(name)), initial_(std::move(initial)) {}
  std::string_view name() const override { return name_; }

  std::string validate(const Operation& op) const override {
    if (op.function == "read") {
      if (op.results.size() > 1) return "read returns at most one value";
      return "";
    }
    if (op.function == "write") {
      if (op.args.size() != 1) return "write takes one argument";
      return "";
    }
    if (op.function == "cas") {
      if (op.args.size() != 2) return "cas takes two arguments (expected, new)";
      if (op.results.size() > 1) return "cas returns at most one value";
      if (op.results.size() == 1 && !std::holds_alternative<std::int64_t>(op.results[0])) {
        return "cas returns 1 (swapped) or 0 (not swapped)";
      }
      return "";
    }
    return fmt::format("the {} model has no function '{}' (read, write, cas)", name_, op.function);
  }

  std::unique_ptr<PartitionModel> compile(std::span<const Operation* const> ops) const override {
    return std::make_unique<RegisterPartition>(initial_, ops);
  }

 private:
  std::string name_;
  Value initial_;
};

}  // namespace

std::unique_ptr<Model> make_register_model(Value initial) {
  std::string name = is_nil(initial) ? "register" : "cas-register";
  return std::make_unique<RegisterModel>(std::move(name), std::move(initial));
}

}  // namespace simbus::checkers
