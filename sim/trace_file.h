// The trace file: a header of `key value` lines (simbus version, scenario, options,
// seed, bug, the expected trace-hash) and the choice log, closed by a checksum line so
// a truncated or edited file is rejected instead of replayed wrongly.
//
//   simbus-trace 1
//   <key> <value>            header lines, in order (keys may repeat: `param k=v`)
//   choices <N>
//   s <actor-hex> <seq> <index> <options> <step>      a scheduling choice
//   d <actor-hex> <counter> <tag> <value> <step>      a data choice
//   end <checksum-hex>       hash of every byte before this line
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "sim/choice_log.h"

namespace simbus::sim {

struct TraceFile {
  std::vector<std::pair<std::string, std::string>> header;
  ChoiceLog choices;

  // The first value of `key`, or empty.
  std::string get(const std::string& key) const;
  std::vector<std::string> get_all(const std::string& key) const;
};

std::string format_trace(const TraceFile& trace);
// On error returns false with "PATH:LINE: what" in `error`.
bool parse_trace(const std::string& text, const std::string& path, TraceFile* trace, std::string* error);

}  // namespace simbus::sim
