#include "base/input_file.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/assert.h"

namespace simbus::base {
namespace {

constexpr std::size_t kChunkBytes = std::size_t{1} << 16;

std::atomic<std::uint64_t> g_bytes_max{InputLimits{}.bytes_max};

std::string with_line(const std::string& path, std::uint64_t line, const std::string& message) {
  return line > 0 ? path + ":" + std::to_string(line) + ": " + message : path + ": " + message;
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

std::uint64_t line_of(std::string_view text, std::size_t offset) {
  SIMBUS_ASSERT(offset <= text.size());
  return 1 + static_cast<std::uint64_t>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(offset), '\n'));
}

std::string describe_byte(std::string_view text, std::size_t offset) {
  const auto byte = static_cast<unsigned char>(text[offset]);
  const std::size_t line_start = text.rfind('\n', offset == 0 ? 0 : offset - 1);
  const std::size_t column = offset - (line_start == std::string_view::npos || offset == 0 ? 0 : line_start + 1) + 1;
  char hex[8];
  std::snprintf(hex, sizeof hex, "0x%02x", byte);
  if (byte == 0) return "NUL byte at column " + std::to_string(column) + " (the input is not text)";
  return std::string("invalid UTF-8 (byte ") + hex + ") at column " + std::to_string(column);
}

// Length of the UTF-8 sequence led by `lead`, 0 if it cannot lead one.
int sequence_bytes(unsigned char lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;  // continuation byte, overlong lead (c0, c1) or past U+10FFFF (f5..ff)
}

}  // namespace

InputLimits default_input_limits() {
  InputLimits limits;
  limits.bytes_max = g_bytes_max.load(std::memory_order_relaxed);
  return limits;
}

void set_default_input_bytes_max(std::uint64_t bytes_max) {
  SIMBUS_ASSERT(bytes_max >= (input_mb_min << 20) && bytes_max <= (input_mb_max << 20));
  g_bytes_max.store(bytes_max, std::memory_order_relaxed);
}

InputError::InputError(const std::string& p, std::uint64_t l, const std::string& message)
    : std::runtime_error(with_line(p, l, message)), path(p), line(l), detail(message) {}

std::size_t first_invalid_text_byte(std::string_view text, bool allow_truncated_tail, std::size_t* tail_offset) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    if (lead == 0) return i;
    if (lead < 0x80) {
      i += 1;
      continue;
    }
    const int n = sequence_bytes(lead);
    if (n == 0) return i;
    if (i + static_cast<std::size_t>(n) > text.size()) {
      // Cut by the end: valid so far only if every present byte continues it.
      for (std::size_t k = i + 1; k < text.size(); k++) {
        if ((static_cast<unsigned char>(text[k]) & 0xc0) != 0x80) return i;
      }
      if (!allow_truncated_tail) return i;
      if (tail_offset != nullptr) *tail_offset = i;
      return text.size();
    }
    const auto second = static_cast<unsigned char>(text[i + 1]);
    if ((second & 0xc0) != 0x80) return i;
    // The ranges of the second byte that exclude overlong forms, surrogates and > U+10FFFF.
    if (lead == 0xe0 && second < 0xa0) return i;
    if (lead == 0xed && second > 0x9f) return i;
    if (lead == 0xf0 && second < 0x90) return i;
    if (lead == 0xf4 && second > 0x8f) return i;
    for (int k = 2; k < n; k++) {
      if ((static_cast<unsigned char>(text[i + static_cast<std::size_t>(k)]) & 0xc0) != 0x80) return i;
    }
    i += static_cast<std::size_t>(n);
  }
  if (tail_offset != nullptr) *tail_offset = text.size();
  return text.size();
}

std::string excerpt(std::string_view token, std::size_t bytes_max) {
  SIMBUS_ASSERT(bytes_max > 0);
  std::string out = "\"";
  const std::size_t shown = std::min(token.size(), bytes_max);
  for (std::size_t i = 0; i < shown; i++) {
    const auto c = static_cast<unsigned char>(token[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
  if (shown < token.size()) out += "... (" + std::to_string(token.size()) + " bytes)";
  return out;
}

std::string read_input(const std::string& path, const InputLimits& limits) {
  SIMBUS_ASSERT(limits.bytes_max > 0 && limits.line_bytes_max > 0 && limits.stall_ms_max > 0);
  // Non-blocking, so that opening a FIFO nobody writes to returns at once.
  const Fd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (fd.get() < 0) throw InputError(path, 0, std::strerror(errno));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw InputError(path, 0, std::strerror(errno));
  if (S_ISDIR(st.st_mode)) throw InputError(path, 0, "is a directory");
  const bool regular = S_ISREG(st.st_mode);
  if (!regular && !S_ISFIFO(st.st_mode) && !S_ISCHR(st.st_mode)) {
    throw InputError(path, 0, "is not a regular file, pipe or character device");
  }
  const std::string raise_hint = " (raise the limit with --input-max-mb)";
  if (regular && static_cast<std::uint64_t>(st.st_size) > limits.bytes_max) {
    throw InputError(path, 0,
                     std::to_string(st.st_size) + " bytes is more than the input limit of " +
                         std::to_string(limits.bytes_max) + " bytes" + raise_hint);
  }

  std::string text;
  if (regular) text.reserve(static_cast<std::size_t>(st.st_size) + 1);
  std::size_t validated = 0;   // text[0, validated) is known to be valid text
  std::size_t line_start = 0;  // offset of the current line's first byte
  std::uint64_t line = 1;
  std::size_t scanned = 0;  // text[0, scanned) has had its newlines counted
  // Each pass reads one chunk or waits once: bounded by bytes_max / 1 plus one wait per
  // stall, and a stall ends the read.
  while (true) {
    if (text.size() > limits.bytes_max) {
      throw InputError(path, 0, "more than the input limit of " + std::to_string(limits.bytes_max) + " bytes" + raise_hint);
    }
    const std::size_t old_size = text.size();
    const std::size_t want = static_cast<std::size_t>(
        std::min<std::uint64_t>(kChunkBytes, limits.bytes_max + 1 - static_cast<std::uint64_t>(old_size)));
    if (text.capacity() < old_size + want) {
      // Geometric growth, but never past the limit: a stream at the cap holds one buffer.
      const std::uint64_t grown = std::max<std::uint64_t>(2 * text.capacity(), old_size + want);
      text.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(grown, limits.bytes_max + 1)));
    }
    text.resize(old_size + want);
    const ssize_t n = ::read(fd.get(), text.data() + old_size, want);
    if (n < 0) {
      text.resize(old_size);
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        pollfd p{fd.get(), POLLIN, 0};
        const int ready = ::poll(&p, 1, static_cast<int>(limits.stall_ms_max));
        if (ready == 0) {
          throw InputError(path, 0, "no data for " + std::to_string(limits.stall_ms_max / 1000) +
                                        " s from a pipe or device; giving up");
        }
        if (ready < 0 && errno != EINTR) throw InputError(path, 0, std::strerror(errno));
        continue;
      }
      throw InputError(path, 0, std::strerror(errno));
    }
    text.resize(old_size + static_cast<std::size_t>(n));
    const bool at_end = n == 0;
    for (; scanned < text.size(); scanned++) {
      if (text[scanned] != '\n') continue;
      if (scanned - line_start > limits.line_bytes_max) break;
      line += 1;
      line_start = scanned + 1;
    }
    if (text.size() - line_start > limits.line_bytes_max) {
      throw InputError(path, line,
                       "line longer than " + std::to_string(limits.line_bytes_max) + " bytes (the limit of a line)");
    }
    if (limits.text) {
      std::size_t tail = text.size();
      const std::string_view rest = std::string_view(text).substr(validated);
      const std::size_t bad = first_invalid_text_byte(rest, !at_end, &tail);
      if (bad < rest.size()) {
        throw InputError(path, line_of(text, validated + bad), describe_byte(text, validated + bad));
      }
      validated += at_end ? rest.size() : tail;
    }
    if (at_end) break;
  }
  SIMBUS_ASSERT(text.size() <= limits.bytes_max);
  SIMBUS_ASSERT(!limits.text || validated == text.size());
  return text;
}

}  // namespace simbus::base
