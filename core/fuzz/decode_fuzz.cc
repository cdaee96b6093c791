// libFuzzer target for the wire decoder: framed messages and commands, and raw bodies
// (past the checksum, where a length bug would hide). Any decodable body must re-encode
// to the same bytes (the encoding is canonical).
#include <cstdint>
#include <cstdlib>
#include <span>

#include "core/messages.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace simbus::core;
  const std::span<const std::uint8_t> in(data, size);
  Message message;
  if (decode_message(in, message) == DecodeError::none) {
    if (encode_message(message) != Bytes(in.begin(), in.end())) std::abort();
  }
  Command command;
  (void)decode_command(in, command);
  Message body;
  if (serial::decode_body(in, body)) {
    if (serial::encode_body(body) != Bytes(in.begin(), in.end())) std::abort();
  }
  Command body_command;
  if (serial::decode_body(in, body_command)) {
    if (serial::encode_body(body_command) != Bytes(in.begin(), in.end())) std::abort();
  }
  return 0;
}
