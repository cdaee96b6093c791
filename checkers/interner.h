// Numbers distinct values 0, 1, 2, ... in order of first sight, so models can keep their
// states and arguments as small integers.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/hash.h"
#include "checkers/history.h"

namespace simbus::checkers {

struct ValueHash {
  std::size_t operator()(const Value& v) const {
    if (is_nil(v)) return 0x6e696cULL;
    if (const auto* i = std::get_if<std::int64_t>(&v)) return mix64(static_cast<std::uint64_t>(*i));
    return hash_string(std::get<std::string>(v)) ^ 0x5354ULL;
  }
};

struct IdsHash {
  std::size_t operator()(const std::vector<std::int32_t>& ids) const {
    std::uint64_t h = ids.size();
    for (std::int32_t id : ids) h = hash_combine(h, static_cast<std::uint64_t>(id));
    return h;
  }
};

template <typename T, typename Hash>
class Interner {
 public:
  std::int32_t intern(const T& value) {
    auto [it, inserted] = ids_.try_emplace(value, static_cast<std::int32_t>(values_.size()));
    if (inserted) {
      values_.push_back(value);
      bytes_ += sizeof(T) + 48;
    }
    return it->second;
  }
  const T& value(std::int32_t id) const { return values_[id]; }
  std::size_t size() const { return values_.size(); }
  std::int64_t approx_bytes() const { return bytes_; }
  void add_bytes(std::int64_t bytes) { bytes_ += bytes; }

 private:
  std::unordered_map<T, std::int32_t, Hash> ids_;
  std::vector<T> values_;
  std::int64_t bytes_ = 0;
};

using ValueInterner = Interner<Value, ValueHash>;
using IdsInterner = Interner<std::vector<std::int32_t>, IdsHash>;

// Memoised transitions of models whose next state is costly to build: (state, op) -> next,
// in one flat open-addressing table.
class TransitionCache {
 public:
  TransitionCache() : slots_(kSlotsInitial) {}

  // Returns a pointer to the cached next state, or nullptr.
  const std::int32_t* find(std::int32_t state, std::int32_t op) const {
    const std::uint64_t k = key(state, op);
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = mix64(k) & mask;; i = (i + 1) & mask) {
      if (slots_[i].key == k) return &slots_[i].next;
      if (slots_[i].key == kEmpty) return nullptr;
    }
  }
  void put(std::int32_t state, std::int32_t op, std::int32_t next) {
    if ((count_ + 1) * 2 > slots_.size()) grow();
    insert(key(state, op), next);
  }
  std::int64_t approx_bytes() const { return static_cast<std::int64_t>(slots_.size() * sizeof(Slot)); }

 private:
  static constexpr std::size_t kSlotsInitial = 256;
  static constexpr std::uint64_t kEmpty = ~std::uint64_t{0};
  struct Slot {
    std::uint64_t key = kEmpty;
    std::int32_t next = 0;
  };
  static std::uint64_t key(std::int32_t state, std::int32_t op) {
    return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(state)) << 32) |
           static_cast<std::uint32_t>(op);
  }
  void insert(std::uint64_t k, std::int32_t next) {
    const std::size_t mask = slots_.size() - 1;
    std::size_t i = mix64(k) & mask;
    while (slots_[i].key != kEmpty && slots_[i].key != k) i = (i + 1) & mask;
    if (slots_[i].key == kEmpty) count_ += 1;
    slots_[i] = Slot{k, next};
  }
  void grow() {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    count_ = 0;
    for (const Slot& s : old) {
      if (s.key != kEmpty) insert(s.key, s.next);
    }
  }
  std::vector<Slot> slots_;
  std::size_t count_ = 0;
};

}  // namespace simbus::checkers
