// Knossos's mutex: acquire needs it free, release needs it held. One lock per history.
#include <fmt/format.h>

#include "checkers/model.h"

namespace simbus::checkers {
namespace {

constexpr std::int32_t kFree = 0;
constexpr std::int32_t kHeld = 1;

class MutexPartition final : public PartitionModel {
 public:
  explicit MutexPartition(std::span<const Operation* const> ops) {
    for (const Operation* op : ops) acquire_.push_back(op->function == "acquire");
  }
  std::int32_t initial_state() override { return kFree; }
  std::int32_t step(std::int32_t state, std::int32_t op) override {
    if (acquire_[op]) return state == kFree ? kHeld : kInvalidState;
    return state == kHeld ? kFree : kInvalidState;
  }
  bool preserves_state(std::int32_t) const override { return false; }
  bool is_noop(std::int32_t) const override { return false; }
  std::string describe_state(std::int32_t state) const override {
    return state == kHeld ? "held" : "free";
  }

 private:
  std::vector<bool> acquire_;
};

class MutexModel final : public Model {
 public:
  std::string_view name() const override { return "mutex"; }
  bool partitioned_by_key() const override { return false; }
  std::string validate(const Operation& op) const override {
    if (op.function == "acquire" || op.function == "release") return "";
    return fmt::format("the mutex model has no function '{}' (acquire, release)", op.function);
  }
  std::unique_ptr<PartitionModel> compile(std::span<const Operation* const> ops) const override {
    return std::make_unique<MutexPartition>(ops);
  }
};

}  // namespace

std::unique_ptr<Model> make_mutex_model() { return std::make_unique<MutexModel>(); }

}  // namespace simbus::checkers
