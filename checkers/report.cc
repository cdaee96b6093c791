#include "checkers/report.h"

#include <fmt/format.h>

namespace simbus::checkers {

void CheckReport::add(Violation v) {
  if (static_cast<std::int64_t>(violations.size()) >= violations_max) {
    violations_dropped += 1;
    return;
  }
  violations.push_back(std::move(v));
}

std::string CheckReport::to_string(const History* history) const {
  if (ok()) return "ok\n";
  std::string out;
  for (const Violation& v : violations) {
    out += fmt::format("{}: {} (window {}..{})\n", v.checker, v.message, v.window_begin, v.window_end);
    if (history == nullptr) continue;
    for (std::size_t i : v.operations) {
      if (i < history->operations.size()) out += "    " + format_operation(history->operations[i]) + "\n";
    }
  }
  if (violations_dropped > 0) out += fmt::format("... and {} more\n", violations_dropped);
  return out;
}

}  // namespace simbus::checkers
