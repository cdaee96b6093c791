// One runtime process: an io_context on the calling thread, the fibers of its tasks, its
// TCP transport, its data directory and file pool, and the Env endpoints living here (the
// broker node's and any client endpoints'). docs/runtime.md describes the whole, and
// docs/gateway.md how the gateway uses client endpoints.
//
// Everything runs on the thread that calls run(); nothing here is thread-safe except
// stop_from_any_thread().
#pragma once

#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/env.h"
#include "runtime/files.h"
#include "runtime/scheduler.h"
#include "runtime/transport.h"

namespace simbus::runtime {

struct ProcessConfig {
  // The broker node id of this process, or any id no broker uses for a client-only process
  // (a test driver). It is the process's identity in the peer handshake.
  core::NodeId process_id = 0;
  std::string listen_host = "127.0.0.1";
  std::uint16_t listen_port = 0;  // 0: ephemeral (listen_port() after start())
  bool listen = true;
  std::vector<PeerAddress> peers;  // the other broker processes
  std::string shared_secret;
  // Files of every endpoint live here; empty: no files (open_file is then an error).
  std::string data_dir;
  std::size_t frame_bytes_max = wire::frame_bytes_max_default;
  std::size_t send_queue_frames_max = 4096;
  std::size_t mailbox_datagrams_max = 65536;  // per endpoint; beyond, datagrams are dropped
  std::size_t file_threads = FilePool::threads_default;
  std::int64_t reconnect_ms_max = 2'000;
};

class Endpoint;

class Process {
 public:
  // Takes the data directory (lock + incarnation bump, fsynced); throws std::runtime_error
  // or std::invalid_argument naming what is wrong.
  explicit Process(ProcessConfig config);
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  boost::asio::io_context& io_context() { return io_; }
  Scheduler& scheduler() { return *scheduler_; }
  std::uint64_t incarnation() const { return incarnation_; }
  core::NodeId process_id() const { return config_.process_id; }
  const ProcessConfig& config() const { return config_; }

  // An Env with its own node id on this loop (see runtime-api.md). One per id.
  std::shared_ptr<core::Env> make_env(core::NodeId id);
  void close_env(core::NodeId id);
  bool has_env(core::NodeId id) const { return endpoints_.count(id) != 0; }

  void spawn(std::string name, std::function<void()> fn);

  void start();  // binds and dials; idempotent; throws std::system_error if it cannot bind
  void run();    // start(), then the loop until stop()
  void stop();   // loop thread; the loop returns once the current handler is done
  // From any thread (a test's watchdog): posts stop().
  void stop_from_any_thread();
  bool stopped() const { return stopped_; }

  std::uint16_t listen_port() const { return transport_ ? transport_->listen_port() : 0; }
  const Transport* transport() const { return transport_.get(); }

  // Internal (Endpoint): datagram routing and files.
  void route(core::NodeId from, core::NodeId to, core::Bytes payload);
  FilePool& files() { return *files_; }
  DataDir* data_dir() { return data_dir_.get(); }

 private:
  ProcessConfig config_;
  boost::asio::io_context io_;
  std::unique_ptr<DataDir> data_dir_;
  std::uint64_t incarnation_ = 1;
  std::unique_ptr<Scheduler> scheduler_;
  std::unique_ptr<FilePool> files_;
  std::unique_ptr<Transport> transport_;
  std::map<core::NodeId, std::shared_ptr<Endpoint>> endpoints_;
  bool stopped_ = false;
};

}  // namespace simbus::runtime
