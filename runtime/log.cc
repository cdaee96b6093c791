#include "runtime/log.h"

#include <sys/time.h>

#include <atomic>
#include <cstdio>
#include <ctime>

namespace simbus::runtime {
namespace {
std::atomic<int> min_level{static_cast<int>(LogLevel::info)};
constexpr const char* level_names[] = {"debug", "info", "warn", "error"};
}  // namespace

void set_log_level(LogLevel level) { min_level.store(static_cast<int>(level)); }

bool log_enabled(LogLevel level) { return static_cast<int>(level) >= min_level.load(); }

void log_line(LogLevel level, std::string_view text) {
  timeval tv{};
  ::gettimeofday(&tv, nullptr);
  std::tm tm{};
  ::gmtime_r(&tv.tv_sec, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%H:%M:%S", &tm);
  // One fprintf per line: lines of concurrent writers (the file pool) do not interleave.
  std::fprintf(stderr, "%s.%06ld %s %.*s\n", stamp, static_cast<long>(tv.tv_usec),
               level_names[static_cast<int>(level)], static_cast<int>(text.size()), text.data());
}

}  // namespace simbus::runtime
