#include "runtime/endpoint.h"

#include <boost/asio/steady_timer.hpp>
#include <openssl/rand.h>

#include <chrono>
#include <stdexcept>

#include <fmt/format.h>

#include "base/assert.h"
#include "runtime/process.h"
#include "runtime/sync.h"

namespace simbus::runtime {
namespace {

std::uint64_t os_seed() {
  std::uint64_t seed = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&seed), sizeof seed) != 1) {
    throw std::runtime_error("RAND_bytes failed: no OS randomness");
  }
  return seed;
}

}  // namespace

std::string endpoint_file_name(core::NodeId process_id, core::NodeId id, std::string_view name) {
  if (id == process_id) return std::string(name);
  return fmt::format("c{}-{}", id, name);
}

Endpoint::Endpoint(Process& process, core::NodeId id, std::size_t mailbox_max)
    : process_(process), id_(id), mailbox_max_(mailbox_max), prng_(os_seed()) {
  SIMBUS_ASSERT(mailbox_max > 0);
}

std::uint64_t Endpoint::incarnation() const { return process_.incarnation(); }

std::int64_t Endpoint::now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void Endpoint::sleep_for_us(std::int64_t duration_us) { runtime::sleep_for_us(process_.scheduler(), duration_us); }

void Endpoint::send(core::NodeId to, core::Bytes payload) {
  process_.scheduler().assert_loop_thread();
  if (closed_) return;
  process_.route(id_, to, std::move(payload));
}

std::optional<core::Envelope> Endpoint::receive(std::int64_t timeout_us) {
  Scheduler& scheduler = process_.scheduler();
  if (mailbox_.empty() && timeout_us > 0 && !closed_) {
    SIMBUS_ASSERT_MSG(!receiver_, "two tasks receiving on one endpoint");
    const WakeToken token = scheduler.prepare();
    receiver_ = token;
    boost::asio::steady_timer timer(scheduler.io());
    arm_timer(scheduler, timer, timeout_us, token);
    scheduler.suspend();
    receiver_.reset();
  }
  if (mailbox_.empty()) return std::nullopt;
  core::Envelope envelope = std::move(mailbox_.front());
  mailbox_.pop_front();
  return envelope;
}

void Endpoint::deliver(core::Envelope envelope) {
  if (closed_) return;
  if (mailbox_.size() >= mailbox_max_) {
    dropped_ += 1;
    return;
  }
  mailbox_.push_back(std::move(envelope));
  if (receiver_) process_.scheduler().wake(*receiver_);
}

void Endpoint::close() {
  closed_ = true;
  mailbox_.clear();
  if (receiver_) process_.scheduler().wake(*receiver_);
}

std::unique_ptr<core::File> Endpoint::open_file(std::string_view name) {
  DataDir* dir = process_.data_dir();
  SIMBUS_ASSERT_MSG(dir != nullptr, "open_file in a process without a data directory");
  return dir->open(process_.files(), endpoint_file_name(process_.process_id(), id_, name));
}

bool Endpoint::remove_file(std::string_view name) {
  DataDir* dir = process_.data_dir();
  SIMBUS_ASSERT_MSG(dir != nullptr, "remove_file in a process without a data directory");
  return dir->remove(process_.files(), endpoint_file_name(process_.process_id(), id_, name));
}

std::uint64_t Endpoint::random_u64() { return prng_.next_u64(); }

std::uint64_t Endpoint::random_below(std::uint64_t bound) {
  SIMBUS_ASSERT(bound > 0);
  return prng_.below(bound);
}

void Endpoint::spawn(std::string_view name, std::function<void()> fn) {
  process_.spawn(fmt::format("{}/{}", id_, name), std::move(fn));
}

void Endpoint::yield() { process_.scheduler().yield(); }

std::unique_ptr<core::Mutex> Endpoint::make_mutex(std::string_view) {
  return std::make_unique<FiberMutex>(process_.scheduler());
}

std::unique_ptr<core::CondVar> Endpoint::make_condvar(std::string_view) {
  return std::make_unique<FiberCondVar>(process_.scheduler());
}

}  // namespace simbus::runtime
