// The operation each process has open while a reader pairs invokes with completions.
// Process ids are small integers in practice, so they index a vector; others go to a map.
#pragma once

#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

namespace simbus::checkers {

class OpenOperations {
 public:
  bool contains(std::int64_t process) const {
    if (dense(process)) return process < static_cast<std::int64_t>(slots_.size()) && slots_[process] != kNone;
    return sparse_.count(process) != 0;
  }
  void open(std::int64_t process, std::size_t operation) {
    if (!dense(process)) {
      sparse_[process] = operation;
      return;
    }
    if (process >= static_cast<std::int64_t>(slots_.size())) slots_.resize(process + 1, kNone);
    slots_[process] = operation;
  }
  // Removes and returns the process's open operation, if any.
  std::optional<std::size_t> close(std::int64_t process) {
    if (!dense(process)) {
      auto it = sparse_.find(process);
      if (it == sparse_.end()) return std::nullopt;
      std::size_t op = it->second;
      sparse_.erase(it);
      return op;
    }
    if (process >= static_cast<std::int64_t>(slots_.size()) || slots_[process] == kNone) return std::nullopt;
    std::size_t op = slots_[process];
    slots_[process] = kNone;
    return op;
  }
  template <typename F>
  void for_each(F&& f) const {
    for (std::size_t op : slots_) {
      if (op != kNone) f(op);
    }
    for (const auto& [process, op] : sparse_) f(op);
  }

 private:
  // Process ids below this index the vector directly.
  static constexpr std::int64_t kDenseProcessesMax = 1 << 16;
  static constexpr std::size_t kNone = ~std::size_t{0};
  static bool dense(std::int64_t process) { return process >= 0 && process < kDenseProcessesMax; }

  std::vector<std::size_t> slots_;
  std::unordered_map<std::int64_t, std::size_t> sparse_;
};

}  // namespace simbus::checkers
