// A one-line progress report on stderr for long commands (explore, suite). On a terminal
// the line is redrawn in place; off a terminal (CI logs) a full line is printed every
// kLogIntervalMs, so a silent job is never mistaken for a hung one. stdout, which carries
// the results, is never touched.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace simbus::cli {

enum class ProgressMode : std::uint8_t {
  kAuto,    // terminal: live line; otherwise a line every kLogIntervalMs
  kForced,  // as kAuto, plus a last line at the end off a terminal
  kOff,
};

// Resolves --progress / --no-progress (both given is a usage error for the caller).
ProgressMode progress_mode(bool forced, bool silenced);

class ProgressLine {
 public:
  static constexpr std::int64_t kRedrawIntervalMs = 200;
  static constexpr std::int64_t kLogIntervalMs = 10'000;

  ProgressLine(ProgressMode mode, std::string command);
  ~ProgressLine();
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  // `text` is called only when a line is due (it may format costly figures).
  void update(const std::function<std::string()>& text);
  // A message that must not be overdrawn by the live line (a warning).
  void note(const std::string& message);
  // Ends the report: clears a live line; a forced log gets its last line.
  void finish(const std::function<std::string()>& text);
  double elapsed_s() const;

 private:
  void clear_live();

  ProgressMode mode_;
  std::string command_;
  bool tty_ = false;
  bool live_shown_ = false;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_;
};

// "1.2e+15"-style figures for the space estimate; "12,345" for small ones.
std::string format_count(double count);

}  // namespace simbus::cli
