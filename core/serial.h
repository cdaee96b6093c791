// Generic field-by-field encoding over codec.h's Writer/Reader. A message struct lists its
// fields once with SIMBUS_FIELDS(...); put()/get() walk them in order. Variants are encoded
// as a u8 alternative index followed by the alternative. Every count is bounded.
#pragma once

#include <cstdint>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "core/codec.h"

#define SIMBUS_FIELDS(...)                                     \
  auto fields() { return std::tie(__VA_ARGS__); }              \
  auto fields() const { return std::tie(__VA_ARGS__); }

namespace simbus::core::serial {

inline constexpr std::uint32_t list_elements_max = 1 << 16;

template <class T>
concept HasFields = requires(T t) { t.fields(); };

template <class T>
struct is_vector : std::false_type {};
template <class T>
struct is_vector<std::vector<T>> : std::true_type {};

template <class T>
struct is_variant : std::false_type {};
template <class... Ts>
struct is_variant<std::variant<Ts...>> : std::true_type {};

template <class T>
void put(Writer& w, const T& v);
template <class T>
void get(Reader& r, T& v);

template <class T>
void put(Writer& w, const T& v) {
  if constexpr (std::is_same_v<T, bool>) {
    w.boolean(v);
  } else if constexpr (std::is_enum_v<T>) {
    static_assert(sizeof(T) == 1);
    w.u8(static_cast<std::uint8_t>(v));
  } else if constexpr (std::is_same_v<T, std::uint8_t>) {
    w.u8(v);
  } else if constexpr (std::is_same_v<T, std::uint32_t>) {
    w.u32(v);
  } else if constexpr (std::is_same_v<T, std::uint64_t>) {
    w.u64(v);
  } else if constexpr (std::is_same_v<T, std::int64_t>) {
    w.i64(v);
  } else if constexpr (std::is_same_v<T, std::string>) {
    w.str(v);
  } else if constexpr (std::is_same_v<T, Bytes>) {
    w.bytes(v);
  } else if constexpr (is_vector<T>::value) {
    w.u32(static_cast<std::uint32_t>(v.size()));
    for (const auto& e : v) put(w, e);
  } else if constexpr (is_variant<T>::value) {
    w.u8(static_cast<std::uint8_t>(v.index()));
    std::visit([&](const auto& alt) { put(w, alt); }, v);
  } else {
    static_assert(HasFields<T>, "type has no SIMBUS_FIELDS");
    std::apply([&](const auto&... f) { (put(w, f), ...); }, v.fields());
  }
}

template <class V, std::size_t... I>
void get_variant(Reader& r, V& v, std::size_t index, std::index_sequence<I...>) {
  bool found = false;
  (
      [&] {
        if (index == I) {
          found = true;
          std::variant_alternative_t<I, V> alt{};
          get(r, alt);
          v = std::move(alt);
        }
      }(),
      ...);
  if (!found) r.fail();
}

template <class T>
void get(Reader& r, T& v) {
  if (!r.ok()) return;
  if constexpr (std::is_same_v<T, bool>) {
    v = r.boolean();
  } else if constexpr (std::is_enum_v<T>) {
    static_assert(sizeof(T) == 1);
    const std::uint8_t raw = r.u8();
    if (raw >= static_cast<std::uint8_t>(T::count)) r.fail();
    v = static_cast<T>(raw);
  } else if constexpr (std::is_same_v<T, std::uint8_t>) {
    v = r.u8();
  } else if constexpr (std::is_same_v<T, std::uint32_t>) {
    v = r.u32();
  } else if constexpr (std::is_same_v<T, std::uint64_t>) {
    v = r.u64();
  } else if constexpr (std::is_same_v<T, std::int64_t>) {
    v = r.i64();
  } else if constexpr (std::is_same_v<T, std::string>) {
    v = r.str();
  } else if constexpr (std::is_same_v<T, Bytes>) {
    v = r.bytes();
  } else if constexpr (is_vector<T>::value) {
    const std::uint32_t n = r.count(list_elements_max, 1);
    v.clear();
    for (std::uint32_t i = 0; i < n && r.ok(); ++i) {
      typename T::value_type e{};
      get(r, e);
      v.push_back(std::move(e));
    }
  } else if constexpr (is_variant<T>::value) {
    const std::uint8_t index = r.u8();
    if (!r.ok()) return;
    get_variant(r, v, index, std::make_index_sequence<std::variant_size_v<T>>{});
  } else {
    static_assert(HasFields<T>, "type has no SIMBUS_FIELDS");
    std::apply([&](auto&... f) { (get(r, f), ...); }, v.fields());
  }
}

// Encodes a value as a standalone body (no frame).
template <class T>
Bytes encode_body(const T& v) {
  Writer w;
  put(w, v);
  return w.take();
}

// Decodes a whole body; false unless every byte was consumed exactly.
template <class T>
bool decode_body(std::span<const std::uint8_t> in, T& out) {
  Reader r(in);
  get(r, out);
  return r.ok() && r.at_end();
}

}  // namespace simbus::core::serial
