#include "sim/std.h"

#include "base/assert.h"

namespace simbus::std_sim {

void condition_variable::wait(std::unique_lock<mutex>& lock) {
  SIMBUS_ASSERT(lock.owns_lock());
  impl_.wait(lock.mutex()->native_handle());
}

std::cv_status condition_variable::wait_for_us(std::unique_lock<mutex>& lock, std::int64_t timeout_us) {
  SIMBUS_ASSERT(lock.owns_lock());
  const bool notified = impl_.wait_for_us(lock.mutex()->native_handle(), timeout_us > 0 ? timeout_us : 0);
  return notified ? std::cv_status::no_timeout : std::cv_status::timeout;
}

void shared_mutex::lock() {
  sim::LockGuard guard(state_lock_);
  while (writer_ || readers_ > 0) changed_.wait(state_lock_);
  writer_ = true;
}

bool shared_mutex::try_lock() {
  sim::LockGuard guard(state_lock_);
  if (writer_ || readers_ > 0) return false;
  writer_ = true;
  return true;
}

void shared_mutex::unlock() {
  sim::LockGuard guard(state_lock_);
  SIMBUS_ASSERT(writer_);
  SIMBUS_ASSERT(readers_ == 0);
  writer_ = false;
  changed_.notify_all();
}

void shared_mutex::lock_shared() {
  sim::LockGuard guard(state_lock_);
  while (writer_) changed_.wait(state_lock_);
  readers_ += 1;
}

bool shared_mutex::try_lock_shared() {
  sim::LockGuard guard(state_lock_);
  if (writer_) return false;
  readers_ += 1;
  return true;
}

void shared_mutex::unlock_shared() {
  sim::LockGuard guard(state_lock_);
  SIMBUS_ASSERT(!writer_);
  SIMBUS_ASSERT(readers_ > 0);
  readers_ -= 1;
  if (readers_ == 0) changed_.notify_all();
}

thread& thread::operator=(thread&& other) noexcept {
  if (joinable()) std::terminate();  // as the standard thread: assigning over a running thread
  id_ = std::exchange(other.id_, 0);
  return *this;
}

thread::~thread() {
  if (joinable()) std::terminate();  // as the standard thread: neither joined nor detached
}

void thread::join() {
  SIMBUS_ASSERT_MSG(joinable(), "join of a thread that is not joinable");
  SIMBUS_ASSERT_MSG(id_ != sim::World::current().current_fiber(), "a thread joining itself");
  sim::World::current().join(id_);
  id_ = 0;
}

void thread::detach() {
  SIMBUS_ASSERT_MSG(joinable(), "detach of a thread that is not joinable");
  id_ = 0;  // the fiber runs on; the world ends it with the run
}

jthread& jthread::operator=(jthread&& other) noexcept {
  if (joinable()) {
    request_stop();
    join();
  }
  stop_ = std::move(other.stop_);
  thread_ = std::move(other.thread_);
  return *this;
}

jthread::~jthread() {
  if (joinable()) {
    request_stop();
    join();
  }
}

}  // namespace simbus::std_sim
