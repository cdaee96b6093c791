// 64-bit mixing used for trace hashes and stable identities. Digests are always taken
// over serialized bytes or integers, never over raw structs or pointers.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace simbus {

// SplitMix64's finalizer: a bijective, well-distributed 64-bit mix.
constexpr std::uint64_t mix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

constexpr std::uint64_t hash_combine(std::uint64_t h, std::uint64_t v) {
  return mix64(h ^ (v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2)));
}

// FNV-1a over bytes, finished with mix64.
constexpr std::uint64_t hash_bytes(const std::uint8_t* data, std::size_t size,
                                   std::uint64_t seed = 0xcbf29ce484222325ULL) {
  std::uint64_t h = seed;
  for (std::size_t i = 0; i < size; ++i) {
    h ^= data[i];
    h *= 0x100000001b3ULL;
  }
  return mix64(h);
}

// Eight bytes a step (FNV-1a takes one): for frame checksums and the trace's payload notes,
// which hashed every message byte three times at ~4 cycles a byte. Each step is a bijection
// of the word for a given state and of the state for a given word, so a change confined to
// one 8-byte word always changes the result. Words are read little-endian on every host:
// frame checksums travel between machines. hash_bytes stays where its values are stored
// (trace files, the libraft target's disk records).
inline std::uint64_t digest_bytes(const std::uint8_t* data, std::size_t size, std::uint64_t seed) {
  constexpr std::uint64_t k_word = 0xbf58476d1ce4e5b9ULL;   // odd: multiplying is a bijection
  constexpr std::uint64_t k_state = 0x94d049bb133111ebULL;  // odd
  const auto load = [](const std::uint8_t* p, std::size_t n) {
    std::uint64_t w = 0;
    std::memcpy(&w, p, n);
    if constexpr (std::endian::native == std::endian::big) w = __builtin_bswap64(w);
    return w;
  };
  std::uint64_t h = seed ^ (static_cast<std::uint64_t>(size) * 0x9e3779b97f4a7c15ULL);
  std::size_t i = 0;
  for (; i + 8 <= size; i += 8) h = std::rotl(h ^ (load(data + i, 8) * k_word), 29) * k_state;
  if (i < size) h = std::rotl(h ^ (load(data + i, size - i) * k_word), 29) * k_state;
  return mix64(h);
}

constexpr std::uint64_t hash_string(std::string_view s) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : s) {
    h ^= static_cast<std::uint8_t>(c);
    h *= 0x100000001b3ULL;
  }
  return mix64(h);
}

}  // namespace simbus
