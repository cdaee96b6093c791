// Drop-ins for the standard concurrency primitives, on the simulator: code written against
// std::atomic, std::mutex, std::condition_variable, std::shared_mutex and the standard
// thread, jthread and this_thread compiles against simbus::std_sim unchanged, and every
// operation another thread could observe becomes a scheduling point that random, PCT,
// DFS and DPOR interleave. sim/std_switch.h picks these or std with one macro
// (SIMBUS_SIM), as loom's cfg(loom) does.
//
// Memory model: sequential consistency. Every atomic operation is one indivisible step
// of a single global interleaving; memory_order arguments are accepted (so code compiles
// unchanged) but never weakened, so a bug that needs a relaxed or acquire/release
// reordering to show (store buffering, a missing fence) is not found. compare_exchange_weak
// never fails spuriously.
//
// Every object here must be created and used inside a running World (a fiber's body,
// or a scenario's setup), because it takes an object identity from the world.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>  // std::cv_status
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <stop_token>
#include <type_traits>
#include <utility>

#include "sim/sync.h"
#include "sim/world.h"

namespace simbus::std_sim {

using std::memory_order;
using std::memory_order_acq_rel;
using std::memory_order_acquire;
using std::memory_order_consume;
using std::memory_order_relaxed;
using std::memory_order_release;
using std::memory_order_seq_cst;

// Sequentially consistent whatever the order argument (see the top of this file).
template <typename T>
class atomic {
  static_assert(std::is_trivially_copyable_v<T>, "std::atomic<T> requires a trivially copyable T");

 public:
  using value_type = T;
  static constexpr bool is_always_lock_free = true;

  atomic() noexcept : impl_(T{}) {}
  atomic(T desired) noexcept : impl_(desired) {}  // NOLINT: implicit, as std::atomic
  atomic(const atomic&) = delete;
  atomic& operator=(const atomic&) = delete;

  T load(memory_order = memory_order_seq_cst) const { return impl_.load(); }
  void store(T desired, memory_order = memory_order_seq_cst) { impl_.store(desired); }
  T exchange(T desired, memory_order = memory_order_seq_cst) { return impl_.exchange(desired); }
  bool compare_exchange_strong(T& expected, T desired, memory_order = memory_order_seq_cst,
                               memory_order = memory_order_seq_cst) {
    return impl_.compare_exchange(expected, desired);
  }
  bool compare_exchange_weak(T& expected, T desired, memory_order = memory_order_seq_cst,
                             memory_order = memory_order_seq_cst) {
    return impl_.compare_exchange(expected, desired);
  }
  bool is_lock_free() const noexcept { return true; }
  operator T() const { return load(); }  // NOLINT: implicit, as std::atomic
  T operator=(T desired) {
    store(desired);
    return desired;
  }

  // Integral (and pointer-free arithmetic) operations, as std::atomic<integral>.
  T fetch_add(T delta, memory_order = memory_order_seq_cst) { return impl_.fetch_add(delta); }
  T fetch_sub(T delta, memory_order = memory_order_seq_cst) {
    return impl_.read_modify_write([delta](T v) { return static_cast<T>(v - delta); });
  }
  T fetch_and(T mask, memory_order = memory_order_seq_cst) {
    return impl_.read_modify_write([mask](T v) { return static_cast<T>(v & mask); });
  }
  T fetch_or(T mask, memory_order = memory_order_seq_cst) {
    return impl_.read_modify_write([mask](T v) { return static_cast<T>(v | mask); });
  }
  T fetch_xor(T mask, memory_order = memory_order_seq_cst) {
    return impl_.read_modify_write([mask](T v) { return static_cast<T>(v ^ mask); });
  }
  T operator++() { return static_cast<T>(fetch_add(T{1}) + T{1}); }
  T operator++(int) { return fetch_add(T{1}); }
  T operator--() { return static_cast<T>(fetch_sub(T{1}) - T{1}); }
  T operator--(int) { return fetch_sub(T{1}); }
  T operator+=(T delta) { return static_cast<T>(fetch_add(delta) + delta); }
  T operator-=(T delta) { return static_cast<T>(fetch_sub(delta) - delta); }

  // No scheduling point: for checks after the run, outside the interleaving.
  T peek() const { return impl_.peek(); }

 private:
  // sim::Atomic's operations are not const (a load is a scheduling point, which changes
  // the world); std::atomic::load is, so the wrapped object is mutable.
  mutable sim::Atomic<T> impl_;
};

class mutex {
 public:
  mutex() = default;
  mutex(const mutex&) = delete;
  mutex& operator=(const mutex&) = delete;
  void lock() { impl_.lock(); }
  bool try_lock() { return impl_.try_lock(); }
  void unlock() { impl_.unlock(); }
  sim::Mutex& native_handle() { return impl_; }

 private:
  sim::Mutex impl_;
};

class condition_variable {
 public:
  condition_variable() = default;
  condition_variable(const condition_variable&) = delete;
  condition_variable& operator=(const condition_variable&) = delete;

  void notify_one() noexcept { impl_.notify_one(); }
  void notify_all() noexcept { impl_.notify_all(); }
  // No spurious wake-ups: a wait returns only after a notify (or its timeout).
  void wait(std::unique_lock<mutex>& lock);
  template <typename Predicate>
  void wait(std::unique_lock<mutex>& lock, Predicate ready) {
    while (!ready()) wait(lock);
  }
  // Virtual time: the timeout passes on the simulated clock.
  template <typename Rep, typename Period>
  std::cv_status wait_for(std::unique_lock<mutex>& lock, const std::chrono::duration<Rep, Period>& timeout) {
    return wait_for_us(lock, std::chrono::duration_cast<std::chrono::microseconds>(timeout).count());
  }
  template <typename Rep, typename Period, typename Predicate>
  bool wait_for(std::unique_lock<mutex>& lock, const std::chrono::duration<Rep, Period>& timeout, Predicate ready) {
    const std::int64_t timeout_us = std::chrono::duration_cast<std::chrono::microseconds>(timeout).count();
    const std::int64_t deadline_us = sim::this_fiber::now_us() + timeout_us;
    while (!ready()) {
      const std::int64_t left_us = deadline_us - sim::this_fiber::now_us();
      if (left_us <= 0 || wait_for_us(lock, left_us) == std::cv_status::timeout) return ready();
    }
    return true;
  }

 private:
  std::cv_status wait_for_us(std::unique_lock<mutex>& lock, std::int64_t timeout_us);
  sim::CondVar impl_;
};

// Writers exclusive, readers shared; a waiting writer does not hold back new readers.
class shared_mutex {
 public:
  shared_mutex() = default;
  shared_mutex(const shared_mutex&) = delete;
  shared_mutex& operator=(const shared_mutex&) = delete;
  void lock();
  bool try_lock();
  void unlock();
  void lock_shared();
  bool try_lock_shared();
  void unlock_shared();

 private:
  sim::Mutex state_lock_;
  sim::CondVar changed_;
  bool writer_ = false;
  std::int64_t readers_ = 0;
};

// A thread is a fiber on the creating fiber's node.
class thread {
 public:
  using id = sim::FiberId;

  thread() noexcept = default;
  template <typename F, typename... Args>
  explicit thread(F&& f, Args&&... args)
      : id_(sim::spawn("thread", std::bind(std::forward<F>(f), std::forward<Args>(args)...))) {}
  thread(const thread&) = delete;
  thread& operator=(const thread&) = delete;
  thread(thread&& other) noexcept : id_(std::exchange(other.id_, 0)) {}
  thread& operator=(thread&& other) noexcept;
  ~thread();  // terminates if still joinable, as the standard thread does

  bool joinable() const noexcept { return id_ != 0; }
  id get_id() const noexcept { return id_; }
  void join();
  void detach();

 private:
  sim::FiberId id_ = 0;
};

// Joins in its destructor after request_stop(); the function may take a std::stop_token
// first. A stop request is no scheduling point: poll it together with a yield or sleep.
class jthread {
 public:
  using id = thread::id;

  jthread() noexcept = default;
  template <typename F, typename... Args>
  explicit jthread(F&& f, Args&&... args) : stop_() {
    if constexpr (std::is_invocable_v<std::decay_t<F>, std::stop_token, std::decay_t<Args>...>) {
      thread_ = thread(std::forward<F>(f), stop_.get_token(), std::forward<Args>(args)...);
    } else {
      thread_ = thread(std::forward<F>(f), std::forward<Args>(args)...);
    }
  }
  jthread(jthread&&) noexcept = default;
  jthread& operator=(jthread&& other) noexcept;
  ~jthread();

  bool joinable() const noexcept { return thread_.joinable(); }
  id get_id() const noexcept { return thread_.get_id(); }
  void join() { thread_.join(); }
  void detach() { thread_.detach(); }
  bool request_stop() noexcept { return stop_.request_stop(); }
  std::stop_token get_stop_token() const noexcept { return stop_.get_token(); }

 private:
  std::stop_source stop_{std::nostopstate};  // a stop state only once there is a function
  thread thread_;
};

namespace this_thread {
inline void yield() { sim::this_fiber::yield(); }
inline thread::id get_id() { return sim::World::current().current_fiber(); }
// Virtual time: a sleep costs nothing on the wall clock.
template <typename Rep, typename Period>
void sleep_for(const std::chrono::duration<Rep, Period>& duration) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(duration).count();
  sim::this_fiber::sleep_for_us(us > 0 ? us : 0);
}
}  // namespace this_thread

}  // namespace simbus::std_sim
