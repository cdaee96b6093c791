// libFuzzer target: the explore report reader `merge` uses. What it accepts must write
// back to JSON that reads to the same report.
#include <cstdlib>
#include <string>

#include "cli/command.h"
#include "cli/explore_report.h"
#include "fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace simbus::cli;
  const std::string text(reinterpret_cast<const char*>(data), size);
  if (!simbus::fuzz::is_text(text)) return 0;
  ExploreSummary summary;
  try {
    summary = from_json(text, "fuzz.json");
  } catch (const UsageError&) {
    return 0;
  }
  summary.normalize();
  const std::string printed = to_json(summary);
  ExploreSummary again = from_json(printed, "fuzz.json");
  again.normalize();
  if (to_json(again) != printed) std::abort();
  (void)format_summary(summary);
  (void)to_junit(summary);
  return 0;
}
