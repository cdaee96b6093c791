#include "sim/choice_log.h"

#include <fmt/format.h>

#include <charconv>

namespace simbus::sim {

std::string encode_schedule(const ChoiceLog& log) {
  std::string out;
  std::uint32_t run_value = 0;
  std::uint64_t run_length = 0;
  auto flush = [&] {
    if (run_length == 0) return;
    if (!out.empty()) out += '.';
    out += std::to_string(run_value);
    if (run_length > 1) out += fmt::format("x{}", run_length);
  };
  for (const Choice& c : log) {
    if (c.kind != Choice::Kind::kSchedule) continue;
    if (run_length > 0 && c.index == run_value) {
      run_length += 1;
      continue;
    }
    flush();
    run_value = c.index;
    run_length = 1;
  }
  flush();
  return out.empty() ? "-" : out;
}

bool decode_schedule(const std::string& text, std::vector<std::uint32_t>* indices, std::string* error) {
  constexpr std::uint64_t kIndicesMax = 100'000'000;
  indices->clear();
  if (text == "-") return true;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const std::size_t end = std::min(text.find('.', pos), text.size());
    const std::string item = text.substr(pos, end - pos);
    const std::size_t x = item.find('x');
    const std::string value_text = item.substr(0, x);
    const std::string count_text = x == std::string::npos ? "1" : item.substr(x + 1);
    std::uint32_t value = 0;
    std::uint64_t count = 0;
    auto r1 = std::from_chars(value_text.data(), value_text.data() + value_text.size(), value);
    auto r2 = std::from_chars(count_text.data(), count_text.data() + count_text.size(), count);
    if (value_text.empty() || r1.ec != std::errc() || r1.ptr != value_text.data() + value_text.size() ||
        count_text.empty() || r2.ec != std::errc() || r2.ptr != count_text.data() + count_text.size() ||
        count == 0) {
      *error = fmt::format("bad schedule item '{}' at character {}", item, pos + 1);
      return false;
    }
    if (indices->size() + count > kIndicesMax) {
      *error = fmt::format("schedule longer than {} choices", kIndicesMax);
      return false;
    }
    indices->insert(indices->end(), count, value);
    if (end == text.size()) break;
    pos = end + 1;
  }
  return true;
}

}  // namespace simbus::sim
