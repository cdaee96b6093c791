// A fiber: a stackful coroutine on Boost.Context with a pooled, fixed-size,
// guard-paged stack. Only the scheduler (sim/world.cc) switches between fibers; the
// switch is annotated for AddressSanitizer, which cannot see fcontext's stack changes.
#pragma once

#include <boost/context/fiber.hpp>

#if defined(SIMBUS_ASAN)
#include <sanitizer/common_interface_defs.h>
#endif

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

  // From the scheduler: runs the fiber until it suspends or finishes. Inline, as is
  // suspend(): a call whose return straddles the stack switch makes the CPU mispredict that
  // return (the return-address stack holds the other stack's frames), twice per round trip.
  inline void resume();
  // From inside the fiber: returns control to the scheduler.
  inline void suspend();
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

namespace fiber_detail {

// The scheduler's own stack, learned on the first switch back to it (for ASan).
inline thread_local const void* scheduler_stack_bottom = nullptr;
inline thread_local std::size_t scheduler_stack_bytes = 0;
// The fiber running now (nullptr: the scheduler). A fiber may destroy another (a crash
// called from a nemesis fiber); the unwound fiber must then switch back to that stack.
inline thread_local FiberContext* running_fiber = nullptr;

inline void asan_start_switch(void** fake_stack, const void* bottom, std::size_t bytes) {
#if defined(SIMBUS_ASAN)
  __sanitizer_start_switch_fiber(fake_stack, bottom, bytes);
#else
  (void)fake_stack, (void)bottom, (void)bytes;
#endif
}

inline void asan_finish_switch(void* fake_stack, const void** old_bottom, std::size_t* old_bytes) {
#if defined(SIMBUS_ASAN)
  __sanitizer_finish_switch_fiber(fake_stack, old_bottom, old_bytes);
#else
  (void)fake_stack, (void)old_bottom, (void)old_bytes;
#endif
}

[[noreturn]] void fail_resume(const char* what);

}  // namespace fiber_detail

inline void FiberContext::resume() {
  // Only the scheduler resumes fibers, and only ones suspended mid-body.
  if (finished_ || !fiber_ || fiber_detail::running_fiber != nullptr) [[unlikely]] {
    fiber_detail::fail_resume(finished_ ? "finished" : !fiber_ ? "not suspended" : "from a fiber");
  }
  void* fake_stack = nullptr;
  fiber_detail::asan_start_switch(&fake_stack, stack_bottom_, stack_bytes_);
  fiber_detail::running_fiber = this;
  fiber_ = std::move(fiber_).resume();
  fiber_detail::running_fiber = nullptr;
  fiber_detail::asan_finish_switch(fake_stack, nullptr, nullptr);
  if (finished_ == static_cast<bool>(fiber_)) [[unlikely]] fiber_detail::fail_resume("returned in a bad state");
}

inline void FiberContext::suspend() {
  if (unwinding_) [[unlikely]] fiber_detail::fail_resume("suspend while unwinding");
  void* fake_stack = nullptr;
  fiber_detail::asan_start_switch(&fake_stack, fiber_detail::scheduler_stack_bottom,
                                  fiber_detail::scheduler_stack_bytes);
  try {
    scheduler_ = std::move(scheduler_).resume();
  } catch (const boost::context::detail::forced_unwind&) {
    // Resumed only to be unwound (see ~FiberContext), maybe from another fiber's stack:
    // that stack is not the scheduler's, so it must not be remembered as such.
    const void* destroyer_bottom = nullptr;
    std::size_t destroyer_bytes = 0;
    fiber_detail::asan_finish_switch(fake_stack, &destroyer_bottom, &destroyer_bytes);
    throw;
  }
  fiber_detail::asan_finish_switch(fake_stack, &fiber_detail::scheduler_stack_bottom,
                                   &fiber_detail::scheduler_stack_bytes);
}

}  // namespace simbus::sim
