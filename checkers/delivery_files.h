// The delivery log as JSON Lines (docs/checkers.md, "The delivery log file"): what
// `simbus run --deliveries` writes and `simbus check --deliveries` reads back, so a run's
// delivery and presence verdicts can be re-judged offline.
#pragma once

#include <string>
#include <string_view>

#include "checkers/delivery.h"

namespace simbus::checkers {

std::string write_deliveries_jsonl(const DeliveryLog& log);

// Throws ParseError naming the file and line of anything malformed.
DeliveryLog read_deliveries_jsonl(std::string_view text, const std::string& file);

// Reads and parses a file; throws ParseError (also when the file cannot be read).
DeliveryLog load_deliveries(const std::string& path);

}  // namespace simbus::checkers
