// Porcupine's reading of the Jepsen etcd logs (its parseJepsenLog and etcd model):
//   INFO  jepsen.util - 3	:invoke	:cas	[1 4]
// Lines are matched strictly; anything else is a parse error naming the line.
#include <fmt/format.h>

#include <charconv>
#include <unordered_map>
#include <vector>

#include "base/input_file.h"
#include "checkers/open_operations.h"
#include "checkers/readers.h"

namespace simbus::checkers {
namespace {

class LineCursor {
 public:
  LineCursor(std::string_view line, const std::string& file, std::int64_t number)
      : line_(line), file_(file), number_(number) {}

  void skip_space() {
    while (pos_ < line_.size() && (line_[pos_] == ' ' || line_[pos_] == '\t' || line_[pos_] == '\r')) pos_ += 1;
  }
  std::string_view word() {
    skip_space();
    std::size_t start = pos_;
    if (pos_ < line_.size() && line_[pos_] == '[') {
      while (pos_ < line_.size() && line_[pos_] != ']') pos_ += 1;
      if (pos_ == line_.size()) fail("unterminated [");
      pos_ += 1;
    } else {
      while (pos_ < line_.size() && line_[pos_] != ' ' && line_[pos_] != '\t' && line_[pos_] != '\r') pos_ += 1;
    }
    if (start == pos_) fail("line ends early");
    return line_.substr(start, pos_ - start);
  }
  void expect(std::string_view w) {
    std::string_view got = word();
    if (got != w) fail(fmt::format("expected '{}', found {}", w, base::excerpt(got)));
  }
  void expect_end() {
    skip_space();
    if (pos_ != line_.size()) fail(fmt::format("unexpected {}", base::excerpt(line_.substr(pos_))));
  }
  std::int64_t integer(std::string_view w) {
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(w.data(), w.data() + w.size(), v);
    if (ec != std::errc() || end != w.data() + w.size()) fail(fmt::format("expected an integer, found {}", base::excerpt(w)));
    return v;
  }
  [[noreturn]] void fail(const std::string& message) { throw ParseError(file_, number_, message); }

 private:
  std::string_view line_;
  const std::string& file_;
  std::int64_t number_;
  std::size_t pos_ = 0;
};

}  // namespace

History read_jepsen_etcd(std::string_view text, const std::string& file) {
  History history;
  history.source = file;
  OpenOperations open;
  std::int64_t number = 0;
  while (!text.empty()) {
    std::size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
    number += 1;
    LineCursor c(line, file, number);
    c.skip_space();
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    c.expect("INFO");
    c.expect("jepsen.util");
    c.expect("-");
    std::int64_t process = c.integer(c.word());
    std::string_view type = c.word();
    std::string_view f = c.word();
    std::string_view value = c.word();
    c.expect_end();
    if (f != ":read" && f != ":write" && f != ":cas") c.fail(fmt::format("unknown function {}", base::excerpt(f)));
    std::string function(f.substr(1));
    auto parse_value = [&](std::string_view w) -> Value {
      if (w == "nil") return Value{};
      return Value{c.integer(w)};
    };
    // The arguments as written on an invoke line, and repeated on its completion.
    auto parse_args = [&](std::string_view w) -> std::vector<Value> {
      if (function == "write") return {parse_value(w)};
      if (function == "cas") {
        if (w.size() < 2 || w.front() != '[' || w.back() != ']') c.fail("cas takes [old new]");
        LineCursor inner(w.substr(1, w.size() - 2), file, number);
        std::vector<Value> args{parse_value(inner.word())};
        args.push_back(parse_value(inner.word()));
        inner.expect_end();
        return args;
      }
      if (w != "nil") c.fail("a read is invoked with nil");
      return {};
    };
    if (type == ":invoke") {
      if (open.contains(process)) c.fail(fmt::format("process {} invokes while its last operation is open", process));
      Operation op;
      op.process = process;
      op.function = function;
      op.invoke_time = number;
      op.line = number;
      op.args = parse_args(value);
      open.open(process, history.operations.size());
      history.operations.push_back(std::move(op));
      continue;
    }
    std::optional<std::size_t> index = open.close(process);
    if (!index) c.fail(fmt::format("process {} completes an operation it never invoked", process));
    Operation& op = history.operations[*index];
    if (op.function != function) c.fail(fmt::format("completes {} but invoked {}", function, op.function));
    op.complete_time = number;
    // A write's or cas's completion repeats its arguments (":info" may say ":timed-out"
    // instead): anything else is not a log this reader understands, and judging it would
    // give a verdict about a history nobody recorded.
    const bool timed_out = type == ":info" && value == ":timed-out";
    if (function != "read" && !timed_out && parse_args(value) != op.args) {
      c.fail(fmt::format("completes {} {} but invoked it with other arguments", function, base::excerpt(value)));
    }
    if (type == ":ok") {
      op.status = Status::ok;
      if (function == "read") op.results.push_back(parse_value(value));
      if (function == "cas") op.results.push_back(Value{std::int64_t{1}});
    } else if (type == ":fail" && function == "cas") {
      op.status = Status::ok;  // the cas ran and found another value
      op.results.push_back(Value{std::int64_t{0}});
    } else if (type == ":fail" && function == "read") {
      op.status = Status::ok;  // timed out: it returned here, with no known result
    } else if (type == ":fail" || type == ":info") {
      // Porcupine leaves these open: no known result, may take effect any time later.
      op.status = Status::info;
      op.complete_time = kTimeNever;
    } else {
      c.fail(fmt::format("unknown type {}", base::excerpt(type)));
    }
  }
  open.for_each([&](std::size_t index) {
    history.operations[index].status = Status::info;
    history.operations[index].complete_time = kTimeNever;
  });
  return history;
}


}  // namespace simbus::checkers
