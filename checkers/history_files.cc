// Loading a history file of any supported format, and guessing its model.
#include <fmt/format.h>

#include <set>

#include "base/input_file.h"
#include "checkers/readers.h"

namespace simbus::checkers {

std::string read_input_file(const std::string& path) {
  try {
    return base::read_input(path);
  } catch (const base::InputError& e) {
    throw ParseError(e.path, static_cast<std::int64_t>(e.line), e.detail);
  }
}

namespace {

HistoryFormat detect(std::string_view text) {
  std::size_t start = text.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos) return HistoryFormat::jsonl;  // empty: any reader gives nothing
  std::string_view rest = text.substr(start);
  if (rest.starts_with("INFO")) return HistoryFormat::jepsen_etcd;
  if (rest.starts_with("{\"") || rest.starts_with("{ \"")) return HistoryFormat::jsonl;
  return HistoryFormat::edn;
}

}  // namespace

ParseError::ParseError(const std::string& f, std::int64_t l, const std::string& message)
    : std::runtime_error(l > 0 ? fmt::format("{}:{}: {}", f, l, message) : fmt::format("{}: {}", f, message)),
      file(f),
      line(l) {}

LoadedHistory load_history(const std::string& path, HistoryFormat format) {
  std::string text = read_input_file(path);
  LoadedHistory out;
  out.format = format == HistoryFormat::auto_detect ? detect(text) : format;
  switch (out.format) {
    case HistoryFormat::jepsen_etcd: out.history = read_jepsen_etcd(text, path); break;
    case HistoryFormat::edn: out.history = read_edn(text, path); break;
    case HistoryFormat::jsonl:
    case HistoryFormat::auto_detect: out.history = read_jsonl(text, path, &out.model); break;
  }
  if (out.model.empty()) out.model = infer_model(out.history, out.format);
  return out;
}

std::string infer_model(const History& history, HistoryFormat format) {
  std::set<std::string> functions;
  for (const Operation& op : history.operations) functions.insert(op.function);
  auto only = [&](std::initializer_list<const char*> names) {
    for (const std::string& f : functions) {
      bool found = false;
      for (const char* n : names) found = found || f == n;
      if (!found) return false;
    }
    return true;
  };
  if (format == HistoryFormat::jepsen_etcd) return "register";
  if (functions.empty()) return "register";
  if (only({"read", "write", "cas"})) return format == HistoryFormat::edn ? "cas-register" : "register";
  if (only({"get", "put", "append"})) return "kv";
  if (only({"acquire", "release"})) return "mutex";
  if (only({"txn"})) return "multi-register";
  if (only({"publish", "read_log", "subscribe", "unsubscribe", "channel_info", "members"})) return "channel";
  return "";
}

}  // namespace simbus::checkers
