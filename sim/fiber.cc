#include "sim/fiber.h"

#include <sys/mman.h>
#include <unistd.h>

#include <new>
#include <utility>

#include "base/assert.h"

#if defined(SIMBUS_ASAN)
#include <sanitizer/asan_interface.h>
#endif

namespace simbus::sim {
namespace ctx = boost::context;

namespace {

std::size_t page_bytes() {
  static const std::size_t bytes = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  return bytes;
}

using fiber_detail::asan_finish_switch;
using fiber_detail::asan_start_switch;
using fiber_detail::running_fiber;
using fiber_detail::scheduler_stack_bottom;
using fiber_detail::scheduler_stack_bytes;

// Adapts the pool to Boost.Context's StackAllocator concept.
struct PooledAllocator {
  StackPool* pool;
  void** stack_bottom;  // where to record the allocated stack, for ASan
  ctx::stack_context allocate() {
    ctx::stack_context sc = pool->allocate();
    *stack_bottom = static_cast<char*>(sc.sp) - sc.size;
    return sc;
  }
  void deallocate(ctx::stack_context& sc) noexcept { pool->deallocate(sc); }
};

// ASan keeps the shadow of unmapped memory: leave it clean for whatever is mapped there next.
void unmap_stack(void* base, std::size_t stack_bytes) {
#if defined(SIMBUS_ASAN)
  ASAN_UNPOISON_MEMORY_REGION(static_cast<char*>(base) + page_bytes(), stack_bytes);
#endif
  ::munmap(base, stack_bytes + page_bytes());
}

// Stacks outlive their World on this thread: an explore loop builds a World per
// execution, and mapping fresh stacks each time cost a page fault per touched stack page
// (about a tenth of a broker execution). A pool's free stacks go here when it is destroyed
// and the next pool of the same stack size takes them first.
struct SpareStacks {
  static constexpr std::size_t kMax = 256;
  std::size_t stack_bytes = 0;
  std::vector<void*> bases;
  ~SpareStacks() {
    for (void* base : bases) unmap_stack(base, stack_bytes);
  }
};
thread_local SpareStacks spare_stacks;

}  // namespace

StackPool::StackPool(std::size_t stack_bytes) : stack_bytes_(stack_bytes) {
  SIMBUS_ASSERT(stack_bytes % page_bytes() == 0);
  SIMBUS_ASSERT(stack_bytes >= 4 * page_bytes());
}

StackPool::~StackPool() {
  SpareStacks& spares = spare_stacks;
  if (spares.bases.empty()) spares.stack_bytes = stack_bytes_;
  for (void* base : free_) {
    if (spares.stack_bytes == stack_bytes_ && spares.bases.size() < SpareStacks::kMax) {
      spares.bases.push_back(base);
    } else {
      unmap_stack(base, stack_bytes_);
    }
  }
}

ctx::stack_context StackPool::allocate() {
  void* base = nullptr;
  if (!free_.empty()) {
    base = free_.back();
    free_.pop_back();
  } else if (spare_stacks.stack_bytes == stack_bytes_ && !spare_stacks.bases.empty()) {
    base = spare_stacks.bases.back();
    spare_stacks.bases.pop_back();
  } else {
    const std::size_t total = stack_bytes_ + page_bytes();
    base = ::mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                  -1, 0);
    if (base == MAP_FAILED) throw std::bad_alloc();
    // The lowest page is a guard: a stack overflow faults instead of corrupting a neighbour.
    const int rc = ::mprotect(base, page_bytes(), PROT_NONE);
    SIMBUS_ASSERT(rc == 0);
  }
#if defined(SIMBUS_ASAN)
  // Start with clean shadow memory, recycled or fresh: a pooled stack may carry the last
  // fiber's scope poisoning (forced_unwind does not unpoison frame by frame), and ASan
  // keeps the shadow of unmapped memory, so a fresh mmap landing where an earlier
  // World's stack was (ASLR decides) inherits that stale poisoning too.
  ASAN_UNPOISON_MEMORY_REGION(static_cast<char*>(base) + page_bytes(), stack_bytes_);
#endif
  ctx::stack_context sc;
  sc.size = stack_bytes_;
  sc.sp = static_cast<char*>(base) + page_bytes() + stack_bytes_;  // stacks grow down
  return sc;
}

void StackPool::deallocate(ctx::stack_context& sc) noexcept {
  void* base = static_cast<char*>(sc.sp) - stack_bytes_ - page_bytes();
  if (free_.size() < kStacksPooledMax) {
    free_.push_back(base);
  } else {
    unmap_stack(base, stack_bytes_);
  }
}

FiberContext::FiberContext(StackPool& pool, std::function<void()> body) : body_(std::move(body)) {
  stack_bytes_ = pool.stack_bytes();
  fiber_ = ctx::fiber(std::allocator_arg, PooledAllocator{&pool, &stack_bottom_}, [this](ctx::fiber&& scheduler) {
    scheduler_ = std::move(scheduler);
    asan_finish_switch(nullptr, &scheduler_stack_bottom, &scheduler_stack_bytes);
    try {
      body_();
    } catch (const ctx::detail::forced_unwind&) {
      // Leaving for whoever destroys us; ASan must know this stack is gone.
      asan_start_switch(nullptr, unwind_return_bottom_, unwind_return_bytes_);
      throw;
    }
    finished_ = true;
    asan_start_switch(nullptr, scheduler_stack_bottom, scheduler_stack_bytes);
    return std::move(scheduler_);
  });
}

FiberContext::~FiberContext() {
  if (fiber_) {
    // Suspended mid-body: unwind its stack now (crash of its node, or end of the world).
    SIMBUS_ASSERT(!finished_);
    unwinding_ = true;
    FiberContext* destroyer = running_fiber;
    unwind_return_bottom_ = destroyer ? destroyer->stack_bottom_ : scheduler_stack_bottom;
    unwind_return_bytes_ = destroyer ? destroyer->stack_bytes_ : scheduler_stack_bytes;
    void* fake_stack = nullptr;
    asan_start_switch(&fake_stack, stack_bottom_, stack_bytes_);
    running_fiber = this;
    fiber_ = ctx::fiber();  // resumes the fiber with forced_unwind, returns when unwound
    running_fiber = destroyer;
    asan_finish_switch(fake_stack, nullptr, nullptr);
  }
}

void fiber_detail::fail_resume(const char* what) {
  SIMBUS_ASSERT_MSG(false, what);
  SIMBUS_UNREACHABLE();
}

}  // namespace simbus::sim
