// The broker's only door to the world: time, timers, transport, storage, randomness,
// tasks and locks. Nothing in core/ includes sim/ or the OS; the simulator implements
// this interface deterministically (scenarios/sim_env.*), and a real runtime can later
// implement the same one, so the code that was tested is the code that runs.
//
// The calling convention is blocking, fiber-style: every call may be a scheduling point
// and may suspend the calling task. A task is killed (its stack unwound by a forced-unwind
// exception) when its node crashes; `catch (...)` in core/ must therefore rethrow.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace simbus::core {

using NodeId = std::uint32_t;
using Bytes = std::vector<std::uint8_t>;
// "No node" (e.g. no vote, no known leader). Node ids may start at 0.
inline constexpr NodeId no_node = 0xffffffffu;

// A datagram as delivered. The transport may drop, duplicate, delay and reorder them.
struct Envelope {
  NodeId from = 0;
  Bytes payload;
};

// A mutual-exclusion lock whose lock() is a scheduling point.
class Mutex {
 public:
  virtual ~Mutex() = default;
  virtual void lock() = 0;
  virtual void unlock() = 0;
};

class CondVar {
 public:
  virtual ~CondVar() = default;
  // Atomically releases `mutex`, waits for a notify, re-acquires it.
  virtual void wait(Mutex& mutex) = 0;
  // As wait(), but gives up after timeout_us of this node's time; returns false on timeout.
  virtual bool wait_for_us(Mutex& mutex, std::int64_t timeout_us) = 0;
  virtual void notify_one() = 0;
  virtual void notify_all() = 0;
};

// A file on the node's own disk. Writes are volatile until fsync(): a crash may lose
// any unsynced write, or tear the last one. Reads may return flipped bits where the disk
// is faulty; callers checksum what they store.
class File {
 public:
  virtual ~File() = default;
  virtual std::uint64_t size() = 0;
  // Reads up to out.size() bytes at offset; returns the count read (short at end of file).
  virtual std::size_t read(std::uint64_t offset, std::span<std::uint8_t> out) = 0;
  virtual void write(std::uint64_t offset, std::span<const std::uint8_t> data) = 0;
  virtual void truncate(std::uint64_t size) = 0;
  virtual void fsync() = 0;
};

class Env {
 public:
  virtual ~Env() = default;

  // --- identity
  virtual NodeId node_id() const = 0;
  // Bumped on every restart of the node; lets peers tell a rebooted node from the old one.
  virtual std::uint64_t incarnation() const = 0;

  // --- time (this node's clock: it may be skewed and drift against other nodes')
  virtual std::int64_t now_us() = 0;
  virtual void sleep_for_us(std::int64_t duration_us) = 0;

  // --- transport (datagrams between node ids; clients are nodes too)
  virtual void send(NodeId to, Bytes payload) = 0;
  // Blocks until a datagram for this node arrives or timeout_us passes (nullopt).
  virtual std::optional<Envelope> receive(std::int64_t timeout_us) = 0;

  // --- storage (files survive a crash up to their last fsync)
  virtual std::unique_ptr<File> open_file(std::string_view name) = 0;
  virtual bool remove_file(std::string_view name) = 0;

  // --- randomness (seeded and recorded by the simulator; never std randomness)
  virtual std::uint64_t random_u64() = 0;
  // Uniform in [0, bound); bound > 0.
  virtual std::uint64_t random_below(std::uint64_t bound) = 0;

  // --- tasks
  // Starts a task on this node; it dies with the node.
  virtual void spawn(std::string_view name, std::function<void()> fn) = 0;
  virtual void yield() = 0;

  // --- locks
  virtual std::unique_ptr<Mutex> make_mutex(std::string_view name) = 0;
  virtual std::unique_ptr<CondVar> make_condvar(std::string_view name) = 0;

  // --- fault injection: true only in simulation, when this point is enabled for the run
  // and its coin comes up. Use through SIMBUS_BUGGIFY so the site is named.
  virtual bool buggify(const char* file, int line) = 0;
};

#define SIMBUS_BUGGIFY(env) ((env).buggify(__FILE__, __LINE__))

}  // namespace simbus::core
