// libFuzzer target: the trace file reader. What parses must print back to a file that
// parses to the same trace (format_trace is the writer `run --trace` uses).
#include <cstdlib>
#include <string>

#include "fuzz/fuzz_common.h"
#include "sim/trace_file.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace simbus::sim;
  const std::string text(reinterpret_cast<const char*>(data), size);
  if (!simbus::fuzz::is_text(text)) return 0;
  TraceFile trace;
  std::string error;
  if (!parse_trace(text, "fuzz.trace", &trace, &error)) {
    if (error.empty()) std::abort();  // a refusal must say why
    return 0;
  }
  const std::string printed = format_trace(trace);
  TraceFile again;
  if (!parse_trace(printed, "fuzz.trace", &again, &error)) std::abort();
  if (format_trace(again) != printed) std::abort();
  return 0;
}
