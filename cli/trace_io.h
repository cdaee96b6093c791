// Reading and writing trace files for the commands that take one (shrink, viz): the
// request a trace's header describes, and the trace of a finished run.
#pragma once

#include <string>

#include "scenarios/scenario.h"
#include "sim/trace_file.h"

namespace simbus::cli {

struct LoadedTrace {
  sim::TraceFile file;
  scenarios::RunRequest request;  // scenario, seed, params, strategy, bug and `replay` = the choice log
};

// Throws UsageError naming the file (and line) for an unreadable, corrupt, truncated or
// inconsistent trace, or one naming an unknown scenario.
LoadedTrace load_trace(const std::string& path);

// The trace of `result` as run from `request` (the same header `simbus run --trace` writes).
sim::TraceFile make_trace(const scenarios::RunRequest& request, const scenarios::RunResult& result);

}  // namespace simbus::cli
