#include "gateway/callers.h"

#include "gateway/gateway.h"

namespace simbus::gateway {

CallerPool::CallerPool(Gateway& gateway)
    : gateway_(gateway), mutex_(gateway.process().scheduler()), freed_(gateway.process().scheduler()) {}

CallerPool::~CallerPool() = default;

CallerPool::Caller* CallerPool::acquire() {
  mutex_.lock();
  if (free_.empty() && callers_.size() < callers_max) {
    auto caller = std::make_unique<Caller>();
    caller->id = gateway_.next_endpoint_id();
    caller->env = gateway_.process().make_env(caller->id);
    core::ClientConfig config;
    config.brokers.push_back(gateway_.config().node_id);  // it redirects to the leader
    for (core::NodeId m : gateway_.config().members) {
      if (m != gateway_.config().node_id) config.brokers.push_back(m);
    }
    config.ordered = false;
    caller->client = std::make_unique<core::BrokerClient>(*caller->env, config, gateway_.next_client_id());
    free_.push_back(caller.get());
    callers_.push_back(std::move(caller));
  }
  const std::int64_t deadline_us = callers_.front()->env->now_us() + caller_wait_us_max;
  while (free_.empty()) {
    const std::int64_t left_us = deadline_us - callers_.front()->env->now_us();
    if (left_us <= 0) {
      mutex_.unlock();
      return nullptr;
    }
    freed_.wait_for_us(mutex_, left_us);
  }
  Caller* caller = free_.back();
  free_.pop_back();
  mutex_.unlock();
  if (const core::RaftNode* raft = gateway_.node().raft(); raft && raft->leader_id() != core::no_node) {
    caller->client->aim_at(raft->leader_id());
  }
  return caller;
}

void CallerPool::release(Caller* caller) {
  free_.push_back(caller);
  freed_.notify_one();
}

}  // namespace simbus::gateway
