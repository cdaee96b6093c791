// Just enough EDN for Jepsen histories: nil, booleans, integers, floats (kept as text),
// strings, keywords, symbols, vectors, lists, sets, maps, comments and tagged values
// (#inst "..." reads as its value). Every value remembers its line for error messages.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace simbus::checkers::edn {

enum class Kind : std::uint8_t { nil, boolean, integer, real, string, keyword, symbol, vector, list, set, map };

struct Node {
  Kind kind = Kind::nil;
  std::int64_t line = 0;
  std::int64_t integer = 0;  // integer, boolean (0/1)
  std::string text;          // string, keyword (without ':'), symbol, real
  std::vector<Node> items;   // vector/list/set elements; map keys and values alternating
};

// A map whose keys are keywords and whose values are scalars or flat collections of
// scalars, as nearly every line of a Jepsen history is: read with no tree and no copy.
// Strings and tokens are views into the text being read, so they live as long as it.
struct FlatScalar {
  Kind kind = Kind::nil;     // nil, boolean, integer, string, keyword or symbol
  std::int64_t integer = 0;  // integer, boolean (0/1)
  std::string_view text;     // string, keyword (without ':'), symbol
};
struct FlatEntry {
  std::string_view key;  // the keyword, without ':'
  std::int64_t line = 0;  // the value's
  Kind kind = Kind::nil;  // the value's kind: a scalar's, or vector/list/set
  FlatScalar scalar;      // when not a collection
  std::uint32_t items_begin = 0, items_end = 0;  // a collection's elements in FlatMap::items
};
struct FlatMap {
  std::int64_t line = 0;
  std::vector<FlatEntry> entries;
  std::vector<FlatScalar> items;
};

// Reads one value after another until the text ends. Limits nesting depth so a hostile
// file cannot overflow the stack. Throws ParseError(file, line, ...).
class Reader {
 public:
  Reader(std::string_view text, const std::string& file) : text_(text), file_(file) {}
  // The next value; the elements of a top-level vector or list come one by one, so a
  // history of thousands of operations is never held as one tree. False at the end.
  bool next(Node& out);
  // The next value if it is a flat map (see FlatMap), reusing `out`'s buffers. Returns
  // false and reads nothing when the next value is anything else, or holds anything
  // the flat form does not (escapes, tags, comments, nested collections, reals): then
  // next() reads it. A file that ends is also false; next() reports that.
  bool next_flat_map(FlatMap& out);

 private:
  static constexpr int kDepthMax = 64;
  // Most calls find a token right away: decide that inline, loop out of line.
  void skip_blank() {
    if (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c != ' ' && c != ',' && c != '\n' && c != '\t' && c != '\r' && c != ';') return;
    }
    skip_blank_slow();
  }
  void skip_blank_slow();
  // Moves to the start of the next value, entering and leaving a top-level vector or
  // list; false at the end of the text.
  bool to_next_value();
  bool scan_flat_scalar(std::size_t& pos, FlatScalar& out) const;
  void read_into(Node& node, int depth);
  void sequence(Node& out, char close, int depth);
  [[noreturn]] void fail(const std::string& message) const;

  std::string_view text_;
  const std::string& file_;
  std::size_t pos_ = 0;
  std::int64_t line_ = 1;
  char top_close_ = 0;  // set while inside a top-level vector or list
  std::int64_t top_line_ = 0;
};

}  // namespace simbus::checkers::edn
