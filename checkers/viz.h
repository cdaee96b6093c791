// A self-contained HTML timeline of a history: one row per process, one bar per
// operation, the partial linearization numbered in order and unplaced operations marked.
#pragma once

#include <ostream>
#include <string>

#include "checkers/history.h"
#include "checkers/linearizability.h"

namespace simbus::checkers {

void write_viz_html(const History& history, const LinearizabilityResult& result,
                    const std::string& title, std::ostream& out);

}  // namespace simbus::checkers
