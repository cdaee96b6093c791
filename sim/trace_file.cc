#include "sim/trace_file.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <sstream>

#include "base/hash.h"
#include "base/input_file.h"

namespace simbus::sim {
namespace {

constexpr std::size_t kChoicesMax = 200'000'000;
constexpr std::size_t kHeaderLinesMax = 10'000;

template <typename T>
bool parse_number(const std::string& s, T* out, int base = 10) {
  if (s.empty()) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out, base);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

std::vector<std::string> split_words(const std::string& line) {
  std::vector<std::string> words;
  std::istringstream in(line);
  std::string w;
  while (in >> w) words.push_back(w);
  return words;
}

}  // namespace

std::string TraceFile::get(const std::string& key) const {
  for (const auto& [k, v] : header) {
    if (k == key) return v;
  }
  return {};
}

std::vector<std::string> TraceFile::get_all(const std::string& key) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : header) {
    if (k == key) out.push_back(v);
  }
  return out;
}

std::string format_trace(const TraceFile& trace) {
  std::string out = "simbus-trace 1\n";
  for (const auto& [k, v] : trace.header) out += fmt::format("{} {}\n", k, v);
  out += fmt::format("choices {}\n", trace.choices.size());
  for (const Choice& c : trace.choices) {
    if (c.kind == Choice::Kind::kSchedule) {
      out += fmt::format("s {:x} {} {} {} {}\n", c.actor, c.seq, c.index, c.options, c.step);
    } else {
      out += fmt::format("d {:x} {} {} {} {}\n", c.actor, c.seq, static_cast<int>(c.tag), c.value, c.step);
    }
  }
  const std::uint64_t checksum = hash_bytes(reinterpret_cast<const std::uint8_t*>(out.data()), out.size());
  out += fmt::format("end {:016x}\n", checksum);
  return out;
}

bool parse_trace(const std::string& text, const std::string& path, TraceFile* trace, std::string* error) {
  *trace = TraceFile{};
  std::size_t pos = 0;
  std::size_t line_no = 0;
  auto fail = [&](const std::string& what) {
    *error = fmt::format("{}:{}: {}", path, line_no, what);
    return false;
  };
  auto next_line = [&](std::string* line) {
    if (pos >= text.size()) return false;
    const std::size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) {
      *line = text.substr(pos);
      pos = text.size();
    } else {
      *line = text.substr(pos, nl - pos);
      pos = nl + 1;
    }
    line_no += 1;
    return true;
  };
  std::string line;
  if (!next_line(&line) || line != "simbus-trace 1") {
    line_no = 1;
    return fail("not a simbus trace file (expected first line 'simbus-trace 1')");
  }
  std::size_t expected_choices = 0;
  while (true) {
    if (!next_line(&line)) return fail("truncated: no 'choices' line");
    const std::size_t space = line.find(' ');
    if (space == std::string::npos || space == 0) return fail(fmt::format("malformed header line {}", base::excerpt(line)));
    const std::string key = line.substr(0, space);
    const std::string value = line.substr(space + 1);
    if (key == "choices") {
      if (!parse_number(value, &expected_choices) || expected_choices > kChoicesMax) {
        return fail(fmt::format("bad choice count {}", base::excerpt(value)));
      }
      break;
    }
    if (trace->header.size() >= kHeaderLinesMax) return fail("too many header lines");
    trace->header.emplace_back(key, value);
  }
  // The count is a claim: size nothing by it beyond what the rest of the text could hold
  // (a choice line is at least 12 bytes), or a 100-byte file could ask for gigabytes.
  trace->choices.reserve(std::min(expected_choices, (text.size() - pos) / 12 + 1));
  for (std::size_t i = 0; i < expected_choices; ++i) {
    const std::size_t line_start = pos;
    if (!next_line(&line)) return fail(fmt::format("truncated: {} of {} choices present", i, expected_choices));
    (void)line_start;
    const auto w = split_words(line);
    Choice c;
    int tag = 0;
    if (w.size() != 6 || (w[0] != "s" && w[0] != "d")) return fail(fmt::format("malformed choice {}", base::excerpt(line)));
    bool ok = parse_number(w[1], &c.actor, 16) && parse_number(w[2], &c.seq) && parse_number(w[5], &c.step);
    if (w[0] == "s") {
      c.kind = Choice::Kind::kSchedule;
      ok = ok && parse_number(w[3], &c.index) && parse_number(w[4], &c.options) && c.index < c.options;
    } else {
      c.kind = Choice::Kind::kData;
      ok = ok && parse_number(w[3], &tag) && parse_number(w[4], &c.value) && tag >= 0 && tag <= 0xffff;
      c.tag = static_cast<DataTag>(tag);
    }
    if (!ok) return fail(fmt::format("malformed choice {}", base::excerpt(line)));
    trace->choices.push_back(c);
  }
  const std::size_t body_end = pos;
  if (!next_line(&line)) return fail("truncated: no 'end' line");
  const auto w = split_words(line);
  std::uint64_t checksum = 0;
  if (w.size() != 2 || w[0] != "end" || !parse_number(w[1], &checksum, 16)) {
    return fail(fmt::format("expected 'end <checksum>', found '{}'", line));
  }
  const std::uint64_t actual = hash_bytes(reinterpret_cast<const std::uint8_t*>(text.data()), body_end);
  if (actual != checksum) return fail("checksum mismatch: the file was corrupted or edited");
  if (next_line(&line) && !line.empty()) return fail("unexpected text after 'end'");
  return true;
}

}  // namespace simbus::sim
