// Bounds-checked binary encoding primitives (little-endian, fixed width) and the framed,
// versioned, checksummed envelope every wire message and every disk record goes through.
// Decoding never trusts a length: each read checks what remains, and a failed read poisons
// the reader so callers check once at the end.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/env.h"

namespace simbus::core {

inline constexpr std::size_t frame_bytes_max = 16 << 20;
// A string or byte field (snapshots travel as one field of an InstallSnapshot message).
inline constexpr std::size_t string_bytes_max = frame_bytes_max - 4096;
inline constexpr std::size_t frame_header_bytes = 2 + 1 + 1 + 4;  // magic, version, kind, len
inline constexpr std::size_t frame_checksum_bytes = 8;
inline constexpr std::uint16_t frame_magic = 0x5342;  // "SB"
// Version 2 checksums with digest_bytes (base/hash.h); version 1, FNV-1a byte by byte, is
// still read, so a data directory written before the change recovers as it was.
inline constexpr std::uint8_t wire_version = 2;
inline constexpr std::uint8_t wire_version_fnv = 1;
static_assert(string_bytes_max < frame_bytes_max);
static_assert(string_bytes_max >= (1 << 20));

std::uint64_t checksum64(std::span<const std::uint8_t> data);
// The checksum a version-1 frame carries.
std::uint64_t checksum64_fnv(std::span<const std::uint8_t> data);

class Writer {
 public:
  void u8(std::uint8_t v) { out_.push_back(v); }
  void boolean(bool v) { u8(v ? 1 : 0); }
  void u32(std::uint32_t v);
  void u64(std::uint64_t v);
  void i64(std::int64_t v) { u64(static_cast<std::uint64_t>(v)); }
  void bytes(std::span<const std::uint8_t> v);
  void str(std::string_view v);
  // Appends already-encoded bytes with no length prefix.
  void raw(std::span<const std::uint8_t> v) { out_.insert(out_.end(), v.begin(), v.end()); }
  void reserve(std::size_t bytes) { out_.reserve(bytes); }
  // Overwrites 4 bytes already written at `at` (a length known only after what follows).
  void set_u32(std::size_t at, std::uint32_t v);
  std::size_t size() const { return out_.size(); }
  Bytes take() { return std::move(out_); }
  const Bytes& view() const { return out_; }

 private:
  Bytes out_;
};

class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> in) : in_(in) {}
  std::uint8_t u8();
  bool boolean();
  std::uint32_t u32();
  std::uint64_t u64();
  std::int64_t i64() { return static_cast<std::int64_t>(u64()); }
  Bytes bytes();
  std::string str();
  // A count of elements that follow, each at least `element_bytes_min` long: rejected when
  // it exceeds `count_max` or could not fit in what remains.
  std::uint32_t count(std::uint32_t count_max, std::size_t element_bytes_min);
  void fail() { ok_ = false; }
  bool ok() const { return ok_; }
  bool at_end() const { return pos_ == in_.size(); }
  std::size_t remaining() const { return in_.size() - pos_; }

 private:
  bool take(std::size_t n);
  std::span<const std::uint8_t> in_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

// A frame: magic u16, version u8, kind u8, body length u32, body, checksum u64 over all of
// the preceding bytes.
Bytes frame(std::uint8_t kind, std::span<const std::uint8_t> body);
// The same frame with the body written in place: begin_frame into an empty writer, write
// the body, then finish_frame (no intermediate copy of the body).
void begin_frame(Writer& w, std::uint8_t kind);
Bytes finish_frame(Writer& w);

struct Unframed {
  std::uint8_t kind = 0;
  std::span<const std::uint8_t> body;
};

enum class DecodeError : std::uint8_t {
  none,
  too_short,
  bad_magic,
  bad_version,
  bad_length,
  bad_checksum,
  bad_kind,
  bad_body,
};
std::string_view decode_error_name(DecodeError error);

// Checks magic, version, length and checksum; the body span points into `in`.
DecodeError unframe(std::span<const std::uint8_t> in, Unframed& out);

}  // namespace simbus::core
