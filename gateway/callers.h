// The HTTP API's clients of the broker: a bounded pool of BrokerClients, each on an
// endpoint of its own kept for the life of the process. Why a pool and not one endpoint
// per call: another process learns a route back to each endpoint id that sends to it (the
// leader answers a publish over the connection it came on) and keeps at most 65,536 of
// them for the life of that connection; fresh ids per call would exhaust them, after which
// the leader's replies are dropped. A caller keeps its client session, so its request
// numbers keep growing (a late reply to an earlier call never matches a later one).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/client.h"
#include "runtime/sync.h"

namespace simbus::gateway {

class Gateway;

inline constexpr std::size_t callers_max = 64;
inline constexpr std::int64_t caller_wait_us_max = 10'000'000;

class CallerPool {
 public:
  explicit CallerPool(Gateway& gateway);
  ~CallerPool();

  struct Caller {
    core::NodeId id = 0;
    std::shared_ptr<core::Env> env;
    std::unique_ptr<core::BrokerClient> client;
  };
  // Inside a task: a free caller aimed at the leader this node knows, or nullptr after
  // caller_wait_us_max with every caller busy.
  Caller* acquire();
  void release(Caller* caller);

 private:
  Gateway& gateway_;
  std::vector<std::unique_ptr<Caller>> callers_;
  std::vector<Caller*> free_;
  runtime::FiberMutex mutex_;
  runtime::FiberCondVar freed_;
};

// Holds a caller for one call.
class CallerLease {
 public:
  explicit CallerLease(CallerPool& pool) : pool_(pool), caller_(pool.acquire()) {}
  ~CallerLease() {
    if (caller_) pool_.release(caller_);
  }
  CallerLease(const CallerLease&) = delete;
  CallerLease& operator=(const CallerLease&) = delete;
  explicit operator bool() const { return caller_ != nullptr; }
  core::BrokerClient* operator->() { return caller_->client.get(); }

 private:
  CallerPool& pool_;
  CallerPool::Caller* caller_;
};

}  // namespace simbus::gateway
