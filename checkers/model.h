// Sequential specifications for the linearizability search. A model splits a history into
// independent parts (P-compositionality: keys, channels) and compiles each part into a
// `PartitionModel` whose states are small integers, so the search hashes and compares
// integers instead of model objects.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "checkers/history.h"

namespace simbus::checkers {

inline constexpr std::int32_t kInvalidState = -1;

class PartitionModel {
 public:
  virtual ~PartitionModel() = default;
  virtual std::int32_t initial_state() = 0;
  // The state after `op` (an index into the partition's operations) runs in `state`, or
  // kInvalidState if its recorded result is impossible there.
  virtual std::int32_t step(std::int32_t state, std::int32_t op) = 0;
  // True when `op` leaves every state it is valid in unchanged (a read with a known
  // result): the search may linearize it as soon as it is allowed and never revisit that.
  virtual bool preserves_state(std::int32_t op) const = 0;
  // True when `op` is valid in every state and changes none (a read with unknown result):
  // the search drops it.
  virtual bool is_noop(std::int32_t op) const = 0;
  virtual std::string describe_state(std::int32_t state) const = 0;
  // False when `op`, an observation that preserves state and must still be linearized,
  // can never become valid from `state` whatever runs next (a kv get of "ab" once the value
  // is "ac" and no put can reset it): the search abandons the configuration at once
  // instead of after trying every order of the operations in flight. Must never be false
  // wrongly; true is always safe.
  virtual bool may_become_valid(std::int32_t state, std::int32_t op) { return true; }
  // Rough bytes held by interned states, counted against the memory limit.
  virtual std::int64_t memory_bytes() const { return 0; }
};

class Model {
 public:
  virtual ~Model() = default;
  virtual std::string_view name() const = 0;
  // Operations with different keys act on independent objects and are checked apart.
  virtual bool partitioned_by_key() const { return true; }
  // "" if the model understands `op`, else why not (unknown function, wrong arity).
  virtual std::string validate(const Operation& op) const = 0;
  // `ops` are one partition's operations that may have taken effect (no `fail`), in the
  // order the search numbers them.
  virtual std::unique_ptr<PartitionModel> compile(std::span<const Operation* const> ops) const = 0;
};

// Read/write/cas register. Read results: [v] (nil means the register is empty) or []
// unknown. Cas results: [1] swapped, [0] did not swap (compare failed), [] unknown.
// "register" starts at nil (Porcupine's etcd model); "cas-register" at 0 (Knossos).
std::unique_ptr<Model> make_register_model(Value initial);
// get/put/append on string values per key, starting at "" (Porcupine's kv model).
std::unique_ptr<Model> make_kv_model();
// acquire/release of one lock (Knossos mutex).
std::unique_ptr<Model> make_mutex_model();
// Transactions of [read|write, key, value] triples over registers that start at `initial`
// (Knossos multi-register); a read of nil inside a txn is unknown.
std::unique_ptr<Model> make_multi_register_model(Value initial);
// The broker's channel, per channel key: its event log (publish -> sequence number,
// read_log -> all payloads), its subscriptions (subscribe/unsubscribe of a session with a
// user) and what clients observe of them (channel_info, members). See docs/checkers.md.
std::unique_ptr<Model> make_channel_model();

// By name: register, cas-register, kv, mutex, multi-register, channel (aliases
// channel-log, channel-info, presence). `initial` overrides a register's start value when
// not nullptr. Returns nullptr for an unknown name.
std::unique_ptr<Model> make_model(std::string_view name, const Value* initial = nullptr);
// Comma-separated list of the names make_model accepts, for help texts.
std::string model_names();

}  // namespace simbus::checkers
