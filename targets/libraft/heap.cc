#include "targets/libraft/heap.h"

#include "targets/libraft/raft_c.h"

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>

#include "base/assert.h"

namespace simbus::targets::libraft {

// Every block starts with this header, placed so that the user pointer right after it
// has the requested alignment; `offset` leads back to the start of the malloc'd block.
struct Arena::Header {
  Arena* arena;
  Header* prev;
  Header* next;
  std::size_t size;
  std::size_t offset;  // from the malloc'd start to this header
  std::uint64_t magic;
};

namespace {

constexpr std::uint64_t kMagic = 0x5ab1eaf7ab1eULL;
thread_local Arena* t_current = nullptr;

Arena::Header* header_of(void* ptr) {
  auto* h = reinterpret_cast<Arena::Header*>(static_cast<char*>(ptr) - sizeof(Arena::Header));
  SIMBUS_ASSERT_MSG(h->magic == kMagic, "libraft freed a pointer the arena heap did not allocate");
  return h;
}

Arena& current_or_die() {
  SIMBUS_ASSERT_MSG(t_current != nullptr, "libraft allocated outside a node's arena scope");
  return *t_current;
}

void* heap_malloc(void*, std::size_t size) { return current_or_die().allocate(size, alignof(std::max_align_t)); }
void heap_free(void*, void* ptr) { Arena::release(ptr); }
void* heap_calloc(void*, std::size_t n, std::size_t size) {
  if (size != 0 && n > SIZE_MAX / size) return nullptr;
  return current_or_die().allocate(n * size, alignof(std::max_align_t));  // zeroed
}
void* heap_realloc(void*, void* ptr, std::size_t size) {
  if (ptr == nullptr) return current_or_die().allocate(size, alignof(std::max_align_t));
  return current_or_die().reallocate(ptr, size);
}
void* heap_aligned_alloc(void*, std::size_t alignment, std::size_t size) {
  return current_or_die().allocate(size, alignment);
}
void heap_aligned_free(void*, std::size_t, void* ptr) { Arena::release(ptr); }

raft_heap g_heap = {nullptr, heap_malloc, heap_free, heap_calloc, heap_realloc, heap_aligned_alloc, heap_aligned_free};

}  // namespace

Arena::Arena() = default;

Arena::~Arena() {
  while (head_ != nullptr) release(reinterpret_cast<char*>(head_) + sizeof(Header));
  SIMBUS_ASSERT(bytes_ == 0);
  SIMBUS_ASSERT(blocks_ == 0);
}

void* Arena::allocate(std::size_t size, std::size_t alignment) {
  SIMBUS_ASSERT(alignment > 0 && (alignment & (alignment - 1)) == 0);
  if (size > kBytesMax || bytes_ + size > kBytesMax) return nullptr;  // RAFT_NOMEM to the caller
  alignment = alignment < alignof(Header) ? alignof(Header) : alignment;
  const std::size_t total = sizeof(Header) + alignment + size;
  char* raw = static_cast<char*>(std::malloc(total));
  if (raw == nullptr) return nullptr;
  // Zeroed: libraft 0.15.0 leaves bytes of some buffers unwritten (the padding of an
  // encoded configuration), which then reach the disk and the wire; zeros keep a run's
  // bytes, and so its trace hash, the same on every run.
  std::memset(raw, 0, total);
  auto user = reinterpret_cast<std::uintptr_t>(raw) + sizeof(Header);
  user = (user + alignment - 1) & ~(static_cast<std::uintptr_t>(alignment) - 1);
  auto* h = reinterpret_cast<Header*>(user - sizeof(Header));
  h->arena = this;
  h->prev = nullptr;
  h->next = head_;
  h->size = size;
  h->offset = static_cast<std::size_t>(reinterpret_cast<char*>(h) - raw);
  h->magic = kMagic;
  if (head_ != nullptr) head_->prev = h;
  head_ = h;
  bytes_ += size;
  blocks_ += 1;
  return reinterpret_cast<void*>(user);
}

void Arena::release(void* ptr) {
  if (ptr == nullptr) return;
  Header* h = header_of(ptr);
  Arena* a = h->arena;
  SIMBUS_ASSERT(a->blocks_ > 0 && a->bytes_ >= h->size);
  if (h->prev != nullptr) h->prev->next = h->next;
  else a->head_ = h->next;
  if (h->next != nullptr) h->next->prev = h->prev;
  a->bytes_ -= h->size;
  a->blocks_ -= 1;
  h->magic = 0;
  std::free(reinterpret_cast<char*>(h) - h->offset);
}

void* Arena::reallocate(void* ptr, std::size_t size) {
  Header* h = header_of(ptr);
  void* fresh = h->arena->allocate(size, alignof(std::max_align_t));
  if (fresh == nullptr) return nullptr;  // the old block stays valid, as realloc promises
  std::memcpy(fresh, ptr, h->size < size ? h->size : size);
  release(ptr);
  return fresh;
}

ArenaScope::ArenaScope(Arena& arena) : previous_(t_current) { t_current = &arena; }
ArenaScope::~ArenaScope() { t_current = previous_; }

Arena* current_arena() { return t_current; }

void install_arena_heap() {
  static std::once_flag once;
  std::call_once(once, [] { raft_heap_set(&g_heap); });
}

}  // namespace simbus::targets::libraft
