// The search's memo of visited (linearized set, state) configurations: one flat
// open-addressing table of fixed-size slots plus one arena of bitset words, so an insert
// allocates nothing except when the table doubles.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include "base/assert.h"

namespace simbus::checkers {

class MemoTable {
 public:
  // `words` bitset words per configuration.
  explicit MemoTable(std::size_t words) : words_(words) {
    SIMBUS_ASSERT(words_ > 0);
    slots_.resize(kSlotsInitial);
  }

  // Inserts the configuration; false if it was already there.
  bool insert(std::uint64_t hash, const std::uint64_t* bits, std::int32_t state) {
    SIMBUS_ASSERT(state >= 0);
    SIMBUS_ASSERT(state < kStatesMax);
    hash |= 1;  // 0 marks an empty slot
    std::size_t mask = slots_.size() - 1;
    for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
      Slot& slot = slots_[i];
      if (slot.hash == 0) {
        slot.hash = hash;
        slot.state = state;
        slot.offset = arena_.size();
        arena_.insert(arena_.end(), bits, bits + words_);
        count_ += 1;
        if (count_ * 2 > slots_.size()) grow();
        return true;
      }
      if (slot.hash == hash && slot.state == state &&
          std::memcmp(&arena_[slot.offset], bits, words_ * sizeof(std::uint64_t)) == 0) {
        return false;
      }
    }
  }

  // States must fit the slot's 24-bit field.
  static constexpr std::int32_t kStatesMax = std::int32_t{1} << 23;

  std::size_t size() const { return count_; }
  std::int64_t memory_bytes() const {
    return static_cast<std::int64_t>(slots_.capacity() * sizeof(Slot) +
                                     arena_.capacity() * sizeof(std::uint64_t));
  }

 private:
  static constexpr std::size_t kSlotsInitial = 1024;
  static_assert((kSlotsInitial & (kSlotsInitial - 1)) == 0, "power of two");

  struct Slot {
    std::uint64_t hash = 0;
    std::uint64_t offset : 40 = 0;
    std::int64_t state : 24 = 0;
  };

  void grow() {
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.assign(old.size() * 2, Slot{});
    std::size_t mask = slots_.size() - 1;
    for (const Slot& slot : old) {
      if (slot.hash == 0) continue;
      std::size_t i = slot.hash & mask;
      while (slots_[i].hash != 0) i = (i + 1) & mask;
      slots_[i] = slot;
    }
  }

  std::size_t words_;
  std::size_t count_ = 0;
  std::vector<Slot> slots_;
  std::vector<std::uint64_t> arena_;
};

}  // namespace simbus::checkers
