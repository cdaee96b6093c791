// The built-in scenarios. A new built-in: one file with a register_ function, one line here.
#include "scenarios/scenario.h"

namespace simbus::scenarios {

void register_pingpong();
void register_mutex_counter();
void register_racy_counter();
void register_philosophers();
void register_readers_writers();
void register_dpor_benchmarks();
void register_sct_benchmarks();

void register_broker_scenarios();
void register_broker_edge_scenarios();
void register_storage_crash();

void register_builtin_scenarios() {
  register_broker_scenarios();
  register_broker_edge_scenarios();
  register_storage_crash();
  register_pingpong();
  register_mutex_counter();
  register_racy_counter();
  register_philosophers();
  register_readers_writers();
  register_dpor_benchmarks();
  register_sct_benchmarks();
}

}  // namespace simbus::scenarios
