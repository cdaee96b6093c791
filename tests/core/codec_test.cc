// The wire codec: round trips, and every malformed buffer (truncated, bit-flipped,
// random, well-framed garbage) is rejected with an error, never a crash.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "core/messages.h"
#include "tests/core/raft_harness.h"

namespace simbus::core {
namespace {

std::vector<Message> samples() {
  return {
      VoteRequest{7, 100, 6, true},
      VoteResponse{7, true, false},
      AppendRequest{3, 10, 2, 9, 44, {LogEntry{3, 11, {1, 2, 3}}, LogEntry{3, 12, {}}}},
      AppendResponse{3, false, 0, 5, 44},
      SnapshotRequest{4, 20, 3, 0, Bytes(300, 0xab)},
      SnapshotResponse{4, 20, 1},
      ForwardCommand{encode_command(Command{9, 1, {PublishOp{{"a", "b"}, "e", "d", "1.1"}}})},
      ConnectRequest{5},
      ConnectReply{5, "100001.1"},
      SubscribeRequest{"1.1", "presence-x", "k:sig", "{\"user_id\":\"u\"}", true, 41},
      SubscribeReply{"1.1", "presence-x", Status::ok, 41, {Member{"u", "{}"}}},
      UnsubscribeRequest{"1.1", "x"},
      UnsubscribeReply{"1.1", "x", Status::not_subscribed},
      ClientEventRequest{"1.1", "private-x", "client-e", "d"},
      ClientEventReply{"1.1", "private-x", Status::forbidden, 0},
      DisconnectRequest{"1.1"},
      PublishRequest{9, 2, {"a"}, "e", "d", ""},
      PublishReply{9, 2, Status::ok, 3, {ChannelSeq{"a", 17}}},
      InfoRequest{4, "a"},
      InfoReply{4, Status::ok, 1, true, 3, 2, 17, {"u1", "u2"}},
      EventMessage{"1.1", "a", 17, "e", "d", "u1"},
      MissedEvents{"1.1", "a", 3, 9},
      SessionExpired{"1.1"},
      EventOmitted{"1.1", "private-x", 17},
  };
}

TEST(Codec, EveryMessageRoundTrips) {
  const auto all = samples();
  EXPECT_EQ(all.size(), std::variant_size_v<Message>);
  for (const Message& m : all) {
    const Bytes wire = encode_message(m);
    Message back;
    ASSERT_EQ(decode_message(wire, back), DecodeError::none) << m.index();
    EXPECT_EQ(back.index(), m.index());
    EXPECT_EQ(encode_message(back), wire);
  }
}

TEST(Codec, EveryTruncationIsRejected) {
  for (const Message& m : samples()) {
    const Bytes wire = encode_message(m);
    for (std::size_t n = 0; n < wire.size(); ++n) {
      Message back;
      EXPECT_NE(decode_message(std::span(wire).first(n), back), DecodeError::none);
    }
  }
}

TEST(Codec, EverySingleBitFlipIsRejected) {
  for (const Message& m : samples()) {
    const Bytes wire = encode_message(m);
    if (wire.size() > 400) continue;
    for (std::size_t bit = 0; bit < wire.size() * 8; ++bit) {
      Bytes bad = wire;
      bad[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
      Message back;
      EXPECT_NE(decode_message(bad, back), DecodeError::none) << "bit " << bit;
    }
  }
}

// Bytes an earlier build (wire version 1, FNV-1a checksums) wrote for
// PublishRequest{9, 2, {"a"}, "e", "d", ""}: data directories and peers of that version are
// still read.
TEST(Codec, VersionOneFramesStillDecode) {
  const Bytes v1 = {0x42, 0x53, 0x01, 0x01, 0x28, 0x00, 0x00, 0x00, 0x10, 0x09, 0x00, 0x00, 0x00, 0x00,
                    0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
                    0x00, 0x01, 0x00, 0x00, 0x00, 0x61, 0x01, 0x00, 0x00, 0x00, 0x65, 0x01, 0x00, 0x00,
                    0x00, 0x64, 0x00, 0x00, 0x00, 0x00, 0x41, 0x56, 0x54, 0x1a, 0xc0, 0xf2, 0xfe, 0x14};
  Message back;
  ASSERT_EQ(decode_message(v1, back), DecodeError::none);
  ASSERT_TRUE(std::holds_alternative<PublishRequest>(back));
  EXPECT_EQ(std::get<PublishRequest>(back).request_no, 2u);
  // Written again, it is a version-2 frame of the same body.
  const Bytes v2 = encode_message(back);
  ASSERT_EQ(v2.size(), v1.size());
  EXPECT_EQ(v2[2], wire_version);
  EXPECT_TRUE(std::equal(v1.begin() + 3, v1.end() - 8, v2.begin() + 3));
  // A version-1 frame checked as version 2 (and the reverse) is refused: one checksum per
  // version, never either.
  Bytes relabelled = v1;
  relabelled[2] = wire_version;
  EXPECT_EQ(decode_message(relabelled, back), DecodeError::bad_checksum);
  relabelled = v2;
  relabelled[2] = wire_version_fnv;
  EXPECT_EQ(decode_message(relabelled, back), DecodeError::bad_checksum);
  for (std::uint8_t version : {0, 3, 255}) {
    relabelled[2] = version;
    EXPECT_EQ(decode_message(relabelled, back), DecodeError::bad_version);
  }
}

// digest_bytes' promise: a change confined to one 8-byte word (any bits, any word, the
// zero-padded tail included) always changes the checksum.
RC_GTEST_PROP(Codec, ChecksumSeesEveryChangeWithinOneWord,
              (std::vector<std::uint8_t> data, std::uint64_t mask, std::size_t where)) {
  RC_PRE(!data.empty());
  const std::size_t word = (where % data.size()) / 8;
  const std::size_t end = std::min(data.size(), word * 8 + 8);
  std::vector<std::uint8_t> changed = data;
  bool any = false;
  for (std::size_t i = word * 8; i < end; ++i) {
    const auto m = static_cast<std::uint8_t>(mask >> (8 * (i - word * 8)));
    changed[i] ^= m;
    any = any || m != 0;
  }
  RC_PRE(any);
  RC_ASSERT(checksum64(data) != checksum64(changed));
}

TEST(Codec, WellFramedGarbageIsRejected) {
  // A valid frame around bodies that lie: a huge count, a bad variant index, a bad enum.
  Writer huge;
  huge.u8(2);  // AppendRequest
  for (int i = 0; i < 5; ++i) huge.u64(1);
  huge.u32(0xffffffff);
  Writer bad_index;
  bad_index.u8(200);
  Writer bad_enum;
  bad_enum.u8(10);  // SubscribeReply
  for (int i = 0; i < 2; ++i) bad_enum.str("x");
  bad_enum.u8(250);
  for (Writer* w : {&huge, &bad_index, &bad_enum}) {
    Message back;
    EXPECT_EQ(decode_message(frame(frame_kind_message, w->view()), back), DecodeError::bad_body);
  }
  Message back;
  EXPECT_EQ(decode_message(frame(frame_kind_command, Bytes{}), back), DecodeError::bad_kind);
  EXPECT_EQ(decode_message(Bytes(3, 0), back), DecodeError::too_short);
}

TEST(Codec, RandomBuffersNeverCrash) {
  testing::TestRng rng(42);
  for (int i = 0; i < 20000; ++i) {
    Bytes junk(rng.below(64));
    for (auto& b : junk) b = static_cast<std::uint8_t>(rng.next());
    Message m;
    EXPECT_NE(decode_message(junk, m), DecodeError::none);
    // Also straight into the body decoder, past the checksum, where bugs would hide.
    Message body;
    if (serial::decode_body(junk, body)) {
      EXPECT_EQ(serial::encode_body(body), junk);  // the encoding is canonical
    }
  }
}

RC_GTEST_PROP(Codec, BodiesDecodeCanonicallyOrNotAtAll, (std::vector<std::uint8_t> body)) {
  Message m;
  if (serial::decode_body(body, m)) RC_ASSERT(serial::encode_body(m) == body);
  Command c;
  if (serial::decode_body(body, c)) RC_ASSERT(serial::encode_body(c) == body);
}

}  // namespace
}  // namespace simbus::core
