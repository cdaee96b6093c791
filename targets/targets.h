// Registers the scenarios of every system under test in targets/ (and their suite entries).
#pragma once

#include "targets/libraft/scenarios.h"

namespace simbus::targets {

inline void register_all() { libraft::register_scenarios(); }

}  // namespace simbus::targets
