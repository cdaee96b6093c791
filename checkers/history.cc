#include "checkers/history.h"

#include <fmt/format.h>

namespace simbus::checkers {

bool is_nil(const Value& v) { return std::holds_alternative<std::monostate>(v); }

std::string value_to_string(const Value& v) {
  if (is_nil(v)) return "nil";
  if (const auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
  std::string out = "\"";
  for (char c : std::get<std::string>(v)) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

std::string operation_origin(const History& history, std::size_t index) {
  const Operation& op = history.operations[index];
  if (op.line > 0 && !history.source.empty()) return fmt::format("{}:{}", history.source, op.line);
  if (op.line > 0) return fmt::format("line {}", op.line);
  return fmt::format("operation {}", index);
}

const char* status_name(Status status) {
  switch (status) {
    case Status::ok: return "ok";
    case Status::fail: return "fail";
    case Status::info: return "info";
  }
  return "?";
}

bool precedes(const Operation& a, const Operation& b) {
  // An unknown operation never returns, so nothing has to follow it.
  if (a.status == Status::info) return false;
  return a.complete_time < b.invoke_time;
}

std::string validate_history(const History& history) {
  for (std::size_t i = 0; i < history.operations.size(); ++i) {
    const Operation& op = history.operations[i];
    if (op.function.empty()) return fmt::format("{}: operation has no function", operation_origin(history, i));
    if (op.status != Status::info && op.complete_time < op.invoke_time) {
      return fmt::format("{}: operation completes at {} before its invoke at {}", operation_origin(history, i),
                         op.complete_time, op.invoke_time);
    }
  }
  return "";
}

}  // namespace simbus::checkers

namespace simbus::checkers {

std::string format_operation(const Operation& op) {
  std::string out = fmt::format("p{} {}", op.process, op.function);
  if (!op.key.empty()) out += fmt::format("[{}]", op.key);
  out += '(';
  for (std::size_t i = 0; i < op.args.size(); ++i) {
    if (i > 0) out += ", ";
    out += value_to_string(op.args[i]);
  }
  out += ')';
  if (op.status == Status::ok) {
    if (!op.results.empty()) {
      out += " -> ";
      for (std::size_t i = 0; i < op.results.size(); ++i) {
        if (i > 0) out += ", ";
        out += value_to_string(op.results[i]);
      }
    }
  }
  out += fmt::format(" {}", status_name(op.status));
  if (op.line > 0) out += fmt::format("  (line {})", op.line);
  return out;
}

}  // namespace simbus::checkers
