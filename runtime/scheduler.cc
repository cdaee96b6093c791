#include "runtime/scheduler.h"

#include <boost/asio/post.hpp>
#include <boost/context/fiber.hpp>

#include <cstdlib>
#include <exception>

#include "base/assert.h"
#include "runtime/log.h"

namespace simbus::runtime {

Scheduler::Scheduler(boost::asio::io_context& io, std::size_t stack_bytes)
    : io_(io), stacks_(stack_bytes), loop_thread_(std::this_thread::get_id()) {}

Scheduler::~Scheduler() {
  SIMBUS_ASSERT(current_ == nullptr);
  destroying_ = true;
  // Newest first: a later task may hold references into an earlier one's objects.
  while (!tasks_.empty()) {
    auto node = tasks_.extract(std::prev(tasks_.end()));
    node.mapped()->fiber.reset();
  }
}

void Scheduler::assert_loop_thread() const {
  SIMBUS_ASSERT_MSG(std::this_thread::get_id() == loop_thread_, "runtime call off the loop thread");
}

void Scheduler::spawn(std::string name, std::function<void()> fn) {
  assert_loop_thread();
  SIMBUS_ASSERT_MSG(tasks_.size() < tasks_max, "too many tasks");
  auto task = std::make_unique<Task>();
  task->id = next_id_++;
  task->name = std::move(name);
  task->woken = true;
  Task* raw = task.get();
  task->fiber = std::make_unique<sim::FiberContext>(stacks_, [raw, fn = std::move(fn)] {
    try {
      fn();
    } catch (const boost::context::detail::forced_unwind&) {
      throw;
    } catch (const std::exception& e) {
      log_error("task '{}' threw: {}; aborting", raw->name, e.what());
      std::abort();
    } catch (...) {
      log_error("task '{}' threw a non-std exception; aborting", raw->name);
      std::abort();
    }
  });
  const std::uint64_t id = task->id;
  tasks_.emplace(id, std::move(task));
  boost::asio::post(io_, [this, id] { run(id, 0); });
}

WakeToken Scheduler::prepare() {
  SIMBUS_ASSERT_MSG(current_ != nullptr, "a blocking runtime call outside a task");
  current_->wait += 1;
  current_->woken = false;
  return WakeToken{current_->id, current_->wait};
}

void Scheduler::suspend() {
  SIMBUS_ASSERT(current_ != nullptr);
  current_->fiber->suspend();
}

bool Scheduler::wake(WakeToken token) {
  assert_loop_thread();
  if (destroying_) return false;
  auto it = tasks_.find(token.task);
  if (it == tasks_.end()) return false;
  Task& task = *it->second;
  if (task.wait != token.wait || task.woken) return false;
  task.woken = true;
  boost::asio::post(io_, [this, token] { run(token.task, token.wait); });
  return true;
}

void Scheduler::yield() {
  const WakeToken token = prepare();
  SIMBUS_ASSERT(wake(token));
  suspend();
}

const std::string& Scheduler::current_name() const {
  static const std::string none = "(loop)";
  return current_ ? current_->name : none;
}

void Scheduler::run(std::uint64_t id, std::uint64_t wait) {
  SIMBUS_ASSERT(current_ == nullptr);
  auto it = tasks_.find(id);
  if (it == tasks_.end()) return;
  Task& task = *it->second;
  if (task.wait != wait || !task.woken) return;
  current_ = &task;
  task.fiber->resume();
  current_ = nullptr;
  if (task.fiber->finished()) tasks_.erase(id);
}

}  // namespace simbus::runtime
