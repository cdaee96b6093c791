// A small replicated service on simbus's simulated network and disk: registers the
// `replicated-log` scenario (replicated_log.cc).
#pragma once

namespace example {
void register_replicated_log();
}  // namespace example
