// libFuzzer target: the EDN history reader. Its fast path for flat maps and its general
// parser must agree on every input (same operations, or both refuse it), and what they
// read is judged by the model it implies.
#include <optional>

#include "fuzz/fuzz_common.h"

namespace {

bool same(const simbus::checkers::History& a, const simbus::checkers::History& b) {
  if (a.operations.size() != b.operations.size()) return false;
  for (std::size_t i = 0; i < a.operations.size(); i++) {
    const auto& x = a.operations[i];
    const auto& y = b.operations[i];
    if (x.process != y.process || x.function != y.function || x.key != y.key || x.args != y.args ||
        x.status != y.status || x.results != y.results || x.invoke_time != y.invoke_time ||
        x.complete_time != y.complete_time) {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace simbus::checkers;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (!simbus::fuzz::is_text(text)) return 0;
  std::optional<History> fast, general;
  try {
    fast = read_edn(text, "fuzz.edn");
  } catch (const ParseError&) {
  }
  try {
    general = read_edn_general_only(text, "fuzz.edn");
  } catch (const ParseError&) {
  }
  if (fast.has_value() != general.has_value()) std::abort();
  if (!fast) return 0;
  if (!same(*fast, *general)) std::abort();
  simbus::fuzz::judge(*fast, infer_model(*fast, HistoryFormat::edn));
  return 0;
}
