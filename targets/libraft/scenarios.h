// The libraft target's scenarios: a cluster of canonical/raft servers replicating a KV
// store, clients whose outcomes (ambiguous ones as such) form a history, the broker's
// nemesis vocabulary, and every Raft and linearizability check. Registered as libraft-*.
#pragma once

namespace simbus::targets::libraft {

// Registers the scenarios and adds them to the smoke, ci and nightly suites. Idempotent.
void register_scenarios();

}  // namespace simbus::targets::libraft
