#include "core/codec.h"

#include "base/assert.h"
#include "base/hash.h"

namespace simbus::core {

namespace {
constexpr std::uint64_t checksum_seed = 0x73696d6275735f31ULL;
}

std::uint64_t checksum64(std::span<const std::uint8_t> data) {
  return digest_bytes(data.data(), data.size(), checksum_seed);
}

std::uint64_t checksum64_fnv(std::span<const std::uint8_t> data) {
  return hash_bytes(data.data(), data.size(), checksum_seed);
}

void Writer::u32(std::uint32_t v) {
  std::uint8_t b[4];
  for (int i = 0; i < 4; ++i) b[i] = static_cast<std::uint8_t>(v >> (8 * i));
  out_.insert(out_.end(), b, b + 4);
}

void Writer::u64(std::uint64_t v) {
  std::uint8_t b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<std::uint8_t>(v >> (8 * i));
  out_.insert(out_.end(), b, b + 8);
}

void Writer::set_u32(std::size_t at, std::uint32_t v) {
  SIMBUS_ASSERT(at + 4 <= out_.size());
  for (int i = 0; i < 4; ++i) out_[at + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v >> (8 * i));
}

void Writer::bytes(std::span<const std::uint8_t> v) {
  SIMBUS_ASSERT(v.size() <= string_bytes_max);
  u32(static_cast<std::uint32_t>(v.size()));
  raw(v);
}

void Writer::str(std::string_view v) {
  SIMBUS_ASSERT(v.size() <= string_bytes_max);
  u32(static_cast<std::uint32_t>(v.size()));
  out_.insert(out_.end(), v.begin(), v.end());
}

bool Reader::take(std::size_t n) {
  if (!ok_ || n > in_.size() - pos_) {
    ok_ = false;
    return false;
  }
  return true;
}

std::uint8_t Reader::u8() {
  if (!take(1)) return 0;
  return in_[pos_++];
}

bool Reader::boolean() {
  const std::uint8_t v = u8();
  if (v > 1) ok_ = false;
  return v == 1;
}

std::uint32_t Reader::u32() {
  if (!take(4)) return 0;
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<std::uint32_t>(in_[pos_ + i]) << (8 * i);
  pos_ += 4;
  return v;
}

std::uint64_t Reader::u64() {
  if (!take(8)) return 0;
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<std::uint64_t>(in_[pos_ + i]) << (8 * i);
  pos_ += 8;
  return v;
}

Bytes Reader::bytes() {
  const std::uint32_t n = u32();
  if (n > string_bytes_max || !take(n)) {
    ok_ = false;
    return {};
  }
  Bytes out(in_.begin() + pos_, in_.begin() + pos_ + n);
  pos_ += n;
  return out;
}

std::string Reader::str() {
  const std::uint32_t n = u32();
  if (n > string_bytes_max || !take(n)) {
    ok_ = false;
    return {};
  }
  std::string out(reinterpret_cast<const char*>(in_.data() + pos_), n);
  pos_ += n;
  return out;
}

std::uint32_t Reader::count(std::uint32_t count_max, std::size_t element_bytes_min) {
  const std::uint32_t n = u32();
  if (!ok_) return 0;
  if (n > count_max) {
    ok_ = false;
    return 0;
  }
  if (element_bytes_min > 0 && n > remaining() / element_bytes_min) {
    ok_ = false;
    return 0;
  }
  return n;
}

void begin_frame(Writer& w, std::uint8_t kind) {
  SIMBUS_ASSERT(w.size() == 0);
  w.reserve(256);
  w.u8(static_cast<std::uint8_t>(frame_magic & 0xff));
  w.u8(static_cast<std::uint8_t>(frame_magic >> 8));
  w.u8(wire_version);
  w.u8(kind);
  w.u32(0);  // the body's length, patched by finish_frame
}

Bytes finish_frame(Writer& w) {
  SIMBUS_ASSERT(w.size() >= frame_header_bytes);
  const std::size_t body_bytes = w.size() - frame_header_bytes;
  SIMBUS_ASSERT(body_bytes <= frame_bytes_max);
  w.set_u32(4, static_cast<std::uint32_t>(body_bytes));
  const std::uint64_t sum = checksum64(w.view());
  w.u64(sum);
  SIMBUS_ASSERT(w.size() == frame_header_bytes + body_bytes + frame_checksum_bytes);
  return w.take();
}

Bytes frame(std::uint8_t kind, std::span<const std::uint8_t> body) {
  SIMBUS_ASSERT(body.size() <= frame_bytes_max);
  Writer w;
  begin_frame(w, kind);
  w.raw(body);
  return finish_frame(w);
}

std::string_view decode_error_name(DecodeError error) {
  switch (error) {
    case DecodeError::none: return "none";
    case DecodeError::too_short: return "too_short";
    case DecodeError::bad_magic: return "bad_magic";
    case DecodeError::bad_version: return "bad_version";
    case DecodeError::bad_length: return "bad_length";
    case DecodeError::bad_checksum: return "bad_checksum";
    case DecodeError::bad_kind: return "bad_kind";
    case DecodeError::bad_body: return "bad_body";
  }
  return "unknown";
}

DecodeError unframe(std::span<const std::uint8_t> in, Unframed& out) {
  if (in.size() < frame_header_bytes + frame_checksum_bytes) return DecodeError::too_short;
  Reader r(in);
  const std::uint16_t magic = static_cast<std::uint16_t>(r.u8() | (r.u8() << 8));
  if (magic != frame_magic) return DecodeError::bad_magic;
  const std::uint8_t version = r.u8();
  if (version != wire_version && version != wire_version_fnv) return DecodeError::bad_version;
  const std::uint8_t kind = r.u8();
  const std::uint32_t length = r.u32();
  if (length > frame_bytes_max) return DecodeError::bad_length;
  if (in.size() != frame_header_bytes + std::size_t{length} + frame_checksum_bytes) {
    return DecodeError::bad_length;
  }
  const std::size_t checked = frame_header_bytes + length;
  Reader tail(in.subspan(checked));
  const std::uint64_t sum = tail.u64();
  const auto covered = in.first(checked);
  if (sum != (version == wire_version ? checksum64(covered) : checksum64_fnv(covered))) {
    return DecodeError::bad_checksum;
  }
  out.kind = kind;
  out.body = in.subspan(frame_header_bytes, length);
  return DecodeError::none;
}

}  // namespace simbus::core
