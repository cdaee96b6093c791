#include "sim/strategy_replay.h"

#include <fmt/format.h>

#include <utility>

namespace simbus::sim {
namespace {

class ReplayStrategy final : public Strategy {
 public:
  explicit ReplayStrategy(ChoiceLog log) : log_(std::move(log)) {}
  std::string name() const override { return "replay"; }

  std::size_t pick(std::span<const EnabledAction> enabled, const PickContext& ctx) override {
    if (enabled.size() == 1) return 0;  // single options are not logged
    if (cursor_ >= log_.size()) {
      return diverge(fmt::format("step {}: the log ended but {} actions were enabled", ctx.step + 1, enabled.size()));
    }
    const Choice& c = log_[cursor_];
    if (c.kind != Choice::Kind::kSchedule) {
      return diverge(fmt::format("step {}: log entry {} is a data choice, the execution made a scheduling choice",
                                 ctx.step + 1, cursor_));
    }
    for (std::size_t i = 0; i < enabled.size(); ++i) {
      if (enabled[i].actor == c.actor && enabled[i].seq == c.seq) {
        cursor_ += 1;
        return i;
      }
    }
    return diverge(fmt::format("step {}: logged action (actor {:016x}, seq {}) is not among the {} enabled",
                               ctx.step + 1, c.actor, c.seq, enabled.size()));
  }

  std::optional<std::uint64_t> choose_data(const DataChoice& d) override {
    if (diverged_) return 0;
    if (cursor_ >= log_.size() || log_[cursor_].kind != Choice::Kind::kData || log_[cursor_].actor != d.actor ||
        log_[cursor_].seq != d.counter || log_[cursor_].tag != d.tag) {
      diverge(fmt::format("data choice {} of actor {:016x} (tag {}) does not match log entry {}", d.counter,
                          d.actor, static_cast<int>(d.tag), cursor_));
      return d.bound;  // out of range: the world records the divergence
    }
    return log_[cursor_++].value;
  }

  std::string divergence() const override { return divergence_; }

 private:
  std::size_t diverge(std::string why) {
    if (!diverged_) divergence_ = std::move(why);
    diverged_ = true;
    return kDiverged;
  }

  ChoiceLog log_;
  std::size_t cursor_ = 0;
  bool diverged_ = false;
  std::string divergence_;
};

class ScheduleStrategy final : public Strategy {
 public:
  explicit ScheduleStrategy(std::vector<std::uint32_t> indices) : indices_(std::move(indices)) {}
  std::string name() const override { return "schedule"; }

  std::size_t pick(std::span<const EnabledAction> enabled, const PickContext& ctx) override {
    if (enabled.size() == 1) return 0;
    if (cursor_ >= indices_.size()) return 0;
    const std::uint32_t index = indices_[cursor_++];
    if (index >= enabled.size()) {
      divergence_ = fmt::format("step {}: schedule index {} but only {} actions enabled", ctx.step + 1, index,
                                enabled.size());
      return kDiverged;
    }
    return index;
  }
  std::string divergence() const override { return divergence_; }

 private:
  std::vector<std::uint32_t> indices_;
  std::size_t cursor_ = 0;
  std::string divergence_;
};

}  // namespace

std::unique_ptr<Strategy> make_replay_strategy(ChoiceLog log) {
  return std::make_unique<ReplayStrategy>(std::move(log));
}

std::unique_ptr<Strategy> make_schedule_strategy(std::vector<std::uint32_t> indices) {
  return std::make_unique<ScheduleStrategy>(std::move(indices));
}

}  // namespace simbus::sim
