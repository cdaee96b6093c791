// The JSON Lines history: one operation per line, fields named as in history.h.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "checkers/readers.h"

namespace simbus::checkers {
namespace {

using nlohmann::json;

Value to_value(const json& j, const std::string& file, std::int64_t line, const char* field) {
  if (j.is_null()) return Value{};
  if (j.is_boolean()) return Value{std::int64_t{j.get<bool>() ? 1 : 0}};
  if (j.is_number_integer()) return Value{j.get<std::int64_t>()};
  if (j.is_string()) return Value{j.get<std::string>()};
  throw ParseError(file, line, fmt::format("{} holds null, integers and strings only", field));
}

std::vector<Value> to_values(const json& object, const char* field, const std::string& file, std::int64_t line) {
  std::vector<Value> out;
  auto it = object.find(field);
  if (it == object.end()) return out;
  if (!it->is_array()) throw ParseError(file, line, fmt::format("{} must be an array", field));
  for (const json& v : *it) out.push_back(to_value(v, file, line, field));
  return out;
}

json from_value(const Value& v) {
  if (is_nil(v)) return nullptr;
  if (const auto* i = std::get_if<std::int64_t>(&v)) return *i;
  return std::get<std::string>(v);
}

}  // namespace

History read_jsonl(std::string_view text, const std::string& file, std::string* model) {
  History history;
  history.source = file;
  std::int64_t number = 0;
  while (!text.empty()) {
    std::size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
    number += 1;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    json j = json::parse(line, nullptr, false);
    if (j.is_discarded()) throw ParseError(file, number, "not valid JSON");
    if (!j.is_object()) throw ParseError(file, number, "expected a JSON object");
    if (j.contains("simbus_history")) {
      if (!history.operations.empty()) throw ParseError(file, number, "the header must be the first line");
      if (j.contains("model")) {
        if (!j["model"].is_string()) throw ParseError(file, number, "model must be a string");
        if (model != nullptr) *model = j["model"].get<std::string>();
      }
      continue;
    }
    Operation op;
    auto integer = [&](const char* field, bool required, std::int64_t fallback) -> std::int64_t {
      auto it = j.find(field);
      if (it == j.end()) {
        if (required) throw ParseError(file, number, fmt::format("missing {}", field));
        return fallback;
      }
      if (!it->is_number_integer()) throw ParseError(file, number, fmt::format("{} must be an integer", field));
      return it->get<std::int64_t>();
    };
    auto text_field = [&](const char* field, bool required) -> std::string {
      auto it = j.find(field);
      if (it == j.end()) {
        if (required) throw ParseError(file, number, fmt::format("missing {}", field));
        return {};
      }
      if (!it->is_string()) throw ParseError(file, number, fmt::format("{} must be a string", field));
      return it->get<std::string>();
    };
    op.process = integer("process", true, 0);
    op.function = text_field("function", true);
    if (op.function.empty()) throw ParseError(file, number, "empty function");
    op.key = text_field("key", false);
    op.args = to_values(j, "args", file, number);
    op.results = to_values(j, "results", file, number);
    std::string status = text_field("status", true);
    if (status == "ok") op.status = Status::ok;
    else if (status == "fail") op.status = Status::fail;
    else if (status == "info") op.status = Status::info;
    else throw ParseError(file, number, fmt::format("status must be ok, fail or info, not '{}'", status));
    op.invoke_time = integer("invoke_time", true, 0);
    op.complete_time = integer("complete_time", op.status != Status::info, kTimeNever);
    if (op.status == Status::info) op.complete_time = kTimeNever;
    if (op.complete_time < op.invoke_time) throw ParseError(file, number, "complete_time before invoke_time");
    op.line = number;
    history.operations.push_back(std::move(op));
  }
  return history;
}

void write_jsonl(const History& history, std::ostream& out, std::string_view model) {
  if (!model.empty()) out << json{{"simbus_history", 1}, {"model", std::string(model)}}.dump() << '\n';
  for (const Operation& op : history.operations) {
    json j;
    j["process"] = op.process;
    j["function"] = op.function;
    if (!op.key.empty()) j["key"] = op.key;
    json args = json::array();
    for (const Value& v : op.args) args.push_back(from_value(v));
    j["args"] = args;
    j["status"] = status_name(op.status);
    json results = json::array();
    for (const Value& v : op.results) results.push_back(from_value(v));
    j["results"] = results;
    j["invoke_time"] = op.invoke_time;
    if (op.status != Status::info) j["complete_time"] = op.complete_time;
    out << j.dump() << '\n';
  }
}

}  // namespace simbus::checkers
