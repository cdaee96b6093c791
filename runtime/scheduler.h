// Fibers on an io_context. A task is a sim::FiberContext resumed only from io_context
// handlers (never from another fiber): a fiber that blocks registers a WakeToken with
// whatever will end the wait (a timer, a mailbox, a lock, a file job) and suspends; the
// waker calls wake(token), which posts the resumption. A token names one suspension of
// one task, so a late waker (a timer that fires after a notify already woke the task)
// is a no-op instead of waking a later, unrelated wait.
//
// Single-threaded: every call here is made on the loop thread (asserted).
#pragma once

#include <boost/asio/io_context.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "sim/fiber.h"

namespace simbus::runtime {

struct WakeToken {
  std::uint64_t task = 0;  // 0: no task
  std::uint64_t wait = 0;
};

class Scheduler {
 public:
  static constexpr std::size_t stack_bytes_default = 1 << 20;  // MAP_NORESERVE: paid as touched
  static constexpr std::size_t tasks_max = 1 << 20;

  explicit Scheduler(boost::asio::io_context& io, std::size_t stack_bytes = stack_bytes_default);
  // Unwinds every unfinished task (forced_unwind: destructors run, nothing is resumed).
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Starts a task; its first run is posted. An exception escaping `fn` is fatal (logged,
  // then abort): a broker that lost a task must restart from its disk, not limp on.
  void spawn(std::string name, std::function<void()> fn);

  // Inside a task: a token for its next suspension.
  WakeToken prepare();
  // Inside a task: suspends until the token from the last prepare() is woken.
  void suspend();
  // Loop thread, inside a task or not: posts the resumption of the token's wait. False if
  // that wait is over (woken already, or the task is gone).
  bool wake(WakeToken token);
  // Inside a task: lets every other ready handler run first.
  void yield();

  bool in_task() const { return current_ != nullptr; }
  const std::string& current_name() const;
  std::size_t live_tasks() const { return tasks_.size(); }
  boost::asio::io_context& io() { return io_; }
  void assert_loop_thread() const;

 private:
  struct Task {
    std::uint64_t id = 0;
    std::string name;
    std::uint64_t wait = 0;  // the current suspension's number
    bool woken = false;      // its resumption is posted
    std::unique_ptr<sim::FiberContext> fiber;
  };
  void run(std::uint64_t id, std::uint64_t wait);

  boost::asio::io_context& io_;
  sim::StackPool stacks_;
  std::map<std::uint64_t, std::unique_ptr<Task>> tasks_;
  std::uint64_t next_id_ = 1;
  Task* current_ = nullptr;
  std::thread::id loop_thread_;
  bool destroying_ = false;
};

}  // namespace simbus::runtime
