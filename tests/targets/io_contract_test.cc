// The adapter's own pieces: the wire codec refuses every truncation, the KV state machine
// applies each client request once, and the io reports a library that breaks its contract.
#include <gtest/gtest.h>

#include <cstring>

#include "sim/strategy.h"
#include "sim/world.h"
#include "targets/libraft/heap.h"
#include "targets/libraft/kv_fsm.h"
#include "targets/libraft/node.h"
#include "targets/libraft/wire.h"

namespace simbus::targets::libraft {
namespace {

TEST(LibraftWire, EveryMessageTypeRoundTripsAndEveryTruncationIsRefused) {
  install_arena_heap();
  Arena arena;
  ArenaScope scope(arena);
  std::vector<raft_message> messages(6);
  for (auto& m : messages) std::memset(&m, 0, sizeof(m));
  messages[0].type = RAFT_IO_REQUEST_VOTE;
  messages[0].request_vote = {5, 2, 10, 4, true, true};
  messages[1].type = RAFT_IO_REQUEST_VOTE_RESULT;
  messages[1].request_vote_result = {5, true, raft_tribool_true};
  raft_entry entries[2] = {};
  char a[] = "first", b[] = "second entry";
  entries[0] = {3, RAFT_COMMAND, {a, sizeof(a)}, nullptr};
  entries[1] = {4, RAFT_BARRIER, {b, sizeof(b)}, nullptr};
  messages[2].type = RAFT_IO_APPEND_ENTRIES;
  messages[2].append_entries = {4, 9, 3, 8, entries, 2};
  messages[3].type = RAFT_IO_APPEND_ENTRIES_RESULT;
  messages[3].append_entries_result = {4, 0, 11};
  messages[4].type = RAFT_IO_INSTALL_SNAPSHOT;
  raft_configuration_init(&messages[4].install_snapshot.conf);
  ASSERT_EQ(raft_configuration_add(&messages[4].install_snapshot.conf, 1, "n1", RAFT_VOTER), 0);
  char data[] = "snapshot bytes";
  messages[4].install_snapshot.term = 6;
  messages[4].install_snapshot.last_index = 30;
  messages[4].install_snapshot.data = {data, sizeof(data)};
  messages[5].type = RAFT_IO_TIMEOUT_NOW;
  messages[5].timeout_now = {7, 31, 6};
  for (auto& m : messages) {
    m.server_id = 3;
    const Bytes wire = encode_raft_message(m);
    raft_message back;
    ASSERT_EQ(decode_raft_message(wire, &back), "") << m.type;
    EXPECT_EQ(back.type, m.type);
    EXPECT_EQ(back.server_id, 3u);
    EXPECT_EQ(encode_raft_message(back), wire) << "type " << m.type;
    free_decoded_message(&back);
    for (std::size_t cut = 0; cut < wire.size(); ++cut) {
      raft_message partial;
      ASSERT_NE(decode_raft_message(std::span<const std::uint8_t>(wire).first(cut), &partial), "")
          << "type " << m.type << " cut " << cut;
    }
  }
  raft_configuration_close(&messages[4].install_snapshot.conf);
  EXPECT_EQ(arena.blocks(), 0u);  // the decoder leaves nothing behind on refusal
}

TEST(LibraftKvState, ADuplicateRequestIsAppliedOnceAndAnsweredAgain) {
  KvState kv;
  KvCommand w{KvOp::kWrite, 1, 1, 0, 10, 0};
  EXPECT_EQ(kv.apply(w), 0);
  KvCommand cas{KvOp::kCas, 2, 1, 0, 10, 20};
  EXPECT_EQ(kv.apply(cas), 1);
  EXPECT_EQ(kv.apply(cas), 1);  // the duplicate answers as the original did
  EXPECT_EQ(kv.apply(w), 0);  // client 1's write again, after client 2's cas: answered, not re-run
  KvCommand read{KvOp::kRead, 1, 2, 0, 0, 0};
  EXPECT_EQ(kv.apply(read), 20);  // the duplicate write did not run again
  EXPECT_EQ(kv.apply(KvCommand{KvOp::kWrite, 1, 1, 0, 99, 0}), std::nullopt);  // older than the latest
  EXPECT_EQ(kv.applied(), 3u);
  KvState copy;
  ASSERT_TRUE(copy.restore(kv.serialize()));
  EXPECT_EQ(copy.digest(), kv.digest());
  EXPECT_FALSE(copy.restore(Bytes{1, 2, 3}));
  EXPECT_EQ(copy.digest(), kv.digest());
}

TEST(LibraftKvState, ResultsSurviveThePointerTheyTravelIn) {
  EXPECT_EQ(decode_result(encode_result(std::nullopt)), std::nullopt);
  EXPECT_EQ(decode_result(encode_result(kNil)), kNil);
  EXPECT_EQ(decode_result(encode_result(0)), 0);
  EXPECT_EQ(decode_result(encode_result(123456)), 123456);
}

TEST(LibraftArena, FreesEverythingStillChargedToIt) {
  install_arena_heap();
  Arena arena;
  {
    ArenaScope scope(arena);
    void* p = raft_malloc(100);
    void* q = raft_aligned_alloc(64, 10);
    ASSERT_NE(p, nullptr);
    ASSERT_EQ(reinterpret_cast<std::uintptr_t>(q) % 64, 0u);
    p = raft_realloc(p, 1000);
    raft_free(raft_calloc(3, 7));
    EXPECT_EQ(arena.blocks(), 2u);
    EXPECT_EQ(arena.bytes(), 1010u);
  }
  // arena's destructor frees both: LeakSanitizer (CI's ASan job) would report otherwise.
}

// A one-server world whose library is then made to break the io contract by a test
// fiber: the io reports it as the library's doing, not as an adapter failure.
sim::RunOutcome run_single_server(const std::function<void(Node&)>& misuse) {
  std::string error;
  sim::WorldOptions options;
  options.seed = 3;
  sim::World world(options, sim::make_strategy("random", &error));
  auto shared = std::make_shared<ClusterShared>();
  shared->world = &world;
  std::weak_ptr<Node> node;
  auto boot = [&, shared] {
    auto n = std::make_shared<Node>(*shared, shared->servers[0]);
    node = n;
    n->run();
  };
  const sim::NodeIndex index = world.add_node("n1", boot);
  shared->servers.push_back(ServerInfo{1, "n1", index});
  shared->bootstrap_voters = {1};
  world.spawn(index, "boot", boot);
  world.spawn(sim::kControlNode, "misuse", [&] {
    world.sleep_for_us(2'000'000);  // the server has elected itself by now
    auto n = node.lock();
    if (!n || !n->leader()) return world.fail("setup", "the single server did not become leader");
    n->post([n = n.get(), &misuse] { misuse(*n); });
    world.sleep_for_us(100'000);
    world.stop();
  });
  return world.run();
}

TEST(LibraftIoContract, ASendToAnUnknownServerIsTheLibrarys) {
  const auto out = run_single_server([](Node& n) {
    raft_message m;
    std::memset(&m, 0, sizeof(m));
    m.type = RAFT_IO_TIMEOUT_NOW;
    m.server_id = 99;
    m.server_address = "n99";
    raft_io_send req{};
    raft* r = n.library();
    EXPECT_EQ(r->io->send(r->io, &req, &m, nullptr), RAFT_NOCONNECTION);
  });
  EXPECT_EQ(out.status, sim::RunStatus::kFailed);
  EXPECT_EQ(out.check, "libraft-io-contract");
  EXPECT_NE(out.message.find("unknown server 99"), std::string::npos) << out.message;
}

TEST(LibraftIoContract, AppendingEntriesThatAreNotTheLogsTailIsRefused) {
  const auto out = run_single_server([](Node& n) {
    raft* r = n.library();
    char bytes[] = "not in the log";
    raft_entry e{r->current_term, RAFT_COMMAND, {bytes, sizeof(bytes)}, nullptr};
    raft_io_append req{};
    EXPECT_EQ(r->io->append(r->io, &req, &e, 1, nullptr), RAFT_INVALID);
  });
  EXPECT_EQ(out.check, "libraft-io-contract");
  EXPECT_NE(out.message.find("is not entry"), std::string::npos) << out.message;
}

TEST(LibraftIoContract, TruncatingACommittedEntryIsASafetyFailure) {
  const auto out = run_single_server([](Node& n) {
    raft* r = n.library();
    ASSERT_GE(r->commit_index, 1u);
    r->io->truncate(r->io, 1);
  });
  EXPECT_EQ(out.check, "raft-truncate-committed");
}

TEST(LibraftIoContract, AWellBehavedSingleServerRunsClean) {
  const auto out = run_single_server([](Node&) {});
  EXPECT_EQ(out.status, sim::RunStatus::kOk) << out.check << ": " << out.message;
}

}  // namespace
}  // namespace simbus::targets::libraft
