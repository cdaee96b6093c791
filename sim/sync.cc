#include "sim/sync.h"

#include <algorithm>

namespace simbus::sim {

Mutex::Mutex() : object_(World::current().new_object_id()) {}

void Mutex::lock() {
  World& w = World::current();
  Waiter waiter;
  waiter.ready = [](const void* o) { return static_cast<const Mutex*>(o)->owner_ == 0; };
  waiter.owner = [](const void* o) { return static_cast<const Mutex*>(o)->owner_; };
  waiter.object = this;
  if (owner_ != 0) w.note_lock_blocked(object_);
  if (!w.wait({ActionKind::kLock, object_, Access::kWrite}, waiter)) return;  // unwinding
  SIMBUS_ASSERT(owner_ == 0);
  owner_ = w.current_fiber();
  SIMBUS_ASSERT(owner_ != 0);
}

bool Mutex::try_lock() {
  World& w = World::current();
  w.point({ActionKind::kTryLock, object_, Access::kWrite});
  if (owner_ != 0) return false;
  owner_ = w.current_fiber();
  return true;
}

void Mutex::unlock() {
  World& w = World::current();
  // A crashed node's fibers unwind through their lock guards: let them go quietly.
  if (owner_ != w.current_fiber()) return;
  owner_ = 0;
  w.note_hidden_write(object_);
}

CondVar::CondVar() : object_(World::current().new_object_id()) {}

void CondVar::wait(Mutex& mutex) { wait_for_us(mutex, World::kNever); }

bool CondVar::wait_for_us(Mutex& mutex, std::int64_t timeout_us) {
  World& w = World::current();
  SIMBUS_ASSERT(mutex.owner() == w.current_fiber());
  Ticket ticket;
  waiters_.push_back(&ticket);
  w.note_hidden_write(object_);  // registering: a notify before or after it differs
  mutex.unlock();
  Waiter waiter;
  waiter.ready = [](const void* o) { return static_cast<const Ticket*>(o)->notified; };
  waiter.object = &ticket;
  const std::int64_t deadline_us =
      timeout_us >= World::kNever - w.now_us() ? World::kNever : w.now_us() + timeout_us;
  const bool notified = w.wait({ActionKind::kCondWait, object_, Access::kWrite}, waiter, deadline_us);
  if (!ticket.notified) {
    auto it = std::find(waiters_.begin(), waiters_.end(), &ticket);
    if (it != waiters_.end()) waiters_.erase(it);
  }
  mutex.lock();
  return notified;
}

void CondVar::notify_one() {
  World::current().point({ActionKind::kNotify, object_, Access::kWrite});
  if (waiters_.empty()) return;
  waiters_.front()->notified = true;
  waiters_.pop_front();
}

void CondVar::notify_all() {
  World::current().point({ActionKind::kNotify, object_, Access::kWrite});
  for (Ticket* t : waiters_) t->notified = true;
  waiters_.clear();
}

Semaphore::Semaphore(std::int64_t initial) : object_(World::current().new_object_id()), count_(initial) {
  SIMBUS_ASSERT(initial >= 0);
}

void Semaphore::acquire() {
  Waiter waiter;
  waiter.ready = [](const void* o) { return static_cast<const Semaphore*>(o)->count_ > 0; };
  waiter.object = this;
  if (!World::current().wait({ActionKind::kSemAcquire, object_, Access::kWrite}, waiter)) return;
  SIMBUS_ASSERT(count_ > 0);
  count_ -= 1;
}

void Semaphore::release() {
  World::current().point({ActionKind::kSemRelease, object_, Access::kWrite});
  count_ += 1;
}

}  // namespace simbus::sim
