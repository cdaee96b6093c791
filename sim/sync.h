// Synchronisation primitives for simulated fibers. Every operation that another fiber
// could observe is a scheduling point, so the strategy can interleave them all.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <utility>

#include "base/assert.h"
#include "sim/world.h"

namespace simbus::sim {

class Mutex {
 public:
  Mutex();
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void lock();           // a scheduling point; blocks while another fiber holds it
  bool try_lock();       // a scheduling point; never blocks
  void unlock();         // not a point: the next operation of this fiber is one
  bool held() const { return owner_ != 0; }
  FiberId owner() const { return owner_; }
  ObjectId object() const { return object_; }

 private:
  ObjectId object_;
  FiberId owner_ = 0;
};

class LockGuard {
 public:
  explicit LockGuard(Mutex& m) : m_(m) { m_.lock(); }
  ~LockGuard() { m_.unlock(); }
  LockGuard(const LockGuard&) = delete;
  LockGuard& operator=(const LockGuard&) = delete;

 private:
  Mutex& m_;
};

class CondVar {
 public:
  CondVar();
  CondVar(const CondVar&) = delete;
  CondVar& operator=(const CondVar&) = delete;

  void wait(Mutex& mutex);
  // Returns false if timeout_us of virtual time passed without a notify.
  bool wait_for_us(Mutex& mutex, std::int64_t timeout_us);
  void notify_one();  // a scheduling point
  void notify_all();  // a scheduling point

 private:
  struct Ticket {
    bool notified = false;
  };
  ObjectId object_;
  std::deque<Ticket*> waiters_;  // FIFO; tickets live on the waiting fibers' stacks
};

class Semaphore {
 public:
  explicit Semaphore(std::int64_t initial);
  void acquire();  // a scheduling point; blocks while the count is zero
  void release();  // a scheduling point
  std::int64_t count() const { return count_; }

 private:
  ObjectId object_;
  std::int64_t count_;
};

// Every load, store and read-modify-write is a scheduling point on this object.
template <typename T>
class Atomic {
 public:
  explicit Atomic(T initial = T{}) : object_(World::current().new_object_id()), value_(initial) {}
  Atomic(const Atomic&) = delete;
  Atomic& operator=(const Atomic&) = delete;

  T load() {
    World::current().point({ActionKind::kLoad, object_, Access::kRead});
    return value_;
  }
  void store(T v) {
    World::current().point({ActionKind::kStore, object_, Access::kWrite});
    value_ = v;
  }
  T exchange(T v) {
    World::current().point({ActionKind::kRmw, object_, Access::kWrite});
    return std::exchange(value_, v);
  }
  T fetch_add(T delta) {
    World::current().point({ActionKind::kRmw, object_, Access::kWrite});
    T old = value_;
    value_ = static_cast<T>(value_ + delta);
    return old;
  }
  // One read-modify-write step: stores update(old), returns old.
  template <typename Update>
  T read_modify_write(Update update) {
    World::current().point({ActionKind::kRmw, object_, Access::kWrite});
    T old = value_;
    value_ = update(old);
    return old;
  }
  bool compare_exchange(T& expected, T desired) {
    World::current().point({ActionKind::kRmw, object_, Access::kWrite});
    if (value_ == expected) {
      value_ = desired;
      return true;
    }
    expected = value_;
    return false;
  }
  // No scheduling point: for checks after the run, outside the interleaving.
  T peek() const { return value_; }
  ObjectId object() const { return object_; }

 private:
  ObjectId object_;
  T value_;
};

// A bounded FIFO between fibers. send blocks while full, receive while empty; close
// wakes everyone (send on a closed channel returns false, receive drains then nullopt).
template <typename T>
class Channel {
 public:
  explicit Channel(std::size_t capacity) : object_(World::current().new_object_id()), capacity_(capacity) {
    SIMBUS_ASSERT(capacity > 0);
  }

  bool send(T value) {
    Waiter w;
    w.ready = [](const void* o) {
      const auto* c = static_cast<const Channel*>(o);
      return c->closed_ || c->queue_.size() < c->capacity_;
    };
    w.object = this;
    World::current().wait({ActionKind::kChannelSend, object_, Access::kWrite, static_cast<std::uint32_t>(std::min<std::size_t>(capacity_, UINT32_MAX))},
                           w);
    if (closed_) return false;
    SIMBUS_ASSERT(queue_.size() < capacity_);
    queue_.push_back(std::move(value));
    return true;
  }

  std::optional<T> receive() {
    Waiter w;
    w.ready = [](const void* o) {
      const auto* c = static_cast<const Channel*>(o);
      return c->closed_ || !c->queue_.empty();
    };
    w.object = this;
    World::current().wait({ActionKind::kChannelRecv, object_, Access::kWrite}, w);
    if (queue_.empty()) return std::nullopt;
    T v = std::move(queue_.front());
    queue_.pop_front();
    return v;
  }

  void close() {
    World::current().point({ActionKind::kChannelSend, object_, Access::kWrite});
    closed_ = true;
  }
  std::size_t size() const { return queue_.size(); }

 private:
  ObjectId object_;
  std::size_t capacity_;
  std::deque<T> queue_;
  bool closed_ = false;
};

}  // namespace simbus::sim
