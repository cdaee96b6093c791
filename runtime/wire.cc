#include "runtime/wire.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

#include "base/assert.h"

namespace simbus::runtime::wire {
namespace {

void put_u32(core::Bytes& out, std::uint32_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 24));
  out.push_back(static_cast<std::uint8_t>(v >> 16));
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}

std::uint32_t get_u32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
}

core::Bytes start_frame(std::size_t body_bytes, Type type) {
  SIMBUS_ASSERT(body_bytes <= 0xffffffffu);
  core::Bytes out;
  out.reserve(length_bytes + body_bytes);
  put_u32(out, static_cast<std::uint32_t>(body_bytes));
  out.push_back(version);
  out.push_back(static_cast<std::uint8_t>(type));
  return out;
}

constexpr std::size_t hello_body_bytes = 2 + 4 + nonce_bytes;
constexpr std::size_t proof_body_bytes = 2 + mac_bytes;

}  // namespace

core::Bytes encode_hello(const Hello& hello) {
  core::Bytes out = start_frame(hello_body_bytes, Type::hello);
  put_u32(out, hello.process_id);
  out.insert(out.end(), hello.nonce.begin(), hello.nonce.end());
  return out;
}

core::Bytes encode_proof(const Proof& proof) {
  core::Bytes out = start_frame(proof_body_bytes, Type::proof);
  out.insert(out.end(), proof.mac.begin(), proof.mac.end());
  return out;
}

core::Bytes encode_data(core::NodeId from, core::NodeId to, std::span<const std::uint8_t> payload) {
  core::Bytes out = start_frame(data_header_bytes + payload.size(), Type::data);
  put_u32(out, from);
  put_u32(out, to);
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

std::optional<std::size_t> body_length(std::span<const std::uint8_t, length_bytes> prefix,
                                       std::size_t payload_bytes_max) {
  const std::size_t n = get_u32(prefix.data());
  if (n < 2 || n > payload_bytes_max + data_header_bytes) return std::nullopt;
  return n;
}

Frame decode_body(std::span<const std::uint8_t> body) {
  if (body.size() < 2) return Error{"frame shorter than its header"};
  if (body[0] != version) return Error{fmt::format("wire version {} (this build speaks {})", body[0], version)};
  const std::uint8_t* p = body.data() + 2;
  switch (static_cast<Type>(body[1])) {
    case Type::hello: {
      if (body.size() != hello_body_bytes) return Error{fmt::format("hello of {} bytes", body.size())};
      Hello hello;
      hello.process_id = get_u32(p);
      std::copy_n(p + 4, nonce_bytes, hello.nonce.begin());
      return hello;
    }
    case Type::proof: {
      if (body.size() != proof_body_bytes) return Error{fmt::format("proof of {} bytes", body.size())};
      Proof proof;
      std::copy_n(p, mac_bytes, proof.mac.begin());
      return proof;
    }
    case Type::data: {
      if (body.size() < data_header_bytes) return Error{fmt::format("data frame of {} bytes", body.size())};
      Data data;
      data.from = get_u32(p);
      data.to = get_u32(p + 4);
      data.payload.assign(body.begin() + data_header_bytes, body.end());
      return data;
    }
  }
  return Error{fmt::format("unknown frame type {}", body[1])};
}

Mac proof_mac(std::string_view secret, Role role, core::NodeId sender, core::NodeId receiver,
              const Nonce& receiver_nonce, const Nonce& sender_nonce) {
  static constexpr std::string_view label = "simbus-peer-1";
  core::Bytes message(label.begin(), label.end());
  message.push_back(static_cast<std::uint8_t>(role));
  put_u32(message, sender);
  put_u32(message, receiver);
  message.insert(message.end(), receiver_nonce.begin(), receiver_nonce.end());
  message.insert(message.end(), sender_nonce.begin(), sender_nonce.end());
  Mac mac{};
  unsigned int mac_len = 0;
  const unsigned char* ok = HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()), message.data(),
                                 message.size(), mac.data(), &mac_len);
  SIMBUS_ASSERT(ok != nullptr && mac_len == mac_bytes);
  return mac;
}

bool mac_equal(const Mac& a, const Mac& b) { return CRYPTO_memcmp(a.data(), b.data(), mac_bytes) == 0; }

Nonce random_nonce() {
  Nonce nonce{};
  if (RAND_bytes(nonce.data(), static_cast<int>(nonce.size())) != 1) throw std::runtime_error("RAND_bytes failed");
  return nonce;
}

}  // namespace simbus::runtime::wire
