// The seeded bugs the scenarios can switch on: the bug zoo lives in core/bugs.h.
#include <string>

#include "core/bugs.h"

namespace simbus::scenarios {

bool bug_known(const std::string& bug) { return core::bug_from_name(bug).has_value(); }

}  // namespace simbus::scenarios
