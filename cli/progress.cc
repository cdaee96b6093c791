#include "cli/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>

#include "base/assert.h"

namespace simbus::cli {

ProgressMode progress_mode(bool forced, bool silenced) {
  SIMBUS_ASSERT(!(forced && silenced));
  if (silenced) return ProgressMode::kOff;
  return forced ? ProgressMode::kForced : ProgressMode::kAuto;
}

ProgressLine::ProgressLine(ProgressMode mode, std::string command)
    : mode_(mode),
      command_(std::move(command)),
      tty_(::isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()),
      last_(start_) {}

ProgressLine::~ProgressLine() { clear_live(); }

double ProgressLine::elapsed_s() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void ProgressLine::update(const std::function<std::string()>& text) {
  if (mode_ == ProgressMode::kOff || finished_) return;
  const auto now = std::chrono::steady_clock::now();
  const std::int64_t since_ms = std::chrono::duration_cast<std::chrono::milliseconds>(now - last_).count();
  if (since_ms < (tty_ ? kRedrawIntervalMs : kLogIntervalMs)) return;
  last_ = now;
  const std::string line = text();
  if (tty_) {
    std::fprintf(stderr, "\r\033[K%s", line.c_str());
    live_shown_ = true;
  } else {
    std::fprintf(stderr, "%s: progress %.0fs: %s\n", command_.c_str(), elapsed_s(), line.c_str());
  }
  std::fflush(stderr);
}

void ProgressLine::note(const std::string& message) {
  clear_live();
  std::fprintf(stderr, "%s: %s\n", command_.c_str(), message.c_str());
  std::fflush(stderr);
}

void ProgressLine::finish(const std::function<std::string()>& text) {
  if (finished_) return;
  finished_ = true;
  clear_live();
  if (mode_ == ProgressMode::kForced && !tty_) {
    std::fprintf(stderr, "%s: progress %.0fs: %s (done)\n", command_.c_str(), elapsed_s(), text().c_str());
    std::fflush(stderr);
  }
}

void ProgressLine::clear_live() {
  if (!live_shown_) return;
  std::fprintf(stderr, "\r\033[K");
  std::fflush(stderr);
  live_shown_ = false;
}

std::string format_count(double count) {
  if (!std::isfinite(count)) return "more than 1e+308";
  if (count < 1e6) return fmt::format("{:.0f}", count);
  return fmt::format("{:.1e}", count);
}

}  // namespace simbus::cli
