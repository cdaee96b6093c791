// A fiber: a stackful coroutine on Boost.Context with a pooled, fixed-size,
// guard-paged stack. Only the scheduler (sim/world.cc) switches between fibers; the
// switch is annotated for AddressSanitizer, which cannot see fcontext's stack changes.
#pragma once

#include <boost/context/fiber.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

namespace simbus::sim {

// Stacks are recycled: creating a fiber costs no mmap once the pool is warm.
class StackPool {
 public:
  static constexpr std::size_t kStacksPooledMax = 4096;
  explicit StackPool(std::size_t stack_bytes);
  ~StackPool();
  StackPool(const StackPool&) = delete;
  StackPool& operator=(const StackPool&) = delete;

  boost::context::stack_context allocate();
  void deallocate(boost::context::stack_context& sc) noexcept;
  std::size_t stack_bytes() const { return stack_bytes_; }

 private:
  std::size_t stack_bytes_;
  std::vector<void*> free_;  // each the base (lowest address, the guard page) of a mapping
};

// The execution context of one fiber. `body` runs on its own stack; suspend() returns
// to whoever resumed it. Destroying a FiberContext that has not finished unwinds its
// stack with Boost.Context's forced_unwind (destructors run; no switch may happen then).
class FiberContext {
 public:
  FiberContext(StackPool& pool, std::function<void()> body);
  ~FiberContext();
  FiberContext(const FiberContext&) = delete;
  FiberContext& operator=(const FiberContext&) = delete;

  // From the scheduler: runs the fiber until it suspends or finishes.
  void resume();
  // From inside the fiber: returns control to the scheduler.
  void suspend();
  bool finished() const { return finished_; }
  bool unwinding() const { return unwinding_; }

 private:
  boost::context::fiber fiber_;      // the fiber, while it is suspended
  boost::context::fiber scheduler_;  // the scheduler, while the fiber runs
  std::function<void()> body_;
  bool finished_ = false;
  bool unwinding_ = false;
  void* stack_bottom_ = nullptr;
  std::size_t stack_bytes_ = 0;
  // Where a forced unwind returns to: the stack of the fiber (or scheduler) destroying us.
  const void* unwind_return_bottom_ = nullptr;
  std::size_t unwind_return_bytes_ = 0;
};

}  // namespace simbus::sim
