// The wire format between runtime processes (docs/runtime.md). Every frame:
//   u32 body_bytes (big-endian) | body
//   body = u8 version | u8 type | fields
//     hello (1): u32 process_id | 16-byte nonce
//     proof (2): 32-byte HMAC-SHA256
//     data  (3): u32 from | u32 to | payload
// A connection opens with both sides sending hello; each then sends the proof of the
// shared secret over both nonces (with its role, so a proof cannot be reflected back),
// and only after the peer's proof checks out are data frames sent or accepted. A bad
// version, a bad proof, an unknown type or a body over the limit closes the connection.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "core/env.h"

namespace simbus::runtime::wire {

inline constexpr std::uint8_t version = 1;
inline constexpr std::size_t length_bytes = 4;
inline constexpr std::size_t data_header_bytes = 10;  // version, type, from, to
inline constexpr std::size_t nonce_bytes = 16;
inline constexpr std::size_t mac_bytes = 32;
inline constexpr std::size_t frame_bytes_max_default = 16u << 20;

enum class Type : std::uint8_t { hello = 1, proof = 2, data = 3 };
enum class Role : std::uint8_t { connector = 'C', acceptor = 'A' };

using Nonce = std::array<std::uint8_t, nonce_bytes>;
using Mac = std::array<std::uint8_t, mac_bytes>;

struct Hello {
  core::NodeId process_id = 0;
  Nonce nonce{};
};
struct Proof {
  Mac mac{};
};
struct Data {
  core::NodeId from = 0;
  core::NodeId to = 0;
  core::Bytes payload;
};
struct Error {
  std::string what;
};
using Frame = std::variant<Hello, Proof, Data, Error>;

core::Bytes encode_hello(const Hello& hello);
core::Bytes encode_proof(const Proof& proof);
core::Bytes encode_data(core::NodeId from, core::NodeId to, std::span<const std::uint8_t> payload);

// The body length from a frame's first 4 bytes; nullopt when it exceeds
// body_bytes_max (the payload limit plus the data header) or is too short for any frame.
std::optional<std::size_t> body_length(std::span<const std::uint8_t, length_bytes> prefix,
                                       std::size_t payload_bytes_max);
// Decodes a body (without its length prefix).
Frame decode_body(std::span<const std::uint8_t> body);

// HMAC-SHA256(secret, "simbus-peer-1" | role | sender | receiver | receiver_nonce | sender_nonce).
Mac proof_mac(std::string_view secret, Role role, core::NodeId sender, core::NodeId receiver,
              const Nonce& receiver_nonce, const Nonce& sender_nonce);
// Constant-time comparison.
bool mac_equal(const Mac& a, const Mac& b);
Nonce random_nonce();  // from the OS (RAND_bytes)

}  // namespace simbus::runtime::wire
