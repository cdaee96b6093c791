#include "sim/prng.h"

#include "base/assert.h"

namespace simbus::sim {
namespace {

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

constexpr std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

void Prng::reseed(std::uint64_t seed) {
  std::uint64_t state = seed;
  for (auto& word : s_) word = splitmix64(state);
  // xoshiro's one forbidden state is all zeros; SplitMix64 cannot produce four zeros in a row.
  SIMBUS_ASSERT((s_[0] | s_[1] | s_[2] | s_[3]) != 0);
}

std::uint64_t Prng::next_u64() {
  const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

std::uint64_t Prng::below(std::uint64_t bound) {
  SIMBUS_ASSERT(bound > 0);
  unsigned __int128 m = static_cast<unsigned __int128>(next_u64()) * bound;
  auto low = static_cast<std::uint64_t>(m);
  if (low < bound) {
    const std::uint64_t threshold = (0 - bound) % bound;
    while (low < threshold) {
      m = static_cast<unsigned __int128>(next_u64()) * bound;
      low = static_cast<std::uint64_t>(m);
    }
  }
  const auto result = static_cast<std::uint64_t>(m >> 64);
  SIMBUS_ASSERT(result < bound);
  return result;
}

std::uint64_t Prng::range(std::uint64_t lo, std::uint64_t hi) {
  SIMBUS_ASSERT(lo <= hi);
  if (lo == 0 && hi == UINT64_MAX) return next_u64();
  return lo + below(hi - lo + 1);
}

bool Prng::chance(std::uint64_t numerator, std::uint64_t denominator) {
  SIMBUS_ASSERT(denominator > 0);
  if (numerator == 0) return false;
  if (numerator >= denominator) return true;
  return below(denominator) < numerator;
}

}  // namespace simbus::sim
