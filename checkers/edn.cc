#include "checkers/edn.h"

#include <fmt/format.h>

#include <cctype>
#include <charconv>

#include "checkers/readers.h"

namespace simbus::checkers::edn {

void Reader::fail(const std::string& message) const { throw ParseError(file_, line_, message); }

void Reader::skip_blank_slow() {
  while (pos_ < text_.size()) {
    char c = text_[pos_];
    if (c == '\n') {
      line_ += 1;
      pos_ += 1;
    } else if (c == ' ' || c == '\t' || c == '\r' || c == ',') {
      pos_ += 1;
    } else if (c == ';') {
      while (pos_ < text_.size() && text_[pos_] != '\n') pos_ += 1;
    } else {
      return;
    }
  }
}

bool Reader::to_next_value() {
  while (true) {
    skip_blank();
    if (top_close_ != 0) {
      if (pos_ >= text_.size()) fail(fmt::format("missing '{}' for the collection opened on line {}", top_close_, top_line_));
      if (text_[pos_] == top_close_) {
        pos_ += 1;
        top_close_ = 0;
        continue;
      }
      return true;
    }
    if (pos_ >= text_.size()) return false;
    if (text_[pos_] == '[' || text_[pos_] == '(') {
      top_close_ = text_[pos_] == '[' ? ']' : ')';
      top_line_ = line_;
      pos_ += 1;
      continue;
    }
    return true;
  }
}

bool Reader::next(Node& out) {
  if (!to_next_value()) return false;
  read_into(out, top_close_ != 0 ? 1 : 0);
  return true;
}

// Reuses `out`'s element nodes and their strings: histories repeat one shape of map, so
// reading the next operation into the previous one's node allocates almost nothing.
void Reader::sequence(Node& out, char close, int depth) {
  std::size_t count = 0;
  while (true) {
    skip_blank();
    if (pos_ >= text_.size()) {
      throw ParseError(file_, out.line, fmt::format("missing '{}' for the collection opened here", close));
    }
    if (text_[pos_] == close) {
      pos_ += 1;
      out.items.resize(count);
      return;
    }
    if (text_[pos_] == ')' || text_[pos_] == ']' || text_[pos_] == '}') fail(fmt::format("unexpected '{}'", text_[pos_]));
    if (count == out.items.size()) out.items.emplace_back();
    read_into(out.items[count], depth + 1);
    count += 1;
  }
}

// Characters that end a token, as one table lookup per character.
struct DelimiterTable {
  bool is[256] = {};
  constexpr DelimiterTable() {
    for (unsigned char c : std::string_view(" \t\r\n,()[]{}\";")) is[c] = true;
  }
};
constexpr DelimiterTable kDelimiters;

static bool is_delimiter(char c) { return kDelimiters.is[static_cast<unsigned char>(c)]; }

void Reader::read_into(Node& node, int depth) {
  if (depth > kDepthMax) fail("nested too deeply");
  skip_blank();
  if (pos_ >= text_.size()) fail("unexpected end of file");
  node.line = line_;
  node.text.clear();
  node.integer = 0;
  node.kind = Kind::nil;
  char c = text_[pos_];
  if (c == '[' || c == '(' || c == '{') {
    pos_ += 1;
    node.kind = c == '[' ? Kind::vector : c == '(' ? Kind::list : Kind::map;
    sequence(node, c == '[' ? ']' : c == '(' ? ')' : '}', depth);
    if (node.kind == Kind::map && node.items.size() % 2 != 0) fail(fmt::format("map opened on line {} has a key without a value", node.line));
    return;
  }
  if (c == '#') {
    pos_ += 1;
    if (pos_ < text_.size() && text_[pos_] == '{') {
      pos_ += 1;
      node.kind = Kind::set;
      sequence(node, '}', depth);
      return;
    }
    if (pos_ < text_.size() && text_[pos_] == '_') {  // discard the next value
      pos_ += 1;
      Node discarded;
      read_into(discarded, depth + 1);
      return read_into(node, depth);
    }
    while (pos_ < text_.size() && !is_delimiter(text_[pos_])) pos_ += 1;  // the tag
    return read_into(node, depth + 1);
  }
  if (c == '"') {
    pos_ += 1;
    node.kind = Kind::string;
    while (true) {
      // Copy the plain run up to the next quote, escape or newline in one go.
      std::size_t run = pos_;
      while (run < text_.size() && text_[run] != '"' && text_[run] != '\\' && text_[run] != '\n') run += 1;
      node.text.append(text_.data() + pos_, run - pos_);
      pos_ = run;
      if (pos_ >= text_.size()) throw ParseError(file_, node.line, "unterminated string");
      char s = text_[pos_++];
      if (s == '"') break;
      if (s == '\n') line_ += 1;
      if (s == '\\') {
        if (pos_ >= text_.size()) fail("unterminated string");
        char e = text_[pos_++];
        switch (e) {
          case 'n': node.text += '\n'; break;
          case 't': node.text += '\t'; break;
          case 'r': node.text += '\r'; break;
          default: node.text += e; break;
        }
        continue;
      }
      node.text += s;
    }
    return;
  }
  if (c == ')' || c == ']' || c == '}') fail(fmt::format("unexpected '{}'", c));
  std::size_t start = pos_;
  while (pos_ < text_.size() && !is_delimiter(text_[pos_])) pos_ += 1;
  std::string_view token = text_.substr(start, pos_ - start);
  if (token.empty()) fail(fmt::format("unexpected '{}'", c));
  if (token[0] == ':') {
    node.kind = Kind::keyword;
    node.text.assign(token.data() + 1, token.size() - 1);  // reuses the node's buffer
    if (node.text.empty()) fail("empty keyword");
    return;
  }
  if (token == "nil") return;
  if (token == "true" || token == "false") {
    node.kind = Kind::boolean;
    node.integer = token == "true";
    return;
  }
  bool numeric = std::isdigit(static_cast<unsigned char>(token[0])) ||
                 ((token[0] == '-' || token[0] == '+') && token.size() > 1 &&
                  std::isdigit(static_cast<unsigned char>(token[1])));
  if (numeric) {
    std::string_view digits = token[0] == '+' ? token.substr(1) : token;
    if (digits.back() == 'N') digits.remove_suffix(1);
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
    if (ec == std::errc() && end == digits.data() + digits.size()) {
      node.kind = Kind::integer;
      node.integer = v;
      return;
    }
    if (token.find_first_of(".eEM") == std::string_view::npos) fail(fmt::format("bad number '{}'", token));
    node.kind = Kind::real;
    node.text.assign(token);
    return;
  }
  node.kind = Kind::symbol;
  node.text.assign(token);
  return;
}


// Whitespace, commas and newlines only; a comment sends the map to the general reader.
static std::size_t skip_flat_blank(std::string_view text, std::size_t pos, std::int64_t& lines) {
  while (pos < text.size()) {
    const char c = text[pos];
    if (c == '\n') {
      lines += 1;
    } else if (c != ' ' && c != ',' && c != '\t' && c != '\r') {
      break;
    }
    pos += 1;
  }
  return pos;
}

// A scalar the flat form holds, at `pos` (past blanks); false for anything else.
bool Reader::scan_flat_scalar(std::size_t& pos, FlatScalar& out) const {
  const char c = text_[pos];
  if (c == '"') {
    std::size_t end = pos + 1;
    while (end < text_.size() && text_[end] != '"') {
      if (text_[end] == '\\' || text_[end] == '\n') return false;  // escapes and line counts: general reader
      end += 1;
    }
    if (end >= text_.size()) return false;  // unterminated: the general reader reports it
    out.kind = Kind::string;
    out.text = text_.substr(pos + 1, end - pos - 1);
    pos = end + 1;
    return true;
  }
  if (is_delimiter(c) || c == '#') return false;
  std::size_t end = pos;
  while (end < text_.size() && !is_delimiter(text_[end])) end += 1;
  const std::string_view token = text_.substr(pos, end - pos);
  if (token[0] == ':') {
    if (token.size() == 1) return false;
    out.kind = Kind::keyword;
    out.text = token.substr(1);
  } else if (token[0] >= '0' && token[0] <= '9') {
    std::int64_t v = 0;
    auto [stop, ec] = std::from_chars(token.data(), token.data() + token.size(), v);
    if (ec != std::errc() || stop != token.data() + token.size()) return false;  // reals, 12N, overflow
    out.kind = Kind::integer;
    out.integer = v;
  } else if (token == "nil") {
    out.kind = Kind::nil;
  } else if (token == "true" || token == "false") {
    out.kind = Kind::boolean;
    out.integer = token == "true";
  } else if (token[0] == '-' || token[0] == '+') {
    return false;  // signed numbers and symbols starting with a sign: general reader
  } else {
    out.kind = Kind::symbol;
    out.text = token;
  }
  pos = end;
  return true;
}

bool Reader::next_flat_map(FlatMap& out) {
  if (!to_next_value() || text_[pos_] != '{') return false;
  std::size_t pos = pos_ + 1;
  std::int64_t lines = 0;
  out.entries.clear();
  out.items.clear();
  while (true) {
    pos = skip_flat_blank(text_, pos, lines);
    if (pos >= text_.size()) return false;
    if (text_[pos] == '}') break;
    if (text_[pos] != ':') return false;  // keys other than keywords
    FlatScalar key;
    if (!scan_flat_scalar(pos, key) || key.kind != Kind::keyword) return false;
    pos = skip_flat_blank(text_, pos, lines);
    if (pos >= text_.size()) return false;
    FlatEntry entry;
    entry.key = key.text;
    entry.line = line_ + lines;
    const char c = text_[pos];
    if (c == '[' || c == '(') {
      const char close = c == '[' ? ']' : ')';
      entry.kind = c == '[' ? Kind::vector : Kind::list;
      entry.items_begin = static_cast<std::uint32_t>(out.items.size());
      pos += 1;
      while (true) {
        pos = skip_flat_blank(text_, pos, lines);
        if (pos >= text_.size()) return false;
        if (text_[pos] == close) break;
        FlatScalar item;
        if (!scan_flat_scalar(pos, item)) return false;
        out.items.push_back(item);
      }
      pos += 1;
      entry.items_end = static_cast<std::uint32_t>(out.items.size());
    } else if (!scan_flat_scalar(pos, entry.scalar)) {
      return false;
    } else {
      entry.kind = entry.scalar.kind;
    }
    out.entries.push_back(entry);
  }
  out.line = line_;
  pos_ = pos + 1;
  line_ += lines;
  return true;
}

}  // namespace simbus::checkers::edn
