// libFuzzer target: the JSON Lines history reader, then the model the file names (or the
// one its functions imply) on what it read.
#include "fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace simbus::checkers;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (!simbus::fuzz::is_text(text)) return 0;
  try {
    std::string model;
    const History history = read_jsonl(text, "fuzz.jsonl", &model);
    simbus::fuzz::judge(history, model.empty() ? infer_model(history, HistoryFormat::jsonl) : model);
  } catch (const ParseError&) {
  }
  return 0;
}
