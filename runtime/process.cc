#include "runtime/process.h"

#include <boost/asio/post.hpp>

#include <stdexcept>

#include <fmt/format.h>

#include "base/assert.h"
#include "runtime/endpoint.h"
#include "runtime/log.h"

namespace simbus::runtime {

Process::Process(ProcessConfig config) : config_(std::move(config)) {
  if (config_.process_id == core::no_node) throw std::invalid_argument("process id 4294967295 is reserved");
  if (config_.mailbox_datagrams_max == 0) throw std::invalid_argument("mailbox_datagrams_max must be positive");
  if (config_.file_threads == 0 || config_.file_threads > 64) throw std::invalid_argument("file_threads must be in 1..64");
  if (!config_.data_dir.empty()) {
    data_dir_ = std::make_unique<DataDir>(config_.data_dir);
    incarnation_ = data_dir_->bump_incarnation();
  }
  scheduler_ = std::make_unique<Scheduler>(io_);
  files_ = std::make_unique<FilePool>(*scheduler_, config_.file_threads);
  TransportConfig t;
  t.process_id = config_.process_id;
  t.listen_host = config_.listen_host;
  t.listen_port = config_.listen_port;
  t.listen = config_.listen;
  t.peers = config_.peers;
  t.shared_secret = config_.shared_secret;
  t.frame_bytes_max = config_.frame_bytes_max;
  t.send_queue_frames_max = config_.send_queue_frames_max;
  t.reconnect_ms_max = config_.reconnect_ms_max;
  transport_ = std::make_unique<Transport>(
      io_, std::move(t), [this](core::NodeId id) { return endpoints_.count(id) != 0; },
      [this](core::NodeId from, core::NodeId to, core::Bytes payload) {
        auto it = endpoints_.find(to);
        if (it != endpoints_.end()) it->second->deliver(core::Envelope{from, std::move(payload)});
      });
}

Process::~Process() {
  stop();
  // File calls in flight reference their tasks' stacks: let them finish before unwinding.
  files_->join();
  // Closed endpoints drop what unwinding tasks still send; their wakes are only posted.
  for (auto& [id, endpoint] : endpoints_) endpoint->close();
  // Unwinds every task (their objects may still call into endpoints and the transport).
  scheduler_.reset();
  transport_.reset();
  endpoints_.clear();
}

std::shared_ptr<core::Env> Process::make_env(core::NodeId id) {
  scheduler_->assert_loop_thread();
  SIMBUS_ASSERT_MSG(id != core::no_node, "endpoint id 4294967295 is reserved");
  SIMBUS_ASSERT_MSG(endpoints_.count(id) == 0, "two endpoints with one id");
  for (const PeerAddress& p : config_.peers) SIMBUS_ASSERT_MSG(p.id != id, "an endpoint with a peer broker's id");
  auto endpoint = std::make_shared<Endpoint>(*this, id, config_.mailbox_datagrams_max);
  endpoints_.emplace(id, endpoint);
  return endpoint;
}

void Process::close_env(core::NodeId id) {
  auto it = endpoints_.find(id);
  if (it == endpoints_.end()) return;
  it->second->close();
  endpoints_.erase(it);
}

void Process::spawn(std::string name, std::function<void()> fn) { scheduler_->spawn(std::move(name), std::move(fn)); }

void Process::start() { transport_->start(); }

void Process::run() {
  start();
  if (stopped_) return;
  io_.run();
}

void Process::stop() {
  if (stopped_) return;
  stopped_ = true;
  transport_->stop();
  io_.stop();
}

void Process::stop_from_any_thread() {
  boost::asio::post(io_, [this] { stop(); });
}

void Process::route(core::NodeId from, core::NodeId to, core::Bytes payload) {
  auto it = endpoints_.find(to);
  if (it != endpoints_.end()) {
    it->second->deliver(core::Envelope{from, std::move(payload)});
    return;
  }
  transport_->send(from, to, payload);
}

}  // namespace simbus::runtime
