// The only randomness in simbus: xoshiro256** seeded through SplitMix64, with
// integer-only helpers whose output is the same on every standard library and compiler.
// (The std::*_distribution templates differ between libstdc++ and libc++.)
#pragma once

#include <cstdint>

namespace simbus::sim {

class Prng {
 public:
  Prng() : Prng(0) {}
  explicit Prng(std::uint64_t seed) { reseed(seed); }

  void reseed(std::uint64_t seed);
  std::uint64_t next_u64();

  // Uniform in [0, bound), bound > 0. Lemire's multiply-and-reject: unbiased.
  std::uint64_t below(std::uint64_t bound);
  // Uniform in [lo, hi], lo <= hi.
  std::uint64_t range(std::uint64_t lo, std::uint64_t hi);
  // True with probability numerator/denominator (integers; denominator > 0).
  bool chance(std::uint64_t numerator, std::uint64_t denominator);

 private:
  std::uint64_t s_[4];
};

}  // namespace simbus::sim
