// Each fault must actually happen: partitions eat messages, crashes lose unsynced writes
// and keep synced ones, a crashed node's timers and messages never reach its next life.
#include <gtest/gtest.h>

#include <vector>

#include "sim/disk.h"
#include "sim/network.h"
#include "tests/sim/world_test_util.h"

namespace simbus::sim {
namespace {

using testing::run_world;

std::vector<std::uint8_t> bytes(std::initializer_list<std::uint8_t> b) { return b; }

TEST(Network, DeliversWithLatency) {
  std::int64_t received_at = -1;
  run_world(1, [&](World& w) {
    NetworkConfig c;
    c.latency_us_min = 1'000;
    c.latency_us_max = 1'000;
    w.network().configure(c);
    const NodeIndex a = w.add_node("a"), b = w.add_node("b");
    w.spawn(a, "sender", [b, &w] { w.network().send(b, bytes({1, 2, 3})); });
    w.spawn(b, "receiver", [&, a] {
      auto d = w.network().receive(World::kNever);
      ASSERT_TRUE(d.has_value());
      EXPECT_EQ(d->payload, bytes({1, 2, 3}));
      EXPECT_EQ(d->from, a);
      received_at = this_fiber::now_us();
    });
  });
  EXPECT_EQ(received_at, 1'000);
}

TEST(Network, PartitionedLinkDeliversNothing) {
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    int received = 0;
    run_world(seed, [&](World& w) {
      const NodeIndex a = w.add_node("a"), b = w.add_node("b");
      w.network().partition(a, b);
      w.spawn(a, "sender", [b, &w] {
        for (int i = 0; i < 50; ++i) w.network().send(b, bytes({1}));
      });
      w.spawn(b, "receiver", [&] {
        while (w.network().receive(100'000)) received += 1;
      });
    });
    EXPECT_EQ(received, 0);
  }
}

TEST(Network, PartitionEatsMessagesInFlight) {
  int received = 0;
  run_world(1, [&](World& w) {
    NetworkConfig c;
    c.latency_us_min = 10'000;
    c.latency_us_max = 10'000;
    w.network().configure(c);
    const NodeIndex a = w.add_node("a"), b = w.add_node("b");
    w.spawn(a, "sender", [b, &w] { w.network().send(b, bytes({1})); });
    w.spawn(kControlNode, "nemesis", [a, b, &w] {
      this_fiber::sleep_for_ms(5);
      w.network().partition(a, b);
    });
    w.spawn(b, "receiver", [&] {
      while (w.network().receive(50'000)) received += 1;
    });
  });
  EXPECT_EQ(received, 0);
}

TEST(Network, OneWayBlockIsOneWay) {
  int at_a = 0, at_b = 0;
  run_world(1, [&](World& w) {
    const NodeIndex a = w.add_node("a"), b = w.add_node("b");
    w.network().block_one_way(a, b);
    w.spawn(a, "a", [&, b] {
      w.network().send(b, bytes({1}));
      while (w.network().receive(50'000)) at_a += 1;
    });
    w.spawn(b, "b", [&, a] {
      w.network().send(a, bytes({2}));
      while (w.network().receive(50'000)) at_b += 1;
    });
  });
  EXPECT_EQ(at_a, 1);
  EXPECT_EQ(at_b, 0);
}

TEST(Network, HealRestoresAndClogDelays) {
  std::int64_t received_at = -1;
  run_world(1, [&](World& w) {
    NetworkConfig c;
    c.latency_us_min = 100;
    c.latency_us_max = 100;
    w.network().configure(c);
    const NodeIndex a = w.add_node("a"), b = w.add_node("b");
    w.network().isolate(a);
    w.spawn(a, "sender", [&, a, b] {
      this_fiber::sleep_for_ms(10);
      EXPECT_FALSE(w.network().link_up(a, b));
      w.network().heal();
      w.network().clog(a, b, this_fiber::now_us() + 30'000);
      w.network().send(b, bytes({9}));
    });
    w.spawn(b, "receiver", [&] {
      if (w.network().receive(World::kNever)) received_at = this_fiber::now_us();
    });
  });
  EXPECT_EQ(received_at, 40'000);
}

TEST(Network, DropAndDuplicateHappen) {
  NetworkStats stats;
  run_world(3, [&](World& w) {
    NetworkConfig c;
    c.drop_per_million = 200'000;
    c.duplicate_per_million = 200'000;
    w.network().configure(c);
    const NodeIndex a = w.add_node("a"), b = w.add_node("b");
    w.spawn(a, "sender", [&, b] {
      for (int i = 0; i < 500; ++i) w.network().send(b, bytes({1}));
    });
    w.spawn(b, "receiver", [&] {
      while (w.network().receive(100'000)) {
      }
      stats = w.network().stats();
    });
  });
  EXPECT_GT(stats.dropped, 50u);
  EXPECT_GT(stats.duplicated, 50u);
  EXPECT_EQ(stats.delivered, stats.sent - stats.dropped + stats.duplicated);
}

TEST(Network, MessagesToACrashedNodeNeverReachItsNextLife) {
  int received = 0;
  run_world(1, [&](World& w) {
    NetworkConfig c;
    c.latency_us_min = 10'000;
    c.latency_us_max = 10'000;
    w.network().configure(c);
    const NodeIndex a = w.add_node("a");
    const NodeIndex b = w.add_node("b", [&] {
      while (w.network().receive(100'000)) received += 1;
    });
    w.spawn(a, "sender", [&, b] { w.network().send(b, bytes({1})); });
    w.spawn(kControlNode, "nemesis", [&, b] {
      this_fiber::sleep_for_ms(2);
      w.crash(b);
      w.restart(b);
    });
  });
  EXPECT_EQ(received, 0);
}

TEST(World, CrashedNodesTimersNeverFire) {
  int fired = 0;
  run_world(1, [&](World& w) {
    const NodeIndex n = w.add_node("n");
    w.spawn(n, "armer", [&, n] {
      w.schedule_event(w.now_us() + 20'000, n, ActionKind::kTimer, kNoObject, [&] { fired += 1; });
      this_fiber::sleep_for_ms(20);  // a sleeping fiber is a timer too
      fired += 1;
    });
    w.spawn(kControlNode, "nemesis", [&, n] {
      this_fiber::sleep_for_ms(5);
      w.crash(n);
      w.restart(n);
      this_fiber::sleep_for_ms(50);
    });
  });
  EXPECT_EQ(fired, 0);
}

TEST(Disk, CrashKeepsSyncedAndLosesUnsynced) {
  // With no prefix kept, the crash leaves exactly what was fsynced.
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    std::vector<std::uint8_t> after;
    run_world(seed, [&](World& w) {
      DiskConfig c;
      c.crash_keeps_unsynced_prefix = false;
      w.disk().configure(c);
      const NodeIndex n = w.add_node("n");
      w.spawn(n, "writer", [&] {
        const std::vector<std::uint8_t> synced{1, 2, 3}, loose{4, 5};
        w.disk().write("log", 0, synced);
        w.disk().fsync("log");
        w.disk().write("log", 3, loose);
        while (true) this_fiber::sleep_for_ms(1);
      });
      w.spawn(kControlNode, "nemesis", [&, n] {
        this_fiber::sleep_for_ms(10);
        EXPECT_EQ(w.disk().current_image(n, "log").size(), 5u);
        w.crash(n);
        after = w.disk().current_image(n, "log");
      });
    });
    EXPECT_EQ(after, bytes({1, 2, 3}));
  }
}

TEST(Disk, FsyncMakesTheDurableImageTheCurrentOne) {
  // fsync replays the unsynced operations onto the durable image rather than copying the
  // file: overwrites, a truncate, a write past the end (a zero-filled gap) and a second
  // sync must all land exactly as in the current image, which a crash then restores.
  std::vector<std::uint8_t> durable_after_sync, current_after_sync, after_crash;
  run_world(1, [&](World& w) {
    DiskConfig c;
    c.crash_keeps_unsynced_prefix = false;
    w.disk().configure(c);
    const NodeIndex n = w.add_node("n");
    w.spawn(n, "writer", [&, n] {
      w.disk().write("log", 0, bytes({1, 2, 3, 4, 5, 6}));
      w.disk().fsync("log");
      w.disk().write("log", 1, bytes({9, 9}));
      w.disk().truncate("log", 4);
      w.disk().write("log", 6, bytes({7}));
      w.disk().write("log", 0, bytes({8}));
      w.disk().fsync("log");
      durable_after_sync = w.disk().durable_image(n, "log");
      current_after_sync = w.disk().current_image(n, "log");
      w.disk().write("log", 2, bytes({5, 5, 5, 5, 5, 5, 5, 5}));
      while (true) this_fiber::sleep_for_ms(1);
    });
    w.spawn(kControlNode, "nemesis", [&, n] {
      this_fiber::sleep_for_ms(10);
      w.crash(n);
      after_crash = w.disk().current_image(n, "log");
    });
  });
  EXPECT_EQ(current_after_sync, bytes({8, 9, 9, 4, 0, 0, 7}));
  EXPECT_EQ(durable_after_sync, current_after_sync);
  EXPECT_EQ(after_crash, current_after_sync);
}

TEST(Disk, CrashKeepsAPrefixOfUnsyncedWritesAndCanTear) {
  bool saw_all = false, saw_none = false, saw_torn = false;
  for (std::uint64_t seed = 1; seed <= 60; ++seed) {
    std::vector<std::uint8_t> after;
    std::uint64_t torn = 0;
    run_world(seed, [&](World& w) {
      DiskConfig c;
      c.torn_write_per_million = 500'000;
      w.disk().configure(c);
      const NodeIndex n = w.add_node("n");
      w.spawn(n, "writer", [&] {
        for (std::uint8_t i = 0; i < 4; ++i) {
          const std::vector<std::uint8_t> rec(8, static_cast<std::uint8_t>(i + 1));
          w.disk().write("log", i * 8u, rec);
        }
        while (true) this_fiber::sleep_for_ms(1);
      });
      w.spawn(kControlNode, "nemesis", [&, n] {
        this_fiber::sleep_for_ms(10);
        w.crash(n);
        after = w.disk().current_image(n, "log");
        torn = w.disk().stats().writes_torn;
      });
    });
    // Whatever survived is a prefix of what was written, byte for byte.
    for (std::size_t i = 0; i < after.size(); ++i) EXPECT_EQ(after[i], i / 8 + 1);
    saw_all = saw_all || after.size() == 32;
    saw_none = saw_none || after.empty();
    saw_torn = saw_torn || (torn > 0 && after.size() % 8 != 0);
  }
  EXPECT_TRUE(saw_all);
  EXPECT_TRUE(saw_none);
  EXPECT_TRUE(saw_torn);
}

TEST(Disk, BitFlipsHappenOnRead) {
  int flipped = 0;
  run_world(2, [&](World& w) {
    DiskConfig c;
    c.bit_flip_per_million = 1'000'000;
    w.disk().configure(c);
    const NodeIndex n = w.add_node("n");
    w.spawn(n, "io", [&] {
      const std::vector<std::uint8_t> data(16, 0);
      w.disk().write("f", 0, data);
      std::vector<std::uint8_t> out(16);
      EXPECT_EQ(w.disk().read("f", 0, out), 16u);
      for (auto b : out) flipped += __builtin_popcount(b);
    });
  });
  EXPECT_EQ(flipped, 1);
}

}  // namespace
}  // namespace simbus::sim

namespace simbus::sim {
namespace {

TEST(Stream, DeliversInOrderDespiteJitter) {
  std::vector<int> got;
  testing::run_world(4, [&](World& w) {
    NetworkConfig c;
    c.latency_us_min = 10;
    c.latency_us_max = 5'000;
    w.network().configure(c);
    const NodeIndex a = w.add_node("a"), b = w.add_node("b");
    w.spawn(a, "client", [&w, b] {
      const StreamId s = w.network().connect(b);
      for (std::uint8_t i = 0; i < 50; ++i) EXPECT_TRUE(w.network().stream_send(s, {i}));
    });
    w.spawn(b, "server", [&w, &got] {
      auto s = w.network().accept(World::kNever);
      ASSERT_TRUE(s.has_value());
      while (auto p = w.network().stream_receive(*s, 100'000)) got.push_back((*p)[0]);
    });
  });
  ASSERT_EQ(got.size(), 50u);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(got[static_cast<std::size_t>(i)], i);
}

TEST(Stream, BreaksOnPartitionAndOnCrash) {
  for (int crash = 0; crash <= 1; ++crash) {
    bool server_saw_break = false, client_send_failed = false;
    testing::run_world(2, [&](World& w) {
      const NodeIndex a = w.add_node("a"), b = w.add_node("b");
      w.spawn(a, "client", [&, b] {
        const StreamId s = w.network().connect(b);
        while (w.network().stream_send(s, {1})) this_fiber::sleep_for_ms(1);
        client_send_failed = true;
      });
      w.spawn(b, "server", [&] {
        auto s = w.network().accept(World::kNever);
        ASSERT_TRUE(s.has_value());
        while (w.network().stream_receive(*s, 1'000'000)) {
        }
        server_saw_break = w.network().stream_broken(*s);
      });
      w.spawn(kControlNode, "nemesis", [&, a, b, crash] {
        this_fiber::sleep_for_ms(20);
        if (crash == 1) {
          w.crash(b);
        } else {
          w.network().block_one_way(b, a);  // even one direction cut breaks the stream
        }
      });
    });
    EXPECT_TRUE(client_send_failed) << "crash=" << crash;
    if (crash == 0) EXPECT_TRUE(server_saw_break);
  }
}

}  // namespace
}  // namespace simbus::sim
