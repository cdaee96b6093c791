#include "cli/options.h"

#include <charconv>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

#include "base/assert.h"
#include "base/input_file.h"

namespace simbus::cli {
namespace {

bool all_digits(const std::string& text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

CLI::Validator whole_number(std::uint64_t min, std::uint64_t max) {
  SIMBUS_ASSERT(min <= max);
  auto check = [min, max](std::string& text) -> std::string {
    std::uint64_t value = 0;
    const char* end = text.data() + text.size();
    const bool parsed = all_digits(text) && std::from_chars(text.data(), end, value).ptr == end;
    if (!parsed || value < min || value > max) {
      return fmt::format("{} is not a whole number in [{}, {}]", base::excerpt(text), min, max);
    }
    return {};
  };
  return CLI::Validator(check, fmt::format("UINT in [{}, {}]", min, max), "whole_number");
}

CLI::Validator seconds(double max) {
  SIMBUS_ASSERT(max > 0);
  auto check = [max](std::string& text) -> std::string {
    const std::size_t dot = text.find('.');
    const bool shaped = dot == std::string::npos
                            ? all_digits(text)
                            : all_digits(text.substr(0, dot)) && all_digits(text.substr(dot + 1));
    const double value = shaped ? std::strtod(text.c_str(), nullptr) : -1;
    if (!shaped || !std::isfinite(value) || value > max) {
      return fmt::format("{} is not a number of seconds in [0, {:.0f}]", base::excerpt(text), max);
    }
    return {};
  };
  return CLI::Validator(check, fmt::format("SEC in [0, {:.0f}]", max), "seconds");
}

std::string bounded_message(const std::string& message, std::size_t bytes_max) {
  SIMBUS_ASSERT(bytes_max > 0);
  if (message.size() <= bytes_max) return message;
  return fmt::format("{}... ({} bytes of message cut)", message.substr(0, bytes_max), message.size() - bytes_max);
}

}  // namespace simbus::cli
