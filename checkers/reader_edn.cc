// Jepsen/Knossos EDN histories: invoke and completion maps paired by process.
#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>

#include "checkers/edn.h"
#include "checkers/open_operations.h"
#include "checkers/readers.h"

namespace simbus::checkers {
namespace {

Value scalar(const edn::Node& n, const std::string& file) {
  switch (n.kind) {
    case edn::Kind::nil: return Value{};
    case edn::Kind::boolean:
    case edn::Kind::integer: return Value{n.integer};
    case edn::Kind::string:
    case edn::Kind::keyword:
    case edn::Kind::symbol:
    case edn::Kind::real: return Value{n.text};
    default: throw ParseError(file, n.line, "expected a single value, found a collection");
  }
}

bool is_collection(const edn::Node& n) {
  return n.kind == edn::Kind::vector || n.kind == edn::Kind::list || n.kind == edn::Kind::set;
}

// A value as a flat list: nil is empty, a collection its elements (one level, or
// [f k v] triples for txns), anything else itself.
std::vector<Value> flatten(const edn::Node& n, const std::string& file) {
  std::vector<Value> out;
  if (n.kind == edn::Kind::nil) return out;
  if (!is_collection(n)) {
    out.push_back(scalar(n, file));
    return out;
  }
  for (const edn::Node& item : n.items) {
    if (is_collection(item)) {
      for (const edn::Node& inner : item.items) out.push_back(scalar(inner, file));
    } else {
      out.push_back(scalar(item, file));
    }
  }
  return out;
}

std::string text_of(const edn::Node& n, const std::string& file) {
  if (n.kind == edn::Kind::string || n.kind == edn::Kind::keyword || n.kind == edn::Kind::symbol) return n.text;
  Value v = scalar(n, file);
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  return value_to_string(v);
}

}  // namespace

History read_edn(std::string_view text, const std::string& file) {
  edn::Reader reader(text, file);
  History history;
  history.source = file;
  OpenOperations open;
  // Most histories hold an invoke and a completion per operation, one per line or map.
  history.operations.reserve(static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n') / 2 + 1));
  std::int64_t time = 0;
  edn::Node e;
  while (reader.next(e)) {
    time += 1;
    auto fail = [&](const std::string& message) { throw ParseError(file, e.line, message); };
    if (e.kind != edn::Kind::map) fail("expected an operation map {:process .. :type .. :f ..}");
    // One pass over the map's keys instead of a lookup per field.
    const edn::Node* process = nullptr;
    const edn::Node* type = nullptr;
    const edn::Node* f = nullptr;
    const edn::Node* value_node = nullptr;
    const edn::Node* key = nullptr;
    for (std::size_t i = 0; i + 1 < e.items.size(); i += 2) {
      const edn::Node& k = e.items[i];
      if (k.kind != edn::Kind::keyword) continue;
      const edn::Node* v = &e.items[i + 1];
      const std::string& name = k.text;
      if (name == "process") process = process ? process : v;
      else if (name == "type") type = type ? type : v;
      else if (name == "f") f = f ? f : v;
      else if (name == "value") value_node = value_node ? value_node : v;
      else if (name == "key") key = key ? key : v;
    }
    if (process == nullptr) fail("operation without :process");
    if (type == nullptr || type->kind != edn::Kind::keyword) fail("operation without a :type keyword");
    if (f == nullptr) fail("operation without :f");
    // The nemesis and other non-client processes do not operate on the object.
    if (process->kind != edn::Kind::integer) continue;
    const std::string function = text_of(*f, file);
    static const edn::Node kNil;
    const edn::Node& value = value_node ? *value_node : kNil;
    const std::string& t = type->text;
    if (t == "invoke") {
      if (open.contains(process->integer)) {
        fail(fmt::format("process {} invokes while its last operation is open", process->integer));
      }
      Operation op;
      op.process = process->integer;
      op.function = function;
      if (key) op.key = text_of(*key, file);
      if (function != "read" && function != "get") op.args = flatten(value, file);
      op.invoke_time = time;
      op.line = e.line;
      open.open(op.process, history.operations.size());
      history.operations.push_back(std::move(op));
      continue;
    }
    std::optional<std::size_t> index = open.close(process->integer);
    if (!index) fail(fmt::format("process {} completes an operation it never invoked", process->integer));
    Operation& op = history.operations[*index];
    if (op.function != function) fail(fmt::format("completes {} but invoked {}", function, op.function));
    op.complete_time = time;
    if (t == "ok") {
      op.status = Status::ok;
      if (function == "read" || function == "get") {
        if (value.kind != edn::Kind::nil) op.results.push_back(scalar(value, file));  // nil: unknown
      } else if (function == "cas") {
        op.results.push_back(Value{std::int64_t{1}});
      } else if (function == "txn") {
        op.results = flatten(value, file);
      } else if (function != "write" && function != "put" && function != "append" &&
                 function != "acquire" && function != "release") {
        op.results = flatten(value, file);
      }
    } else if (t == "fail") {
      op.status = Status::fail;
    } else if (t == "info") {
      op.status = Status::info;
      op.complete_time = kTimeNever;
    } else {
      fail(fmt::format("unknown :type :{}", t));
    }
  }
  open.for_each([&](std::size_t index) {
    history.operations[index].status = Status::info;
    history.operations[index].complete_time = kTimeNever;
  });
  return history;
}

}  // namespace simbus::checkers
