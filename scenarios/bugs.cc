// The seeded bugs the scenarios know how to switch on (the bug zoo lives in core/).
#include <string>

namespace simbus::scenarios {

bool bug_known(const std::string& bug) {
  (void)bug;
  return false;  // no bug switches are wired to scenarios yet
}

}  // namespace simbus::scenarios
