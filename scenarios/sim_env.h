// core::Env implemented on the simulator: the wiring between the broker core and the
// deterministic world. One SimEnv per node; it lives as long as the node's incarnation
// (create it in the node's boot fiber, so a crash destroys it with the node's memory).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "core/env.h"
#include "sim/world.h"

namespace simbus::scenarios {

struct BuggifyConfig {
  bool enabled = false;                          // off: buggify() is always false
  std::uint32_t site_enabled_per_million = 250'000;  // chance a site is armed for the run
  std::uint32_t fire_per_million = 50'000;           // chance an armed site fires
};

class SimEnv final : public core::Env {
 public:
  SimEnv(sim::World& world, sim::NodeIndex node, BuggifyConfig buggify = {});

  core::NodeId node_id() const override { return node_; }
  std::uint64_t incarnation() const override;
  std::int64_t now_us() override;
  void sleep_for_us(std::int64_t duration_us) override;
  void send(core::NodeId to, core::Bytes payload) override;
  std::optional<core::Envelope> receive(std::int64_t timeout_us) override;
  std::unique_ptr<core::File> open_file(std::string_view name) override;
  bool remove_file(std::string_view name) override;
  std::uint64_t random_u64() override;
  std::uint64_t random_below(std::uint64_t bound) override;
  void spawn(std::string_view name, std::function<void()> fn) override;
  void yield() override;
  std::unique_ptr<core::Mutex> make_mutex(std::string_view name) override;
  std::unique_ptr<core::CondVar> make_condvar(std::string_view name) override;
  bool buggify(const char* file, int line) override;

  // For checkers: sees each datagram this node sends, before the network takes it. It
  // must not touch the world (no scheduling point, no draw), so traces stay the same.
  using SendObserver = std::function<void(core::NodeId to, const core::Bytes& payload)>;
  void observe_sends(SendObserver observer) { send_observer_ = std::move(observer); }

 private:
  SendObserver send_observer_;
  sim::World& world_;
  sim::NodeIndex node_;
  BuggifyConfig buggify_;
  std::map<std::uint64_t, bool> armed_sites_;  // ordered: never iterated for decisions anyway
};

}  // namespace simbus::scenarios
