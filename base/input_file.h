// Reading a user's input file (history, delivery log, trace, explore report) with bounds:
// every reader of the CLI goes through read_input(), so no input can take more memory than
// the limit, block forever, or smuggle NUL bytes or invalid UTF-8 into a verdict.
//
// Regular files are sized by fstat and refused before a byte is read when too large. Pipes,
// FIFOs and character devices (/dev/zero, /dev/urandom, a FIFO fed forever) are read in
// chunks under the same caps; a FIFO with no writer reads as empty, and a writer that stops
// sending for stall_ms_max is an error. Directories, sockets and block devices are refused.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace simbus::base {

struct InputLimits {
  std::uint64_t bytes_max = std::uint64_t{64} << 20;
  std::uint64_t line_bytes_max = std::uint64_t{1} << 20;
  // Refuse NUL bytes and invalid UTF-8: every format simbus reads is text.
  bool text = true;
  std::int64_t stall_ms_max = 10'000;
};

// The documented bounds of the --input-max-mb option.
inline constexpr std::uint64_t input_mb_min = 1;
inline constexpr std::uint64_t input_mb_max = 65'536;

// The process-wide default limits (the CLI's --input-max-mb sets bytes_max once, before any
// file is read). Not part of any trace: reading limits never change what an execution does.
InputLimits default_input_limits();
void set_default_input_bytes_max(std::uint64_t bytes_max);

class InputError : public std::runtime_error {
 public:
  // line: 1-based, 0 when the error is about the file as a whole.
  InputError(const std::string& path, std::uint64_t line, const std::string& message);
  std::string path;
  std::uint64_t line = 0;
  std::string detail;  // the message without "path:line: "
};

std::string read_input(const std::string& path, const InputLimits& limits = default_input_limits());

// A token quoted for an error message: control and non-ASCII bytes escaped, and at most
// bytes_max bytes of it, with the total length named when it was cut.
std::string excerpt(std::string_view token, std::size_t bytes_max = 48);

// The offset of the first byte that is NUL or breaks UTF-8 (overlong forms, surrogates,
// code points past U+10FFFF); text.size() when it is all valid. A sequence cut by the
// end of `text` is invalid unless allow_truncated_tail (then its offset is returned
// through tail_offset and the rest is valid).
std::size_t first_invalid_text_byte(std::string_view text, bool allow_truncated_tail = false,
                                    std::size_t* tail_offset = nullptr);

}  // namespace simbus::base
