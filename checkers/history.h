// The one in-memory history shared by the simulator's recorder, the file readers and every
// checker. Plain structs so a scenario can fill them directly; the JSON Lines file format
// mirrors them field for field (docs/checkers.md).
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <variant>
#include <vector>

namespace simbus::checkers {

// A value is nil, an integer or a string. Booleans are integers 0/1; sets and lists are
// several values in `args`/`results`.
using Value = std::variant<std::monostate, std::int64_t, std::string>;

inline Value nil_value() { return Value{}; }
inline Value int_value(std::int64_t v) { return Value{v}; }
inline Value text_value(std::string v) { return Value{std::move(v)}; }
bool is_nil(const Value& v);
std::string value_to_string(const Value& v);  // nil, 42 or "text" (JSON-like)

// How an operation completed, in one meaning for every source (readers translate):
// ok   — it took effect; `results` holds what it returned (empty = result unknown).
// fail — it certainly did not take effect; checkers ignore it.
// info — unknown: it may or may not have taken effect, at any time after its invoke.
enum class Status : std::uint8_t { ok, fail, info };
const char* status_name(Status status);

inline constexpr std::int64_t kTimeNever = std::numeric_limits<std::int64_t>::max();

struct Operation {
  std::int64_t process = 0;      // the client that issued it; one operation at a time each
  std::string function;          // "read", "write", "cas", "get", "publish", ...
  std::string key;               // independent object it acts on ("" = the only one)
  std::vector<Value> args;       // invoke arguments
  Status status = Status::ok;
  std::vector<Value> results;    // return values when ok (empty = unknown)
  std::int64_t invoke_time = 0;  // any monotonic clock; only the order matters
  std::int64_t complete_time = kTimeNever;  // ignored for info: unknown ops never return
  // The line of `History::source` it was read from, for messages; 0 = none.
  std::int64_t line = 0;
};

struct History {
  std::vector<Operation> operations;
  std::string source;  // the file it was read from, for messages; may be empty
};

// "etcd_002.log:17", "line 17" or "operation 3": where an operation came from.
std::string operation_origin(const History& history, std::size_t index);

// A: B must follow A in every linearization (A returned before B was invoked).
bool precedes(const Operation& a, const Operation& b);

// Well-formedness independent of any model: times ordered, one open operation per
// process at a time. Returns an error message naming the operation, or "" if fine.
std::string validate_history(const History& history);

}  // namespace simbus::checkers

namespace simbus::checkers {
// "p3 cas(1, 2) -> [1] ok  (etcd_000.log:17)": one line for messages and explanations.
std::string format_operation(const Operation& op);
}  // namespace simbus::checkers
