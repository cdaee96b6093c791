// core::Env for one node id of a runtime Process: now_us from the monotonic clock, timers
// on the io_context, datagrams through the Process (memory for endpoints of this process,
// TCP otherwise), files in the process's data directory, randomness seeded from the OS,
// buggify always false. One receiving task per endpoint (asserted): core has one.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>

#include "core/env.h"
#include "runtime/scheduler.h"
#include "sim/prng.h"

namespace simbus::runtime {

class Process;

class Endpoint final : public core::Env {
 public:
  Endpoint(Process& process, core::NodeId id, std::size_t mailbox_max);

  core::NodeId node_id() const override { return id_; }
  std::uint64_t incarnation() const override;
  std::int64_t now_us() override;
  void sleep_for_us(std::int64_t duration_us) override;
  void send(core::NodeId to, core::Bytes payload) override;
  std::optional<core::Envelope> receive(std::int64_t timeout_us) override;
  std::unique_ptr<core::File> open_file(std::string_view name) override;
  bool remove_file(std::string_view name) override;
  std::uint64_t random_u64() override;
  std::uint64_t random_below(std::uint64_t bound) override;
  void spawn(std::string_view name, std::function<void()> fn) override;
  void yield() override;
  std::unique_ptr<core::Mutex> make_mutex(std::string_view name) override;
  std::unique_ptr<core::CondVar> make_condvar(std::string_view name) override;
  bool buggify(const char*, int) override { return false; }

  // From the Process, on the loop thread.
  void deliver(core::Envelope envelope);
  void close();  // drops the mailbox; later datagrams to this id are unroutable
  std::uint64_t dropped_mailbox_full() const { return dropped_; }

 private:
  Process& process_;
  core::NodeId id_;
  std::size_t mailbox_max_;
  std::deque<core::Envelope> mailbox_;
  std::optional<WakeToken> receiver_;
  sim::Prng prng_;
  std::uint64_t dropped_ = 0;
  bool closed_ = false;
};

// The files of endpoint `id` in a data directory: the broker node's own id keeps core's
// names ("raft.hard"); a client endpoint's are prefixed "c<id>-".
std::string endpoint_file_name(core::NodeId process_id, core::NodeId id, std::string_view name);

}  // namespace simbus::runtime
