#include "cli/signature.h"

#include <fmt/format.h>

#include <cstdint>

namespace simbus::cli {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool is_alnum(char c) { return is_hex(c) || (c >= 'g' && c <= 'z') || (c >= 'G' && c <= 'Z'); }

// Digit runs -> N, hex hashes -> H, "0x..." -> H; whitespace collapsed.
std::string abstract_numbers(std::string_view line) {
  std::string out;
  std::size_t i = 0;
  while (i < line.size()) {
    const char c = line[i];
    const bool word_start = i == 0 || !is_alnum(line[i - 1]);
    if (word_start && c == '0' && i + 2 < line.size() && (line[i + 1] == 'x' || line[i + 1] == 'X') &&
        is_hex(line[i + 2])) {
      i += 2;
      while (i < line.size() && is_hex(line[i])) ++i;
      out += 'H';
      continue;
    }
    if (word_start && is_hex(c)) {
      // A run of 8+ hex digits holding a digit and a letter, standing alone, is a hash or an
      // address (all digits: a number, N).
      std::size_t j = i;
      bool digit = false, letter = false;
      while (j < line.size() && is_hex(line[j])) {
        digit |= is_digit(line[j]);
        letter |= !is_digit(line[j]);
        ++j;
      }
      if (digit && letter && j - i >= 8 && (j == line.size() || !is_alnum(line[j]))) {
        out += 'H';
        i = j;
        continue;
      }
    }
    if (is_digit(c)) {
      while (i < line.size() && is_digit(line[i])) ++i;
      // A decimal fraction is one number.
      if (i + 1 < line.size() && line[i] == '.' && is_digit(line[i + 1])) {
        ++i;
        while (i < line.size() && is_digit(line[i])) ++i;
      }
      out += 'N';
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r') {
      if (!out.empty() && out.back() != ' ') out += ' ';
      ++i;
      continue;
    }
    out += c;
    ++i;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// "N, N, N" / "N,N" / "N..N" / "N-N" ranges and lists -> "N": their length is seed-specific.
// Only where the N stands alone (not part of an identifier such as "pN-N").
std::string collapse_lists(const std::string& s) {
  std::string out;
  std::size_t i = 0;
  auto lone_n = [&](std::size_t at) {
    return s[at] == 'N' && (at == 0 || !is_alnum(s[at - 1])) && (at + 1 >= s.size() || !is_alnum(s[at + 1]));
  };
  while (i < s.size()) {
    if (lone_n(i)) {
      out += 'N';
      std::size_t j = i + 1;
      // Swallow (sep N)* where sep is ", " "," ".." or " ".
      while (true) {
        std::size_t k = j;
        if (s.compare(k, 2, ", ") == 0) {
          k += 2;
        } else if (s.compare(k, 2, "..") == 0) {
          k += 2;
        } else if (k < s.size() && s[k] == ',') {
          k += 1;
        } else {
          break;
        }
        if (k < s.size() && lone_n(k)) {
          j = k + 1;
        } else {
          break;
        }
      }
      i = j;
      continue;
    }
    out += s[i++];
  }
  return out;
}

std::uint32_t fnv1a32(std::string_view s) {
  std::uint32_t h = 2166136261u;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 16777619u;
  }
  return h;
}

}  // namespace

std::string Signature::key() const { return check + "|" + site + "|" + pattern; }

std::string Signature::id() const { return fmt::format("{:08x}", fnv1a32(key())); }

std::string normalize_message(std::string_view message) {
  std::string_view line = message.substr(0, message.find('\n'));
  // Bound the work on hostile input: a first line past a few KB is cut before abstraction.
  if (line.size() > 4096) line = line.substr(0, 4096);
  std::string out = collapse_lists(abstract_numbers(line));
  if (out.size() > kPatternCharsMax) {
    out.resize(kPatternCharsMax);
    // Never end in the middle of a UTF-8 sequence.
    while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80) out.pop_back();
    if (!out.empty() && (static_cast<unsigned char>(out.back()) & 0x80) != 0) out.pop_back();
  }
  return out;
}

std::string make_site(std::string_view file, std::string_view function) {
  const auto slash = file.find_last_of('/');
  if (slash != std::string_view::npos) file = file.substr(slash + 1);
  if (file.empty() && function.empty()) return "";
  return fmt::format("{}:{}", file, function);
}

Signature make_signature(std::string_view check, std::string_view message, std::string_view site) {
  return Signature{std::string(check), std::string(site), normalize_message(message)};
}

Signature signature_of(const scenarios::RunResult& result) {
  return make_signature(result.outcome.check, result.outcome.message, result.outcome.site);
}

bool same_signature(const scenarios::RunResult& a, const scenarios::RunResult& b) {
  return signature_of(a) == signature_of(b);
}

}  // namespace simbus::cli
