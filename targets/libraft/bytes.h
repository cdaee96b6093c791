// Little-endian writer and a bounds-checked reader for the adapter's formats (disk and
// wire). The reader never reads past its span: once short, every later read returns
// zeros and ok() is false, so a decoder checks once at the end.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace simbus::targets::libraft {

class Writer {
 public:
  Writer() : out_(own_) {}
  explicit Writer(std::vector<std::uint8_t>& out) : out_(out) {}
  void u8(std::uint8_t v) { out_.push_back(v); }
  void u16(std::uint16_t v) { put(v, 2); }
  void u32(std::uint32_t v) { put(v, 4); }
  void u64(std::uint64_t v) { put(v, 8); }
  void raw(std::span<const std::uint8_t> b) { out_.insert(out_.end(), b.begin(), b.end()); }
  void str(const std::string& s) {
    u32(static_cast<std::uint32_t>(s.size()));
    out_.insert(out_.end(), s.begin(), s.end());
  }
  const std::vector<std::uint8_t>& bytes() const { return out_; }
  std::vector<std::uint8_t> take() { return std::move(out_); }

 private:
  void put(std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  std::vector<std::uint8_t> own_;
  std::vector<std::uint8_t>& out_;
};

class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> in) : in_(in) {}
  std::uint8_t u8() { return static_cast<std::uint8_t>(get(1)); }
  std::uint16_t u16() { return static_cast<std::uint16_t>(get(2)); }
  std::uint32_t u32() { return static_cast<std::uint32_t>(get(4)); }
  std::uint64_t u64() { return get(8); }
  std::vector<std::uint8_t> raw(std::size_t n) {
    if (!take(n)) return {};
    return {in_.begin() + static_cast<std::ptrdiff_t>(at_ - n), in_.begin() + static_cast<std::ptrdiff_t>(at_)};
  }
  std::string str(std::size_t bytes_max) {
    const std::uint32_t n = u32();
    if (n > bytes_max || !take(n)) {
      ok_ = false;
      return {};
    }
    return {reinterpret_cast<const char*>(in_.data()) + at_ - n, n};
  }
  bool ok() const { return ok_; }
  std::size_t remaining() const { return in_.size() - at_; }
  std::size_t position() const { return at_; }

 private:
  bool take(std::size_t n) {
    if (!ok_ || in_.size() - at_ < n) {
      ok_ = false;
      return false;
    }
    at_ += n;
    return true;
  }
  std::uint64_t get(int n) {
    if (!take(static_cast<std::size_t>(n))) return 0;
    std::uint64_t v = 0;
    for (int i = 0; i < n; ++i) v |= static_cast<std::uint64_t>(in_[at_ - static_cast<std::size_t>(n) + static_cast<std::size_t>(i)]) << (8 * i);
    return v;
  }
  std::span<const std::uint8_t> in_;
  std::size_t at_ = 0;
  bool ok_ = true;
};

}  // namespace simbus::targets::libraft
