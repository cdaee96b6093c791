// core::Mutex and core::CondVar for runtime fibers. lock() and wait() suspend the calling
// task; unlock() and notify_*() only post resumptions, so notify may also be called from a
// plain io_context handler (how Asio callbacks hand work to a fiber).
#pragma once

#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <deque>
#include <memory>

#include "core/env.h"
#include "runtime/scheduler.h"

namespace simbus::runtime {

class FiberMutex final : public core::Mutex {
 public:
  explicit FiberMutex(Scheduler& scheduler) : scheduler_(scheduler) {}
  ~FiberMutex() override;
  void lock() override;
  void unlock() override;

 private:
  Scheduler& scheduler_;
  bool locked_ = false;
  std::deque<WakeToken> waiters_;
};

class FiberCondVar final : public core::CondVar {
 public:
  explicit FiberCondVar(Scheduler& scheduler) : scheduler_(scheduler) {}
  void wait(core::Mutex& mutex) override;
  bool wait_for_us(core::Mutex& mutex, std::int64_t timeout_us) override;
  void notify_one() override;
  void notify_all() override;

 private:
  struct Waiter {
    WakeToken token;
    bool notified = false;
  };
  bool wait_impl(core::Mutex& mutex, std::int64_t timeout_us);  // timeout_us < 0: forever

  Scheduler& scheduler_;
  std::deque<std::shared_ptr<Waiter>> waiters_;
};

// Suspends the calling task for duration_us (<= 0: a yield).
void sleep_for_us(Scheduler& scheduler, std::int64_t duration_us);

// Arms `timer` to wake `token` after timeout_us (>= 0). The handler holds no reference to
// the waiting task's stack: a cancelled or late timer is harmless.
void arm_timer(Scheduler& scheduler, boost::asio::steady_timer& timer, std::int64_t timeout_us,
               WakeToken token, std::shared_ptr<bool> fired = nullptr);

}  // namespace simbus::runtime
