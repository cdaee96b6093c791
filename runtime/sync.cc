#include "runtime/sync.h"

#include <algorithm>
#include <chrono>

#include "base/assert.h"

namespace simbus::runtime {

FiberMutex::~FiberMutex() {
  // Destroyed while held is fine only when the holder is being unwound with its node.
}

void FiberMutex::lock() {
  scheduler_.assert_loop_thread();
  while (locked_) {
    waiters_.push_back(scheduler_.prepare());
    scheduler_.suspend();
  }
  locked_ = true;
}

void FiberMutex::unlock() {
  SIMBUS_ASSERT_MSG(locked_, "unlock of an unlocked mutex");
  locked_ = false;
  // Hand the wake to the first waiter still waiting (a killed task's token is stale).
  while (!waiters_.empty()) {
    const WakeToken token = waiters_.front();
    waiters_.pop_front();
    if (scheduler_.wake(token)) break;
  }
}

void arm_timer(Scheduler& scheduler, boost::asio::steady_timer& timer, std::int64_t timeout_us,
               WakeToken token, std::shared_ptr<bool> fired) {
  SIMBUS_ASSERT(timeout_us >= 0);
  timer.expires_after(std::chrono::microseconds(timeout_us));
  timer.async_wait([&scheduler, token, fired](const boost::system::error_code& ec) {
    if (ec) return;  // cancelled: the wait ended some other way
    if (fired) *fired = true;
    scheduler.wake(token);
  });
}

void sleep_for_us(Scheduler& scheduler, std::int64_t duration_us) {
  if (duration_us <= 0) {
    scheduler.yield();
    return;
  }
  boost::asio::steady_timer timer(scheduler.io());
  arm_timer(scheduler, timer, duration_us, scheduler.prepare());
  scheduler.suspend();
}

bool FiberCondVar::wait_impl(core::Mutex& mutex, std::int64_t timeout_us) {
  auto waiter = std::make_shared<Waiter>();
  waiter->token = scheduler_.prepare();
  waiters_.push_back(waiter);
  std::optional<boost::asio::steady_timer> timer;
  if (timeout_us >= 0) {
    timer.emplace(scheduler_.io());
    arm_timer(scheduler_, *timer, timeout_us, waiter->token);
  }
  mutex.unlock();
  scheduler_.suspend();
  if (timer) timer->cancel();
  if (!waiter->notified) {
    auto it = std::find(waiters_.begin(), waiters_.end(), waiter);
    if (it != waiters_.end()) waiters_.erase(it);
  }
  mutex.lock();
  return waiter->notified;
}

void FiberCondVar::wait(core::Mutex& mutex) { wait_impl(mutex, -1); }

bool FiberCondVar::wait_for_us(core::Mutex& mutex, std::int64_t timeout_us) {
  return wait_impl(mutex, std::max<std::int64_t>(timeout_us, 0));
}

void FiberCondVar::notify_one() {
  while (!waiters_.empty()) {
    std::shared_ptr<Waiter> waiter = waiters_.front();
    waiters_.pop_front();
    if (scheduler_.wake(waiter->token)) {
      waiter->notified = true;
      return;
    }
  }
}

void FiberCondVar::notify_all() {
  std::deque<std::shared_ptr<Waiter>> waiters;
  waiters.swap(waiters_);
  for (auto& waiter : waiters) {
    if (scheduler_.wake(waiter->token)) waiter->notified = true;
  }
}

}  // namespace simbus::runtime
