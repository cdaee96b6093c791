// Two runtime processes over loopback TCP in one test thread (their loops are pumped in
// turn): datagrams both ways, client-endpoint routes, the handshake refusing wrong
// secrets, bad versions and oversize frames, bounded queues, reconnect after a restart.
#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <thread>

#include "runtime/process.h"
#include "runtime/wire.h"

namespace simbus::runtime {
namespace {
using tcp = boost::asio::ip::tcp;

ProcessConfig node_config(core::NodeId id, std::string secret = "s3cret") {
  ProcessConfig c;
  c.process_id = id;
  c.shared_secret = std::move(secret);
  c.reconnect_ms_max = 100;
  return c;
}

// Runs the loops of `processes` in turn until `until()` or timeout_ms; returns until().
bool pump(std::vector<Process*> processes, const std::function<bool()>& until, int timeout_ms = 5'000) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (Process* p : processes) p->start();
  while (!until() && std::chrono::steady_clock::now() < deadline) {
    for (Process* p : processes) {
      auto& io = p->io_context();
      if (io.stopped()) io.restart();
      io.run_for(std::chrono::milliseconds(1));
    }
  }
  return until();
}

// An echo task on `env`: answers every datagram to its sender, prefixed with 0xee.
void echo(Process& p, std::shared_ptr<core::Env> env) {
  p.spawn("echo", [env] {
    for (;;) {
      auto e = env->receive(3'600'000'000);
      if (!e) continue;
      core::Bytes reply{0xee};
      reply.insert(reply.end(), e->payload.begin(), e->payload.end());
      env->send(e->from, std::move(reply));
    }
  });
}

TEST(RuntimeTransport, ClientEndpointReachesARemoteNodeAndIsAnswered) {
  Process a(node_config(1));
  a.start();
  ProcessConfig bc = node_config(2);
  bc.peers = {{1, "127.0.0.1", a.listen_port()}};
  Process b(bc);
  echo(a, a.make_env(1));
  auto client = b.make_env(700);
  std::optional<core::Envelope> reply;
  b.spawn("client", [&] {
    // Sent before any connection stands: held in the peer's pending queue.
    client->send(1, core::Bytes{1, 2});
    reply = client->receive(4'000'000);
  });
  ASSERT_TRUE(pump({&a, &b}, [&] { return reply.has_value(); }));
  EXPECT_EQ(reply->from, 1u);
  EXPECT_EQ(reply->payload, (core::Bytes{0xee, 1, 2}));
  EXPECT_EQ(a.transport()->stats().handshakes_ok, 1u);
  EXPECT_EQ(b.transport()->connected_peers(), std::vector<core::NodeId>{1});
}

TEST(RuntimeTransport, AWrongSecretIsRefusedAndNothingIsDelivered) {
  Process a(node_config(1, "right"));
  a.start();
  ProcessConfig bc = node_config(2, "wrong");
  bc.peers = {{1, "127.0.0.1", a.listen_port()}};
  Process b(bc);
  auto node = a.make_env(1);
  std::optional<core::Envelope> got;
  a.spawn("node", [&] { got = node->receive(4'000'000); });
  auto client = b.make_env(700);
  b.spawn("client", [&] { client->send(1, core::Bytes{1}); });
  EXPECT_FALSE(pump({&a, &b}, [&] { return a.transport()->stats().handshakes_failed >= 2; }, 300) && got);
  pump({&a, &b}, [] { return false; }, 300);
  EXPECT_GE(a.transport()->stats().handshakes_failed, 1u);
  EXPECT_GE(b.transport()->stats().handshakes_failed, 1u);
  EXPECT_EQ(a.transport()->stats().handshakes_ok, 0u);
  EXPECT_FALSE(got);
}

// A hand-written peer on a blocking socket, in its own thread: writes `script(socket)`
// and reports whether the process closed the connection (EOF within 3 s).
std::future<bool> raw_peer(std::uint16_t port, std::function<void(tcp::socket&)> script) {
  return std::async(std::launch::async, [port, script] {
    boost::asio::io_context io;
    tcp::socket s(io);
    s.connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
    timeval tv{3, 0};
    ::setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    try {
      script(s);
    } catch (const boost::system::system_error&) {
      return true;  // the process closed on us while we wrote
    }
    std::uint8_t buf[256];
    boost::system::error_code ec;
    for (int i = 0; i < 64; ++i) {
      s.read_some(boost::asio::buffer(buf), ec);
      if (ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset) return true;
      if (ec) return false;  // timeout: still open
    }
    return false;
  });
}

wire::Hello read_hello(tcp::socket& s) {
  std::array<std::uint8_t, 26> frame{};
  boost::asio::read(s, boost::asio::buffer(frame));
  const auto f = wire::decode_body(std::span<const std::uint8_t>(frame).subspan(4));
  return std::get<wire::Hello>(f);
}

bool closed_by(Process& a, std::function<void(tcp::socket&)> script) {
  auto closed = raw_peer(a.listen_port(), std::move(script));
  pump({&a}, [&] { return closed.wait_for(std::chrono::seconds(0)) == std::future_status::ready; }, 6'000);
  return closed.get();
}

TEST(RuntimeTransport, BadVersionBadProofAndOversizeFramesCloseTheConnection) {
  Process a(node_config(1, "key"));
  a.start();
  auto node = a.make_env(1);
  int delivered = 0;
  a.spawn("node", [&] {
    for (;;) {
      if (node->receive(3'600'000'000)) delivered += 1;
    }
  });
  // A hello of another wire version.
  EXPECT_TRUE(closed_by(a, [](tcp::socket& s) {
    core::Bytes hello = wire::encode_hello(wire::Hello{9, wire::random_nonce()});
    hello[4] = wire::version + 1;
    boost::asio::write(s, boost::asio::buffer(hello));
  }));
  // A proof made with the wrong key.
  EXPECT_TRUE(closed_by(a, [](tcp::socket& s) {
    const wire::Nonce mine = wire::random_nonce();
    boost::asio::write(s, boost::asio::buffer(wire::encode_hello(wire::Hello{9, mine})));
    const wire::Hello theirs = read_hello(s);
    const auto mac = wire::proof_mac("not-the-key", wire::Role::connector, 9, 1, theirs.nonce, mine);
    boost::asio::write(s, boost::asio::buffer(wire::encode_proof(wire::Proof{mac})));
  }));
  // A length prefix of 2 GiB before any handshake.
  EXPECT_TRUE(closed_by(a, [](tcp::socket& s) {
    const std::uint8_t huge[4] = {0x80, 0, 0, 0};
    boost::asio::write(s, boost::asio::buffer(huge));
  }));
  // A correct handshake, one good datagram, then an oversize frame.
  EXPECT_TRUE(closed_by(a, [](tcp::socket& s) {
    const wire::Nonce mine = wire::random_nonce();
    boost::asio::write(s, boost::asio::buffer(wire::encode_hello(wire::Hello{9, mine})));
    const wire::Hello theirs = read_hello(s);
    const auto mac = wire::proof_mac("key", wire::Role::connector, 9, 1, theirs.nonce, mine);
    boost::asio::write(s, boost::asio::buffer(wire::encode_proof(wire::Proof{mac})));
    boost::asio::write(s, boost::asio::buffer(wire::encode_data(9, 1, core::Bytes{1})));
    const std::uint8_t oversize[4] = {0x01, 0x00, 0x00, 0x20};  // 16 MiB + 32 > the limit
    boost::asio::write(s, boost::asio::buffer(oversize));
  }));
  // The process is unharmed: an honest peer still gets through, and only its datagrams
  // and the one honest raw datagram were delivered.
  ProcessConfig bc = node_config(2, "key");
  bc.peers = {{1, "127.0.0.1", a.listen_port()}};
  Process b(bc);
  auto client = b.make_env(700);
  b.spawn("client", [&] { client->send(1, core::Bytes{5}); });
  EXPECT_TRUE(pump({&a, &b}, [&] { return delivered == 2; }));
  const TransportStats& st = a.transport()->stats();
  EXPECT_EQ(st.handshakes_failed, 3u);
  EXPECT_EQ(st.handshakes_ok, 2u);
}

TEST(RuntimeTransport, ABrokerIdCannotBeSpoofed) {
  // Process 2 speaks for itself and its clients, never for broker 3.
  Process a(node_config(1));
  a.start();
  ProcessConfig ac = a.config();
  ProcessConfig bc = node_config(2);
  bc.peers = {{1, "127.0.0.1", a.listen_port()}};
  Process b(bc);
  (void)ac;
  auto node = a.make_env(1);
  int delivered = 0;
  a.spawn("node", [&] {
    for (;;) {
      if (node->receive(3'600'000'000)) delivered += 1;
    }
  });
  // The raw write path: a datagram claiming from=1 (a's own id) sent by b's transport.
  auto client = b.make_env(700);
  b.spawn("client", [&] {
    client->send(1, core::Bytes{1});
  });
  ASSERT_TRUE(pump({&a, &b}, [&] { return delivered == 1; }));
  const_cast<Transport*>(b.transport())->send(1, 1, core::Bytes{2});  // claims a's own id
  pump({&a, &b}, [&] { return a.transport()->stats().dropped_bad_sender == 1; });
  EXPECT_EQ(a.transport()->stats().dropped_bad_sender, 1u);
  EXPECT_EQ(delivered, 1);
}

TEST(RuntimeTransport, PendingQueueIsBoundedWhileThePeerIsDown) {
  ProcessConfig bc = node_config(2);
  bc.send_queue_frames_max = 16;
  bc.peers = {{1, "127.0.0.1", 1}};  // nothing listens on port 1
  Process b(bc);
  auto client = b.make_env(700);
  bool done = false;
  b.spawn("client", [&] {
    for (int i = 0; i < 1000; ++i) client->send(1, core::Bytes{1});
    done = true;
  });
  ASSERT_TRUE(pump({&b}, [&] { return done; }));
  EXPECT_EQ(b.transport()->stats().dropped_queue_full, 1000u - 16u);
  // Oversize datagrams are dropped at the sender, named in the log.
  ProcessConfig cc = node_config(3);
  cc.frame_bytes_max = 8;
  cc.peers = {{1, "127.0.0.1", 1}};
  Process c(cc);
  auto c_client = c.make_env(701);
  done = false;
  c.spawn("client", [&] {
    c_client->send(1, core::Bytes(9, 0));
    done = true;
  });
  ASSERT_TRUE(pump({&c}, [&] { return done; }));
  EXPECT_EQ(c.transport()->stats().dropped_oversize, 1u);
}

TEST(RuntimeTransport, ReconnectsAfterThePeerRestarts) {
  auto a = std::make_unique<Process>(node_config(1));
  a->start();
  const std::uint16_t port = a->listen_port();
  ProcessConfig bc = node_config(2);
  bc.peers = {{1, "127.0.0.1", port}};
  Process b(bc);
  echo(*a, a->make_env(1));
  auto client = b.make_env(700);
  int replies = 0;
  b.spawn("client", [&] {
    for (int i = 0; i < 400 && replies < 2; ++i) {
      client->send(1, core::Bytes{static_cast<std::uint8_t>(i)});
      if (client->receive(20'000)) replies += 1;
    }
  });
  ASSERT_TRUE(pump({a.get(), &b}, [&] { return replies == 1; }));
  a.reset();  // the peer goes away...
  pump({&b}, [&] { return b.transport()->connected_peers().empty(); });
  ProcessConfig ac = node_config(1);
  ac.listen_port = port;  // ...and comes back on the same port
  a = std::make_unique<Process>(ac);
  echo(*a, a->make_env(1));
  EXPECT_TRUE(pump({a.get(), &b}, [&] { return replies == 2; }, 8'000));
  EXPECT_GE(b.transport()->stats().dials, 2u);
}

}  // namespace
}  // namespace simbus::runtime
