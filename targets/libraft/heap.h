// libraft allocates through raft_malloc and friends. A crashed node's `struct raft` is
// abandoned, never closed (a crash runs no code of the node), so every byte the library
// or the io allocated for that node must be reclaimable at once: each node gets an arena,
// and the heap installed with raft_heap_set charges every allocation to the arena that
// is current on this thread (the node whose fiber is calling into the library).
#pragma once

#include <cstddef>
#include <cstdint>

namespace simbus::targets::libraft {

class Arena {
 public:
  static constexpr std::uint64_t kBytesMax = std::uint64_t{1} << 30;  // per node

  Arena();
  ~Arena();  // frees every allocation still charged to it
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  std::uint64_t bytes() const { return bytes_; }
  std::uint64_t blocks() const { return blocks_; }

  // Allocation entry points for the heap; `this` must be current.
  void* allocate(std::size_t size, std::size_t alignment);
  static void release(void* ptr);
  void* reallocate(void* ptr, std::size_t size);

 public:
  struct Header;  // in front of every block (heap.cc)

 private:
  Header* head_ = nullptr;  // doubly linked list of live blocks
  std::uint64_t bytes_ = 0;
  std::uint64_t blocks_ = 0;
  friend struct Header;
};

// Makes `arena` current on this thread for its lifetime; nests.
class ArenaScope {
 public:
  explicit ArenaScope(Arena& arena);
  ~ArenaScope();
  ArenaScope(const ArenaScope&) = delete;
  ArenaScope& operator=(const ArenaScope&) = delete;

 private:
  Arena* previous_;
};

// Installs the arena heap into libraft (once per process; idempotent).
void install_arena_heap();
Arena* current_arena();

}  // namespace simbus::targets::libraft
