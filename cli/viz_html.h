// `simbus viz`: one self-contained HTML page (inline SVG + script, nothing from the
// network) drawing an execution as a space-time diagram.
#pragma once

#include <string>

#include "scenarios/scenario.h"

namespace simbus::cli {

struct VizInput {
  std::string title;  // the trace file's name
  scenarios::RunRequest request;
  scenarios::RunResult result;  // run with record_steps = true
};

// Steps drawn at most; longer executions are cut with a note on the page.
inline constexpr std::size_t kVizStepsMax = 50'000;

std::string render_viz_html(const VizInput& input);

}  // namespace simbus::cli
