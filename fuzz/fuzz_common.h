// Shared by the reader fuzz targets: what every reader must do with any bytes -- return a
// value or throw its own error type -- and a small, bounded check of what it returned, so
// the checkers meet garbage that parsed as well as garbage that did not.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <string>
#include <stdexcept>
#include <string_view>

#include "base/input_file.h"
#include "checkers/history.h"
#include "checkers/linearizability.h"
#include "checkers/model.h"
#include "checkers/readers.h"

namespace simbus::fuzz {

// Inputs reach readers through base::read_input, which refuses non-text: fuzz the same.
inline bool is_text(std::string_view text) { return base::first_invalid_text_byte(text) == text.size(); }

// Judges a parsed history under tight limits: any verdict is fine, a crash or an escaping
// exception other than the documented std::invalid_argument (a model refusing an
// operation) is a bug.
inline void judge(const checkers::History& history, std::string_view model_name) {
  if (model_name.empty() || !checkers::validate_history(history).empty()) return;
  auto model = checkers::make_model(model_name);
  if (model == nullptr) return;
  checkers::LinearizabilityLimits limits;
  limits.steps_max = 20'000;
  limits.memory_bytes_max = 16 << 20;
  try {
    (void)checkers::check_linearizable(history, *model, limits);
  } catch (const std::invalid_argument&) {
  }
}

}  // namespace simbus::fuzz
