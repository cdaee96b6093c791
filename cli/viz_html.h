// `simbus viz`: one self-contained HTML page (inline SVG + script, nothing from the
// network) drawing an execution as a space-time diagram.
#pragma once

#include <string>

#include "scenarios/scenario.h"

namespace simbus::cli {

struct VizInput {
  std::string title;  // the trace file's name
  scenarios::RunRequest request;
  scenarios::RunResult result;  // run with record_steps = true (and record_history)
  // Where the failure was detected: the virtual time, and how it is known ("during the
  // run", or "first failing cut": the earliest time at which the execution, stopped and
  // judged, fails the same way). -1: no failure or unknown.
  std::int64_t failure_time_us = -1;
  std::string failure_source;
};

// Short-lived fibers (at most this many steps: handshakes, one-shot helpers) share one
// folded lane per node when a node has two or more and the execution has more than
// kVizLanesUnfoldedMax lanes (small executions show every fiber).
inline constexpr std::size_t kVizShortFiberStepsMax = 12;
inline constexpr std::size_t kVizLanesUnfoldedMax = 24;

// Steps drawn at most; longer executions are cut with a note on the page.
inline constexpr std::size_t kVizStepsMax = 50'000;

std::string render_viz_html(const VizInput& input);

}  // namespace simbus::cli
