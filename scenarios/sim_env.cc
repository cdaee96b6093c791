#include "scenarios/sim_env.h"

#include <fmt/format.h>

#include "base/assert.h"
#include "base/hash.h"
#include "sim/disk.h"
#include "sim/network.h"
#include "sim/sync.h"

namespace simbus::scenarios {
namespace {

class SimMutex final : public core::Mutex {
 public:
  void lock() override { mutex_.lock(); }
  void unlock() override { mutex_.unlock(); }
  sim::Mutex& raw() { return mutex_; }

 private:
  sim::Mutex mutex_;
};

class SimCondVar final : public core::CondVar {
 public:
  void wait(core::Mutex& mutex) override { cv_.wait(static_cast<SimMutex&>(mutex).raw()); }
  bool wait_for_us(core::Mutex& mutex, std::int64_t timeout_us) override {
    return cv_.wait_for_us(static_cast<SimMutex&>(mutex).raw(), timeout_us);
  }
  void notify_one() override { cv_.notify_one(); }
  void notify_all() override { cv_.notify_all(); }

 private:
  sim::CondVar cv_;
};

class SimFile final : public core::File {
 public:
  SimFile(sim::World& world, std::string name) : world_(world), name_(std::move(name)) {}
  std::uint64_t size() override { return world_.disk().size(name_); }
  std::size_t read(std::uint64_t offset, std::span<std::uint8_t> out) override {
    return world_.disk().read(name_, offset, out);
  }
  void write(std::uint64_t offset, std::span<const std::uint8_t> data) override {
    world_.disk().write(name_, offset, data);
  }
  void truncate(std::uint64_t size) override { world_.disk().truncate(name_, size); }
  void fsync() override { world_.disk().fsync(name_); }

 private:
  sim::World& world_;
  std::string name_;
};

}  // namespace

SimEnv::SimEnv(sim::World& world, sim::NodeIndex node, BuggifyConfig buggify)
    : world_(world), node_(node), buggify_(buggify) {
  SIMBUS_ASSERT(node < world.node_count());
}

std::uint64_t SimEnv::incarnation() const { return world_.incarnation(node_); }

std::int64_t SimEnv::now_us() { return world_.node_now_us(node_); }

void SimEnv::sleep_for_us(std::int64_t duration_us) {
  SIMBUS_ASSERT(world_.current_node() == node_);
  world_.sleep_for_us(duration_us);
}

void SimEnv::send(core::NodeId to, core::Bytes payload) {
  SIMBUS_ASSERT(world_.current_node() == node_);
  if (send_observer_) send_observer_(to, payload);
  world_.network().send(static_cast<sim::NodeIndex>(to), std::move(payload));
}

std::optional<core::Envelope> SimEnv::receive(std::int64_t timeout_us) {
  SIMBUS_ASSERT(world_.current_node() == node_);
  auto d = world_.network().receive(timeout_us);
  if (!d) return std::nullopt;
  return core::Envelope{d->from, std::move(d->payload)};
}

std::unique_ptr<core::File> SimEnv::open_file(std::string_view name) {
  return std::make_unique<SimFile>(world_, std::string(name));
}

bool SimEnv::remove_file(std::string_view name) { return world_.disk().remove(std::string(name)); }

std::uint64_t SimEnv::random_u64() {
  // Two 32-bit draws keep every value in the replayable data stream.
  const std::uint64_t hi = world_.draw_below(sim::DataTag::kUser, 1ULL << 32);
  const std::uint64_t lo = world_.draw_below(sim::DataTag::kUser, 1ULL << 32);
  return (hi << 32) | lo;
}

std::uint64_t SimEnv::random_below(std::uint64_t bound) {
  SIMBUS_ASSERT(bound > 0);
  return world_.draw_below(sim::DataTag::kUser, bound);
}

void SimEnv::spawn(std::string_view name, std::function<void()> fn) {
  world_.spawn(node_, fmt::format("{}/{}", world_.node_name(node_), name), std::move(fn));
}

void SimEnv::yield() { world_.yield(); }

std::unique_ptr<core::Mutex> SimEnv::make_mutex(std::string_view) { return std::make_unique<SimMutex>(); }

std::unique_ptr<core::CondVar> SimEnv::make_condvar(std::string_view) { return std::make_unique<SimCondVar>(); }

bool SimEnv::buggify(const char* file, int line) {
  if (!buggify_.enabled) return false;
  const std::uint64_t site = hash_combine(hash_string(file), static_cast<std::uint64_t>(line));
  auto it = armed_sites_.find(site);
  if (it == armed_sites_.end()) {
    const bool armed = world_.draw_chance(sim::DataTag::kBuggify, buggify_.site_enabled_per_million, 1'000'000);
    it = armed_sites_.emplace(site, armed).first;
  }
  return it->second && world_.draw_chance(sim::DataTag::kBuggify, buggify_.fire_per_million, 1'000'000);
}

}  // namespace simbus::scenarios
