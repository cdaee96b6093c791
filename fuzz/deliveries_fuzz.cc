// libFuzzer target: the delivery log reader, then the presence checker on what it read
// (the delivery checker needs the run's history too, which this input does not carry).
#include "checkers/delivery.h"
#include "checkers/delivery_files.h"
#include "fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace simbus::checkers;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (!simbus::fuzz::is_text(text)) return 0;
  try {
    const DeliveryLog log = read_deliveries_jsonl(text, "fuzz.jsonl");
    (void)check_presence(log, 0);
    (void)check_delivery(History{}, log);
  } catch (const ParseError&) {
  }
  return 0;
}
