// The built-in scenarios. A new built-in: one file with a register_ function, one line here.
#include "scenarios/scenario.h"

namespace simbus::scenarios {

void register_pingpong();
void register_mutex_counter();
void register_racy_counter();
void register_philosophers();

void register_builtin_scenarios() {
  register_pingpong();
  register_mutex_counter();
  register_racy_counter();
  register_philosophers();
}

}  // namespace simbus::scenarios
