// The frame codec and the handshake proof, without sockets.
#include <gtest/gtest.h>

#include "runtime/wire.h"

namespace simbus::runtime::wire {
namespace {

std::span<const std::uint8_t, length_bytes> prefix(const core::Bytes& frame) {
  return std::span<const std::uint8_t, length_bytes>(frame.data(), length_bytes);
}
std::span<const std::uint8_t> body(const core::Bytes& frame) {
  return std::span<const std::uint8_t>(frame).subspan(length_bytes);
}

TEST(RuntimeWire, DataRoundTrips) {
  const core::Bytes payload{1, 2, 3, 250};
  const core::Bytes frame = encode_data(7, 900, payload);
  const auto n = body_length(prefix(frame), 1024);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, frame.size() - length_bytes);
  const Frame f = decode_body(body(frame));
  const auto* d = std::get_if<Data>(&f);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->from, 7u);
  EXPECT_EQ(d->to, 900u);
  EXPECT_EQ(d->payload, payload);
}

TEST(RuntimeWire, HelloAndProofRoundTrip) {
  Hello hello{42, random_nonce()};
  const Frame h = decode_body(body(encode_hello(hello)));
  ASSERT_TRUE(std::holds_alternative<Hello>(h));
  EXPECT_EQ(std::get<Hello>(h).process_id, 42u);
  EXPECT_EQ(std::get<Hello>(h).nonce, hello.nonce);
  Proof proof{proof_mac("s", Role::connector, 1, 2, hello.nonce, hello.nonce)};
  const Frame p = decode_body(body(encode_proof(proof)));
  ASSERT_TRUE(std::holds_alternative<Proof>(p));
  EXPECT_TRUE(mac_equal(std::get<Proof>(p).mac, proof.mac));
}

TEST(RuntimeWire, OversizeAndUndersizeLengthsAreRefused) {
  const core::Bytes big = encode_data(1, 2, core::Bytes(1000, 0));
  EXPECT_FALSE(body_length(prefix(big), 999));
  EXPECT_TRUE(body_length(prefix(big), 1000));
  const core::Bytes tiny{0, 0, 0, 1};
  EXPECT_FALSE(body_length(prefix(tiny), 1000));
  const core::Bytes huge{0xff, 0xff, 0xff, 0xff};
  EXPECT_FALSE(body_length(prefix(huge), 16u << 20));
}

TEST(RuntimeWire, BadVersionTypeAndSizesAreErrors) {
  core::Bytes frame = encode_data(1, 2, core::Bytes{5});
  frame[length_bytes] = version + 1;
  EXPECT_TRUE(std::holds_alternative<Error>(decode_body(body(frame))));
  frame[length_bytes] = version;
  frame[length_bytes + 1] = 99;
  EXPECT_TRUE(std::holds_alternative<Error>(decode_body(body(frame))));
  core::Bytes hello = encode_hello(Hello{1, {}});
  hello.pop_back();
  EXPECT_TRUE(std::holds_alternative<Error>(decode_body(body(hello))));
  const core::Bytes short_data{version, static_cast<std::uint8_t>(Type::data), 0, 0, 0};
  EXPECT_TRUE(std::holds_alternative<Error>(decode_body(short_data)));
}

TEST(RuntimeWire, ProofDependsOnSecretRoleIdsAndNonces) {
  const Nonce a = random_nonce(), b = random_nonce();
  EXPECT_NE(a, b);
  const Mac base = proof_mac("secret", Role::connector, 1, 2, a, b);
  EXPECT_TRUE(mac_equal(base, proof_mac("secret", Role::connector, 1, 2, a, b)));
  EXPECT_FALSE(mac_equal(base, proof_mac("secret2", Role::connector, 1, 2, a, b)));
  EXPECT_FALSE(mac_equal(base, proof_mac("secret", Role::acceptor, 1, 2, a, b)));  // no reflection
  EXPECT_FALSE(mac_equal(base, proof_mac("secret", Role::connector, 2, 1, a, b)));
  EXPECT_FALSE(mac_equal(base, proof_mac("secret", Role::connector, 1, 2, b, a)));
}

}  // namespace
}  // namespace simbus::runtime::wire
