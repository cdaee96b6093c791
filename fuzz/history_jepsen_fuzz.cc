// libFuzzer target: the Jepsen etcd log reader, then the register checker on what it read.
#include "fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (!simbus::fuzz::is_text(text)) return 0;
  try {
    const auto history = simbus::checkers::read_jepsen_etcd(text, "fuzz.log");
    simbus::fuzz::judge(history, "register");
  } catch (const simbus::checkers::ParseError&) {
  }
  return 0;
}
