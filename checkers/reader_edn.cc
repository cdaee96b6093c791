// Jepsen/Knossos EDN histories: invoke and completion maps paired by process.
#include <fmt/format.h>

#include <algorithm>
#include <span>

#include "checkers/edn.h"
#include "checkers/open_operations.h"
#include "checkers/readers.h"

namespace simbus::checkers {
namespace {

// A map value as the operation builder sees it, from either form of the reader: the
// flat form's views into the text, or a general node. Converting only what an
// operation uses keeps a malformed value in an unused field harmless, as before.
struct FieldValue {
  const edn::Node* node = nullptr;        // general form
  const edn::FlatEntry* flat = nullptr;   // flat form
  std::span<const edn::FlatScalar> flat_items;

  bool present() const { return node != nullptr || flat != nullptr; }
  edn::Kind kind() const { return node ? node->kind : flat ? flat->kind : edn::Kind::nil; }
};

bool is_collection(edn::Kind k) { return k == edn::Kind::vector || k == edn::Kind::list || k == edn::Kind::set; }

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

Value scalar(const edn::FlatScalar& s) {
  switch (s.kind) {
    case edn::Kind::nil: return Value{};
    case edn::Kind::boolean:
    case edn::Kind::integer: return Value{s.integer};
    default: return Value{std::string(s.text)};
  }
}

Value scalar(const FieldValue& v, const std::string& file) {
  if (v.node) return scalar(*v.node, file);
  if (v.flat == nullptr) return Value{};
  if (is_collection(v.flat->kind)) throw ParseError(file, v.flat->line, "expected a single value, found a collection");
  return scalar(v.flat->scalar);
}

// A value as a flat list: nil is empty, a collection its elements (one level, or
// [f k v] triples for txns), anything else itself.
std::vector<Value> flatten(const FieldValue& v, const std::string& file) {
  std::vector<Value> out;
  if (v.flat != nullptr) {
    if (v.flat->kind == edn::Kind::nil) return out;
    if (!is_collection(v.flat->kind)) {
      out.push_back(scalar(v.flat->scalar));
      return out;
    }
    out.reserve(v.flat_items.size());
    for (const edn::FlatScalar& item : v.flat_items) out.push_back(scalar(item));
    return out;
  }
  if (v.node == nullptr || v.node->kind == edn::Kind::nil) return out;
  const edn::Node& n = *v.node;
  if (!is_collection(n.kind)) {
    out.push_back(scalar(n, file));
    return out;
  }
  for (const edn::Node& item : n.items) {
    if (is_collection(item.kind)) {
      for (const edn::Node& inner : item.items) out.push_back(scalar(inner, file));
    } else {
      out.push_back(scalar(item, file));
    }
  }
  return out;
}

std::string text_of(const FieldValue& v, const std::string& file) {
  const edn::Kind k = v.kind();
  if (k == edn::Kind::string || k == edn::Kind::keyword || k == edn::Kind::symbol) {
    return v.node ? v.node->text : std::string(v.flat->scalar.text);
  }
  Value value = scalar(v, file);
  if (auto* s = std::get_if<std::string>(&value)) return std::move(*s);
  return value_to_string(value);
}

// The fields of one operation map; the first of a repeated key wins.
struct OpFields {
  std::int64_t line = 0;
  FieldValue process, type, f, value, key;

  FieldValue* slot(std::string_view name) {
    switch (name.size()) {
      case 1: return name[0] == 'f' ? &f : nullptr;
      case 3: return name == "key" ? &key : nullptr;
      case 4: return name == "type" ? &type : nullptr;
      case 5: return name == "value" ? &value : nullptr;
      case 7: return name == "process" ? &process : nullptr;
      default: return nullptr;
    }
  }
  std::string_view type_name() const { return type.node ? std::string_view(type.node->text) : type.flat->scalar.text; }
  std::int64_t process_id() const { return process.node ? process.node->integer : process.flat->scalar.integer; }
};

void pick_fields(const edn::Node& e, OpFields& out) {
  out = OpFields{};
  out.line = e.line;
  for (std::size_t i = 0; i + 1 < e.items.size(); i += 2) {
    if (e.items[i].kind != edn::Kind::keyword) continue;
    FieldValue* slot = out.slot(e.items[i].text);
    if (slot != nullptr && !slot->present()) slot->node = &e.items[i + 1];
  }
}

void pick_fields(const edn::FlatMap& m, OpFields& out) {
  out = OpFields{};
  out.line = m.line;
  for (const edn::FlatEntry& entry : m.entries) {
    FieldValue* slot = out.slot(entry.key);
    if (slot == nullptr || slot->present()) continue;
    slot->flat = &entry;
    slot->flat_items = std::span<const edn::FlatScalar>(m.items).subspan(entry.items_begin, entry.items_end - entry.items_begin);
  }
}

bool is_read(std::string_view function) { return function == "read" || function == "get"; }

// Functions whose ok completion carries no result the models use.
bool returns_nothing(std::string_view function) {
  return function == "write" || function == "put" || function == "append" || function == "acquire" ||
         function == "release";
}

class Builder {
 public:
  explicit Builder(std::string_view text, const std::string& file) : file_(file) {
    history_.source = file;
    // Most histories hold an invoke and a completion per operation, one per line or map.
    history_.operations.reserve(static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n') / 2 + 1));
  }

  void add(const OpFields& e) {
    time_ += 1;
    auto fail = [&](const std::string& message) { throw ParseError(file_, e.line, message); };
    if (!e.process.present()) fail("operation without :process");
    if (e.type.kind() != edn::Kind::keyword) fail("operation without a :type keyword");
    if (!e.f.present()) fail("operation without :f");
    // The nemesis and other non-client processes do not operate on the object.
    if (e.process.kind() != edn::Kind::integer) return;
    const std::int64_t process = e.process_id();
    std::string function = text_of(e.f, file_);
    const std::string_view t = e.type_name();
    if (t == "invoke") {
      if (open_.contains(process)) fail(fmt::format("process {} invokes while its last operation is open", process));
      Operation& op = history_.operations.emplace_back();
      op.process = process;
      op.function = std::move(function);
      if (e.key.present()) op.key = text_of(e.key, file_);
      if (!is_read(op.function)) op.args = flatten(e.value, file_);
      op.invoke_time = time_;
      op.line = e.line;
      open_.open(process, history_.operations.size() - 1);
      return;
    }
    std::optional<std::size_t> index = open_.close(process);
    if (!index) fail(fmt::format("process {} completes an operation it never invoked", process));
    Operation& op = history_.operations[*index];
    if (op.function != function) fail(fmt::format("completes {} but invoked {}", function, op.function));
    op.complete_time = time_;
    if (t == "ok") {
      op.status = Status::ok;
      if (is_read(function)) {
        if (e.value.kind() != edn::Kind::nil) op.results.push_back(scalar(e.value, file_));  // nil: unknown
      } else if (function == "cas") {
        op.results.push_back(Value{std::int64_t{1}});
      } else if (!returns_nothing(function)) {
        op.results = flatten(e.value, file_);
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

  History finish() {
    open_.for_each([&](std::size_t index) {
      history_.operations[index].status = Status::info;
      history_.operations[index].complete_time = kTimeNever;
    });
    return std::move(history_);
  }

 private:
  const std::string& file_;
  History history_;
  OpenOperations open_;
  std::int64_t time_ = 0;
};

History read(std::string_view text, const std::string& file, bool flat_allowed) {
  edn::Reader reader(text, file);
  Builder builder(text, file);
  edn::FlatMap flat;
  edn::Node node;
  OpFields fields;
  while (true) {
    // Nearly every operation is a flat map; the general reader takes the rest and
    // reports every error, with its line.
    if (flat_allowed && reader.next_flat_map(flat)) {
      pick_fields(flat, fields);
    } else if (reader.next(node)) {
      if (node.kind != edn::Kind::map) throw ParseError(file, node.line, "expected an operation map {:process .. :type .. :f ..}");
      pick_fields(node, fields);
    } else {
      break;
    }
    builder.add(fields);
  }
  return builder.finish();
}

}  // namespace

History read_edn(std::string_view text, const std::string& file) { return read(text, file, true); }

History read_edn_general_only(std::string_view text, const std::string& file) { return read(text, file, false); }

}  // namespace simbus::checkers
